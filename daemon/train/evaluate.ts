/**
 * Evaluating a unified model: GenEval of its generated images (the official layout, scored by the
 * shapes-world detector) and its understanding accuracy on rendered truth scenes of the same
 * prompts (the prompt's question, the answer judged by normalised match).
 */
import { existsSync, readFileSync } from 'node:fs';
import { truthImages, writePromptFolder, type ResultRow, type Summary } from '../geneval';
import type { GenerateOptions, UnifiedModel } from '../models';
import { writeFolderAtomic } from '../util/fsx';
import { decodePng } from '../util/png';
import { Rng } from '../util/random';
import { checkMetadata, judgeAnswer, questionAnswer, TAGS, type Metadata, type RgbImage } from '../world';

export interface SamplingConfig {
  /** MaskGIT steps (masked model). */
  steps: number;
  temperature: number;
  cfg: number;
}

/**
 * Chosen on training-split prompts (docs/models.md, "Guidance"): the masked model at cfg 2 with 24
 * MaskGIT steps since session 14 (the 96 x 3 base: 0.499 against 0.450 with 12 and 0.478 with 48,
 * the whole training split; earlier cards say they sampled 12); the autoregressive models at cfg
 * 0.5 since session 10 (both committed ones scored best there, 0.61 on the training split against
 * 0.37-0.42 at the cfg 3 used before; every score measured before says its cfg in its card).
 */
export const DEFAULT_SAMPLING: Readonly<Record<UnifiedModel['paradigm'], SamplingConfig>> = {
  masked: { steps: 24, temperature: 1, cfg: 2 },
  autoregressive: { steps: 64, temperature: 1, cfg: 0.5 },
};

/** A masked model's sampler also takes the scale of MaskGIT's confidence noise (measured by bench/masked-sampler.ts). */
export type SamplingOptions = SamplingConfig & Pick<GenerateOptions, 'confidenceNoise'>;

export function generateOptions(sampling: SamplingOptions, rng: Rng): GenerateOptions {
  const options: GenerateOptions = { rng, steps: sampling.steps, temperature: sampling.temperature, cfg: sampling.cfg };
  if (sampling.confidenceNoise !== undefined) options.confidenceNoise = sampling.confidenceNoise;
  return options;
}

/** Images for a list of prompts, generated in batches of at most `batch`. */
export async function generateImages(model: UnifiedModel, prompts: readonly string[], sampling: SamplingOptions, rng: Rng, batch = 16): Promise<RgbImage[]> {
  const out: RgbImage[] = [];
  for (let i = 0; i < prompts.length; i += batch) {
    out.push(...(await model.generate(prompts.slice(i, i + batch), generateOptions(sampling, rng))).images);
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
  await writeFolderAtomic(o.outDir, async (tmp) => {
    for (let i = 0; i < o.metadata.length; i += perBatch) {
      const group = o.metadata.slice(i, i + perBatch);
      const prompts = group.flatMap((m) => Array<string>(o.imagesPerPrompt).fill(m.prompt));
      const images = await generateImages(model, prompts, o.sampling, rng);
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

/** One answer about a rendered truth scene: the `imageIndex`th scene of the prompt at `promptIndex`. */
export interface TruthAnswer {
  meta: Metadata;
  promptIndex: number;
  imageIndex: number;
  question: string;
  answer: string;
  correct: boolean;
}

/** Understanding on rendered truth scenes: the prompt's question about a scene that satisfies it; `onAnswer` sees each answer. */
export async function understandingOnTruth(
  model: UnifiedModel,
  metadata: readonly Metadata[],
  imagesPerPrompt: number,
  seed: number,
  onAnswer?: (answered: TruthAnswer) => void,
): Promise<UnderstandingResult> {
  const tally = new Map<string, { correct: number; total: number }>();
  const items: { meta: Metadata; promptIndex: number; imageIndex: number; image: RgbImage; question: string }[] = [];
  metadata.forEach((meta, promptIndex) => {
    const qa = questionAnswer(meta);
    if (!qa) return;
    truthImages(meta, promptIndex, imagesPerPrompt, seed, { canvas: model.config.canvas }).forEach((image, imageIndex) => items.push({ meta, promptIndex, imageIndex, image, question: qa.question }));
  });
  for (let i = 0; i < items.length; i += 32) {
    const chunk = items.slice(i, i + 32);
    const { answers } = await model.answer(chunk.map((c) => c.image), chunk.map((c) => c.question));
    chunk.forEach((c, k) => {
      const t = tally.get(c.meta.tag) ?? { correct: 0, total: 0 };
      const correct = judgeAnswer(c.meta, answers[k]!).correct;
      t.total++;
      if (correct) t.correct++;
      onAnswer?.({ meta: c.meta, promptIndex: c.promptIndex, imageIndex: c.imageIndex, question: c.question, answer: answers[k]!, correct });
      tally.set(c.meta.tag, t);
    });
  }
  const tags = TAGS.filter((t) => tally.has(t)).map((tag) => {
    const t = tally.get(tag)!;
    return { tag, ...t, accuracy: t.correct / t.total };
  });
  return { tags, overall: tags.reduce((s, t) => s + t.accuracy, 0) / Math.max(1, tags.length) };
}


export interface TagImbalance {
  tag: string;
  /** GenEval score of the tag (the detector on the model's images). */
  generation: number;
  /** Understanding accuracy of the tag on rendered truth scenes. */
  understanding: number;
  /** |generation - understanding|. */
  gap: number;
  /** On the model's own images: the detector accepts the image, the model's answer misses the prompt's facts. */
  genRightUndWrong: number;
  /** On the model's own images: the detector rejects the image, the model's answer states the prompt's facts anyway. */
  genWrongUndRight: number;
  images: number;
}

export interface ImbalanceResult {
  tags: TagImbalance[];
  /** Mean over tags of |generation - understanding|. */
  meanGap: number;
  genRightUndWrong: number;
  genWrongUndRight: number;
  images: number;
  /** Fraction of the model's images where its own verdict and the detector's disagree. */
  groundingGap: number;
}

/**
 * The balance between the model's two abilities. Per tag, |GenEval - understanding on truth| (the
 * gap of the two tables); and on the very images GenEval scored, the model's own answer to the
 * prompt's question against the detector's verdict, counted both ways (as UniRL's scripts count
 * "generation right, understanding wrong" and the reverse).
 */
export async function imbalance(model: UnifiedModel, rows: readonly ResultRow[], summary: Summary, understanding: UnderstandingResult): Promise<ImbalanceResult> {
  const counts = new Map<string, { rw: number; wr: number; n: number }>();
  for (let i = 0; i < rows.length; i += 32) {
    const chunk = rows.slice(i, i + 32);
    const metas = chunk.map((r) => checkMetadata(JSON.parse(r.metadata), r.filename));
    const images = chunk.map((r) => decodePng(readFileSync(r.filename), r.filename));
    const { answers } = await model.answer(images, metas.map((m) => questionAnswer(m)?.question ?? ''));
    chunk.forEach((row, k) => {
      const c = counts.get(row.tag) ?? { rw: 0, wr: 0, n: 0 };
      // judgeAnswer marks a line without a question and answer as never right.
      const self = judgeAnswer(metas[k]!, answers[k]!).correct;
      if (row.correct && !self) c.rw++;
      if (!row.correct && self) c.wr++;
      c.n++;
      counts.set(row.tag, c);
    });
  }
  const und = new Map(understanding.tags.map((t) => [t.tag, t.accuracy]));
  const tags = summary.tags
    .filter((t) => und.has(t.tag))
    .map((t) => {
      const c = counts.get(t.tag) ?? { rw: 0, wr: 0, n: 0 };
      const u = und.get(t.tag)!;
      return { tag: t.tag, generation: t.score, understanding: u, gap: Math.abs(t.score - u), genRightUndWrong: c.rw, genWrongUndRight: c.wr, images: c.n };
    });
  const sum = (f: (t: TagImbalance) => number): number => tags.reduce((a, t) => a + f(t), 0);
  const images = sum((t) => t.images);
  return {
    tags,
    meanGap: sum((t) => t.gap) / Math.max(1, tags.length),
    genRightUndWrong: sum((t) => t.genRightUndWrong),
    genWrongUndRight: sum((t) => t.genWrongUndRight),
    images,
    groundingGap: (sum((t) => t.genRightUndWrong) + sum((t) => t.genWrongUndRight)) / Math.max(1, images),
  };
}
