/**
 * UniRL-SFT: the model draws images for training prompts, and the negative log-likelihood of each
 * prompt's answer, given the model's own image and the question, supervises it.
 *
 * Masked model (one transformer reads the tokens it writes): end to end. The same answer loss
 * reaches the generator through the image tokens by a straight-through Gumbel-softmax (forward:
 * the sampled one-hot; backward: the gradient of softmax((guided logits + Gumbel) / tau)), for
 * the tokens committed at the last `gradientSteps` MaskGIT steps, which commit most tokens. With
 * `trainUnderstanding: false` a frozen copy of the base reads the images and answers (the judge
 * stays as it was; the gradient still reaches the generator through the tokens). Measured from the
 * masked base (docs/results.md, session 19): end to end, understanding drifts toward the prompt;
 * with the frozen reader it holds, but GenEval falls: the gradient finds tokens that fool the reader.
 *
 * Autoregressive model (understanding reads pixels through its own encoder, so no gradient can
 * pass from the answer back through decoding): understanding is trained on the answer NLL as
 * above, and generation by SFT on its own images that its understanding accepted: rejection-
 * sampling fine-tuning. Accepted means either the model's greedy answer states the prompt's facts
 * (`accept: 'self'`), or, of each prompt's images, the one to which it gives the prompt's facts
 * the highest probability (`'self_likelihood_best'`): the soft verdict ranks a group's images
 * better than the hard one (docs/models.md, the judge table), and a best-of-G pick always has an
 * image to learn from. `trainUnderstanding: false` leaves understanding out (the remedy measured
 * for a judge that drifts toward the prompt on its own mostly-wrong images). Draw the images without
 * guidance (`sampling.cfg` 0, examples/sft-ar-small.unirl.json): fitting the conditional branch to
 * guided samples drifted at every rate tried (docs/results.md, session 10).
 */
import * as tf from '@tensorflow/tfjs';
import { clipGlobalNorm, readScalar, valueAndGrads, type Adam } from '../compute';
import { argmax, loadModel, MaskedModel, type UnifiedModel } from '../models';
import type { Rng } from '../util/random';
import type { Metadata } from '../world';
import { TrainingPrompts } from './data';
import { DEFAULT_SAMPLING, type SamplingConfig } from './evaluate';
import { drawPrompts, groundingGap, judgeImages, requireSelfGenerated, selfGenerate } from './unirl';
import { runUnirlLoop, type UnirlHooks, type UnirlStepResult } from './unirl-loop';

export interface SftConfig {
  steps: number;
  promptsPerStep: number;
  imagesPerPrompt: number;
  lr: number;
  /** Gumbel-softmax temperature of the straight-through estimator (masked model). */
  tau: number;
  /** Masked model: how many of the last MaskGIT steps carry gradient. */
  gradientSteps: number;
  /** Autoregressive model: weight of the SFT loss on accepted images. */
  generationWeight: number;
  /** Autoregressive model: which own images are accepted for the generation SFT. */
  accept: 'self' | 'self_likelihood_best';
  /**
   * Train understanding on own images with the prompt's answer (the paper's SFT). Masked model:
   * false has a frozen copy of the base read the answers, so the end-to-end loss trains generation only.
   */
  trainUnderstanding: boolean;
  sampling: SamplingConfig;
  gradClip: number;
  seed: number;
  logEvery: number;
  checkpointEvery: number;
  /** Also keep the weights of every this many steps (keptFile); 0 or absent keeps none. */
  keepEvery?: number;
  samplesEvery: number;
}

export function defaultSft(paradigm: 'masked' | 'autoregressive'): SftConfig {
  return {
    steps: 200,
    promptsPerStep: 8,
    imagesPerPrompt: 2,
    lr: 1e-4,
    tau: 1,
    gradientSteps: 2,
    generationWeight: 1,
    accept: 'self',
    trainUnderstanding: true,
    sampling: { ...DEFAULT_SAMPLING[paradigm] },
    gradClip: 1,
    seed: 1,
    logEvery: 1,
    checkpointEvery: 25,
    samplesEvery: 5,
  };
}

/** Runs (or resumes from `out`) UniRL-SFT from the `base` checkpoint; returns the last step. */
export function sft(config: SftConfig, base: string, out: string, hooks: UnirlHooks = {}): Promise<number> {
  return runUnirlLoop('sft', config, base, out, hooks, (model, optimizer) => {
    if (model instanceof MaskedModel && config.accept !== 'self') {
      throw new Error('the masked model\'s SFT is one end-to-end answer loss on every image: "accept" applies to the autoregressive model only (leave it at its default)');
    }
    if (config.accept === 'self_likelihood_best' && config.imagesPerPrompt < 2) {
      throw new Error(`accept "self_likelihood_best" needs at least 2 images a prompt, got ${config.imagesPerPrompt}`);
    }
    const prompts = hooks.prompts ?? new TrainingPrompts(hooks.heldOut);
    // Masked, understanding not trained: the answers are read by a frozen copy of the base, so the
    // end-to-end loss reaches generation only (never given to the optimizer).
    const reader = model instanceof MaskedModel && !config.trainUnderstanding ? (loadModel(base).model as MaskedModel) : undefined;
    return { step: (rng) => sftStep(config, model, optimizer, prompts, rng, reader), dispose: () => reader?.params.dispose() };
  });
}

/** One SFT step: own images for the drawn prompts, the model's verdicts, the answer (and accepted-image) losses. */
async function sftStep(config: SftConfig, model: UnifiedModel, optimizer: Adam, prompts: { draw(rng: Rng): Metadata }, rng: Rng, reader?: MaskedModel): Promise<UnirlStepResult> {
  const started = performance.now();
  const metas = drawPrompts(prompts, rng, config.promptsPerStep).flatMap((m) => Array<Metadata>(config.imagesPerPrompt).fill(m));
  const texts = metas.map((m) => m.prompt);
  const questions = metas.map((m) => m.question!);
  const answers = metas.map((m) => m.answer!);
  const generation = await selfGenerate(model, texts, { rng, ...config.sampling });
  requireSelfGenerated(generation.images);
  const best = config.accept === 'self_likelihood_best';
  const judgement = await judgeImages(model, metas, generation.images, { likelihood: best });
  const accepted = best ? bestOfEachGroup(judgement.selfLikelihood!, config.imagesPerPrompt) : judgement.selfCorrect.flatMap((ok, i) => (ok ? [i] : []));

  let undLoss = NaN;
  let genLoss = NaN;
  // Understanding left out and no image accepted: this step has nothing to learn from.
  const idle = !(model instanceof MaskedModel) && !config.trainUnderstanding && (accepted.length === 0 || config.generationWeight === 0);
  let gradNorm = 0;
  if (!idle) {
    const { value, grads } = valueAndGrads(model.params, () => {
      if (model instanceof MaskedModel) {
        const last = config.sampling.steps;
        const steps = [...Array(Math.min(config.gradientSteps, last)).keys()].map((k) => last - 1 - k);
        const loss = model.endToEndAnswerLoss(texts, generation, config.sampling, questions, answers, { tau: config.tau, steps, rng, ...(reader ? { reader } : {}) });
        undLoss = loss.dataSync()[0] ?? NaN;
        return loss;
      }
      const und = config.trainUnderstanding ? model.understandingLoss(generation.images, questions, answers) : undefined;
      if (und) undLoss = und.dataSync()[0] ?? NaN;
      if (accepted.length === 0 || config.generationWeight === 0) return und!;
      const gen = model.generationLoss(accepted.map((i) => texts[i]!), accepted.map((i) => generation.tokens[i]!), rng, 0);
      genLoss = gen.dataSync()[0] ?? NaN;
      const weighted = tf.mul<tf.Scalar>(gen, config.generationWeight);
      return und ? tf.add(und, weighted) : weighted;
    });
    gradNorm = await readScalar(clipGlobalNorm(grads, config.gradClip), true);
    optimizer.apply(model.params, grads);
    tf.dispose([value, ...grads.values()]);
  }

  const seconds = (performance.now() - started) / 1000;
  const n = metas.length;
  const metrics = {
    'sft/loss_understanding': Number.isFinite(undLoss) ? undLoss : null,
    'sft/loss_generation': Number.isFinite(genLoss) ? genLoss : null,
    'sft/rewards/self/mean': judgement.selfCorrect.filter(Boolean).length / n,
    'sft/rewards/self_likelihood/mean': judgement.selfLikelihood ? judgement.selfLikelihood.reduce((a, b) => a + b, 0) / n : null,
    // The detector's verdict on the accepted images against all: how much the selection picks what GenEval would (the referee only).
    'sft/rewards/detector/accepted_mean': accepted.length > 0 ? accepted.filter((i) => judgement.detectorCorrect[i]).length / accepted.length : null,
    'sft/rewards/detector/mean': judgement.detectorCorrect.filter(Boolean).length / n,
    'sft/accepted': accepted.length / n,
    'sft/grounding_gap': groundingGap(judgement),
    'sft/grad_norm': gradNorm,
    'sft/step_time': seconds,
    'sft/tokens_per_sec': (n * model.layout.imageTokens) / seconds,
  };
  const samples = Array.from({ length: Math.min(n, 8) }, (_, i) => ({
    group: 0,
    prompt: texts[i]!,
    image: generation.images[i]!,
    answer: judgement.answers[i]!,
    reward: best ? judgement.selfLikelihood![i]! : Number(judgement.selfCorrect[i]),
    detectorCorrect: judgement.detectorCorrect[i]!,
  }));
  return { metrics, samples };
}

/** In consecutive groups of `size`, the index of each group's highest value (the first on a tie). */
export function bestOfEachGroup(values: readonly number[], size: number): number[] {
  const out: number[] = [];
  for (let start = 0; start < values.length; start += size) out.push(start + argmax(values, Math.min(size, values.length - start), start));
  return out;
}
