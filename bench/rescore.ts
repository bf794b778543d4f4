/**
 * Re-scores GenEval image folders with the detector and with the template detector it replaced,
 * on the same images, so that a change of judge is never mistaken for a change of model.
 *
 *   npx tsx bench/rescore.ts --images DIR [--images DIR ...]
 *       folders in GenEval's layout (e.g. the `images` folder `unirl eval` writes)
 *   npx tsx bench/rescore.ts --checkpoint models/X.safetensors [--checkpoint ...] [--n 4] [--seed 0] [--keep DIR] [--metadata FILE] [--score I]
 *       generates each checkpoint's images first, for the prompt file and with the sampling of its
 *       card's first score, or of its score I (0 the first: a card may hold scores of one prompt
 *       file at two guidance scales) (else the default prompt set and the paradigm's default sampling;
 *       `--metadata` overrides the prompt file; the same seed gives the same images as
 *       `unirl eval --seed`), then scores them; --keep keeps the images under DIR/<name>
 *
 * Prints, per folder, GenEval per tag with each detector (old -> new); `--json FILE` also writes
 * them. `--cards` writes each checkpoint's learned-detector scores into its card
 * (`genevalByDetector`, the measurement of the card score these images reproduce: the same prompt
 * file, images a prompt and seed, and the template detector's score), keeping
 * the scores it replaces as `learnedBefore`, so that a retrained detector never silently moves a
 * card's numbers; `--images DIR --card models/X.json` pairs a folder with a card the same way.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { initCompute } from '../daemon/compute';
import { committedClassifierLabel, detect, detectByTemplate, scoreImageFolder, type Summary } from '../daemon/geneval';
import { loadModel } from '../daemon/models';
import { DEFAULT_SAMPLING, generateGenevalFolder, type SamplingConfig } from '../daemon/train';
import { defaultPromptSet } from '../daemon/util/paths';
import { parseMetadataLines, TAGS } from '../daemon/world';

interface Rescored {
  source: string;
  images: number;
  template: { overall: number; tags: Record<string, number> };
  detector: { overall: number; tags: Record<string, number> };
}

const scores = (s: Summary): { overall: number; tags: Record<string, number> } => ({ overall: s.overall, tags: Object.fromEntries(s.tags.map((t) => [t.tag, t.score])) });

function rescoreFolder(dir: string, source: string): Rescored {
  const before = scoreImageFolder(dir, { detector: detectByTemplate }).summary;
  const after = scoreImageFolder(dir, { detector: detect }).summary;
  return { source, images: after.totalImages, template: scores(before), detector: scores(after) };
}

function format(r: Rescored): string {
  const cell = (tag: string): string => `${(r.template.tags[tag] ?? NaN).toFixed(3)} -> ${(r.detector.tags[tag] ?? NaN).toFixed(3)}`;
  return [
    `${r.source} (${r.images} images): template detector -> detector`,
    ...TAGS.map((t) => `  ${t.padEnd(14)} ${cell(t)}`),
    `  ${'overall'.padEnd(14)} ${r.template.overall.toFixed(3)} -> ${r.detector.overall.toFixed(3)} (${r.detector.overall >= r.template.overall ? '+' : ''}${(r.detector.overall - r.template.overall).toFixed(3)})`,
  ].join('\n');
}

/** The prompt file and sampling recorded in a checkpoint's card (its score `index`), if it has a card. */
function cardScore(checkpoint: string, index: number): { promptFile?: string; sampling?: SamplingConfig } {
  const card = checkpoint.replace(/\.safetensors$/, '.json');
  if (!existsSync(card)) return {};
  const scores = (JSON.parse(readFileSync(card, 'utf8')) as { scores?: { promptFile?: string; sampling?: SamplingConfig }[] }).scores ?? [];
  if (index > 0 && index >= scores.length) throw new Error(`--score ${index}: ${card} holds ${scores.length} score(s)`);
  return scores[index] ?? {};
}

/** Which card score a rescore measures: the same prompt file, images a prompt and seed (and the template score: updateCard). */
interface MeasurementKey {
  promptFile: string;
  imagesPerPrompt: number;
  seed: number;
}

/**
 * The key of an images folder `unirl eval` wrote, from the eval.json beside it (prompt file, images
 * a prompt, seed; folders written before eval.json recorded its seed take `--seed`).
 */
function readCardMeasurementKey(dir: string, seed: string | undefined, given: { metadata: string | undefined; n: string | undefined }): MeasurementKey {
  const evalFile = join(dir, '..', 'eval.json');
  // A folder `--keep` kept has no eval.json: the command line says which set, images a prompt and seed.
  if (!existsSync(evalFile) && given.metadata !== undefined && seed !== undefined) return { promptFile: given.metadata, imagesPerPrompt: Number(given.n ?? 4), seed: Number(seed) };
  if (!existsSync(evalFile)) throw new Error(`--card: ${evalFile} not found (the eval.json beside the images folder says which set and seed they are; for a folder --keep kept, give --metadata, --n and --seed)`);
  const e = JSON.parse(readFileSync(evalFile, 'utf8')) as { promptFile?: string; imagesPerPrompt?: number; seed?: number };
  const evalSeed = e.seed ?? (seed === undefined ? undefined : Number(seed));
  if (e.promptFile === undefined || e.imagesPerPrompt === undefined || evalSeed === undefined) throw new Error(`--card: ${evalFile} lacks promptFile, imagesPerPrompt or seed (give --seed for a folder written before eval.json recorded it)`);
  return { promptFile: e.promptFile, imagesPerPrompt: e.imagesPerPrompt, seed: evalSeed };
}

interface CardMeasurement {
  set: string;
  imagesPerPrompt: number;
  evalSeed: number;
  images: number;
  template: Rescored['template'];
  learned: Rescored['detector'];
  /** The classifier the learned scores came from (its format and how it reads a region). */
  learnedWeights?: string;
  learnedBefore?: Rescored['detector'] & { weights: string };
  change: Record<string, number>;
}

const round = (x: number): number => Math.round(x * 10000) / 10000;
const rounded = (s: Rescored['detector']): Rescored['detector'] => ({ overall: round(s.overall), tags: Object.fromEntries(Object.entries(s.tags).map(([t, v]) => [t, round(v)])) });

/** Template scores this close are of the same images (older measurements kept three decimals). */
const SAME_TEMPLATE_SCORE = 5e-4;

/**
 * Writes a rescore's learned-detector scores into the card's measurement of the score these images
 * reproduce (the same prompt file, images a prompt and seed, and the template detector's overall:
 * a card may hold one prompt file at two guidance scales); the scores replaced are kept as
 * `learnedBefore` with the weights they came from. Images that reproduce no card score are refused.
 */
function updateCard(cardFile: string, r: Rescored, key: MeasurementKey): void {
  const card = JSON.parse(readFileSync(cardFile, 'utf8')) as Card;
  const promptName = basename(key.promptFile);
  const sameKey = (x: { imagesPerPrompt?: number; evalSeed?: number }): boolean => x.imagesPerPrompt === key.imagesPerPrompt && x.evalSeed === key.seed;
  const reproduces = (overall: number): boolean => Math.abs(overall - r.template.overall) <= SAME_TEMPLATE_SCORE;
  const candidates = (card.scores ?? []).filter((x) => x.promptFile !== undefined && basename(x.promptFile) === promptName && sameKey(x) && x.geneval !== undefined);
  const score = candidates.find((x) => reproduces(x.geneval!.overall));
  if (!score) {
    const theirs = candidates.map((x) => x.geneval!.overall.toFixed(4)).join(', ') || 'none';
    throw new Error(`${cardFile}: the template detector gives ${r.template.overall.toFixed(4)} on these images; the card's scores of ${promptName}, ${key.imagesPerPrompt} images a prompt, seed ${key.seed}: ${theirs}: not the card's images`);
  }
  const earlier = card.genevalByDetector?.measurements?.find((x) => x.set.includes(promptName) && sameKey(x) && reproduces(x.template.overall));
  const m = earlier ?? firstMeasurement(card, score, key);
  const now = committedClassifierLabel();
  if (!earlier) m.template = rounded(r.template);
  else if (m.learnedWeights !== now) m.learnedBefore = { ...m.learned, weights: m.learnedWeights ?? 'unirl-shape-classifier/2: the five networks of sessions 9-19, which read a region from its half-covered pixels' };
  m.learnedWeights = now;
  m.learned = rounded(r.detector);
  m.change = { ...Object.fromEntries(TAGS.map((t) => [t, round((r.detector.tags[t] ?? NaN) - (r.template.tags[t] ?? NaN))])), overall: round(r.detector.overall - r.template.overall) };
  m.images = r.images;
  writeFileSync(cardFile, `${JSON.stringify(card, null, 2)}\n`);
}

/** What rescoring reads and writes of a checkpoint's card. */
interface Card {
  scores?: CardScore[];
  genevalByDetector?: { note?: string; measurements?: CardMeasurement[] };
}

interface CardScore {
  /** Older cards name the set by its prompt file alone. */
  set?: string;
  promptFile?: string;
  imagesPerPrompt?: number;
  evalSeed?: number;
  geneval?: { overall: number };
}

/** A card score never measured with the learned detector gets its first measurement. */
function firstMeasurement(card: Card, score: CardScore, key: MeasurementKey): CardMeasurement {
  const m: CardMeasurement = { set: score.set ?? key.promptFile, imagesPerPrompt: key.imagesPerPrompt, evalSeed: key.seed, images: 0, template: { overall: score.geneval!.overall, tags: {} }, learned: { overall: 0, tags: {} }, change: {} };
  // A card without measurements (none yet, or an older note that said so) gets this note.
  const measurements = card.genevalByDetector?.measurements ?? [];
  if (!card.genevalByDetector?.measurements) {
    card.genevalByDetector = {
      ...card.genevalByDetector,
      note: 'The GenEval numbers in "scores" were measured with the template detector (the default judge). Re-scored on the same images with the learned detector (daemon/geneval/detector.ts; learnedWeights names its weights): bench/rescore.ts --cards.',
      measurements,
    };
  }
  measurements.push(m);
  return m;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', multiple: true },
      checkpoint: { type: 'string', multiple: true },
      n: { type: 'string' },
      seed: { type: 'string' },
      keep: { type: 'string' },
      json: { type: 'string' },
      metadata: { type: 'string' },
      cards: { type: 'boolean' },
      card: { type: 'string', multiple: true },
      score: { type: 'string' },
    },
  });
  const cardsFor = values.card ?? [];
  if (cardsFor.length > 0 && cardsFor.length !== (values.images ?? []).length) throw new Error(`--card: ${cardsFor.length} cards for ${(values.images ?? []).length} --images folders (one each, in order)`);
  const results: Rescored[] = [];
  for (const [k, dir] of (values.images ?? []).entries()) {
    results.push(rescoreFolder(dir, dir));
    process.stdout.write(`${format(results.at(-1)!)}\n`);
    if (cardsFor[k] !== undefined) updateCard(cardsFor[k], results.at(-1)!, readCardMeasurementKey(dir, values.seed, { metadata: values.metadata, n: values.n }));
  }
  if ((values.checkpoint ?? []).length > 0) {
    await initCompute();
    const n = Number(values.n ?? 4);
    const seed = Number(values.seed ?? 0);
    const scoreIndex = Number(values.score ?? 0);
    if (!Number.isInteger(scoreIndex) || scoreIndex < 0) throw new Error(`--score: ${values.score} is not a score's index (0 the first)`);
    for (const checkpoint of values.checkpoint ?? []) {
      const { model } = loadModel(checkpoint);
      const card = cardScore(checkpoint, scoreIndex);
      const file = values.metadata ?? card.promptFile ?? defaultPromptSet();
      const metadata = parseMetadataLines(readFileSync(file, 'utf8'), file);
      const sampling = card.sampling ?? DEFAULT_SAMPLING[model.paradigm];
      const scratch = values.keep ?? mkdtempSync(join(tmpdir(), 'unirl-rescore-'));
      const out = join(scratch, basename(checkpoint, '.safetensors'));
      const t0 = Date.now();
      await generateGenevalFolder(model, { metadata, outDir: out, imagesPerPrompt: n, sampling, seed, onPrompt: (d, t) => process.stderr.write(`\r${checkpoint}: generating ${d} / ${t} prompts`) });
      process.stderr.write(` (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
      model.params.dispose();
      results.push(rescoreFolder(out, `${checkpoint} --metadata ${file} --n ${n} --seed ${seed}, sampling ${JSON.stringify(sampling)}`));
      process.stdout.write(`${format(results.at(-1)!)}\n`);
      if (values.cards) updateCard(checkpoint.replace(/\.safetensors$/, '.json'), results.at(-1)!, { promptFile: file, imagesPerPrompt: n, seed });
      if (values.keep === undefined) rmSync(scratch, { recursive: true, force: true });
    }
  }
  if (results.length === 0) throw new Error('nothing to score: pass --images DIR or --checkpoint FILE');
  if (values.json) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
