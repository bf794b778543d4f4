/**
 * The samples view's feed (webview/feed.ts) against a real daemon: a run's events reach the
 * webview in order, each once, images included once; a restarted webview gets the run again from
 * its first event; a new run is followed; a reconnect continues without re-sending; every message
 * passes the webview's own check; and the model the webview builds holds the whole run.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseWebviewMessage, type ExtensionToWebview, type RunEvent } from '../../schemas/protocol';
import { RunFeed } from '../../webview/feed';
import { apply, emptyModel } from '../../webview/state';
import { connect, EventLog, HANG_GUARD_MS, startDaemon, stopDaemon, type StartedDaemon } from './daemon-harness';
import { scratchDir } from '../scratch';

const ROOT = path.resolve(__dirname, '..', '..');
const started: StartedDaemon[] = [];
after(async () => {
  for (const d of started) await stopDaemon(d, 'SIGKILL');
});

function spec(name: string, limit: number): Record<string, unknown> {
  return { name, stages: [{ kind: 'geneval', generator: 'truth', metadata: 'prompts/shapes.jsonl', limit, imagesPerPrompt: 2, checkpointEvery: 5, samplesEvery: 3 }] };
}

/** What the webview would receive, checked as the webview checks it. */
class Webview {
  readonly messages: ExtensionToWebview[] = [];
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];

  readonly post = (message: ExtensionToWebview): void => {
    // Through a structured clone and the webview's own check, as postMessage would deliver it.
    this.messages.push(parseWebviewMessage(structuredClone(message), 'extension → webview'));
    this.waiters = this.waiters.filter((w) => (w.pred() ? (w.resolve(), false) : true));
  };

  /** Events posted for a run since message index `from`. */
  events(runId: string, from = 0): RunEvent[] {
    return this.messages.slice(from).flatMap((m) => (m.type === 'events' && m.runId === runId ? m.events : []));
  }

  waitFor(pred: () => boolean, what: string, timeoutMs = HANG_GUARD_MS): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({ pred, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

const isTerminal = (events: RunEvent[]): boolean => events.some((e) => e.type === 'state' && e.state === 'completed');

describe('the samples view feed', () => {
  it('streams a run to the webview once, in order, and again from the start after a restart', async () => {
    const workspace = scratchDir('ws');
    fs.mkdirSync(path.join(workspace, 'prompts'));
    fs.copyFileSync(path.join(ROOT, 'examples/prompts/shapes-geneval.jsonl'), path.join(workspace, 'prompts/shapes.jsonl'));
    const d = await startDaemon(scratchDir('home'), workspace);
    started.push(d);
    const client = await connect(d);
    const view = new Webview();
    const feed = new RunFeed(view.post, { maxBatch: 16, flushMs: 10 });
    await feed.attach(client);
    assert.equal(view.messages.length, 0, 'nothing before the webview says ready');
    feed.show(null);
    assert.deepEqual(view.messages.slice(0, 3), [{ type: 'connection', connected: true }, { type: 'runs', runs: [] }, { type: 'show', runId: null, follow: true }]);

    // Following the newest run: a submitted run is shown from its first event.
    const run = await client.request('runs/submit', { spec: spec('first', 60) });
    await view.waitFor(() => view.messages.some((m) => m.type === 'show' && m.runId === run.id), 'the new run shown');
    await view.waitFor(() => isTerminal(view.events(run.id)), 'the run to complete');
    const got = view.events(run.id);
    assert.deepEqual(
      got.map((e) => e.seq),
      Array.from({ length: got.length }, (_, i) => i + 1),
      'every event once, in order, from seq 1',
    );
    for (const m of view.messages) if (m.type === 'events') assert.ok(m.events.length <= 16, 'batches are bounded');

    // The same events as a plain subscriber replaying the run.
    const other = await connect(d);
    const log = new EventLog(other, run.id);
    await other.request('runs/subscribe', { runId: run.id });
    await log.waitFor((es) => isTerminal(es), 'the replay');
    assert.deepEqual(got, log.events);
    const samples = got.filter((e) => e.type === 'sample');
    assert.ok(samples.length >= 10, `${samples.length} samples`);
    assert.equal(new Set(samples.map((s) => s.image.path)).size, samples.length, 'each image once');

    // The webview's model holds the whole run.
    const model = emptyModel(run.id);
    for (const m of view.messages) if (m.type === 'events' && m.runId === run.id) apply(model, m.events);
    assert.equal(model.state, 'completed');
    assert.equal(model.sampleCount, samples.length);
    assert.equal(model.results.length, 1);
    assert.ok((model.series.get('geneval/overall')?.y.length ?? 0) >= 10);

    // A restarted webview (hidden then shown) asks again: the run comes again from seq 1, once.
    const mark = view.messages.length;
    feed.show(run.id);
    assert.deepEqual(view.messages[mark], { type: 'show', runId: run.id, follow: false });
    await view.waitFor(() => isTerminal(view.events(run.id, mark)), 'the replay after a restart');
    assert.deepEqual(view.events(run.id, mark), got);

    // A new connection (the daemon's or the view's) continues after the last event: nothing again.
    const mark2 = view.messages.length;
    const third = await connect(d);
    await feed.attach(third);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(view.events(run.id, mark2), [], 'nothing re-sent after a reconnect');

    // Picked run stays shown when another starts; back to following, the newest is shown.
    const second = await client.request('runs/submit', { spec: spec('second', 20) });
    await view.waitFor(() => view.messages.slice(mark2).some((m) => m.type === 'runs' && m.runs.some((r) => r.id === second.id)), 'the second run listed');
    assert.ok(!view.messages.slice(mark2).some((m) => m.type === 'show'), 'a picked run stays shown');
    feed.show(null);
    await view.waitFor(() => isTerminal(view.events(second.id)), 'the second run followed');
    assert.equal(view.events(second.id)[0]!.seq, 1);

    feed.dispose();
    await Promise.all([client.close(), other.close(), third.close()]);
  });
});
