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
import { Rng } from '../daemon/util/random';
import { DEFAULT_WORLD, objectBox, parseMetadataLines, renderScene, sampleScene, TAGS, type Metadata, type RgbImage, type Scene, type ShapeClass } from '../daemon/world';
import { Calibration, judgeDetections, learnedDetector, ObjectTally, TagTally } from './detector-measure';
import { jpegRoundTrip } from './degrade';
import { HELDOUT_STYLES, legibility, renderHeldout } from './styles/heldout-family';
import { renderBrush } from './styles/brush-family';
import { renderMarker } from './styles/marker-family';
import { renderPaint } from './styles/paint-family';
import { renderFiltered } from './styles/filtered-family';
import { renderPixelart } from './styles/pixelart-family';
import { renderPolygon } from './styles/polygon-family';
import { renderSdf } from './styles/sdf-family';
import { renderVector } from './styles/vector-family';
import { blankCanvas, drawObjects, familyObject } from './styles/training-family';

interface StyleRow {
  name: string;
  heldOut: boolean;
  draw: (scene: Scene, rng: Rng) => RgbImage;
}

const canvas = DEFAULT_WORLD.canvas;
const ROWS: StyleRow[] = [
  { name: "world's renders", heldOut: false, draw: (scene) => renderScene(scene, DEFAULT_WORLD) },
  {
    name: 'training family (in distribution)',
    heldOut: false,
    draw: (scene, rng) => {
      const image = blankCanvas(canvas);
      drawObjects(image, scene.objects.map((o) => familyObject({ kind: o.shape, color: o.color, cx: objectBox(o)[0] + o.size / 2, cy: objectBox(o)[1] + o.size / 2, size: o.size }, rng)));
      return image;
    },
  },
  ...HELDOUT_STYLES.map((style) => ({ name: `held out: ${style.name}`, heldOut: true, draw: (scene: Scene, rng: Rng) => renderHeldout(scene, canvas, style, rng) })),
  { name: 'held out: varied, JPEG 75', heldOut: true, draw: (scene: Scene, rng: Rng) => jpegRoundTrip(renderHeldout(scene, canvas, HELDOUT_STYLES.at(-1)!, rng), 75) },
  // A third program, written after the detector was fixed and scored once (styles/sdf-family.ts).
  { name: 'held out: distance fields (a third program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderSdf(scene, canvas, rng) },
  // A fourth, written apart from any detector in session 18 and first scored in session 19 with the
  // committed weights and with those retrained on the fixed training family (styles/polygon-family.ts).
  { name: 'held out: exact-area polygons (a fourth program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderPolygon(scene, canvas, rng) },
  // A fifth, written in session 20 by a session that never ran a detector nor read how one reads
  // shapes, first scored after the sub-pixel outline's weights were fixed (styles/filtered-family.ts).
  { name: 'held out: Lanczos-filtered bitmaps (a fifth program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderFiltered(scene, canvas, rng) },
  // A sixth, written in session 30 by a session that never read detector code, first scored with
  // the committed weights and two retrained candidates, after their rules were set (styles/pixelart-family.ts).
  { name: 'held out: pixel art (a sixth program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderPixelart(scene, canvas, rng) },
  // A seventh, written in session 33 by a session that never read detector or training-family code,
  // first scored with the committed weights and candidate 7 after its rule was set (styles/vector-family.ts).
  { name: 'held out: vector paths (a seventh program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderVector(scene, canvas, rng) },
  // An eighth, written in session 33 by a session that read no detector, family or other style code,
  // to a brief written after the seventh's failures were known (triangles pointing four ways, thin to
  // thick walls): not blind to them (styles/brush-family.ts).
  { name: 'held out: round brush (an eighth program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderBrush(scene, canvas, rng) },
  // A ninth, written in session 41 by a session that read no detector, family or other style code
  // (felt-marker outlines, gamma-correct anti-aliasing), first scored with the installed detector
  // (candidate 45) after it was adopted (styles/marker-family.ts).
  { name: 'held out: felt marker (a ninth program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderMarker(scene, canvas, rng) },
  // A tenth, written in session 42 by a session that read no detector, family or other style code
  // (an old paint program: corners snapped to whole pixels, scanline-filled, hard edges), first
  // scored after candidate 46's decision, with it and the installed detector (styles/paint-family.ts).
  { name: 'held out: old paint program (a tenth program)', heldOut: true, draw: (scene: Scene, rng: Rng) => renderPaint(scene, canvas, rng) },
];

/** Every scene of the prompts (n a prompt, drawn from `seed`) in the row's style. */
function forEachImage(row: StyleRow, prompts: readonly Metadata[], n: number, seed: number, visit: (meta: Metadata, scene: Scene, image: RgbImage) => void): void {
  const rng = new Rng(seed);
  prompts.forEach((meta) => {
    for (let k = 0; k < n; k++) {
      const scene = sampleScene(meta, DEFAULT_WORLD, rng);
      visit(meta, scene, row.draw(scene, rng));
    }
  });
}

/** The bar: GenEval at this or more on every tag of a held-out style. */
const TARGET = 0.98;

/** "1-6" or "1,3,5" (or both, "1-3,7") as the scene seeds they name. */
function parseSeeds(text: string): number[] {
  const seeds = text.split(',').flatMap((part) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`--seeds: "${part}" is not a seed or a range of seeds (say 1-6 or 1,2,3)`);
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (to < from || to - from > 1000) throw new Error(`--seeds: "${part}" is not a range of at most 1,000 seeds`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
  return [...new Set(seeds)];
}

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
  const rows = ROWS.filter((r) => !wanted || wanted.some((w) => r.name.includes(w)));
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
