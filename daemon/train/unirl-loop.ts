/**
 * The loop every UniRL training method shares: load the base, resume from `out` when a checkpoint
 * is there, run steps (each with its own rng from (seed, step), so a resumed run continues
 * exactly), log, show samples, checkpoint, and stop on cancel. A method (SFT, GRPO, the next one)
 * is only its set-up and its step: see `sft.ts` and `grpo.ts`.
 */
import { existsSync } from 'node:fs';
import { Adam, keepWeights, loadCheckpoint, saveCheckpoint } from '../compute';
import { loadModel, type ModelConfig, type UnifiedModel } from '../models';
import { yieldToEventLoop } from '../util/async';
import type { Rng } from '../util/random';
import type { Metadata, RgbImage } from '../world';
import { stepRng } from './data';

export type UnirlMetrics = Record<string, number | null> & { step: number };

/** One of the model's own images as the user sees it (the sidebar's samples table). */
export interface UnirlSample {
  step: number;
  group: number;
  prompt: string;
  image: RgbImage;
  answer: string;
  reward: number;
  /** GRPO only: the image's group-normalised advantage. */
  advantage?: number;
  detectorCorrect: boolean;
}

export interface UnirlHooks {
  onMetrics?: (m: UnirlMetrics) => void;
  onSample?: (s: UnirlSample) => void;
  onCheckpoint?: (file: string, step: number) => void | Promise<void>;
  signal?: { readonly aborted: boolean };
  heldOut?: readonly Metadata[];
  /** Where prompts come from (default: the training split, minus `heldOut`). */
  prompts?: { draw(rng: Rng): Metadata };
  /** A reward from outside (a test's, an experiment's), in place of the method's own. */
  reward?: (metas: readonly Metadata[], images: readonly RgbImage[]) => number[];
}

/** The fields of a method's config the loop reads. */
export interface UnirlLoopConfig {
  steps: number;
  lr: number;
  seed: number;
  logEvery: number;
  checkpointEvery: number;
  /** Also keep the weights of every this many steps (keptFile); 0 or absent keeps none. */
  keepEvery?: number;
  samplesEvery: number;
  /**
   * Give the policy a generation adapter of this rank (ModelConfig.generationAdapter; one the base
   * lacks starts at zero, the same function as the base) and train only what generation alone reads.
   * Absent: every weight is trained.
   */
  generationAdapter?: number;
  /** The same, with low-rank updates of the attention projections of this rank (ModelConfig.generationAttentionAdapter). */
  generationAttentionAdapter?: number;
  /** The same, with an image expert: image tokens' own copy of every block weight (ModelConfig.generationExpert). */
  generationExpert?: boolean;
  /** With generationExpert: the prompt positions of generation sequences pass through the expert too (ModelConfig.generationExpertPrompt). */
  generationExpertPrompt?: boolean;
}

/** The model settings a method's config switches on over its base's. */
type GenerationOnly = Pick<UnirlLoopConfig, 'generationAdapter' | 'generationAttentionAdapter' | 'generationExpert' | 'generationExpertPrompt'>;

export function policyOverrides(config: GenerationOnly): Partial<ModelConfig> {
  return {
    ...(config.generationAdapter !== undefined ? { generationAdapter: config.generationAdapter } : {}),
    ...(config.generationAttentionAdapter !== undefined ? { generationAttentionAdapter: config.generationAttentionAdapter } : {}),
    ...(config.generationExpert ? { generationExpert: true } : {}),
    ...(config.generationExpertPrompt ? { generationExpertPrompt: true } : {}),
  };
}

/** Whether a method's config trains generation alone, through adapters or an image expert (the reader's weights frozen). */
export function trainsGenerationOnly(config: GenerationOnly): boolean {
  return Object.keys(policyOverrides(config)).length > 0;
}

/** What one step of a method gives back: its metrics (TRL-style names) and the samples to show. */
export interface UnirlStepResult {
  metrics: Record<string, number | null>;
  samples: Omit<UnirlSample, 'step'>[];
}

/** A training method, set up on the loaded model and optimizer (and what its checkpoint said). */
export interface UnirlMethod {
  /** Update `step` (0-based) from fresh self-generated data; `showSamples`: the step's samples will be shown. */
  step(rng: Rng, showSamples: boolean, step: number): Promise<UnirlStepResult>;
  /** State besides weights and optimizer that a checkpoint must hold to resume exactly. */
  checkpointMetadata?(): Record<string, string>;
  /** Called once a checkpoint is on disk (e.g. to delete files it no longer needs). */
  afterCheckpoint?(): void;
  dispose?(): void;
}

/**
 * Runs (or resumes from `out`) a UniRL method from the `base` checkpoint; returns the last step.
 * `name` keys the method's config in the checkpoint's metadata.
 */
export async function runUnirlLoop(
  name: string,
  config: UnirlLoopConfig,
  base: string,
  out: string,
  hooks: UnirlHooks,
  setUp: (model: UnifiedModel, optimizer: Adam, resumedMetadata: Record<string, string>) => UnirlMethod,
): Promise<number> {
  const { model } = loadModel(base, policyOverrides(config));
  const optimizer = new Adam({ lr: config.lr });
  const resumed = existsSync(out) ? loadCheckpoint(out, model.params, optimizer) : undefined;
  let step = resumed?.step ?? 0;
  const method = setUp(model, optimizer, resumed?.metadata ?? {});
  const metadata = (): Record<string, string> => ({ [name]: JSON.stringify(config), base, ...method.checkpointMetadata?.() });
  const save = async (): Promise<void> => {
    await saveCheckpoint(out, model.params, { config: model.config, step, optimizer, metadata: metadata() });
    method.afterCheckpoint?.();
    await hooks.onCheckpoint?.(out, step);
  };

  while (step < config.steps) {
    // Let signals, messages and timers run between steps (a cancel must reach a synchronous step loop).
    await yieldToEventLoop();
    if (hooks.signal?.aborted) break;
    const showSamples = hooks.onSample !== undefined && ((step + 1) % config.samplesEvery === 0 || step === 0);
    const { metrics, samples } = await method.step(stepRng(config.seed, step), showSamples, step);
    step++;
    if (step % config.logEvery === 0 || step === config.steps) hooks.onMetrics?.({ ...metrics, step });
    if (showSamples) for (const sample of samples) hooks.onSample?.({ ...sample, step });
    await keepWeights(out, model.params, { config: model.config, step, metadata: metadata() }, config.keepEvery);
    if (step % config.checkpointEvery === 0) await save();
  }
  if (step % config.checkpointEvery !== 0 || step === 0) await save();
  method.dispose?.();
  model.params.dispose();
  optimizer.dispose();
  return step;
}
