/**
 * The run engine: owns the runs folder, queues runs and executes one at a time in a worker
 * thread, stores every event before it fans it out, and serves replay-then-live subscriptions.
 * Used by the daemon (many clients) and by `unirl run` (one terminal), the same way.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { TERMINAL_STATES, type RunEvent, type RunEventBody, type RunState, type RunSummary } from '../../schemas/protocol';
import { nodeContext, validateSpec, type RunSpec } from '../spec';
import { processAlive } from '../util/process';
import { spawnBundledWorker } from '../util/worker';
import { invalidSpec, invalidState, runNotFound } from './errors';
import { listRunFolders, RunFolder } from './store';
import type { FromWorker, WorkerStart } from './worker';

export interface EngineOptions {
  runsDir: string;
  /** Paths in specs must stay inside this folder (the daemon); undefined lets them go anywhere (the CLI). */
  workspaceRoot?: string;
  /** Resume runs found interrupted (or queued) when the engine starts. */
  resumeOnStart?: boolean;
  /** How long a cancelled worker may take to stop by itself before it is terminated. */
  cancelGraceMs?: number;
}

type EventListener = (event: RunEvent) => void;
type ChangeListener = (run: RunSummary, deleted: boolean) => void;

interface ActiveRun {
  folder: RunFolder;
  worker: Worker;
  cancelFlag: Int32Array;
  cancelling: boolean;
  /** Resolves when the run reaches a state other than running. */
  finished: Promise<void>;
  /** ETA bookkeeping: progress events seen since this stage (re)started, and the first of them. */
  eta: { stage: number; count: number; firstStep: number; firstTime: number };
}

/** Steps to see after a (re)start before an ETA is shown: the first steps are rarely typical. */
export const ETA_WARMUP_STEPS = 10;

function spawnWorker(start: WorkerStart): Worker {
  return spawnBundledWorker(__dirname, 'worker.ts', 'run-worker', start);
}

export class RunEngine {
  private readonly runs = new Map<string, RunFolder>();
  private readonly queue: string[] = [];
  private active: ActiveRun | undefined;
  private readonly listeners = new Map<string, Set<EventListener>>();
  private readonly changeListeners = new Set<ChangeListener>();
  private stopped = false;

  constructor(private readonly options: EngineOptions) {}

  get runsDir(): string {
    return this.options.runsDir;
  }

  /** Loads every run folder; runs that were running when the last process died become interrupted. */
  start(): void {
    fs.mkdirSync(this.options.runsDir, { recursive: true });
    this.lock();
    const found = listRunFolders(this.options.runsDir).map((dir) => RunFolder.open(dir));
    found.sort((a, b) => a.state.createdAt.localeCompare(b.state.createdAt));
    for (const folder of found) {
      this.runs.set(folder.state.id, folder);
      if (folder.state.state === 'running') {
        this.setState(folder, 'interrupted', 'the daemon stopped while the run was running');
      }
    }
    if (this.options.resumeOnStart ?? true) {
      for (const folder of found) {
        if (folder.state.state === 'interrupted') this.requeue(folder, 'resumed after an interruption');
        else if (folder.state.state === 'queued') this.queue.push(folder.state.id);
      }
    }
    this.pump();
  }

  /** Validates, stores and queues a spec; throws RunError(InvalidSpec) with the problems. */
  submit(input: unknown, specDir: string): RunSummary {
    const { problems, spec } = validateSpec(input, nodeContext(specDir, this.options.workspaceRoot));
    if (!spec) throw invalidSpec(problems);
    const folder = RunFolder.create(this.options.runsDir, spec, path.resolve(specDir));
    this.runs.set(folder.state.id, folder);
    this.record(folder, { type: 'state', state: 'queued' });
    for (const p of problems) this.record(folder, { type: 'log', level: 'warn', message: `${p.pointer}: ${p.message}` });
    this.queue.push(folder.state.id);
    this.changed(folder);
    this.pump();
    return folder.summary();
  }

  list(): RunSummary[] {
    return [...this.runs.values()].map((f) => f.summary()).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  get(id: string): RunSummary {
    return this.folder(id).summary();
  }

  /** The run folder's path (for reading its files). */
  dirOf(id: string): string {
    return this.folder(id).dir;
  }

  metrics(id: string): ReturnType<RunFolder['readMetrics']> {
    return this.folder(id).readMetrics();
  }

  /** Cancels a queued or running run; resolves once it is cancelled (within the grace period plus a little). */
  async cancel(id: string): Promise<RunSummary> {
    const folder = this.folder(id);
    const state = folder.state.state;
    if (state === 'queued') {
      this.queue.splice(this.queue.indexOf(id), 1);
      this.setState(folder, 'cancelled', 'cancelled before it started');
    } else if (state === 'running' && this.active?.folder === folder) {
      const active = this.active;
      if (!active.cancelling) {
        active.cancelling = true;
        Atomics.store(active.cancelFlag, 0, 1);
        active.worker.postMessage({ type: 'cancel' });
        // A stage stuck in synchronous work cannot see the signal: stop the thread itself.
        const timer = setTimeout(() => void active.worker.terminate(), this.options.cancelGraceMs ?? 1500);
        void active.finished.then(() => clearTimeout(timer));
      }
      await active.finished;
    } else if (state === 'interrupted') {
      this.setState(folder, 'cancelled', 'cancelled while interrupted');
    } else {
      throw invalidState(`run ${id} is ${state}; only queued, running or interrupted runs can be cancelled`);
    }
    return folder.summary();
  }

  /** Queues a cancelled, failed or interrupted run again; it continues from its last checkpoint. */
  resume(id: string): RunSummary {
    const folder = this.folder(id);
    const state = folder.state.state;
    if (state !== 'cancelled' && state !== 'failed' && state !== 'interrupted') {
      throw invalidState(`run ${id} is ${state}; only cancelled, failed or interrupted runs can be resumed`);
    }
    this.requeue(folder, 'resumed by request');
    this.pump();
    return folder.summary();
  }

  delete(id: string): void {
    const folder = this.folder(id);
    if (folder.state.state === 'queued' || folder.state.state === 'running') {
      throw invalidState(`run ${id} is ${folder.state.state}; cancel it before deleting it`);
    }
    folder.close();
    this.runs.delete(id);
    this.listeners.delete(id);
    fs.rmSync(folder.dir, { recursive: true, force: true });
    for (const listener of this.changeListeners) listener(folder.summary(), true);
  }

  /**
   * Replay-then-live: returns the stored events after `afterSeq` and, from the same instant,
   * calls `listener` with every new event. Both happen in one synchronous step, so no event is
   * missed or given twice.
   */
  subscribe(id: string, afterSeq: number, listener: EventListener): { replay: RunEvent[]; unsubscribe: () => void } {
    const folder = this.folder(id);
    const replay = folder.readEvents(afterSeq);
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return { replay, unsubscribe: () => this.listeners.get(id)?.delete(listener) };
  }

  onChange(listener: ChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Resolves when the run reaches a terminal state (for the CLI). */
  whenDone(id: string): Promise<RunSummary> {
    return new Promise((resolve) => {
      const check = (run: RunSummary): boolean => {
        if (run.id !== id || !TERMINAL_STATES.includes(run.state)) return false;
        off();
        resolve(run);
        return true;
      };
      const off = this.onChange((run) => void check(run));
      check(this.get(id));
    });
  }

  /** Stops the worker; a running run stays interrupted on disk, so the next start resumes it. */
  async stop(): Promise<void> {
    this.stopped = true;
    const active = this.active;
    if (active) {
      await active.worker.terminate();
      await active.finished;
    }
    for (const folder of this.runs.values()) folder.close();
    this.unlock();
  }

  private get lockFile(): string {
    return path.join(this.options.runsDir, '.lock');
  }

  /**
   * One engine per runs folder: two would run the same queued runs into the same folders. The
   * lock names its pid; a lock whose process is gone is taken over.
   */
  private lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(this.lockFile, `${process.pid}\n`, { flag: 'wx' });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = Number(fs.readFileSync(this.lockFile, 'utf8').trim());
      if (Number.isInteger(holder) && holder !== process.pid && processAlive(holder)) {
        throw new Error(`the runs folder ${this.options.runsDir} is in use by process ${holder} (a daemon or another \`unirl run\`); use another --runs folder, or submit to that daemon`);
      }
      fs.rmSync(this.lockFile, { force: true });
    }
    throw new Error(`could not lock the runs folder ${this.options.runsDir}`);
  }

  private unlock(): void {
    try {
      if (Number(fs.readFileSync(this.lockFile, 'utf8').trim()) === process.pid) fs.rmSync(this.lockFile, { force: true });
    } catch {
      // Already gone.
    }
  }

  // -------------------------------------------------------------------------------------------

  private folder(id: string): RunFolder {
    const folder = this.runs.get(id);
    if (!folder) throw runNotFound(id);
    return folder;
  }

  private requeue(folder: RunFolder, reason: string): void {
    const checkpoint = folder.state.lastCheckpoint;
    const stage = folder.state.completedStages;
    // The stage restarts from its checkpoint (or its beginning): its later points are superseded.
    const step = checkpoint && checkpoint.stage === stage ? checkpoint.step : 0;
    folder.rewindMetrics(stage, step);
    this.record(folder, { type: 'rewind', stage, step });
    folder.saveState({ error: null });
    this.setState(folder, 'queued', reason);
    this.queue.push(folder.state.id);
  }

  private setState(folder: RunFolder, state: RunState, reason?: string, error?: string): void {
    folder.saveState({ state, ...(error !== undefined ? { error } : {}) });
    this.record(folder, reason === undefined ? { type: 'state', state } : { type: 'state', state, reason });
    this.changed(folder);
  }

  private changed(folder: RunFolder): void {
    const summary = folder.summary();
    for (const listener of this.changeListeners) listener(summary, false);
  }

  /** Stores an event first, then fans it out. */
  private record(folder: RunFolder, body: RunEventBody): RunEvent {
    const event = folder.append(body);
    for (const listener of this.listeners.get(folder.state.id) ?? []) {
      try {
        listener(event);
      } catch {
        // A failing subscriber (a closed socket) must not stop the run or the other subscribers.
      }
    }
    return event;
  }

  private pump(): void {
    if (this.active || this.stopped) return;
    const id = this.queue.shift();
    if (id === undefined) return;
    const folder = this.runs.get(id);
    if (!folder || folder.state.state !== 'queued') {
      this.pump();
      return;
    }
    const spec: RunSpec = folder.spec();
    const checkpoint = folder.state.lastCheckpoint;
    const cancelFlag = new SharedArrayBuffer(4);
    const start: WorkerStart = {
      cancelFlag,
      runDir: folder.dir,
      spec,
      specDir: folder.state.specDir,
      startStage: folder.state.completedStages,
      checkpoint: checkpoint && checkpoint.stage === folder.state.completedStages ? checkpoint : null,
    };
    const worker = spawnWorker(start);
    let done: { outcome: 'completed' | 'cancelled' | 'failed'; error?: string } | undefined;
    let resolveFinished!: () => void;
    const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
    const active: ActiveRun = { folder, worker, cancelFlag: new Int32Array(cancelFlag), cancelling: false, finished, eta: { stage: -1, count: 0, firstStep: 0, firstTime: 0 } };
    this.active = active;
    this.setState(folder, 'running');

    worker.on('message', (message: FromWorker) => {
      if (this.active !== active) return;
      if (message.type === 'done') done = message;
      else this.onWorkerEvent(active, message.body);
    });
    worker.on('error', (err) => {
      done ??= { outcome: 'failed', error: err.message };
    });
    worker.on('exit', (code) => {
      if (this.active !== active) return;
      this.active = undefined;
      if (this.stopped && !active.cancelling) {
        // Daemon shutdown: leave the run resumable.
        this.setState(folder, 'interrupted', 'the daemon stopped');
      } else if (active.cancelling) {
        this.setState(folder, 'cancelled', 'cancelled by request');
      } else if (done?.outcome === 'completed') {
        this.setState(folder, 'completed');
      } else {
        const error = done?.error ?? `the worker stopped unexpectedly (exit code ${code})`;
        this.record(folder, { type: 'log', level: 'error', message: error });
        this.setState(folder, 'failed', error, error);
      }
      resolveFinished();
      this.pump();
    });
  }

  private onWorkerEvent(active: ActiveRun, body: RunEventBody): void {
    const folder = active.folder;
    if (body.type === 'progress') body = this.withEta(active, body);
    // The state file moves first: once a client has seen a checkpoint, a crash resumes from it.
    if (body.type === 'checkpoint') folder.saveState({ lastCheckpoint: { stage: body.stage, step: body.step, path: body.path } });
    if (body.type === 'stage' && body.status === 'finished') folder.saveState({ completedStages: body.stage + 1 });
    this.record(folder, body);
  }

  /** Adds rate and ETA to a progress event, hiding the ETA until the stage has warmed up. */
  private withEta(active: ActiveRun, body: Extract<RunEventBody, { type: 'progress' }>): RunEventBody {
    const now = Date.now();
    const eta = active.eta;
    if (eta.stage !== body.stage) Object.assign(eta, { stage: body.stage, count: 0, firstStep: body.step, firstTime: now });
    eta.count++;
    const seconds = (now - eta.firstTime) / 1000;
    const rate = seconds > 0 ? (body.step - eta.firstStep) / seconds : 0;
    const warm = body.step - eta.firstStep >= ETA_WARMUP_STEPS && eta.count >= 2;
    if (!warm || rate <= 0) return { ...body, etaSeconds: null, stepsPerSecond: rate > 0 ? rate : null };
    return { ...body, etaSeconds: (body.total - body.step) / rate, stepsPerSecond: rate };
  }
}
