/**
 * What both UniRL stages share: prompts from the training split only, images only from the model
 * itself, and the model judging its own images by answering the prompt's question about them.
 *
 * The no-external-images rule is enforced here: images produced by `selfGenerate` are registered,
 * and every UniRL function that reads images refuses any other (a rendered truth scene, a PNG
 * from disk), so no code path of a UniRL stage can train on external image data.
 */
import { detect, evaluateDetections, keepDetections } from '../geneval';
import type { Generation, GenerateOptions, UnifiedModel } from '../models';
import type { Rng } from '../util/random';
import { judgeAnswer, type Metadata, type RgbImage } from '../world';

const selfGenerated = new WeakSet<RgbImage>();

export class ExternalImageError extends Error {
  override name = 'ExternalImageError';
}

/** Generates a group of images per prompt and registers them as the model's own. */
export function selfGenerate(model: UnifiedModel, prompts: readonly string[], options: GenerateOptions): Generation {
  const generation = model.generate(prompts, options);
  for (const image of generation.images) selfGenerated.add(image);
  return generation;
}

/** Throws unless every image came from `selfGenerate` in this process. */
export function requireSelfGenerated(images: readonly RgbImage[]): void {
  for (const image of images) {
    if (!selfGenerated.has(image)) {
      throw new ExternalImageError('UniRL stages accept only images the model generated itself; an external or rendered image was passed');
    }
  }
}

export type RewardName = 'self' | 'self_graded' | 'detector';

export interface Judgement {
  /** The model's own answer (greedy) to the prompt's question about each image. */
  answers: string[];
  /** Its own verdict: the answer states the prompt's facts. */
  selfCorrect: boolean[];
  selfGraded: number[];
  /** The GenEval detector's verdict (the control reward, and the grounding gap's referee). */
  detectorCorrect: boolean[];
}

/** The model answers the prompt's question about each of its own images; the detector judges too. */
export function judgeImages(model: UnifiedModel, metas: readonly Metadata[], images: readonly RgbImage[]): Judgement {
  requireSelfGenerated(images);
  const { answers } = model.answer(images, metas.map((m) => m.question!));
  const verdicts = metas.map((m, i) => judgeAnswer(m, answers[i]!));
  return {
    answers,
    selfCorrect: verdicts.map((v) => v.correct),
    selfGraded: verdicts.map((v) => v.graded),
    detectorCorrect: detectorVerdicts(metas, images),
  };
}

/** The GenEval detector's verdict on each image (no model involved: the control reward alone). */
export function detectorVerdicts(metas: readonly Metadata[], images: readonly RgbImage[]): boolean[] {
  requireSelfGenerated(images);
  return metas.map((m, i) => evaluateDetections(keepDetections(detect(images[i]!), m.tag), m).correct);
}

export function rewardsOf(j: Judgement, name: RewardName): number[] {
  switch (name) {
    case 'self':
      return j.selfCorrect.map(Number);
    case 'self_graded':
      return j.selfGraded;
    case 'detector':
      return j.detectorCorrect.map(Number);
  }
}

/** Group-normalised advantages: (r - mean) / (std + eps) within each consecutive group of `size`. */
export function groupAdvantages(rewards: readonly number[], size: number, eps = 1e-4): { advantages: number[]; std: number[] } {
  if (size < 2 || rewards.length % size !== 0) throw new Error(`group size ${size} must be >= 2 and divide ${rewards.length} rewards`);
  const advantages: number[] = [];
  const std: number[] = [];
  for (let g = 0; g < rewards.length; g += size) {
    const group = rewards.slice(g, g + size);
    const mean = group.reduce((a, b) => a + b, 0) / size;
    const sd = Math.sqrt(group.reduce((a, b) => a + (b - mean) ** 2, 0) / (size - 1));
    std.push(sd);
    // A group whose rewards are all equal carries no signal: its advantages are 0.
    for (const r of group) advantages.push(sd === 0 ? 0 : (r - mean) / (sd + eps));
  }
  return { advantages, std };
}

/** Fraction of images where the model's own verdict and the detector's disagree (the grounding gap). */
export function groundingGap(j: Judgement): number {
  const n = j.selfCorrect.length;
  return j.selfCorrect.filter((s, i) => s !== j.detectorCorrect[i]).length / Math.max(1, n);
}

/** Draws `count` prompts with the given rng (from TrainingPrompts, which refuses held-out lines). */
export function drawPrompts(prompts: { draw(rng: Rng): Metadata }, rng: Rng, count: number): Metadata[] {
  return Array.from({ length: count }, () => prompts.draw(rng));
}
