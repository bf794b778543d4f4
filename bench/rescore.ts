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
import { detect, detectorLabel, detectByTemplate, scoreImageFolder, type Summary } from '../daemon/geneval';
import { loadModel } from '../daemon/models';
import { DEFAULT_SAMPLING, generateGenevalFolder, type SamplingConfig } from '../daemon/train';
import { writeFileAtomic } from '../daemon/util/fsx';
import { defaultPromptSet } from '../daemon/util/paths';
import { parseMetadataLines, TAGS } from '../daemon/world';
import { measureIntoCard, type Card, type MeasurementKey, type Rescored } from './rescore-cards';

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

/** Measures a rescore into the card file (written whole or not at all). */
function updateCardFile(cardFile: string, r: Rescored, key: MeasurementKey): void {
  const card = JSON.parse(readFileSync(cardFile, 'utf8')) as Card;
  measureIntoCard(card, r, key, detectorLabel(), cardFile);
  writeFileAtomic(cardFile, `${JSON.stringify(card, null, 2)}\n`);
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
    if (cardsFor[k] !== undefined) updateCardFile(cardsFor[k], results.at(-1)!, readCardMeasurementKey(dir, values.seed, { metadata: values.metadata, n: values.n }));
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
      if (values.cards) updateCardFile(checkpoint.replace(/\.safetensors$/, '.json'), results.at(-1)!, { promptFile: file, imagesPerPrompt: n, seed });
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
