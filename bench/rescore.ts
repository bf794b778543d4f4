/**
 * Re-scores GenEval image folders with the detector and with the template detector it replaced,
 * on the same images, so that a change of judge is never mistaken for a change of model.
 *
 *   npx tsx bench/rescore.ts --images DIR [--images DIR ...]
 *       folders in GenEval's layout (e.g. the `images` folder `unirl eval` writes)
 *   npx tsx bench/rescore.ts --checkpoint models/X.safetensors [--checkpoint ...] [--n 4] [--seed 0] [--keep DIR] [--metadata FILE]
 *       generates each checkpoint's images first, for the prompt file and with the sampling of its
 *       card's first score (else the default prompt set and the paradigm's default sampling;
 *       `--metadata` overrides the prompt file; the same seed gives the same images as
 *       `unirl eval --seed`), then scores them; --keep keeps the images under DIR/<name>
 *
 * Prints, per folder, GenEval per tag with each detector (old -> new); `--json FILE` also writes
 * them for the model cards.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { initCompute } from '../daemon/compute';
import { detect, detectByTemplate, scoreImageFolder, type Summary } from '../daemon/geneval';
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

/** The prompt file and sampling recorded in a checkpoint's card (its first score), if any. */
function cardScore(checkpoint: string): { promptFile?: string; sampling?: SamplingConfig } {
  const card = checkpoint.replace(/\.safetensors$/, '.json');
  if (!existsSync(card)) return {};
  const parsed = JSON.parse(readFileSync(card, 'utf8')) as { scores?: { promptFile?: string; sampling?: SamplingConfig }[] };
  return parsed.scores?.[0] ?? {};
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
    },
  });
  const results: Rescored[] = [];
  for (const dir of values.images ?? []) {
    results.push(rescoreFolder(dir, dir));
    process.stdout.write(`${format(results.at(-1)!)}\n`);
  }
  if ((values.checkpoint ?? []).length > 0) {
    await initCompute();
    const n = Number(values.n ?? 4);
    const seed = Number(values.seed ?? 0);
    for (const checkpoint of values.checkpoint ?? []) {
      const { model } = loadModel(checkpoint);
      const card = cardScore(checkpoint);
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
