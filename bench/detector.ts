/**
 * Measures the shapes-world detector on the world's renders, clean and degraded: precision and
 * recall of class and colour per object, exact per-class counts per scene, and GenEval accuracy of
 * truth images under each degradation, beside the template detector it replaced on the same
 * images; the calibration of its confidences over the degraded conditions; and both detectors'
 * speed. `npx tsx bench/detector.ts [--scenes N] [--seed S] [--weights FILE]`; prints markdown tables
 * (docs/geneval.md holds the last ones).
 */
import { parseArgs } from 'node:util';
import { detectByTemplate, evaluateDetections, keepDetections, THRESHOLD, type Detection, type Detector } from '../daemon/geneval';
import { Rng } from '../daemon/util/random';
import {
  DEFAULT_WORLD,
  generatePromptSet,
  objectBox,
  renderScene,
  sampleScene,
  TAGS,
  type Metadata,
  type RgbImage,
  type Scene,
  type WorldConfig,
} from '../daemon/world';
import { bilinearUpscale, gaussianBlur, gaussianNoise, jpegRoundTrip, speckles } from './degrade';
import { Calibration, imagesPerSecond, learnedDetector } from './detector-measure';
import { FALSE_POSITIVE_CASES } from './styles/false-positives';

interface Condition {
  name: string;
  world: WorldConfig;
  /** Scale between scene coordinates and the degraded image's pixels. */
  scale: number;
  apply: (image: RgbImage, rng: Rng) => RgbImage;
}

const CONDITIONS: Condition[] = [
  { name: 'clean', world: DEFAULT_WORLD, scale: 1, apply: (i) => i },
  { name: 'clean, 64 px canvas', world: { canvas: 64 }, scale: 1, apply: (i) => i },
  { name: 'gaussian noise sigma 10', world: DEFAULT_WORLD, scale: 1, apply: (i, r) => gaussianNoise(i, 10, r) },
  { name: 'gaussian noise sigma 25', world: DEFAULT_WORLD, scale: 1, apply: (i, r) => gaussianNoise(i, 25, r) },
  { name: 'speckles 5%', world: DEFAULT_WORLD, scale: 1, apply: (i, r) => speckles(i, 0.05, r) },
  { name: 'gaussian blur sigma 0.5', world: DEFAULT_WORLD, scale: 1, apply: (i) => gaussianBlur(i, 0.5) },
  { name: 'gaussian blur sigma 0.8', world: DEFAULT_WORLD, scale: 1, apply: (i) => gaussianBlur(i, 0.8) },
  { name: 'JPEG quality 75', world: DEFAULT_WORLD, scale: 1, apply: (i) => jpegRoundTrip(i, 75) },
  { name: 'JPEG quality 50', world: DEFAULT_WORLD, scale: 1, apply: (i) => jpegRoundTrip(i, 50) },
  { name: 'bilinear 4x upscale', world: DEFAULT_WORLD, scale: 4, apply: (i) => bilinearUpscale(i, 4) },
  { name: 'bilinear 4x + JPEG 75', world: DEFAULT_WORLD, scale: 4, apply: (i) => jpegRoundTrip(bilinearUpscale(i, 4), 75) },
];

interface Tally {
  truths: number;
  detections: number;
  classHits: number;
  colorHits: number;
  scenes: number;
  countExact: number;
  countExactCounting: number;
  geneval: Map<string, { correct: number; total: number }>;
}

/** The detection whose box centre falls inside a truth box, if any (objects never overlap). */
function matchTruth(det: Detection, scene: Scene, scale: number): number {
  const cx = (det.box[0] + det.box[2]) / 2 / scale;
  const cy = (det.box[1] + det.box[3]) / 2 / scale;
  return scene.objects.findIndex((o) => {
    const b = objectBox(o);
    return cx >= b[0] && cx <= b[2] && cy >= b[1] && cy <= b[3];
  });
}

function emptyTally(): Tally {
  return { truths: 0, detections: 0, classHits: 0, colorHits: 0, scenes: 0, countExact: 0, countExactCounting: 0, geneval: new Map() };
}

/** Adds one image's detections to a tally (and every detection to the calibration, when given). */
function record(tally: Tally, all: readonly Detection[], scene: Scene, meta: Metadata, scale: number, calibration?: Calibration): void {
  const kept = all.filter((d) => d.score > THRESHOLD);
  tally.scenes++;
  tally.truths += scene.objects.length;
  tally.detections += kept.length;
  const claimed = new Set<number>();
  for (const det of all) {
    const t = matchTruth(det, scene, scale);
    const fresh = t >= 0 && !claimed.has(t);
    calibration?.add(det.score, fresh && scene.objects[t]!.shape === det.class && scene.objects[t]!.color === det.color);
    if (!fresh || !(det.score > THRESHOLD)) continue;
    claimed.add(t);
    if (scene.objects[t]!.shape === det.class) tally.classHits++;
    if (scene.objects[t]!.color === det.color) tally.colorHits++;
  }
  const countsMatch = (threshold: number): boolean => {
    const found = new Map<string, number>();
    for (const d of all) if (d.score > threshold) found.set(d.class, (found.get(d.class) ?? 0) + 1);
    const truth = new Map<string, number>();
    for (const o of scene.objects) truth.set(o.shape, (truth.get(o.shape) ?? 0) + 1);
    return found.size === truth.size && [...truth].every(([k, v]) => found.get(k) === v);
  };
  if (countsMatch(THRESHOLD)) tally.countExact++;
  if (countsMatch(0.9)) tally.countExactCounting++;
  const verdict = evaluateDetections(keepDetections(all, meta.tag), meta);
  const g = tally.geneval.get(meta.tag) ?? { correct: 0, total: 0 };
  g.total++;
  if (verdict.correct) g.correct++;
  tally.geneval.set(meta.tag, g);
}

/** Both detectors on the same degraded renders. */
function measure(detect: Detector, condition: Condition, prompts: Metadata[], scenesPerPrompt: number, seed: number, calibration?: Calibration): { now: Tally; before: Tally } {
  const rng = new Rng(seed);
  const now = emptyTally();
  const before = emptyTally();
  for (const meta of prompts) {
    for (let s = 0; s < scenesPerPrompt; s++) {
      const scene = sampleScene(meta, condition.world, rng);
      const image = condition.apply(renderScene(scene, condition.world), rng);
      record(now, detect(image), scene, meta, condition.scale, calibration);
      record(before, detectByTemplate(image), scene, meta, condition.scale);
    }
  }
  return { now, before };
}

function main(): void {
  const { values } = parseArgs({ options: { scenes: { type: 'string' }, seed: { type: 'string' }, weights: { type: 'string' } } });
  const detect = learnedDetector(values.weights);
  const promptsWanted = Number(values.scenes ?? 3318) / 6;
  const seed = Number(values.seed ?? 1);
  const prompts = generatePromptSet({ seed, split: 'all', counts: Object.fromEntries(TAGS.map((t) => [t, Math.round(promptsWanted / 6)])) });
  const pct = (a: number, b: number): string => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)}`);
  const lines = [
    `Detector on ${prompts.length * 6} rendered scenes per condition (${prompts.length} prompts of all six tags x 6 scenes, seed ${seed}).`,
    'Class/colour precision: kept detections (score > 0.3) whose class/colour matches the object they sit on; recall: objects found with the right class/colour.',
    'Counts exact: every class counted exactly, at GenEval\'s 0.3 and counting 0.9 thresholds. GenEval: accuracy of truth images under the official rules (mean of the six tags).',
    '',
    'The template detector (before) is the one this detector replaced, on the same images.',
    '',
    '| condition | class P | class R | colour P | colour R | counts exact @0.3 | @0.9 | GenEval overall | worst tag | template detector (before): counts @0.9 | overall | worst tag |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const summary = (t: Tally): { overall: number; worst: string } => {
    const tags = [...t.geneval].map(([tag, g]) => ({ tag, score: g.correct / g.total }));
    const worst = tags.reduce((a, b) => (b.score < a.score ? b : a));
    return { overall: tags.reduce((s, x) => s + x.score, 0) / tags.length, worst: `${worst.tag} ${worst.score.toFixed(3)}` };
  };
  const calibrationLines = ['Calibration over the degraded conditions (all but the clean ones): per confidence bin, detections: mean confidence / fraction right.', '', Calibration.header()];
  const degraded = new Calibration();
  for (const condition of CONDITIONS) {
    const { now: t, before: b } = measure(detect, condition, prompts, 6, seed, condition.name.startsWith('clean') ? undefined : degraded);
    const now = summary(t);
    const before = summary(b);
    lines.push(
      `| ${condition.name} | ${pct(t.classHits, t.detections)} | ${pct(t.classHits, t.truths)} | ${pct(t.colorHits, t.detections)} | ${pct(t.colorHits, t.truths)} | ${pct(t.countExact, t.scenes)} | ${pct(t.countExactCounting, t.scenes)} | ${now.overall.toFixed(3)} | ${now.worst} | ${pct(b.countExactCounting, b.scenes)} | ${before.overall.toFixed(3)} | ${before.worst} |`,
    );
    process.stderr.write(`${condition.name}\n`);
  }
  calibrationLines.push(`| world's renders, degraded | ${degraded.cells().join(' | ')} | ${degraded.ece().toFixed(3)} |`);
  // Speed on clean 32 px truth renders, one thread.
  const rng = new Rng(seed);
  const images = prompts.map((meta) => renderScene(sampleScene(meta, DEFAULT_WORLD, rng), DEFAULT_WORLD));
  // And on images of what is no object (the false-positive cases in turn: noise, blobs, fragments,
  // touching pairs), where the detector is often unsure and reads a region further (readRegion).
  const unsure = images.map((_, i) => FALSE_POSITIVE_CASES[i % FALSE_POSITIVE_CASES.length]!.make(rng).image);
  const speed =
    `Speed on ${images.length} clean 32 px renders (one thread, best of three): detector ${imagesPerSecond(detect, images).toFixed(0)} images/s, template detector ${imagesPerSecond(detectByTemplate, images).toFixed(0)} images/s. ` +
    `On ${unsure.length} images of the false-positive cases (noise, blobs, fragments, touching pairs): detector ${imagesPerSecond(detect, unsure).toFixed(0)} images/s, template detector ${imagesPerSecond(detectByTemplate, unsure).toFixed(0)} images/s.`;
  process.stdout.write(`${lines.join('\n')}\n\n${calibrationLines.join('\n')}\n\n${speed}\n`);
}

main();
