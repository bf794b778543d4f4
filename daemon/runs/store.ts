/**
 * The run folder, the truth about a run (memory is only a cache of it):
 *
 *   <runs>/<id>/spec.json       the validated spec, defaults filled in
 *   <runs>/<id>/state.json      state, last checkpoint, stages completed (atomic rewrite)
 *   <runs>/<id>/events.jsonl    every event, seq 1, 2, 3... (append-only)
 *   <runs>/<id>/metrics.jsonl   the metric events as {stage, step, time, values} rows
 *   <runs>/<id>/samples/        sample PNGs
 *   <runs>/<id>/checkpoints/    s<stage>-<step>/ with state.json and the stage's files
 *   <runs>/<id>/stages/<i>-<kind>/  each stage's outputs (GenEval in the official layout)
 *
 * Appends are not fsynced: a killed process loses nothing the kernel has (only a power cut could),
 * and a torn last line is cut off when the folder is opened again.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunEvent, RunEventBody, RunState, RunSummary, StageKind } from '../../schemas/protocol';
import type { RunSpec } from '../spec/types';
import { writeFileAtomic } from '../util/fsx';

export interface StateFile {
  id: string;
  name: string;
  state: RunState;
  createdAt: string;
  updatedAt: string;
  /** Folder the spec's relative paths resolve against. */
  specDir: string;
  stages: { kind: StageKind }[];
  /** Stages finished (a resume starts at this index). */
  completedStages: number;
  lastCheckpoint: { stage: number; step: number; path: string } | null;
  error: string | null;
}

export interface MetricRow {
  stage: number;
  step: number;
  time: string;
  values: Record<string, number | null>;
}

export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class RunFolder {
  readonly dir: string;
  private eventsFd: number | undefined;
  private seq = 0;
  /** Step and total of the last progress event: kept in memory, not in the state file. */
  progress = { stage: -1, step: 0, total: 0 };

  private constructor(
    dir: string,
    public state: StateFile,
  ) {
    this.dir = dir;
  }

  get lastSeq(): number {
    return this.seq;
  }

  static create(runsDir: string, spec: RunSpec, specDir: string, now = new Date()): RunFolder {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const id = `${stamp}-${spec.name}-${randomBytes(2).toString('hex')}`;
    const dir = path.join(runsDir, id);
    const state: StateFile = {
      id,
      name: spec.name,
      state: 'queued',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      specDir,
      stages: spec.stages.map((s) => ({ kind: s.kind })),
      completedStages: 0,
      lastCheckpoint: null,
      error: null,
    };
    // The folder appears whole or not at all: filled under a temporary name, then renamed.
    fs.mkdirSync(runsDir, { recursive: true });
    const tmp = path.join(runsDir, `.${id}.partial`);
    fs.mkdirSync(tmp);
    try {
      fs.writeFileSync(path.join(tmp, 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
      fs.writeFileSync(path.join(tmp, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
      fs.writeFileSync(path.join(tmp, 'events.jsonl'), '');
      fs.writeFileSync(path.join(tmp, 'metrics.jsonl'), '');
      fs.renameSync(tmp, dir);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    return new RunFolder(dir, state);
  }

  /**
   * Opens an existing run folder, repairing a torn last line of its logs (unless readOnly: a
   * folder that another process may be writing is only read).
   */
  static open(dir: string, options: { readOnly?: boolean } = {}): RunFolder {
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as StateFile;
    const folder = new RunFolder(dir, state);
    const eventsFile = path.join(dir, 'events.jsonl');
    const events = options.readOnly ? wholeLines(fs.readFileSync(eventsFile, 'utf8')) : repairTail(eventsFile);
    // metrics.jsonl is derived from the event log (its metric events, less what rewinds superseded),
    // rebuilt here so a kill between the two appends can never leave them disagreeing.
    let metrics: MetricRow[] = [];
    for (const line of events.split('\n')) {
      if (line === '') continue;
      const event = JSON.parse(line) as RunEvent;
      folder.seq = event.seq;
      if (event.type === 'progress') folder.progress = { stage: event.stage, step: event.step, total: event.total };
      if (event.type === 'metric') metrics.push({ stage: event.stage, step: event.step, time: event.time, values: event.values });
      if (event.type === 'rewind') metrics = metrics.filter((r) => keepAfterRewind(r, event.stage, event.step));
    }
    if (!options.readOnly) writeFileAtomic(path.join(dir, 'metrics.jsonl'), metrics.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return folder;
  }

  spec(): RunSpec {
    return JSON.parse(fs.readFileSync(path.join(this.dir, 'spec.json'), 'utf8')) as RunSpec;
  }

  saveState(patch: Partial<StateFile>): void {
    this.state = { ...this.state, ...patch, updatedAt: new Date().toISOString() };
    writeFileAtomic(path.join(this.dir, 'state.json'), `${JSON.stringify(this.state, null, 2)}\n`);
  }

  /** Numbers the event, appends it to the log (and metrics to metrics.jsonl), and returns it. */
  append(body: RunEventBody): RunEvent {
    const event = { ...body, seq: this.seq + 1, time: new Date().toISOString() };
    this.eventsFd ??= fs.openSync(path.join(this.dir, 'events.jsonl'), 'a');
    fs.writeSync(this.eventsFd, `${JSON.stringify(event)}\n`);
    this.seq = event.seq;
    if (event.type === 'metric') {
      const row: MetricRow = { stage: event.stage, step: event.step, time: event.time, values: event.values };
      fs.appendFileSync(path.join(this.dir, 'metrics.jsonl'), `${JSON.stringify(row)}\n`);
    }
    if (event.type === 'progress') this.progress = { stage: event.stage, step: event.step, total: event.total };
    return event;
  }

  /** Events with seq > afterSeq, from disk. */
  readEvents(afterSeq: number): RunEvent[] {
    const text = fs.readFileSync(path.join(this.dir, 'events.jsonl'), 'utf8');
    const out: RunEvent[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const event = JSON.parse(line) as RunEvent;
      if (event.seq > afterSeq) out.push(event);
    }
    return out;
  }

  readMetrics(): MetricRow[] {
    return fs
      .readFileSync(path.join(this.dir, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as MetricRow);
  }

  /**
   * Before a resume: drops the metric rows that the restarted stage will write again (after its
   * checkpoint step, and of every later stage), so the curve continues without duplicates.
   */
  rewindMetrics(stage: number, step: number): void {
    const kept = this.readMetrics().filter((r) => keepAfterRewind(r, stage, step));
    writeFileAtomic(path.join(this.dir, 'metrics.jsonl'), kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  close(): void {
    if (this.eventsFd !== undefined) fs.closeSync(this.eventsFd);
    this.eventsFd = undefined;
  }

  summary(): RunSummary {
    const s = this.state;
    return {
      id: s.id,
      name: s.name,
      state: s.state,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      stages: s.stages,
      stage: this.progress.stage,
      step: this.progress.step,
      total: this.progress.total,
      lastSeq: this.seq,
      lastCheckpoint: s.lastCheckpoint ? { stage: s.lastCheckpoint.stage, step: s.lastCheckpoint.step } : null,
      error: s.error,
    };
  }
}

function keepAfterRewind(row: MetricRow, stage: number, step: number): boolean {
  return row.stage < stage || (row.stage === stage && row.step <= step);
}

function wholeLines(text: string): string {
  return text.slice(0, text.lastIndexOf('\n') + 1);
}

/** Cuts a torn last line (a write interrupted by a kill) and returns the file's whole lines. */
function repairTail(file: string): string {
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, '');
    return '';
  }
  const text = fs.readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end === text.length) return text;
  fs.truncateSync(file, Buffer.byteLength(text.slice(0, end)));
  return text.slice(0, end);
}

/** Every run folder under runsDir (skips partial folders and anything that is not a run). */
export function listRunFolders(runsDir: string): string[] {
  if (!fs.existsSync(runsDir)) return [];
  return fs
    .readdirSync(runsDir)
    .filter((name) => RUN_ID_PATTERN.test(name) && fs.existsSync(path.join(runsDir, name, 'state.json')))
    .map((name) => path.join(runsDir, name));
}
