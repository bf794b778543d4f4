/**
 * What the extension knows about runs: every run's summary (from `runs/changed`), and the live
 * progress of the runs going (from their `progress` events). The status bar and the commands read
 * it; the samples view can follow the same events.
 */
import * as vscode from 'vscode';
import { TERMINAL_STATES, type RunEvent, type RunSummary } from '../schemas/protocol';
import type { DaemonClient } from '../daemon/server/client';
import type { DaemonManager } from './daemon';
import type { Log } from './log';

export interface Progress {
  stage: number;
  step: number;
  total: number;
  /** Null until the daemon has an estimate (the first steps after a start). */
  etaSeconds: number | null;
}

export function isActive(run: RunSummary): boolean {
  return run.state === 'queued' || run.state === 'running';
}

export class RunTracker implements vscode.Disposable {
  private readonly runs = new Map<string, RunSummary>();
  private readonly progress = new Map<string, Progress>();
  private readonly subscribed = new Set<string>();
  private client: DaemonClient | undefined;
  private detach: (() => void)[] = [];
  private last: RunSummary | undefined;
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly eventEmitter = new vscode.EventEmitter<{ runId: string; event: RunEvent }>();
  private readonly subscriptions: vscode.Disposable[];
  /** Fires when a run's summary or progress changes. */
  readonly onDidChange = this.emitter.event;
  /** Every event of the runs being followed (the runs going), as the daemon sends them. */
  readonly onDidReceiveEvent = this.eventEmitter.event;

  constructor(
    daemon: DaemonManager,
    private readonly log: Log,
  ) {
    this.subscriptions = [daemon.onDidConnect((client) => void this.follow(client))];
  }

  list(): RunSummary[] {
    return [...this.runs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  get(id: string): RunSummary | undefined {
    return this.runs.get(id);
  }

  /** The run going now (running before queued), if any. */
  active(): RunSummary | undefined {
    const going = this.list().filter(isActive);
    return going.find((r) => r.state === 'running') ?? going[going.length - 1];
  }

  /** The run that most recently reached a state it stays in (for "completed" in the status bar). */
  lastFinished(): RunSummary | undefined {
    return this.last;
  }

  progressOf(id: string): Progress | undefined {
    return this.progress.get(id);
  }

  /** Records a summary the caller got from a request (submit, cancel, resume) at once. */
  update(run: RunSummary): void {
    this.onChanged(run, false);
  }

  dispose(): void {
    for (const off of this.detach) off();
    for (const s of this.subscriptions) s.dispose();
    this.emitter.dispose();
    this.eventEmitter.dispose();
  }

  private async follow(client: DaemonClient): Promise<void> {
    for (const off of this.detach) off();
    this.client = client;
    this.runs.clear();
    this.progress.clear();
    this.subscribed.clear();
    this.detach = [
      client.on('runs/changed', ({ run, deleted }) => this.onChanged(run, deleted === true)),
      client.on('runs/event', ({ runId, event }) => this.onEvent(runId, event)),
    ];
    try {
      const { runs } = await client.request('runs/list');
      for (const run of runs) if (!this.runs.has(run.id)) this.runs.set(run.id, run);
      for (const run of runs) if (run.state === 'running') void this.subscribe(run);
      this.emitter.fire();
    } catch (err) {
      this.log.warn(`runs/list failed: ${(err as Error).message}`);
    }
  }

  private onChanged(run: RunSummary, deleted: boolean): void {
    const before = this.runs.get(run.id);
    if (before && before.updatedAt > run.updatedAt) return;
    if (deleted) {
      this.runs.delete(run.id);
      this.progress.delete(run.id);
    } else {
      this.runs.set(run.id, run);
    }
    if (!deleted && run.state === 'running') void this.subscribe(run);
    if (deleted || !isActive(run)) void this.unsubscribe(run.id);
    if (!deleted && TERMINAL_STATES.includes(run.state) && before?.state !== run.state) {
      this.last = run;
      this.log.info(`run ${run.name} (${run.id}) ${run.state}${run.error ? `: ${run.error}` : ''}`);
    }
    this.emitter.fire();
  }

  private onEvent(runId: string, event: RunEvent): void {
    this.eventEmitter.fire({ runId, event });
    if (event.type === 'progress') {
      this.progress.set(runId, { stage: event.stage, step: event.step, total: event.total, etaSeconds: event.etaSeconds });
      this.emitter.fire();
    } else if (event.type === 'log' && event.level !== 'info') {
      this.log.warn(`run ${runId}: ${event.message}`);
    }
  }

  private async subscribe(run: RunSummary): Promise<void> {
    const client = this.client;
    if (!client || this.subscribed.has(run.id)) return;
    this.subscribed.add(run.id);
    try {
      // Only what happens from now: the history is in the run folder.
      await client.request('runs/subscribe', { runId: run.id, afterSeq: run.lastSeq });
    } catch (err) {
      this.subscribed.delete(run.id);
      this.log.warn(`runs/subscribe ${run.id} failed: ${(err as Error).message}`);
    }
  }

  private async unsubscribe(runId: string): Promise<void> {
    const client = this.client;
    if (!client || !this.subscribed.delete(runId)) return;
    try {
      await client.request('runs/unsubscribe', { runId });
    } catch {
      // the run or the connection is gone: nothing to stop
    }
  }
}
