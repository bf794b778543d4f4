/**
 * The worker thread that executes one run's stages, so the daemon's event loop stays free to
 * answer clients while training. It talks to the engine by messages only: the engine numbers,
 * stores and fans out what arrives here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { RunEventBody } from '../../schemas/protocol';
import type { RunSpec } from '../spec/types';
import { writeFileAtomic } from '../util/fsx';
import { CancelledError, type LoadedCheckpoint, type StageContext, type StageEmit } from './stage';
import { stageFor } from './stages';

export interface WorkerStart {
  runDir: string;
  spec: RunSpec;
  specDir: string;
  /** First stage to run (the earlier ones finished). */
  startStage: number;
  /** The checkpoint of startStage to resume from. */
  checkpoint: { stage: number; step: number; path: string } | null;
  /** One Int32 the engine sets to 1 on cancel, readable without an event loop turn. */
  cancelFlag: SharedArrayBuffer;
}

export type ToWorker = { type: 'cancel' };
export type FromWorker = { type: 'event'; body: RunEventBody } | { type: 'done'; outcome: 'completed' | 'cancelled' | 'failed'; error?: string };

/** The file name of a model a stage trains, in its stage folder. */
const MODEL_FILE = 'model.safetensors';

/** Checkpoints kept per stage: the latest and the one before it (the one the state file may still name). */
const KEEP_CHECKPOINTS = 2;

function post(message: FromWorker): void {
  parentPort?.postMessage(message);
}

/** Metric values over JSON: never NaN or infinity (JSON has neither), null instead. */
function finite(values: Record<string, number | null>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v !== null && Number.isFinite(v) ? v : null]));
}

/** How far a stage got, from its progress events: the failure message names the step it was in. */
interface StageProgress {
  step: number;
  total: number;
}

/** The wasm heap running out (a 32-bit heap holds at most 4 GiB): emscripten's abort, or a failed allocation. */
const OUT_OF_MEMORY = /Aborted\(|out of memory|memory access out of bounds|Array buffer allocation failed|Cannot allocate Wasm memory/i;

/**
 * A failed stage in words a user can act on: which stage, the step it was in, the error, and what
 * to do about it. (A bare "Aborted(). Build with -sASSERTIONS for more info." said none of that.)
 */
export function stageFailure(index: number, stage: { kind: string; name?: string }, progress: StageProgress | undefined, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const unit = stage.kind === 'geneval' || stage.kind === 'sample' ? 'prompt' : 'step';
  const where = progress ? `after ${unit} ${progress.step} of ${progress.total}` : `before finishing its first ${unit}`;
  const todo = OUT_OF_MEMORY.test(message)
    ? 'TensorFlow.js ran out of wasm memory (at most 4 GiB): make this stage smaller (fewer prompts, images or MaskGIT steps per step), then resume the run'
    : 'fix the cause, then resume the run (its checkpoints are kept) or start it again';
  const said = message.trim().replace(/([^.!?])$/, '$1.');
  return `stage ${index} ${stage.kind}${stage.name ? ` "${stage.name}"` : ''} failed ${where}: ${said} What to do: ${todo}.`;
}

function stageContext(start: WorkerStart, index: number, signal: AbortSignal, progress: (p: StageProgress) => void): StageContext {
  const flag = new Int32Array(start.cancelFlag);
  const stage = start.spec.stages[index]!;
  const stageDir = path.join(start.runDir, 'stages', `${index}-${stage.kind}`);
  fs.mkdirSync(stageDir, { recursive: true });
  const emit = (body: RunEventBody): void => post({ type: 'event', body });
  const checkpointsDir = path.join(start.runDir, 'checkpoints');
  const sampleCounts = new Map<number, number>();
  return {
    spec: start.spec,
    stageIndex: index,
    runDir: start.runDir,
    stageDir,
    signal,
    cancelRequested: () => signal.aborted || Atomics.load(flag, 0) === 1,
    emit(event: StageEmit) {
      if (event.type === 'log') emit(event);
      else if (event.type === 'progress') {
        progress({ step: event.step, total: event.total });
        emit({ ...event, stage: index, etaSeconds: null, stepsPerSecond: null });
      }
      else if (event.type === 'metric') emit({ ...event, values: finite(event.values), stage: index });
      else emit({ ...event, stage: index });
    },
    emitSample(sample) {
      const k = sampleCounts.get(sample.step) ?? 0;
      sampleCounts.set(sample.step, k + 1);
      const rel = path.join('samples', `s${index}-${String(sample.step).padStart(7, '0')}-${k}.png`);
      writeFileAtomic(path.join(start.runDir, rel), sample.png);
      const { png, ...rest } = sample;
      emit({ type: 'sample', stage: index, ...rest, image: { path: rel, pngBase64: Buffer.from(png).toString('base64') } });
    },
    resolve: (p) => path.resolve(start.specDir, p),
    modelOut: path.join(stageDir, MODEL_FILE),
    currentModel() {
      for (let j = index - 1; j >= 0; j--) {
        const file = path.join(start.runDir, 'stages', `${j}-${start.spec.stages[j]!.kind}`, MODEL_FILE);
        if (fs.existsSync(file)) return file;
      }
      const base = start.spec.model?.checkpoint;
      return base === undefined ? undefined : path.resolve(start.specDir, base);
    },
    checkpoint: {
      save(step, state, files = {}) {
        const name = `s${index}-${String(step).padStart(9, '0')}`;
        const dir = path.join(checkpointsDir, name);
        const tmp = path.join(checkpointsDir, `.${name}.partial`);
        fs.rmSync(tmp, { recursive: true, force: true });
        fs.mkdirSync(tmp, { recursive: true });
        for (const [file, data] of Object.entries(files)) {
          if (file.includes('/') || file.includes('\\') || file.startsWith('.') || file === 'state.json') throw new Error(`checkpoint file name "${file}" is not allowed`);
          fs.writeFileSync(path.join(tmp, file), data);
        }
        fs.writeFileSync(path.join(tmp, 'state.json'), `${JSON.stringify({ stage: index, step, state })}\n`);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.renameSync(tmp, dir);
        const mine = fs
          .readdirSync(checkpointsDir)
          .filter((n) => n.startsWith(`s${index}-`))
          .sort();
        for (const old of mine.slice(0, Math.max(0, mine.length - KEEP_CHECKPOINTS))) fs.rmSync(path.join(checkpointsDir, old), { recursive: true, force: true });
        emit({ type: 'checkpoint', stage: index, step, path: path.join('checkpoints', name) });
      },
      load(): LoadedCheckpoint | undefined {
        const c = start.checkpoint;
        if (!c || c.stage !== index) return undefined;
        const dir = path.join(start.runDir, c.path);
        const saved = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { step: number; state: unknown };
        return { step: saved.step, state: saved.state, dir };
      },
    },
    yield: () => new Promise((resolve) => setImmediate(resolve)),
  };
}

async function runStages(start: WorkerStart, signal: AbortSignal): Promise<void> {
  for (let i = start.startStage; i < start.spec.stages.length; i++) {
    const config = start.spec.stages[i]!;
    if (signal.aborted) throw new CancelledError();
    post({ type: 'event', body: { type: 'stage', stage: i, kind: config.kind, status: 'started' } });
    const stage = stageFor(config);
    let progress: StageProgress | undefined;
    try {
      await stage.run(config, stageContext(start, i, signal, (p) => (progress = p)));
    } catch (err) {
      if (signal.aborted || err instanceof CancelledError) throw err;
      throw new Error(stageFailure(i, config, progress, err), { cause: err });
    }
    if (signal.aborted) throw new CancelledError();
    post({ type: 'event', body: { type: 'stage', stage: i, kind: config.kind, status: 'finished' } });
  }
}

if (parentPort) {
  const start = workerData as WorkerStart;
  const controller = new AbortController();
  parentPort.on('message', (message: ToWorker) => {
    if (message.type === 'cancel') controller.abort();
  });
  const port = parentPort;
  runStages(start, controller.signal)
    .then(
      () => post({ type: 'done', outcome: 'completed' }),
      (err: unknown) => {
        if (controller.signal.aborted || err instanceof CancelledError) post({ type: 'done', outcome: 'cancelled' });
        else post({ type: 'done', outcome: 'failed', error: err instanceof Error ? err.message : String(err) });
      },
    )
    // The port's message listener would keep the thread alive: close it so the thread ends.
    .finally(() => port.close());
}
