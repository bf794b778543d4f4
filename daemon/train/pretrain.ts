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
import { Adam, clipGlobalNorm, keepWeights, loadCheckpoint, saveCheckpoint, valueAndGrads } from '../compute';
import { checkpointModelConfig, createModel, loadWeights, type ModelConfig } from '../models';
import type { Metadata } from '../world';
import { BatchSource, batchRng, defaultDataWorkers } from './batches';
import { learningRate } from './schedule';

export interface PretrainConfig {
  model: ModelConfig;
  steps: number;
  /** Generation examples per step. */
  batchSize: number;
  /** Understanding examples per step. */
  understandingBatchSize: number;
  /**
   * Share of the understanding examples that ask how many objects of a class a scene holds, some of
   * them broken (data.ts, drawCountExamples): what teaches the model to say "zero", the judge behind
   * the self_count reward.
   */
  countShare: number;
  /**
   * Share of the understanding examples that ask UniRL's counting question about one to five objects
   * of a class (data.ts, drawVariedCountExamples): the prompts' scenes show only two to four, and a
   * judge that cannot tell four from five passes its own miscounted images.
   */
  variedCountShare: number;
  /**
   * Probability that each object of those examples is broken, the answer counting the whole ones
   * (data.ts): so that the judge's own counting question does not count a scrawl as an item.
   */
  variedCountBroken: number;
  /**
   * Share of the generation examples that are relations between two objects of one class told
   * apart by colour (data.ts, drawColorRelationExamples): so that the generator reads which object a
   * relation puts where from the words, not from the pair.
   */
  colorRelationShare: number;
  /**
   * Share of the understanding examples that are such colour relations, asked UniRL's position
   * question: the reader can answer them only from where the objects are, never from which pair it
   * is, as it can (and does) for a class pair it saw one way round.
   */
  colorRelationUnderstandingShare: number;
  lr: number;
  minLr: number;
  warmup: number;
  weightDecay: number;
  gradClip: number;
  /** Probability of dropping the prompt in generation examples (for classifier-free guidance). */
  dropPrompt: number;
  /**
   * Probability of hiding each answer word the model reads back in understanding examples
   * (dialogue.ts, AnswerDropout): so that it names the second object of a pair from the image, not
   * from the first name. 0 (the default) reads every word, and draws nothing from the step's rng.
   */
  answerDropout: number;
  /** Weight of the understanding loss against the generation loss. */
  understandingWeight: number;
  seed: number;
  logEvery: number;
  checkpointEvery: number;
  /** Also keep the weights of every this many steps (keptFile), to score the run against compute; 0 or absent keeps none. */
  keepEvery?: number;
  /**
   * Weights to start from when the checkpoint does not exist yet (a committed base, say): the
   * optimizer starts fresh with its warm-up, and the step count restarts at 0 of this schedule.
   */
  init?: string;
  /** Threads that draw the batches ahead of the step (default: by backend, see defaultDataWorkers). */
  dataWorkers?: number;
}

export const DEFAULT_PRETRAIN: Omit<PretrainConfig, 'model'> = {
  steps: 20_000,
  batchSize: 16,
  understandingBatchSize: 16,
  countShare: 0,
  variedCountShare: 0,
  variedCountBroken: 0,
  colorRelationShare: 0,
  colorRelationUnderstandingShare: 0,
  lr: 1e-3,
  minLr: 1e-4,
  warmup: 200,
  weightDecay: 0.01,
  gradClip: 1,
  dropPrompt: 0.1,
  answerDropout: 0,
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
  /** Share of the window's wall time spent waiting for batches (data generation that did not overlap). */
  'train/data_wait': number;
}

export interface PretrainHooks {
  onMetrics?: (m: PretrainMetrics) => void;
  onCheckpoint?: (file: string, step: number) => void | Promise<void>;
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
  else if (config.init) loadWeights(config.init, model.params, checkpointModelConfig(config.init), config.model);
  const batches = new BatchSource(
    { seed: config.seed, canvas: config.model.canvas, patch: config.model.patch, generation: config.batchSize, understanding: config.understandingBatchSize, countShare: config.countShare, variedCountShare: config.variedCountShare, variedCountBroken: config.variedCountBroken, colorRelationShare: config.colorRelationShare, colorRelationUnderstandingShare: config.colorRelationUnderstandingShare, heldOut: hooks.heldOut ?? [] },
    config.dataWorkers ?? defaultDataWorkers(tf.getBackend()),
  );
  const save = async (): Promise<void> => {
    await saveCheckpoint(checkpoint, model.params, { config: config.model, step, optimizer, metadata: { pretrain: JSON.stringify(config) } });
    await hooks.onCheckpoint?.(checkpoint, step);
  };
  const tokensPerStep = config.batchSize * model.layout.imageTokens + config.understandingBatchSize * (model.layout.imageTokens + model.layout.dialogueSlots);
  // Sums of [loss, generation loss, understanding loss, grad norm] since the last log, kept where
  // the step runs: a GPU step then never waits for a read-back, only the log line does.
  let sums: tf.Tensor1D = tf.zeros([4]);
  let window = { steps: 0, started: performance.now(), dataWait: 0 };

  while (step < config.steps) {
    // Let signals, messages and timers run between steps (a cancel must reach a synchronous step loop).
    await yieldToEventLoop();
    if (hooks.signal?.aborted) break;
    optimizer.lr = learningRate(config, step);
    const asked = performance.now();
    const batch = await batches.get(step);
    window.dataWait += performance.now() - asked;
    const { generation: gen, understanding: und } = batch;
    const rng = batchRng(batch);

    let parts: tf.Tensor | undefined;
    const { value, grads } = valueAndGrads(model.params, () => {
      const g = model.generationLoss(gen.prompts, gen.tokens, rng, config.dropPrompt);
      const u = model.understandingLoss(und.images, und.questions, und.answers, { rng, p: config.answerDropout });
      parts = tf.keep(tf.stack<tf.Scalar>([g, u]));
      return tf.add(g, tf.mul(u, config.understandingWeight));
    });
    const norm = clipGlobalNorm(grads, config.gradClip);
    optimizer.apply(model.params, grads);
    const next = tf.tidy(() => tf.add<tf.Tensor1D>(sums, tf.concat([tf.reshape(value, [1]), parts!, tf.reshape(norm, [1])])));
    tf.dispose([sums, value, norm, parts!, ...grads.values()]);
    sums = next;
    step++;
    window.steps++;

    if (step % config.logEvery === 0 || step === config.steps) {
      const [loss = NaN, gen = NaN, und = NaN, gradNorm = NaN] = Array.from(await sums.data()).map((x) => x / window.steps);
      // Wall time over the window, read after the sums: on a GPU that is when the steps finished.
      const elapsed = performance.now() - window.started;
      const seconds = elapsed / 1000 / window.steps;
      hooks.onMetrics?.({
        step,
        'train/loss': loss,
        'train/loss_generation': gen,
        'train/loss_understanding': und,
        'train/lr': optimizer.lr,
        'train/grad_norm': gradNorm,
        'train/step_time': seconds,
        'train/tokens_per_sec': tokensPerStep / seconds,
        'train/data_wait': window.dataWait / elapsed,
      });
      sums.dispose();
      sums = tf.zeros([4]);
      window = { steps: 0, started: performance.now(), dataWait: 0 };
    }
    const kept = await keepWeights(checkpoint, model.params, { config: config.model, step, metadata: { pretrain: JSON.stringify(config) } }, config.keepEvery);
    const saved = step % config.checkpointEvery === 0;
    if (saved) await save();
    // A window that starts here does not count the writes in its step time.
    if ((kept || saved) && window.steps === 0) window.started = performance.now();
  }
  if (step % config.checkpointEvery !== 0) await save();
  sums.dispose();
  await batches.close();
  model.params.dispose();
  optimizer.dispose();
  return step;
}
