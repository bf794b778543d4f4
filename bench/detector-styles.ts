/**
 * The style table: GenEval of scenes that satisfy every prompt of a prompt set, drawn by the world,
 * by the training family, and in each held-out style (bench/styles/heldout-family.ts, a separate
 * program never used in training), scored with the detector and with the template detector it
 * replaced; and the calibration of the detector's confidences on the same images.
 *
 * `npx tsx bench/detector-styles.ts [--metadata FILE] [--n 4] [--seed 1] [--rows world,training,...] [--weights FILE] [--temperature T] [--objects]`;
 * prints three markdown tables (docs/geneval.md holds the last ones). `--rows` keeps the rows whose
 * names contain one of the words; `--objects` adds, per row, what became of each truth object, by
 * class and by box side; `--temperature` replaces the weights' fitted temperature. `--seeds 1-6`
 * (or a list, 1,3,5) instead prints one table over that many draws of the images: each tag's mean
 * and lowest, and the draws at 0.98 on every tag (one draw's table moves by a counting image or two).
 *
 * The third table is each style's ceiling: a style may draw two classes as the very same pixels
 * (a small disc and a small rounded square), and no reader of pixels can name both right. The
 * ceiling is GenEval of a reader that names every object by the class its exact picture (region
 * mask and colour weights) is drawn for most often in that style, sure of it: the best any
 * pixel-only detector could score there.
 */

/** An object's picture: its region's size, mask and colour weights (what a detector reads), as a key. */
function pictureOf(image: RgbImage, box: readonly number[], color: string): string | undefined {
  const region = findRegions(image).find((r) => {
    const cx = (r.box[0] + r.box[2]) / 2;
    const cy = (r.box[1] + r.box[3]) / 2;
    return r.color === color && cx >= box[0]! - 1 && cx <= box[2]! + 1 && cy >= box[1]! - 1 && cy <= box[3]! + 1;
  });
  if (!region) return undefined;
  const w = region.box[2] - region.box[0];
  return `${w}x${region.box[3] - region.box[1]}:${Array.from(region.weights, (v) => Math.round(v * 1000)).join(',')}`;
}

/** GenEval of the reader that names each picture by its most frequent class (see above). */
function ceiling(images: { meta: Metadata; objects: { shape: ShapeClass; detection: Detection; picture: string | undefined }[] }[]): TagTally {
  const counts = new Map<string, Map<ShapeClass, number>>();
  for (const { objects } of images) {
    for (const o of objects) {
      if (o.picture === undefined) continue;
      const m = counts.get(o.picture) ?? new Map<ShapeClass, number>();
      m.set(o.shape, (m.get(o.shape) ?? 0) + 1);
      counts.set(o.picture, m);
    }
  }
  const named = (o: { shape: ShapeClass; picture: string | undefined }): ShapeClass => {
    const m = o.picture === undefined ? undefined : counts.get(o.picture);
    return m ? [...m].reduce((a, b) => (b[1] > a[1] ? b : a))[0] : o.shape;
  };
  const tally = new TagTally();
  for (const { meta, objects } of images) tally.add(meta, objects.map((o) => ({ ...o.detection, class: named(o) })));
  return tally;
}
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { detectByTemplate, findRegions, type Detection } from '../daemon/geneval';
import { defaultPromptSet } from '../daemon/util/paths';
import { objectBox, parseMetadataLines, TAGS, type Metadata, type RgbImage, type ShapeClass } from '../daemon/world';
import { Calibration, judgeDetections, learnedDetector, ObjectTally, TagTally } from './detector-measure';
import { legibility } from './styles/heldout-family';
import { forEachImage, parseSeeds, selectRows, type StyleRow } from './style-rows';

/** The bar: GenEval at this or more on every tag of a held-out style. */
const TARGET = 0.98;

/**
 * The rows over several draws of their images (one scene seed each): each tag's mean over the draws
 * and its lowest, and the draws at the target on every tag. One draw's table is noisy (a counting
 * image is 1/320 of the default set's counting tag); a change is judged on several.
 */
function spreadTable(rows: readonly StyleRow[], prompts: readonly Metadata[], n: number, seeds: readonly number[], detect: (image: RgbImage) => Detection[]): string {
  const lines = [
    `GenEval of ${prompts.length} prompts x ${n} scenes in each style, over ${seeds.length} draws (scene seeds ${seeds.join(', ')}): each tag's mean over the draws (its lowest).`,
    '',
    `| style | ${TAGS.join(' | ')} | overall | draws at ${TARGET} on every tag |`,
    `|---|${TAGS.map(() => '---|').join('')}---|---|`,
  ];
  for (const row of rows) {
    const tallies = seeds.map((seed) => {
      const tally = new TagTally();
      forEachImage(row, prompts, n, seed, (meta, _scene, image) => tally.add(meta, detect(image)));
      process.stderr.write(`${row.name}, seed ${seed}: ${tally.overall().toFixed(3)}\n`);
      return tally;
    });
    const cell = (values: number[]): string => `${(values.reduce((a, b) => a + b, 0) / values.length).toFixed(3)} (${Math.min(...values).toFixed(3)})`;
    const seen = TAGS.filter((tag) => !Number.isNaN(tallies[0]!.score(tag)));
    const atTarget = tallies.filter((t) => seen.every((tag) => t.score(tag) >= TARGET)).length;
    lines.push(`| ${row.name} | ${TAGS.map((tag) => (seen.includes(tag) ? cell(tallies.map((t) => t.score(tag))) : '-')).join(' | ')} | ${cell(tallies.map((t) => t.overall()))} | ${atTarget} of ${seeds.length} |`);
  }
  return lines.join('\n');
}

function main(): void {
  const { values } = parseArgs({ options: { metadata: { type: 'string' }, n: { type: 'string' }, seed: { type: 'string' }, seeds: { type: 'string' }, rows: { type: 'string' }, weights: { type: 'string' }, temperature: { type: 'string' }, objects: { type: 'boolean' } } });
  const detect = learnedDetector(values.weights, values.temperature === undefined ? undefined : Number(values.temperature));
  const wanted = values.rows?.split(',');
  const file = values.metadata ?? defaultPromptSet();
  const prompts = parseMetadataLines(readFileSync(file, 'utf8'), file);
  const n = Number(values.n ?? 4);
  const rows = selectRows(wanted);
  if (values.seeds !== undefined) {
    process.stdout.write(`${spreadTable(rows, prompts, n, parseSeeds(values.seeds), detect)}\n`);
    return;
  }
  const seed = Number(values.seed ?? 1);
  const styleLines = [
    `GenEval of ${prompts.length} prompts x ${n} scenes that satisfy them (${file.replace(/.*examples/, 'examples')}, seed ${seed}), drawn in each style.`,
    '',
    `| style | ${TAGS.join(' | ')} | overall | template detector (before) |`,
    `|---|${TAGS.map(() => '---|').join('')}---|---|`,
  ];
  const ceilingLines = [
    "Ceiling: GenEval of a reader that names each object by the class its exact picture is drawn for most often in the style (pictures two classes share must be misread one way).",
    '',
    `| style | ${TAGS.join(' | ')} | overall | objects whose picture another class shares | objects redrawn as illegible |`,
    `|---|${TAGS.map(() => '---|').join('')}---|---|---|`,
  ];
  const calibrationLines = ['Calibration of the detector on the same images: per confidence bin, detections: mean confidence / fraction right (class and colour of the object it sits on).', '', Calibration.header()];
  const heldOutCalibration = new Calibration();
  const objectTables: string[] = [];
  for (const row of rows) {
    const redrawnBefore = legibility.redrawn;
    const tally = new TagTally();
    const before = new TagTally();
    const calibration = new Calibration();
    const objectTally = new ObjectTally();
    const pictures: Parameters<typeof ceiling>[0] = [];
    forEachImage(row, prompts, n, seed, (meta, scene, image) => {
      const found = detect(image);
      tally.add(meta, found);
      before.add(meta, detectByTemplate(image));
      const truth = scene.objects.map((o) => ({ shape: o.shape, color: o.color, box: objectBox(o) }));
      pictures.push({
        meta,
        objects: truth.map((o) => ({ shape: o.shape, picture: pictureOf(image, o.box, o.color), detection: { class: o.shape, color: o.color, box: o.box, score: 1, area: 0 } })),
      });
      objectTally.add(found, truth);
      judgeDetections(found, truth).forEach((right, i) => {
        calibration.add(found[i]!.score, right);
        if (row.heldOut) heldOutCalibration.add(found[i]!.score, right);
      });
    });
    styleLines.push(`| ${row.name} | ${tally.row()} | ${before.overall().toFixed(3)} |`);
    const shared = new Map<string, Set<ShapeClass>>();
    for (const o of pictures.flatMap((p) => p.objects)) if (o.picture !== undefined) shared.set(o.picture, (shared.get(o.picture) ?? new Set()).add(o.shape));
    const sharedObjects = pictures.flatMap((p) => p.objects).filter((o) => o.picture !== undefined && shared.get(o.picture)!.size > 1).length;
    ceilingLines.push(`| ${row.name} | ${ceiling(pictures).row()} | ${sharedObjects} of ${pictures.reduce((n, p) => n + p.objects.length, 0)} | ${legibility.redrawn - redrawnBefore} |`);
    calibrationLines.push(`| ${row.name} | ${calibration.cells().join(' | ')} | ${calibration.ece().toFixed(3)} |`);
    if (values.objects) objectTables.push(objectTally.tables(row.name));
    process.stderr.write(`${row.name}: ${tally.overall().toFixed(3)}\n`);
  }
  calibrationLines.push(`| all held-out styles | ${heldOutCalibration.cells().join(' | ')} | ${heldOutCalibration.ece().toFixed(3)} |`);
  process.stdout.write(`${styleLines.join('\n')}\n\n${calibrationLines.join('\n')}\n\n${ceilingLines.join('\n')}\n`);
  for (const t of objectTables) process.stdout.write(`\n${t}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
