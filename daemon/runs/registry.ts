/**
 * The stage registry: which stage kinds exist and which configurations can run in this version.
 * Kept free of the implementations (runs/stages/index.ts maps kinds to them, and only the worker
 * imports that) so the spec validator, and through it the language server, can ask "is this
 * available?" without bundling the stages.
 *
 * To plug in a stage: write runs/stages/KIND.ts exporting a `Stage<'KIND'>`, list it in
 * runs/stages/index.ts, and give its entry below `runnable: true` and an `unavailable` that
 * refuses only the configurations it cannot run. A kind described in the schema but not yet
 * implemented gets `runnable: false` and an `unavailable` that always answers
 * { field: 'kind', message: 'stage kind "KIND" is not available in this version' }, so validation
 * says so plainly instead of pretending. (In this version all five kinds run.)
 */
import type { StageKind } from '../../schemas/protocol';
import type { StageSpec } from '../spec/types';

interface StageEntry {
  summary: string;
  /** Why this stage config cannot run in this version; undefined when it can. */
  unavailable(stage: StageSpec): { message: string; field: string } | undefined;
  /** Some configuration of this kind runs in this version. */
  runnable: boolean;
}

export const STAGES: Readonly<Record<StageKind, StageEntry>> = {
  pretrain: { summary: 'pretrain a model on procedural shapes-world data', unavailable: () => undefined, runnable: true },
  sft: { summary: 'UniRL-SFT: learn from answers about self-generated images', unavailable: () => undefined, runnable: true },
  grpo: { summary: 'UniRL-GRPO: groups of self-generated images rewarded by the model itself', unavailable: () => undefined, runnable: true },
  geneval: { summary: 'generate images for a metadata file in the GenEval layout and score them', unavailable: () => undefined, runnable: true },
  sample: { summary: 'generate images for a list of prompts', unavailable: () => undefined, runnable: true },
};

export const STAGE_KINDS = Object.keys(STAGES) as StageKind[];

/** Kinds with at least one runnable configuration in this version. */
export const AVAILABLE_STAGE_KINDS: StageKind[] = STAGE_KINDS.filter((k) => STAGES[k].runnable);
