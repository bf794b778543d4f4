/**
 * What both UniRL stages share: prompts from the training split only, images only from the model
 * itself, and the model judging its own images by answering the prompt's question about them.
 *
 * The no-external-images rule is enforced here: images produced by `selfGenerate` are registered,
 * and every UniRL function that reads images refuses any other (a rendered truth scene, a PNG
 * from disk), so no code path of a UniRL stage can train on external image data.
 */
import * as tf from '@tensorflow/tfjs';
import { defaultDetector, evaluateDetections, keepDetections, type DetectedByClass, type Detection } from '../geneval';
import type { Generation, GenerateOptions, UnifiedModel } from '../models';
import type { Rng } from '../util/random';
import { contrastPrompts, countAccepted, countAnswer, countFacts, countQuestion, judgeAnswer, MAX_COUNT_ANSWER, missingFactLines, questionAnswer, relationsBetween, type Metadata, type RgbImage } from '../world';

/** Each self-generated image's tokens (its generator's record, which the contrast judge reads back). */
const selfGenerated = new WeakMap<RgbImage, { tokens: Int32Array; commitStep: Int32Array }>();

export class ExternalImageError extends Error {
  override name = 'ExternalImageError';
}

/** Generates a group of images per prompt and registers them as the model's own. */
export async function selfGenerate(model: UnifiedModel, prompts: readonly string[], options: GenerateOptions): Promise<Generation> {
  const generation = await model.generate(prompts, options);
  generation.images.forEach((image, i) => selfGenerated.set(image, { tokens: generation.tokens[i]!, commitStep: generation.commitStep[i]! }));
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

export type RewardName = 'self' | 'self_graded' | 'self_likelihood' | 'self_count' | 'self_count_likelihood' | 'self_joint_likelihood' | 'self_contrast' | 'self_contrast_likelihood' | 'detector' | 'detector_graded';

export interface Judgement {
  /** The model's own answer (greedy) to the prompt's question about each image. */
  answers: string[];
  /** Its own verdict: the answer states the prompt's facts. */
  selfCorrect: boolean[];
  selfGraded: number[];
  /** The model's probability of the prompt's facts about each image (when asked for: `selfLikelihood`). */
  selfLikelihood?: number[];
  /**
   * The share of the prompt's facts the model confirms about each image when asked to count each
   * group it asks for (and, for a positioned pair, to state the relation) (when asked for: `count`).
   */
  selfCount?: number[];
  /**
   * The soft count verdict: the probability the model gives an accepted count for every group of
   * the prompt, times, for a positioned pair, that of the prompt's answer (when asked for: `countLikelihood`).
   */
  selfCountLikelihood?: number[];
  /**
   * The generator's verdict (when asked for: `contrast`): the probability of the prompt among the
   * prompts that contradict it by one change (`contrastPrompts`), from the likelihood the model's
   * generator gives the image's tokens under each (a generative classifier, uniform prior).
   */
  selfContrast?: number[];
  /** The GenEval detector's verdict (the control reward, and the grounding gap's referee), and its partial credit. */
  detectorCorrect: boolean[];
  detectorGraded: number[];
}

const detectorFields = (v: { correct: boolean[]; graded: number[] }): Pick<Judgement, 'detectorCorrect' | 'detectorGraded'> => ({ detectorCorrect: v.correct, detectorGraded: v.graded });

/** The judgement a reward needs asked (beyond the greedy answer, always asked). */
export function judgeOptionsFor(reward: RewardName): JudgeOptions {
  return {
    likelihood: reward === 'self_likelihood' || reward === 'self_joint_likelihood' || reward === 'self_contrast_likelihood',
    count: reward === 'self_count',
    countLikelihood: reward === 'self_count_likelihood' || reward === 'self_joint_likelihood',
    contrast: reward === 'self_contrast' || reward === 'self_contrast_likelihood',
  };
}

export interface JudgeOptions {
  /** Also the probability the model gives the prompt's facts (`selfLikelihood`). */
  likelihood?: boolean;
  /** Also the model's counts of the prompt's groups (`selfCount`). */
  count?: boolean;
  /** Also the probability of the accepted counts (`selfCountLikelihood`). */
  countLikelihood?: boolean;
  /** Also the generator's probability of the prompt among its contrasts (`selfContrast`). */
  contrast?: boolean;
}

/** The model answers the prompt's question about each of its own images; the detector judges too. */
export function judgeImages(model: UnifiedModel, metas: readonly Metadata[], images: readonly RgbImage[], options: JudgeOptions = {}): Promise<Judgement> {
  // The refusal is synchronous: nothing is asked of the model about an image that is not its own.
  requireSelfGenerated(images);
  return judgeOwnImages(model, metas, images, options);
}

async function judgeOwnImages(model: UnifiedModel, metas: readonly Metadata[], images: readonly RgbImage[], options: JudgeOptions): Promise<Judgement> {
  const { answers } = await model.answer(images, metas.map((m) => m.question!));
  const verdicts = metas.map((m, i) => judgeAnswer(m, answers[i]!));
  return {
    answers,
    selfCorrect: verdicts.map((v) => v.correct),
    selfGraded: verdicts.map((v) => v.graded),
    ...(options.likelihood ? { selfLikelihood: factsLikelihood(model, metas, images) } : {}),
    ...(options.count ? { selfCount: await countVerdicts(model, metas, images, verdicts.map((v) => v.correct)) } : {}),
    ...(options.countLikelihood ? { selfCountLikelihood: countLikelihood(model, metas, images) } : {}),
    ...(options.contrast ? { selfContrast: contrastVerdicts(model, metas, images) } : {}),
    ...detectorFields(detectorVerdicts(metas, images)),
  };
}

/**
 * The model's verdict fact by fact, as the detector's is reached: it is asked how many objects of
 * each group of the prompt it sees ("How many red rings in this image?") and each count is held to
 * GenEval's rule for that group; a positioned pair adds its relation, read from the answer to the
 * prompt's own question (`relationRight`). Returns the share of facts confirmed per image. A model
 * pretrained with count questions over broken objects (pretrain's countShare) can answer "zero"
 * about a scrawl, which UniRL's questions give it no word for.
 */
async function countVerdicts(model: UnifiedModel, metas: readonly Metadata[], images: readonly RgbImage[], relationRight: readonly boolean[]): Promise<number[]> {
  const asked = metas.flatMap((m, i) => countFacts(m).map((fact) => ({ image: i, fact })));
  const { answers } = await model.answer(asked.map((a) => images[a.image]!), asked.map((a) => countQuestion(a.fact.shape, a.fact.color)));
  const right = metas.map(() => 0);
  const facts = metas.map(() => 0);
  asked.forEach((a, k) => {
    facts[a.image]!++;
    if (countAccepted(a.fact, answers[k]!)) right[a.image]!++;
  });
  metas.forEach((m, i) => {
    if (!m.include.some((g) => g.position)) return;
    facts[i]!++;
    if (relationRight[i]) right[i]!++;
  });
  return right.map((r, i) => r / Math.max(1, facts[i]!));
}

/**
 * The probability the model gives the prompt's facts about each image: of the prompt's expected
 * answer to its question, times that of each missing fact's answer (a colour prompt's object).
 * A soft verdict (as VQAScore reads a model's "yes"): a blob that the model would still call a
 * ring, but with less conviction than a clean ring, earns less. The model's understanding only;
 * nothing from the detector.
 */
function factsLikelihood(model: UnifiedModel, metas: readonly Metadata[], images: readonly RgbImage[]): number[] {
  const asked: Asked[] = [];
  metas.forEach((m, i) => {
    for (const line of [m, ...missingFactLines(m)]) asked.push({ image: i, group: asked.length, ...promptQa(line) });
  });
  return productOverGroups(asked, answerProbabilities(model, images, asked), metas.length);
}

/**
 * The soft count verdict of each image: for every count fact of its prompt, the probability the
 * model gives the answers GenEval's rule accepts ("two rings" or "three rings" for "at least two",
 * up to the largest number word), summed; the facts' probabilities multiplied, and a positioned
 * pair's also multiplied by the probability of the prompt's own answer (its relation).
 */
function countLikelihood(model: UnifiedModel, metas: readonly Metadata[], images: readonly RgbImage[]): number[] {
  const asked: Asked[] = [];
  let group = 0;
  metas.forEach((m, i) => {
    for (const fact of countFacts(m)) {
      const question = countQuestion(fact.shape, fact.color);
      for (let n = fact.min; n <= Math.min(fact.max, MAX_COUNT_ANSWER); n++) asked.push({ image: i, group, question, answer: countAnswer(n, fact.shape, fact.color) });
      group++;
    }
    if (m.include.some((g) => g.position)) asked.push({ image: i, group: group++, ...promptQa(m) });
  });
  return productOverGroups(asked, answerProbabilities(model, images, asked), metas.length);
}

/**
 * The generator read as a classifier of its own images: for each image, the log-likelihood its
 * tokens have under the prompt and under each prompt that contradicts it by one change (another
 * class, count, colour, the mirrored relation, one object missing), without guidance; the
 * prompt's share of the softmax over them (a uniform prior). Its errors are the generator's, not
 * the reader's: a reader that accepts a blob as a ring is not asked here.
 */
function contrastVerdicts(model: UnifiedModel, metas: readonly Metadata[], images: readonly RgbImage[]): number[] {
  const scored = metas.flatMap((m, i) => {
    const contrasts = contrastPrompts(m);
    if (contrasts.length === 0) throw new Error(`the contrast reward needs a prompt of the six templates: "${m.prompt}" has no contrasts`);
    return [m.prompt, ...contrasts].map((prompt, k) => ({ image: i, prompt, own: k === 0 }));
  });
  const logLikelihood = scoreInBatches(scored, (part) => {
    const drawn = part.map((s) => selfGenerated.get(images[s.image]!)!);
    const { logprobs, weights } = model.imageLogprobs(part.map((s) => s.prompt), { tokens: drawn.map((d) => d.tokens), commitStep: drawn.map((d) => d.commitStep) }, { temperature: 1, cfg: 0 });
    return tf.sum(tf.mul(logprobs, weights), 1);
  });
  const out = metas.map(() => 0);
  const max = metas.map(() => -Infinity);
  scored.forEach((s, k) => (max[s.image] = Math.max(max[s.image]!, logLikelihood[k]!)));
  const total = metas.map(() => 0);
  scored.forEach((s, k) => {
    const w = Math.exp(logLikelihood[k]! - max[s.image]!);
    total[s.image]! += w;
    if (s.own) out[s.image] = w;
  });
  return out.map((w, i) => w / total[i]!);
}

/** One answer whose probability is asked about an image; answers of one `group` are alternatives (their probabilities add). */
interface Asked {
  image: number;
  group: number;
  question: string;
  answer: string;
}

function promptQa(line: Metadata): { question: string; answer: string } {
  const qa = questionAnswer(line);
  if (!qa) throw new Error(`a self likelihood needs the prompt's question and answer: "${line.prompt}" has none`);
  return qa;
}

/** The model's probability of each asked answer about its image. */
function answerProbabilities(model: UnifiedModel, images: readonly RgbImage[], asked: readonly Asked[]): Float64Array {
  return scoreInBatches(asked, (part) => model.answerLogprobs(part.map((a) => images[a.image]!), part.map((a) => a.question), part.map((a) => a.answer))).map(Math.exp);
}

/** One number per item from `score` ([part.length] per call), asked 32 items at a time to bound memory. */
function scoreInBatches<T>(items: readonly T[], score: (part: readonly T[]) => tf.Tensor): Float64Array {
  const out = new Float64Array(items.length);
  const BATCH = 32;
  for (let k = 0; k < items.length; k += BATCH) {
    const part = items.slice(k, k + BATCH);
    const scores = tf.tidy(() => score(part));
    out.set(scores.dataSync(), k);
    scores.dispose();
  }
  return out;
}

/** Per image: the product over its groups of the group's summed probability. */
function productOverGroups(asked: readonly Asked[], probabilities: Float64Array, images: number): number[] {
  const groups = new Map<number, { image: number; p: number }>();
  asked.forEach((a, k) => {
    const g = groups.get(a.group) ?? { image: a.image, p: 0 };
    g.p += probabilities[k]!;
    groups.set(a.group, g);
  });
  const out = Array<number>(images).fill(1);
  for (const { image, p } of groups.values()) out[image]! *= Math.min(1, p);
  return out;
}

/** The GenEval detector's verdict on each image, and its partial credit (no model involved: the control rewards). */
export function detectorVerdicts(metas: readonly Metadata[], images: readonly RgbImage[]): { correct: boolean[]; graded: number[] } {
  requireSelfGenerated(images);
  const kept = metas.map((m, i) => keepDetections(defaultDetector(images[i]!), m.tag));
  return { correct: metas.map((m, i) => evaluateDetections(kept[i]!, m).correct), graded: metas.map((m, i) => detectorPartialCredit(kept[i]!, m)) };
}

/**
 * The detector's partial credit for an image: the mean, over the checks GenEval makes, of the share
 * met: each include item's count (found / asked), its colour (right-coloured among the top `count`
 * / asked), its relation (1 when it holds against every object of a matched target group); each
 * exclude item (1 when fewer than `count` are found). It is 1 exactly when GenEval's verdict is
 * correct, and tells "two of three circles" from "none".
 */
export function detectorPartialCredit(objects: DetectedByClass, meta: Metadata): number {
  const parts: number[] = [];
  const matchedGroups: (readonly Detection[] | null)[] = [];
  for (const req of meta.include) {
    const found = (objects.get(req.class) ?? []).slice(0, req.count);
    parts.push(found.length / req.count);
    let matched = found.length === req.count;
    if (req.color !== undefined) {
      const right = found.filter((d) => d.color === req.color).length;
      parts.push(right / req.count);
      matched &&= right === req.count;
    }
    if (req.position !== undefined) {
      const [relation, target] = req.position;
      const targets = matchedGroups[target];
      const holds = matched && !!targets && found.every((o) => targets.every((t) => relationsBetween(o.box, t.box).has(relation)));
      parts.push(holds ? 1 : 0);
      matched &&= holds;
    }
    matchedGroups.push(matched ? found : null);
  }
  for (const req of meta.exclude ?? []) parts.push((objects.get(req.class)?.length ?? 0) < req.count ? 1 : 0);
  return parts.reduce((a, b) => a + b, 0) / Math.max(1, parts.length);
}

export function rewardsOf(j: Pick<Judgement, 'selfCorrect' | 'selfGraded' | 'selfLikelihood' | 'selfCount' | 'selfCountLikelihood' | 'selfContrast' | 'detectorCorrect' | 'detectorGraded'>, name: RewardName): number[] {
  // A soft verdict is computed only when asked for (judgeOptionsFor): a reward that reads one not asked is a caller's mistake.
  const needs = (verdict: number[] | undefined, asked: string): number[] => {
    if (!verdict) throw new Error(`the ${name} reward needs a judgement asked with { ${asked} }`);
    return verdict;
  };
  const both = (a: number[] | undefined, b: number[] | undefined, asked: string): number[] => {
    const second = needs(b, asked);
    return needs(a, asked).map((p, i) => p * second[i]!);
  };
  switch (name) {
    case 'self':
      return j.selfCorrect.map(Number);
    case 'self_graded':
      return j.selfGraded;
    case 'self_likelihood':
      return needs(j.selfLikelihood, 'likelihood: true');
    case 'self_count':
      return needs(j.selfCount, 'count: true');
    case 'self_count_likelihood':
      return needs(j.selfCountLikelihood, 'countLikelihood: true');
    case 'self_joint_likelihood':
      // Two questions about one image must both hold: the prompt's own answer (and its missing facts')
      // and an accepted count of every group. On two objects each names a pair the other does not ask
      // about together, and the product ranks a group's images better than either (docs/results.md).
      return both(j.selfLikelihood, j.selfCountLikelihood, 'likelihood: true, countLikelihood: true');
    case 'self_contrast':
      return needs(j.selfContrast, 'contrast: true');
    case 'self_contrast_likelihood':
      // The reader's and the generator's verdicts must both hold: their errors come from different
      // halves of the model, so an image that fools one is less likely to fool the other.
      return both(j.selfLikelihood, j.selfContrast, 'likelihood: true, contrast: true');
    case 'detector':
      return j.detectorCorrect.map(Number);
    case 'detector_graded':
      return j.detectorGraded;
  }
}

/** Group advantages: (r - mean) / (std + eps) within each consecutive group of `size`, or r - mean when `scale` is false. */
export function groupAdvantages(rewards: readonly number[], size: number, options: { scale?: boolean; eps?: number } = {}): { advantages: number[]; std: number[] } {
  const { scale = true, eps = 1e-4 } = options;
  if (size < 2 || rewards.length % size !== 0) throw new Error(`group size ${size} must be >= 2 and divide ${rewards.length} rewards`);
  const advantages: number[] = [];
  const std: number[] = [];
  for (let g = 0; g < rewards.length; g += size) {
    const group = rewards.slice(g, g + size);
    const mean = group.reduce((a, b) => a + b, 0) / size;
    const sd = Math.sqrt(group.reduce((a, b) => a + (b - mean) ** 2, 0) / (size - 1));
    std.push(sd);
    // A group whose rewards are all equal carries no signal: its advantages are 0. Unscaled, a group
    // whose rewards barely differ moves the policy barely (dividing by its std would blow them up).
    for (const r of group) advantages.push(sd === 0 ? 0 : scale ? (r - mean) / (sd + eps) : r - mean);
  }
  return { advantages, std };
}

/** Fraction of images where the model's own verdict and the detector's disagree (the grounding gap). */
export function groundingGap(j: Judgement): number {
  const n = j.selfCorrect.length;
  return j.selfCorrect.filter((s, i) => s !== j.detectorCorrect[i]).length / Math.max(1, n);
}

/**
 * How well a judge ranks images within their groups against a referee's verdicts: over the pairs of
 * one group that the referee tells apart (one correct, one not), the share the judge's scores order
 * the same way, ties counting half. 0.5 is a judge no better than chance, 1 a perfect one; `pairs`
 * is how many pairs it rests on (none: NaN). A self reward with a high grounding agreement can
 * still sit near 0.5 here, and then GRPO's group advantages carry little of the truth.
 */
export function judgeAuc(scores: readonly number[], referee: readonly boolean[], groupSize: number): { auc: number; pairs: number } {
  let concordant = 0;
  let pairs = 0;
  for (let g = 0; g + groupSize <= scores.length; g += groupSize) {
    for (let i = g; i < g + groupSize; i++) {
      if (!referee[i]) continue;
      for (let k = g; k < g + groupSize; k++) {
        if (referee[k]) continue;
        pairs++;
        concordant += scores[i]! > scores[k]! ? 1 : scores[i] === scores[k] ? 0.5 : 0;
      }
    }
  }
  return { auc: pairs ? concordant / pairs : NaN, pairs };
}

/** Draws `count` prompts with the given rng (from TrainingPrompts, which refuses held-out lines). */
export function drawPrompts(prompts: { draw(rng: Rng): Metadata }, rng: Rng, count: number): Metadata[] {
  return Array.from({ length: count }, () => prompts.draw(rng));
}
