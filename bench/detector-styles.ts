/**
 * The style table: GenEval of scenes that satisfy every prompt of a prompt set, drawn by the world,
 * by the training family, and in each held-out style (bench/styles/heldout-family.ts, a separate
 * program never used in training), scored with the detector and with the template detector it
 * replaced; and the calibration of the detector's confidences on the same images.
 *
 * `npx tsx bench/detector-styles.ts [--metadata FILE] [--n 4] [--seed 1] [--rows world,training,...]`;
 * prints two markdown tables (docs/geneval.md holds the last ones). `--rows` keeps the rows whose
 * names contain one of the words.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { detect, detectByTemplate } from '../daemon/geneval';
import { defaultPromptSet } from '../daemon/util/paths';
import { Rng } from '../daemon/util/random';
import { DEFAULT_WORLD, objectBox, parseMetadataLines, renderScene, sampleScene, TAGS, type RgbImage, type Scene } from '../daemon/world';
import { Calibration, judgeDetections, TagTally } from './detector-measure';
import { jpegRoundTrip } from './degrade';
import { HELDOUT_STYLES, renderHeldout } from './styles/heldout-family';
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
];

function main(): void {
  const { values } = parseArgs({ options: { metadata: { type: 'string' }, n: { type: 'string' }, seed: { type: 'string' }, rows: { type: 'string' } } });
  const wanted = values.rows?.split(',');
  const file = values.metadata ?? defaultPromptSet();
  const prompts = parseMetadataLines(readFileSync(file, 'utf8'), file);
  const n = Number(values.n ?? 4);
  const seed = Number(values.seed ?? 1);
  const styleLines = [
    `GenEval of ${prompts.length} prompts x ${n} scenes that satisfy them (${file.replace(/.*examples/, 'examples')}, seed ${seed}), drawn in each style.`,
    '',
    `| style | ${TAGS.join(' | ')} | overall | template detector (before) |`,
    `|---|${TAGS.map(() => '---|').join('')}---|---|`,
  ];
  const calibrationLines = ['Calibration of the detector on the same images: per confidence bin, detections: mean confidence / fraction right (class and colour of the object it sits on).', '', Calibration.header()];
  const heldOutCalibration = new Calibration();
  for (const row of ROWS.filter((r) => !wanted || wanted.some((w) => r.name.includes(w)))) {
    const rng = new Rng(seed);
    const tally = new TagTally();
    const before = new TagTally();
    const calibration = new Calibration();
    prompts.forEach((meta) => {
      for (let k = 0; k < n; k++) {
        const scene = sampleScene(meta, DEFAULT_WORLD, rng);
        const image = row.draw(scene, rng);
        const found = detect(image);
        tally.add(meta, found);
        before.add(meta, detectByTemplate(image));
        const truth = scene.objects.map((o) => ({ shape: o.shape, color: o.color, box: objectBox(o) }));
        judgeDetections(found, truth).forEach((right, i) => {
          calibration.add(found[i]!.score, right);
          if (row.heldOut) heldOutCalibration.add(found[i]!.score, right);
        });
      }
    });
    styleLines.push(`| ${row.name} | ${tally.row()} | ${before.overall().toFixed(3)} |`);
    calibrationLines.push(`| ${row.name} | ${calibration.cells().join(' | ')} | ${calibration.ece().toFixed(3)} |`);
    process.stderr.write(`${row.name}: ${tally.overall().toFixed(3)}\n`);
  }
  calibrationLines.push(`| all held-out styles | ${heldOutCalibration.cells().join(' | ')} | ${heldOutCalibration.ece().toFixed(3)} |`);
  process.stdout.write(`${styleLines.join('\n')}\n\n${calibrationLines.join('\n')}\n`);
}

main();
