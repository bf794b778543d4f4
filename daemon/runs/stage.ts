/**
 * What a stage is: a function of its config and a context. A stage only *emits* events and saves
 * checkpoints through the context; it never knows about sockets, terminals or the editor, and it
 * never writes the event log (the run engine numbers and stores what it emits).
 */
import type { RunEventBody, StageKind } from '../../schemas/protocol';
import type { RunSpec, StageSpecOf } from '../spec/types';

/** Stage events without the stage index, which the context fills in. ETA is the engine's job. */
export type StageEmit =
  | { type: 'progress'; step: number; total: number; phase?: string }
  | { type: 'metric'; step: number; values: Record<string, number | null> }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'result'; kind: 'geneval'; path: string; result: Extract<RunEventBody, { type: 'result' }>['result'] };

export interface SampleInput {
  step: number;
  prompt: string;
  png: Uint8Array;
  answer?: string;
  reward?: number;
  advantage?: number;
}

export interface LoadedCheckpoint {
  step: number;
  /** The JSON state the stage saved. */
  state: unknown;
  /** The checkpoint's folder, holding the files the stage saved beside the state. */
  dir: string;
}

export interface StageContext {
  readonly spec: RunSpec;
  readonly stageIndex: number;
  /** The run folder (<runs>/<id>/). */
  readonly runDir: string;
  /** This stage's own output folder inside the run folder (created before run() is called). */
  readonly stageDir: string;
  /** Aborted when the run is cancelled or the daemon stops: return (or throw) soon after. */
  readonly signal: AbortSignal;
  /**
   * The same as signal.aborted, but also true inside synchronous work that never yields (the
   * engine sets a flag in shared memory): for loops that cannot await between steps.
   */
  cancelRequested(): boolean;
  emit(event: StageEmit): void;
  /** Writes the PNG under samples/ and emits a `sample` event. */
  emitSample(sample: SampleInput): void;
  /**
   * The model this stage starts from: the last one an earlier stage of the run wrote, else the
   * spec's model.checkpoint; undefined when there is none.
   */
  currentModel(): string | undefined;
  /** Where a stage that trains a model writes it (the stages after it start from it). */
  readonly modelOut: string;
  /** Resolves a path of the spec (metadata, checkpoint...) against the spec's folder. */
  resolve(specPath: string): string;
  checkpoint: {
    /**
     * Saves a checkpoint of this stage at `step`: the JSON state plus any files, written atomically;
     * a resume after a crash or a cancel starts the stage from the latest one.
     */
    save(step: number, state: unknown, files?: Record<string, Uint8Array>): void;
    /** The checkpoint to resume from, when this stage was interrupted after saving one. */
    load(): LoadedCheckpoint | undefined;
  };
  /** Lets queued messages (cancel) through between units of synchronous work. */
  yield(): Promise<void>;
}

export interface Stage<K extends StageKind = StageKind> {
  run(config: StageSpecOf<K>, context: StageContext): Promise<void>;
}

/** Thrown (or rethrown) by a stage that stops because its signal was aborted. */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}
