/**
 * The extension-host half of the samples view: follows the run the view shows over a daemon
 * connection and posts its events to the webview, in batches, each event once. Free of `vscode`
 * so tests drive it against a real daemon.
 *
 * A webview that (re)starts has no data: it says `ready`, and the feed replays the run from seq 1.
 * After that only new events go (a reconnect to the daemon resumes after the last event sent).
 */
import type { ExtensionToWebview, NotificationMap, NotificationMethod, ParamsOf, RequestMethod, ResultOf, RunEvent, RunSummary } from '../schemas/protocol';

/** What the feed needs of a daemon connection (DaemonClient has it). */
export interface FeedClient {
  request<M extends RequestMethod>(method: M, params?: ParamsOf<M>): Promise<ResultOf<M>>;
  on<M extends NotificationMethod>(method: M, listener: (params: NotificationMap[M]) => void): () => void;
}

export interface FeedOptions {
  /** A batch goes as soon as it holds this many events... */
  maxBatch: number;
  /** ...or this long after its first event. */
  flushMs: number;
  /** Problems worth a line in the log (a request that failed). */
  warn: (message: string) => void;
}

const DEFAULTS: FeedOptions = { maxBatch: 500, flushMs: 50, warn: () => undefined };

export class RunFeed {
  private client: FeedClient | undefined;
  private offs: (() => void)[] = [];
  private readonly runs = new Map<string, RunSummary>();
  /** null: follow the newest run. */
  private choice: string | null = null;
  private shown: string | null = null;
  private subscribed: string | null = null;
  /** Highest seq posted for the shown run. */
  private sentSeq = 0;
  /** After a subscribe from seq A, events before A+1 are stragglers of an earlier subscription. */
  private waitingFor: number | null = null;
  private queue: RunEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly options: FeedOptions;
  private disposed = false;
  /** Nothing is shown before the webview's first `ready` (messages posted before its script runs are lost). */
  private started = false;
  private connection: { connected: boolean; message?: string } = { connected: false };

  constructor(
    private readonly post: (message: ExtensionToWebview) => void,
    options: Partial<FeedOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** A new daemon connection (undefined: none, with the reason shown in the view); resolves once the runs are listed. */
  attach(client: FeedClient | undefined, message?: string): Promise<void> {
    for (const off of this.offs) off();
    this.offs = [];
    this.client = client;
    this.subscribed = null;
    this.waitingFor = null;
    this.connection = { connected: client !== undefined, ...(!client && message !== undefined ? { message } : {}) };
    if (this.started) this.post({ type: 'connection', ...this.connection });
    if (!client) return Promise.resolve();
    this.offs = [
      client.on('runs/changed', ({ run, deleted }) => this.onChanged(run, deleted === true)),
      client.on('runs/event', ({ runId, event }) => this.onEvent(runId, event)),
    ];
    return this.list(client);
  }

  /** The webview (re)started with no data, or the user picked a run: show `runId` (null: the newest) from its first event. */
  show(runId: string | null): void {
    if (!this.started) {
      this.started = true;
      this.post({ type: 'connection', ...this.connection });
      this.postRuns();
    }
    this.choice = runId !== null && this.runs.size > 0 && !this.runs.has(runId) ? null : runId;
    this.switchTo(this.target(), true);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    void this.unsubscribe();
    for (const off of this.offs) off();
    this.offs = [];
  }

  private async list(client: FeedClient): Promise<void> {
    try {
      const { runs } = await client.request('runs/list');
      if (client !== this.client) return;
      this.runs.clear();
      for (const run of runs) this.runs.set(run.id, run);
      if (this.choice !== null && !this.runs.has(this.choice)) this.choice = null;
      if (!this.started) return;
      this.postRuns();
      // A reconnect continues the run shown after the last event sent; a first connection starts it.
      const target = this.target();
      if (target === this.shown && target !== null) void this.subscribe(target, this.sentSeq);
      else this.switchTo(target, true);
    } catch (err) {
      this.options.warn(`runs/list failed: ${(err as Error).message}`);
    }
  }

  private newest(): string | null {
    let best: RunSummary | undefined;
    for (const r of this.runs.values()) if (!best || r.createdAt > best.createdAt) best = r;
    return best?.id ?? null;
  }

  private target(): string | null {
    return this.choice ?? this.newest();
  }

  private onChanged(run: RunSummary, deleted: boolean): void {
    if (deleted) this.runs.delete(run.id);
    else this.runs.set(run.id, run);
    if (deleted && this.choice === run.id) this.choice = null;
    if (!this.started) return;
    this.postRuns();
    const target = this.target();
    if (target !== this.shown) this.switchTo(target, true);
  }

  private postRuns(): void {
    const runs = [...this.runs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    this.post({ type: 'runs', runs });
  }

  /** Shows a run from its first event (the webview clears what it had on `show`). */
  private switchTo(runId: string | null, fromStart: boolean): void {
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    if (this.subscribed !== null && this.subscribed !== runId) void this.unsubscribe();
    this.shown = runId;
    if (fromStart) this.sentSeq = 0;
    this.post({ type: 'show', runId, follow: this.choice === null });
    if (runId !== null) void this.subscribe(runId, this.sentSeq);
  }

  private async subscribe(runId: string, afterSeq: number): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.subscribed = runId;
    this.waitingFor = afterSeq + 1;
    try {
      const { replayThrough } = await client.request('runs/subscribe', { runId, afterSeq });
      // Nothing to replay: the next event is live, whatever its seq.
      if (client === this.client && this.shown === runId && replayThrough <= afterSeq && this.waitingFor === afterSeq + 1) this.waitingFor = null;
    } catch (err) {
      if (this.subscribed === runId) this.subscribed = null;
      this.options.warn(`runs/subscribe ${runId} failed: ${(err as Error).message}`);
    }
  }

  private async unsubscribe(): Promise<void> {
    const runId = this.subscribed;
    const client = this.client;
    this.subscribed = null;
    if (runId === null || !client) return;
    try {
      await client.request('runs/unsubscribe', { runId });
    } catch {
      // the run or the connection is gone: nothing to stop
    }
  }

  private onEvent(runId: string, event: RunEvent): void {
    if (runId !== this.shown || this.disposed) return;
    if (this.waitingFor !== null) {
      if (event.seq !== this.waitingFor) return;
      this.waitingFor = null;
    }
    if (event.seq <= this.sentSeq) return;
    this.sentSeq = event.seq;
    this.queue.push(event);
    if (this.queue.length >= this.options.maxBatch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushMs);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0 || this.shown === null) return;
    const events = this.queue;
    this.queue = [];
    this.post({ type: 'events', runId: this.shown, events });
  }
}
