/** Runs: the engine (queue, worker, store, events with replay), the stage interface and registry. */
export { RunEngine, ETA_WARMUP_STEPS, type EngineOptions } from './engine';
export { RunError } from './errors';
export { RunFolder, RUN_ID_PATTERN, listRunFolders, type MetricRow, type StateFile } from './store';
export { STAGES, STAGE_KINDS, AVAILABLE_STAGE_KINDS } from './registry';
export type { Stage, StageContext, StageEmit, SampleInput, LoadedCheckpoint } from './stage';
export { CancelledError } from './stage';
