/**
 * Evaluating a unified model: GenEval of its generated images (the official layout, scored by the
 * shapes-world detector) and its understanding accuracy on rendered truth scenes of the same
 * prompts (the prompt's question, the answer judged by normalised match).
 */
import { existsSync } from 'node:fs';
import { truthImages, writePromptFolder } from '../geneval';
import type { GenerateOptions, UnifiedModel } from '../models';
import { writeFolderAtomic } from '../util/fsx';
import { Rng } from '../util/random';
import { judgeAnswer, questionAnswer, TAGS, type Metadata, type RgbImage } from '../world';

export interface SamplingConfig {
  /** MaskGIT steps (masked model). */
  steps: number;
  temperature: number;
  cfg: number;
}

export const DEFAULT_SAMPLING: Readonly<Record<UnifiedModel['paradigm'], SamplingConfig>> = {
  masked: { steps: 12, temperature: 1, cfg: 2 },
  autoregressive: { steps: 64, temperature: 1, cfg: 3 },
};

export function generateOptions(sampling: SamplingConfig, rng: Rng): GenerateOptions {
  return { rng, steps: sampling.steps, temperature: sampling.temperature, cfg: sampling.cfg };
}

/** Images for a list of prompts, generated in batches of at most `batch`. */
export function generateImages(model: UnifiedModel, prompts: readonly string[], sampling: SamplingConfig, rng: Rng, batch = 16): RgbImage[] {
  const out: RgbImage[] = [];
  for (let i = 0; i < prompts.length; i += batch) {
    out.push(...model.generate(prompts.slice(i, i + batch), generateOptions(sampling, rng)).images);
  }
  return out;
}

export interface GenerateFolderOptions {
  metadata: readonly Metadata[];
  outDir: string;
  imagesPerPrompt: number;
  sampling: SamplingConfig;
  seed: number;
  onPrompt?: (done: number, total: number) => void;
}

/** Writes the model's images for every prompt in GenEval's layout; the folder appears whole or not at all. */
export async function generateGenevalFolder(model: UnifiedModel, o: GenerateFolderOptions): Promise<void> {
  if (existsSync(o.outDir)) throw new Error(`${o.outDir}: already exists (choose a new folder; results are never overwritten)`);
  const rng = new Rng(o.seed);
  const perBatch = Math.max(1, Math.floor(16 / o.imagesPerPrompt));
  await writeFolderAtomic(o.outDir, (tmp) => {
    for (let i = 0; i < o.metadata.length; i += perBatch) {
      const group = o.metadata.slice(i, i + perBatch);
      const prompts = group.flatMap((m) => Array<string>(o.imagesPerPrompt).fill(m.prompt));
      const images = generateImages(model, prompts, o.sampling, rng);
      group.forEach((meta, k) => writePromptFolder(tmp, i + k, meta, images.slice(k * o.imagesPerPrompt, (k + 1) * o.imagesPerPrompt)));
      o.onPrompt?.(Math.min(i + perBatch, o.metadata.length), o.metadata.length);
    }
  });
}

export interface UnderstandingResult {
  /** Accuracy per tag (exact normalised match) and its mean over tags. */
  tags: { tag: string; correct: number; total: number; accuracy: number }[];
  overall: number;
}

/** Understanding on rendered truth scenes: the prompt's question about a scene that satisfies it. */
export function understandingOnTruth(model: UnifiedModel, metadata: readonly Metadata[], imagesPerPrompt: number, seed: number): UnderstandingResult {
  const tally = new Map<string, { correct: number; total: number }>();
  const items: { meta: Metadata; image: RgbImage; question: string }[] = [];
  metadata.forEach((meta, index) => {
    const qa = questionAnswer(meta);
    if (!qa) return;
    for (const image of truthImages(meta, index, imagesPerPrompt, seed, { canvas: model.config.canvas })) items.push({ meta, image, question: qa.question });
  });
  for (let i = 0; i < items.length; i += 32) {
    const chunk = items.slice(i, i + 32);
    const { answers } = model.answer(chunk.map((c) => c.image), chunk.map((c) => c.question));
    chunk.forEach((c, k) => {
      const t = tally.get(c.meta.tag) ?? { correct: 0, total: 0 };
      t.total++;
      if (judgeAnswer(c.meta, answers[k]!).correct) t.correct++;
      tally.set(c.meta.tag, t);
    });
  }
  const tags = TAGS.filter((t) => tally.has(t)).map((tag) => {
    const t = tally.get(tag)!;
    return { tag, ...t, accuracy: t.correct / t.total };
  });
  return { tags, overall: tags.reduce((s, t) => s + t.accuracy, 0) / Math.max(1, tags.length) };
}

