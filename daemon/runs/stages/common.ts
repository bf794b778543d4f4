/** What the model stages share: the compute backend, sampling defaults, the held-out file, cancel polling, UniRL's run events. */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { initCompute } from '../../compute';
import type { Paradigm } from '../../models';
import type { SamplingSpec } from '../../spec/types';
import { DEFAULT_SAMPLING, type SamplingConfig, type UnirlHooks } from '../../train';
import { encodePng } from '../../util/png';
import { parseMetadataLines, type Metadata } from '../../world';
import type { StageContext } from '../stage';

/** Loads the spec's backend once per worker and logs which one it got. */
export async function useCompute(ctx: StageContext): Promise<void> {
  const info = await initCompute({ backend: ctx.spec.backend });
  ctx.emit({ type: 'log', level: 'info', message: `backend: ${info.backend} (${info.reason})` });
}

/** The spec's sampling fields over the paradigm's defaults. */
export function samplingFor(spec: SamplingSpec, paradigm: Paradigm): SamplingConfig {
  const defaults = DEFAULT_SAMPLING[paradigm];
  return { steps: spec.steps ?? defaults.steps, temperature: spec.temperature ?? defaults.temperature, cfg: spec.cfg ?? defaults.cfg };
}

export function heldOutOf(ctx: StageContext): readonly Metadata[] | undefined {
  const file = ctx.spec.heldOut;
  return file === undefined ? undefined : parseMetadataLines(readFileSync(ctx.resolve(file), 'utf8'), file);
}

/**
 * The training loops are synchronous: an AbortSignal cannot fire inside them, so they get an
 * object whose `aborted` reads the engine's shared cancel flag each time it is asked.
 */
export function cancelPoll(ctx: StageContext): { readonly aborted: boolean } {
  return {
    get aborted() {
      return ctx.cancelRequested();
    },
  };
}

export function requireModel(ctx: StageContext, kind: string): string {
  const file = ctx.currentModel();
  if (file === undefined) throw new Error(`this ${kind} stage needs a model: set model.checkpoint, or put a pretrain stage before it`);
  return file;
}

/**
 * A UniRL loop's hooks for a run: its metrics, progress, samples and checkpoints become run events,
 * and the run's cancel flag and held-out file reach the loop.
 */
export function unirlHooks(ctx: StageContext, total: number): UnirlHooks {
  const heldOut = heldOutOf(ctx);
  return {
    signal: cancelPoll(ctx),
    ...(heldOut ? { heldOut } : {}),
    onMetrics: ({ step, ...values }) => {
      ctx.emit({ type: 'metric', step, values });
      ctx.emit({ type: 'progress', step, total });
    },
    onSample: (s) =>
      ctx.emitSample({ step: s.step, prompt: s.prompt, png: encodePng(s.image), answer: s.answer, reward: s.reward, ...(s.advantage === undefined ? {} : { advantage: s.advantage }) }),
    onCheckpoint: (_file, step) => ctx.checkpoint.save(step, { model: relative(ctx.runDir, ctx.modelOut) }),
  };
}
