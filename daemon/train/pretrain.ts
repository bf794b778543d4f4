/**
 * Pretraining of a unified base on procedural data: every step mixes generation (caption ->
 * image tokens) and understanding (image + question -> answer). Reads top to bottom like
 * nanoGPT's loop: learning rate, batch, forward/backward, clip, step, log, checkpoint, stop.
 * Each step's data comes from a generator seeded by (seed, step), so a resumed run sees exactly
 * the batches it would have seen.
 */
import * as tf from '@tensorflow/tfjs';
import { yieldToEventLoop } from '../util/async';
import { existsSync } from 'node:fs';
import { Adam, clipGlobalNorm, loadCheckpoint, saveCheckpoint, valueAndGrads } from '../compute';
import { createModel, type ModelConfig } from '../models';
import type { Metadata } from '../world';
import { drawExamples, stepRng, TrainingPrompts } from './data';
import { learningRate } from './schedule';

export interface PretrainConfig {
  model: ModelConfig;
  steps: number;
  /** Generation examples per step. */
  batchSize: number;
  /** Understanding examples per step. */
  understandingBatchSize: number;
  lr: number;
  minLr: number;
  warmup: number;
  weightDecay: number;
  gradClip: number;
  /** Probability of dropping the prompt in generation examples (for classifier-free guidance). */
  dropPrompt: number;
  /** Weight of the understanding loss against the generation loss. */
  understandingWeight: number;
  seed: number;
  logEvery: number;
  checkpointEvery: number;
}

export const DEFAULT_PRETRAIN: Omit<PretrainConfig, 'model'> = {
  steps: 20_000,
  batchSize: 16,
  understandingBatchSize: 16,
  lr: 1e-3,
  minLr: 1e-4,
  warmup: 200,
  weightDecay: 0.01,
  gradClip: 1,
  dropPrompt: 0.1,
  understandingWeight: 1,
  seed: 1,
  logEvery: 10,
  checkpointEvery: 250,
};

export interface PretrainMetrics {
  step: number;
  'train/loss': number;
  'train/loss_generation': number;
  'train/loss_understanding': number;
  'train/lr': number;
  'train/grad_norm': number;
  'train/step_time': number;
  'train/tokens_per_sec': number;
}

export interface PretrainHooks {
  onMetrics?: (m: PretrainMetrics) => void;
  onCheckpoint?: (file: string, step: number) => void;
  /** Checked between steps; when aborted the loop checkpoints and returns. */
  signal?: AbortSignal;
  /** Lines of metadata files named as held out (never trained on). */
  heldOut?: readonly Metadata[];
}

/** Runs (or resumes, when `checkpoint` exists with its optimizer state) pretraining; returns the last step. */
export async function pretrain(config: PretrainConfig, checkpoint: string, hooks: PretrainHooks = {}): Promise<number> {
  const model = createModel(config.model);
  const optimizer = new Adam({ lr: config.lr, weightDecay: config.weightDecay });
  let step = 0;
  if (existsSync(checkpoint)) step = loadCheckpoint(checkpoint, model.params, optimizer).step;
  const prompts = new TrainingPrompts(hooks.heldOut);
  const world = { canvas: config.model.canvas };
  const save = (): void => {
    saveCheckpoint(checkpoint, model.params, { config: config.model, step, optimizer, metadata: { pretrain: JSON.stringify(config) } });
    hooks.onCheckpoint?.(checkpoint, step);
  };
  const tokensPerStep = config.batchSize * model.layout.imageTokens + config.understandingBatchSize * (model.layout.imageTokens + model.layout.dialogueSlots);
  let acc = { loss: 0, gen: 0, und: 0, norm: 0, time: 0, n: 0 };

  while (step < config.steps) {
    // Let signals, messages and timers run between steps (a cancel must reach a synchronous step loop).
    await yieldToEventLoop();
    if (hooks.signal?.aborted) break;
    const started = performance.now();
    optimizer.lr = learningRate(config, step);
    const rng = stepRng(config.seed, step);
    const gen = drawExamples(prompts, world, rng, config.batchSize);
    const und = drawExamples(prompts, world, rng, config.understandingBatchSize);
    const genTokens = gen.map((e) => model.layout.image.encode(e.image));

    let genLoss = 0;
    let undLoss = 0;
    const { value, grads } = valueAndGrads(model.params, () => {
      const g = model.generationLoss(gen.map((e) => e.meta.prompt), genTokens, rng, config.dropPrompt);
      const u = model.understandingLoss(und.map((e) => e.image), und.map((e) => e.question), und.map((e) => e.answer));
      // Read the parts without keeping them alive past the gradient computation.
      genLoss = g.dataSync()[0] ?? NaN;
      undLoss = u.dataSync()[0] ?? NaN;
      return tf.add(g, tf.mul(u, config.understandingWeight));
    });
    const norm = clipGlobalNorm(grads, config.gradClip);
    optimizer.apply(model.params, grads);
    const loss = value.dataSync()[0] ?? NaN;
    tf.dispose([value, ...grads.values()]);
    step++;

    acc = { loss: acc.loss + loss, gen: acc.gen + genLoss, und: acc.und + undLoss, norm: acc.norm + norm, time: acc.time + (performance.now() - started), n: acc.n + 1 };
    if (step % config.logEvery === 0 || step === config.steps) {
      const seconds = acc.time / 1000 / acc.n;
      hooks.onMetrics?.({
        step,
        'train/loss': acc.loss / acc.n,
        'train/loss_generation': acc.gen / acc.n,
        'train/loss_understanding': acc.und / acc.n,
        'train/lr': optimizer.lr,
        'train/grad_norm': acc.norm / acc.n,
        'train/step_time': seconds,
        'train/tokens_per_sec': tokensPerStep / seconds,
      });
      acc = { loss: 0, gen: 0, und: 0, norm: 0, time: 0, n: 0 };
    }
    if (step % config.checkpointEvery === 0) save();
  }
  if (step % config.checkpointEvery !== 0) save();
  model.params.dispose();
  optimizer.dispose();
  return step;
}
