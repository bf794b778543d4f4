/**
 * UniRL-GRPO: the model draws a group of G images per prompt, answers the prompt's question about
 * each of its own images, and that verdict is the reward (or, as a control, the GenEval
 * detector's). Advantages are normalised within each group; the policy is updated with PPO's
 * clipped ratio over the generated tokens and a KL penalty to a frozen copy of the starting
 * model. Understanding is trained by GRPO on the same images: sampled answers, rewarded against
 * the prompt's answer. One loop, top to bottom; every step's draws come from (seed, step), so a
 * resumed run continues exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { yieldToEventLoop } from '../util/async';
import { existsSync } from 'node:fs';
import { Adam, clipGlobalNorm, readScalar, loadCheckpoint, saveCheckpoint, valueAndGrads } from '../compute';
import { loadModel, type UnifiedModel } from '../models';
import type { Rng } from '../util/random';
import { judgeAnswer, type Metadata, type RgbImage } from '../world';
import { stepRng, TrainingPrompts } from './data';
import { DEFAULT_SAMPLING, type SamplingConfig } from './evaluate';
import { grpoLoss } from './grpo-loss';
import { drawPrompts, groundingGap, groupAdvantages, judgeImages, rewardsOf, selfGenerate, type RewardName } from './unirl';

export interface GrpoConfig {
  steps: number;
  promptsPerStep: number;
  /** Images per prompt (G). */
  groupSize: number;
  lr: number;
  /** KL penalty weight to the reference model. */
  beta: number;
  clipEps: number;
  /** Policy updates per generated batch (1: on-policy, the ratio is 1 and clipping is inactive). */
  updatesPerBatch: number;
  reward: RewardName;
  /** Also train understanding by GRPO on sampled answers about the same images. */
  trainUnderstanding: boolean;
  understandingWeight: number;
  answerTemperature: number;
  /** Masked model: MaskGIT steps whose tokens carry gradient per update (a random subset; all when >= steps). */
  policySteps: number;
  sampling: SamplingConfig;
  gradClip: number;
  seed: number;
  logEvery: number;
  checkpointEvery: number;
  samplesEvery: number;
}

export function defaultGrpo(paradigm: UnifiedModel['paradigm']): GrpoConfig {
  return {
    steps: 200,
    promptsPerStep: 4,
    groupSize: 8,
    lr: 1e-4,
    beta: 0.2,
    clipEps: 0.2,
    updatesPerBatch: 1,
    reward: 'self',
    trainUnderstanding: true,
    understandingWeight: 1,
    answerTemperature: 1,
    policySteps: 4,
    sampling: { ...DEFAULT_SAMPLING[paradigm] },
    gradClip: 1,
    seed: 1,
    logEvery: 1,
    checkpointEvery: 25,
    samplesEvery: 5,
  };
}

export type GrpoMetrics = Record<string, number | null> & { step: number };

export interface GrpoSample {
  step: number;
  group: number;
  prompt: string;
  image: RgbImage;
  answer: string;
  reward: number;
  advantage: number;
  detectorCorrect: boolean;
}

export interface UnirlHooks {
  onMetrics?: (m: GrpoMetrics) => void;
  onSample?: (s: GrpoSample) => void;
  onCheckpoint?: (file: string, step: number) => void;
  signal?: { readonly aborted: boolean };
  heldOut?: readonly Metadata[];
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const std = (xs: readonly number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function chooseSteps(total: number, count: number, rng: Rng): number[] {
  const all = [...Array(total).keys()];
  return count >= total ? all : rng.shuffle(all).slice(0, count);
}

/** Runs (or resumes from `out`) UniRL-GRPO starting from the `base` checkpoint; returns the last step. */
export async function grpo(config: GrpoConfig, base: string, out: string, hooks: UnirlHooks = {}): Promise<number> {
  const { model } = loadModel(base);
  const { model: reference } = loadModel(base); // frozen: never given to the optimizer
  const optimizer = new Adam({ lr: config.lr });
  let step = existsSync(out) ? loadCheckpoint(out, model.params, optimizer).step : 0;
  const prompts = new TrainingPrompts(hooks.heldOut);
  const G = config.groupSize;
  const save = async (): Promise<void> => {
    await saveCheckpoint(out, model.params, { config: model.config, step, optimizer, metadata: { grpo: JSON.stringify(config), base } });
    hooks.onCheckpoint?.(out, step);
  };

  while (step < config.steps) {
    // Let signals, messages and timers run between steps (a cancel must reach a synchronous step loop).
    await yieldToEventLoop();
    if (hooks.signal?.aborted) break;
    const started = performance.now();
    const rng = stepRng(config.seed, step);

    // 1. Prompts and a group of the model's own images for each.
    const metas = drawPrompts(prompts, rng, config.promptsPerStep).flatMap((m) => Array<Metadata>(G).fill(m));
    const texts = metas.map((m) => m.prompt);
    const questions = metas.map((m) => m.question!);
    const generation = selfGenerate(model, texts, { rng, ...config.sampling });
    const sampledAt = performance.now();

    // 2. The model judges its own images; rewards and group advantages.
    const judgement = judgeImages(model, metas, generation.images);
    const rewards = rewardsOf(judgement, config.reward);
    const { advantages, std: groupStd } = groupAdvantages(rewards, G);

    // 3. Understanding: sampled answers about the same images, rewarded against the prompt's answer.
    const sampled = config.trainUnderstanding ? model.answer(generation.images, questions, { rng, temperature: config.answerTemperature }) : undefined;
    const answerRewards = sampled ? sampled.answers.map((a, i) => Number(judgeAnswer(metas[i]!, a).correct)) : [];
    const answerAdvantages = sampled ? groupAdvantages(answerRewards, G).advantages : [];

    // 4. Fixed data of the update: old and reference log-probs (no gradient).
    const steps = model.paradigm === 'masked' ? chooseSteps(config.sampling.steps, config.policySteps, rng) : undefined;
    const B = metas.length;
    const N = model.layout.imageTokens;
    const oldLogp = tf.tensor(Float32Array.from(generation.logprobs.flatMap((l) => [...l])), [B, N]);
    const refLogp = tf.tidy(() => reference.imageLogprobs(texts, generation, config.sampling, steps).logprobs);
    const oldAnswer = sampled ? tf.tidy(() => model.answerLogprobs(generation.images, questions, sampled.answers).reshape([B, 1])) : undefined;
    const refAnswer = sampled ? tf.tidy(() => reference.answerLogprobs(generation.images, questions, sampled.answers).reshape([B, 1])) : undefined;
    const adv = tf.tensor(advantages);
    const answerAdv = tf.tensor(sampled ? answerAdvantages : advantages);

    // 5. Policy updates.
    let genLoss = NaN;
    let undLoss = NaN;
    let kl = NaN;
    let clipRatio = NaN;
    let gradNorm = NaN;
    for (let u = 0; u < config.updatesPerBatch; u++) {
      const { value, grads } = valueAndGrads(model.params, () => {
        const { logprobs, weights } = model.imageLogprobs(texts, generation, config.sampling, steps);
        const g = grpoLoss(logprobs, oldLogp, refLogp, weights, adv, config.clipEps, config.beta);
        genLoss = g.loss.dataSync()[0] ?? NaN;
        kl = g.kl.dataSync()[0] ?? NaN;
        clipRatio = g.clipRatio.dataSync()[0] ?? NaN;
        if (!sampled || !oldAnswer || !refAnswer) return g.loss;
        const lp = model.answerLogprobs(generation.images, questions, sampled.answers).reshape([B, 1]);
        const a = grpoLoss(lp, oldAnswer, refAnswer, tf.onesLike(lp), answerAdv, config.clipEps, config.beta);
        undLoss = a.loss.dataSync()[0] ?? NaN;
        return tf.add(g.loss, tf.mul(a.loss, config.understandingWeight));
      });
      gradNorm = await readScalar(clipGlobalNorm(grads, config.gradClip), true);
      optimizer.apply(model.params, grads);
      tf.dispose([value, ...grads.values()]);
    }
    tf.dispose([oldLogp, refLogp, adv, answerAdv, ...(oldAnswer ? [oldAnswer] : []), ...(refAnswer ? [refAnswer] : [])]);
    step++;

    // 6. Log: TRL's names where they apply.
    const seconds = (performance.now() - started) / 1000;
    const entropy = -mean(generation.logprobs.flatMap((l) => [...l]));
    if (step % config.logEvery === 0 || step === config.steps) {
      hooks.onMetrics?.({
        step,
        'grpo/reward': finite(mean(rewards)),
        'grpo/reward_std': finite(mean(groupStd)),
        'grpo/rewards/self/mean': finite(mean(judgement.selfCorrect.map(Number))),
        'grpo/rewards/self/std': finite(std(judgement.selfCorrect.map(Number))),
        'grpo/rewards/self_graded/mean': finite(mean(judgement.selfGraded)),
        'grpo/rewards/detector/mean': finite(mean(judgement.detectorCorrect.map(Number))),
        'grpo/frac_reward_zero_std': finite(groupStd.filter((s) => s === 0).length / groupStd.length),
        'grpo/kl': finite(kl),
        'grpo/clip_ratio': finite(clipRatio),
        'grpo/entropy': finite(entropy),
        'grpo/loss_generation': finite(genLoss),
        'grpo/loss_understanding': finite(undLoss),
        'grpo/understanding_reward': sampled ? finite(mean(answerRewards)) : null,
        'grpo/grounding_gap': finite(groundingGap(judgement)),
        'grpo/grad_norm': finite(gradNorm),
        'grpo/step_time': seconds,
        'grpo/sampling_time': (sampledAt - started) / 1000,
        'grpo/tokens_per_sec': (B * N) / seconds,
      });
    }
    if (hooks.onSample && (step % config.samplesEvery === 0 || step === 1)) {
      for (let i = 0; i < G; i++) {
        hooks.onSample({
          step,
          group: 0,
          prompt: texts[i]!,
          image: generation.images[i]!,
          answer: judgement.answers[i]!,
          reward: rewards[i]!,
          advantage: advantages[i]!,
          detectorCorrect: judgement.detectorCorrect[i]!,
        });
      }
    }
    if (step % config.checkpointEvery === 0) await save();
  }
  if (step % config.checkpointEvery !== 0 || step === 0) await save();
  model.params.dispose();
  reference.params.dispose();
  optimizer.dispose();
  return step;
}
