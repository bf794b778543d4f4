/**
 * Checkpoints: a model's parameters in one safetensors file, with metadata strings for the format,
 * the model config (JSON), the training step, and a reference to the optimizer state, which sits
 * beside it in NAME.optimizer.safetensors (Adam's step and moments), so a published model can
 * leave it out and training can resume exactly when it is there.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Adam } from './adam';
import type { Parameters } from './params';
import { readSafetensors, writeSafetensors, type SafeTensor } from './safetensors';

export const CHECKPOINT_FORMAT = 'unirl-checkpoint/1';
export const OPTIMIZER_FORMAT = 'unirl-adam/1';

export interface SaveCheckpointOptions {
  /** The model's config (anything JSON), stored so a loader can rebuild the model. */
  config: unknown;
  step: number;
  /** Also save this optimizer's state (beside the model file). */
  optimizer?: Adam;
  /** More metadata strings (keys must not clash with format, config, step, optimizer). */
  metadata?: Record<string, string>;
}

export interface CheckpointInfo {
  config: unknown;
  step: number;
  metadata: Record<string, string>;
  /** The optimizer file's path, when the checkpoint has one. */
  optimizerFile?: string;
}

/** A file beside a checkpoint: `model.safetensors` -> `model.<part>.safetensors`. */
export function siblingFile(file: string, part: string): string {
  return join(dirname(file), `${basename(file).replace(/\.safetensors$/, '')}.${part}.safetensors`);
}

/**
 * The weights a run keeps of `step` beside its checkpoint (a stage's keepEvery):
 * `model.safetensors` -> `model.step-800.safetensors`. Weights only, no optimizer state: they are
 * for scoring the run against its steps (`unirl eval --checkpoint`), not for resuming.
 */
export function keptFile(file: string, step: number): string {
  return siblingFile(file, `step-${step}`);
}

/** Keeps the weights of `options.step` as keptFile(file, step) when it is a multiple of keepEvery (0 or absent: never); true when it did. */
export async function keepWeights(file: string, params: Parameters, options: Omit<SaveCheckpointOptions, 'optimizer'>, keepEvery: number | undefined): Promise<boolean> {
  if (!keepEvery || options.step % keepEvery !== 0) return false;
  await saveCheckpoint(keptFile(file, options.step), params, options);
  return true;
}

export function optimizerFileFor(file: string): string {
  return siblingFile(file, 'optimizer');
}

async function f32(t: tf.Tensor): Promise<SafeTensor> {
  // data(), not dataSync(): a GPU backend in Node can only read back asynchronously.
  return { dtype: 'F32', shape: [...t.shape], data: (await t.data()) as Float32Array };
}

/** Writes the checkpoint (optimizer state first, so a model file never points at older state). */
export async function saveCheckpoint(file: string, params: Parameters, options: SaveCheckpointOptions): Promise<void> {
  if (!Number.isInteger(options.step) || options.step < 0) throw new Error(`checkpoint: bad step ${options.step}`);
  const metadata: Record<string, string> = { ...(options.metadata ?? {}) };
  for (const reserved of ['format', 'config', 'step', 'optimizer']) {
    if (reserved in metadata) throw new Error(`checkpoint: metadata key "${reserved}" is reserved`);
  }
  metadata['format'] = CHECKPOINT_FORMAT;
  metadata['config'] = JSON.stringify(options.config ?? null);
  metadata['step'] = String(options.step);
  if (options.optimizer) {
    const optFile = optimizerFileFor(file);
    const state = options.optimizer.state();
    const tensors = new Map<string, SafeTensor>();
    for (const [name, t] of state.m) tensors.set(`m.${name}`, await f32(t));
    for (const [name, t] of state.v) tensors.set(`v.${name}`, await f32(t));
    writeSafetensors(optFile, tensors, {
      format: OPTIMIZER_FORMAT,
      step: String(options.step),
      adamStep: String(state.step),
      hyperparameters: JSON.stringify(options.optimizer.hyperparameters),
    });
    metadata['optimizer'] = basename(optFile);
  }
  const tensors = new Map<string, SafeTensor>();
  for (const [name, v] of params.entries()) tensors.set(name, await f32(v));
  writeSafetensors(file, tensors, metadata);
}

function parseStep(s: string | undefined, source: string): number {
  const step = Number(s);
  if (s === undefined || !Number.isInteger(step) || step < 0) throw new Error(`${source}: missing or bad "step" metadata (${String(s)})`);
  return step;
}

/**
 * Loads a checkpoint into existing parameters (every name and shape must match: no more, no less,
 * except that `mayLack` names parameters the file may not have, a setting switched on after it was
 * made: those keep their initialisation) and, when given, the optimizer (the checkpoint must then
 * have optimizer state from the same step).
 */
export function loadCheckpoint(file: string, params: Parameters, optimizer?: Adam, mayLack: readonly string[] = []): CheckpointInfo {
  const { tensors, metadata } = readSafetensors(file);
  if (metadata['format'] !== CHECKPOINT_FORMAT) throw new Error(`${file}: not a UniRL checkpoint (format ${JSON.stringify(metadata['format'])})`);
  let config: unknown;
  try {
    config = JSON.parse(metadata['config'] ?? 'null');
  } catch {
    throw new Error(`${file}: the "config" metadata is not JSON`);
  }
  const step = parseStep(metadata['step'], file);
  const names = params.names().filter((n) => tensors.has(n) || !mayLack.includes(n));
  const missing = names.filter((n) => !tensors.has(n));
  const extra = [...tensors.keys()].filter((n) => !params.has(n));
  if (missing.length || extra.length) {
    throw new Error(`${file}: parameters do not match the model (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'})`);
  }
  for (const name of names) {
    const t = tensors.get(name)!;
    const p = params.get(name);
    if (t.dtype !== 'F32' || !tf.util.arraysEqual(t.shape, p.shape)) throw new Error(`${file}: "${name}" is ${t.dtype} [${String(t.shape)}], the model has F32 [${String(p.shape)}]`);
  }
  for (const name of names) {
    const t = tensors.get(name)!;
    tf.tidy(() => params.get(name).assign(tf.tensor(t.data, t.shape, 'float32')));
  }
  const info: CheckpointInfo = { config, step, metadata };
  if (metadata['optimizer']) info.optimizerFile = optimizerFileOf(file, metadata['optimizer']);
  if (optimizer) {
    if (!info.optimizerFile) throw new Error(`${file}: has no optimizer state to resume from`);
    if (!existsSync(info.optimizerFile)) {
      throw new Error(`${file}: its optimizer state ${basename(optimizerFileFor(file))} is not beside it; copy it there to resume, or start from the weights with a fresh optimizer`);
    }
    loadOptimizer(info.optimizerFile, step, params, optimizer);
  }
  return info;
}

/**
 * Where a checkpoint's optimizer state is: beside it under its own name (NAME.optimizer.safetensors).
 * A checkpoint renamed after it was saved still names its old optimizer file, which is read when
 * that is the one beside it; the step check in loadOptimizer keeps a stale pairing out either way.
 */
function optimizerFileOf(file: string, savedName: string): string {
  const own = optimizerFileFor(file);
  const saved = join(dirname(file), basename(savedName));
  return !existsSync(own) && existsSync(saved) ? saved : own;
}

function loadOptimizer(file: string, step: number, params: Parameters, optimizer: Adam): void {
  const { tensors, metadata } = readSafetensors(file);
  if (metadata['format'] !== OPTIMIZER_FORMAT) throw new Error(`${file}: not a UniRL Adam state (format ${JSON.stringify(metadata['format'])})`);
  const savedStep = parseStep(metadata['step'], file);
  if (savedStep !== step) throw new Error(`${file}: optimizer state is from step ${savedStep}, the model from step ${step}`);
  const adamStep = parseStep(metadata['adamStep'], file);
  const m = new Map<string, tf.Tensor>();
  const v = new Map<string, tf.Tensor>();
  try {
    for (const [key, t] of tensors) {
      const kind = key.slice(0, 2);
      if ((kind !== 'm.' && kind !== 'v.') || t.dtype !== 'F32') throw new Error(`${file}: unexpected tensor "${key}" (${t.dtype})`);
      (kind === 'm.' ? m : v).set(key.slice(2), tf.tensor(t.data, t.shape, 'float32'));
    }
    optimizer.load({ step: adamStep, m, v }, params);
  } finally {
    for (const t of [...m.values(), ...v.values()]) t.dispose();
  }
}
