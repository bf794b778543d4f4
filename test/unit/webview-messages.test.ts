/** The samples view's messages (schemas/protocol.ts): each checked on receipt, in its direction, with the problem named. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWebviewMessage, WebviewMessageError, type ExtensionToWebview, type RunSummary, type WebviewToExtension } from '../../schemas/protocol';
import { syntheticRun } from './webview-fixtures';

const summary: RunSummary = {
  id: '20260101-120000-x-ab12',
  name: 'x',
  state: 'running',
  createdAt: '2026-01-01T12:00:00.000Z',
  updatedAt: '2026-01-01T12:00:01.000Z',
  stages: [{ kind: 'geneval' }, { kind: 'grpo' }],
  stage: 1,
  step: 3,
  total: 10,
  lastSeq: 40,
  lastCheckpoint: { stage: 1, step: 2 },
  error: null,
};

const toView: ExtensionToWebview[] = [
  { type: 'runs', runs: [summary, { ...summary, id: 'y', lastCheckpoint: null, error: 'boom', state: 'failed' }] },
  { type: 'runs', runs: [] },
  { type: 'connection', connected: true },
  { type: 'connection', connected: false, message: 'not running' },
  { type: 'show', runId: summary.id, follow: false },
  { type: 'show', runId: null, follow: true },
  { type: 'events', runId: summary.id, events: syntheticRun() },
];
const toExtension: WebviewToExtension[] = [
  { type: 'ready', runId: null },
  { type: 'ready', runId: 'r' },
  { type: 'select', runId: 'r' },
  { type: 'command', command: 'cancel', runId: 'r' },
  { type: 'command', command: 'resume', runId: 'r' },
];

function refused(value: unknown, direction: 'extension → webview' | 'webview → extension', problem: RegExp): void {
  assert.throws(
    () => (direction === 'extension → webview' ? parseWebviewMessage(value, direction) : parseWebviewMessage(value, direction)),
    (err: unknown) => err instanceof WebviewMessageError && problem.test(err.message),
    `${String(JSON.stringify(value)).slice(0, 200)} should be refused with ${String(problem)}`,
  );
}

describe('webview messages', () => {
  it('accepts every kind of message in its direction, as it is', () => {
    for (const m of toView) assert.equal(parseWebviewMessage(m, 'extension → webview'), m);
    for (const m of toExtension) assert.equal(parseWebviewMessage(m, 'webview → extension'), m);
  });

  it('accepts every event type of a run (the synthetic run has them all but rewind)', () => {
    const types = new Set(syntheticRun().map((e) => e.type));
    for (const t of ['state', 'stage', 'progress', 'metric', 'sample', 'checkpoint', 'log', 'result']) assert.ok(types.has(t as never), t);
    const rewind = { type: 'rewind', stage: 0, step: 5, seq: 9, time: 't' };
    parseWebviewMessage({ type: 'events', runId: 'r', events: [rewind] }, 'extension → webview');
  });

  it('refuses a message in the wrong direction', () => {
    for (const m of toView) refused(m, 'webview → extension', /goes extension → webview/);
    for (const m of toExtension) refused(m, 'extension → webview', /goes webview → extension/);
  });

  it('refuses what is not a message, naming the problem and where', () => {
    for (const v of [null, undefined, 42, 'ready', [], {}, { type: 'nope' }, { type: 'toString' }, { type: '__proto__' }]) refused(v, 'webview → extension', /message\.type must be one of/);
    refused({ type: 'select' }, 'webview → extension', /message\.runId is missing/);
    refused({ type: 'select', runId: 5 }, 'webview → extension', /message\.runId must be a string/);
    refused({ type: 'command', command: 'delete', runId: 'r' }, 'webview → extension', /message\.command must be one of cancel, resume/);
    refused({ type: 'connection', connected: 'yes' }, 'extension → webview', /message\.connected must be a boolean/);
    refused({ type: 'runs', runs: [{ ...summary, state: 'exploded' }] }, 'extension → webview', /message\.runs\[0\]\.state must be one of/);
    refused({ type: 'runs', runs: [{ ...summary, lastCheckpoint: { stage: 1 } }] }, 'extension → webview', /message\.runs\[0\]\.lastCheckpoint\.step is missing/);
  });

  it('checks each event of a batch: numbers finite, images strings, every field in place', () => {
    const events = syntheticRun();
    const sampleAt = events.findIndex((e) => e.type === 'sample');
    const metricAt = events.findIndex((e) => e.type === 'metric');
    const resultAt = events.findIndex((e) => e.type === 'result');
    const withEvent = (i: number, change: (e: Record<string, unknown>) => void): unknown => {
      const copy = structuredClone(events) as unknown as Record<string, unknown>[];
      change(copy[i]!);
      return { type: 'events', runId: 'r', events: copy };
    };
    refused(withEvent(sampleAt, (e) => ((e['image'] as Record<string, unknown>)['pngBase64'] = 7)), 'extension → webview', new RegExp(`message\\.events\\[${sampleAt}\\]\\.image\\.pngBase64 must be a string`));
    refused(withEvent(sampleAt, (e) => (e['reward'] = Number.NaN)), 'extension → webview', /\.reward must be a finite number/);
    refused(withEvent(metricAt, (e) => ((e['values'] as Record<string, unknown>)['x'] = Infinity)), 'extension → webview', /\.values\.x must be a finite number/);
    refused(withEvent(metricAt, (e) => (e['step'] = 1.5)), 'extension → webview', /\.step must be an integer/);
    refused(withEvent(metricAt, (e) => delete e['seq']), 'extension → webview', /\.seq is missing/);
    refused(withEvent(metricAt, (e) => (e['type'] = 'metrics')), 'extension → webview', /\.type must be one of/);
    refused(withEvent(resultAt, (e) => ((e['result'] as Record<string, unknown>)['tags'] = { a: { correct: 1, total: 2 } })), 'extension → webview', /\.tags\.a\.score is missing/);
  });

  it('ignores fields it does not know (a newer daemon may add some)', () => {
    parseWebviewMessage({ type: 'ready', runId: null, extra: { deep: [1] } }, 'webview → extension');
  });

  it('either accepts or refuses with a WebviewMessageError, whatever the damage (a small fuzz)', () => {
    let s = 12345;
    const random = (): number => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const junk = [null, -1, 0.5, 'x', true, [], {}, Number.NaN, { type: 'state' }];
    const paths = (v: unknown, at: (string | number)[] = []): (string | number)[][] =>
      typeof v === 'object' && v !== null ? [at, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...at, Array.isArray(v) ? Number(k) : k]))] : [at];
    const base = { type: 'events', runId: 'r', events: syntheticRun({ grpoSteps: 6 }).slice(0, 60) };
    const all = paths(base).filter((p) => p.length > 0);
    let accepted = 0;
    for (let round = 0; round < 300; round++) {
      const copy = structuredClone(base) as unknown as Record<string | number, unknown>;
      const path = all[Math.floor(random() * all.length)]!;
      let parent = copy;
      for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
      const last = path.at(-1)!;
      if (random() < 0.3) delete parent[last];
      else parent[last] = junk[Math.floor(random() * junk.length)];
      try {
        parseWebviewMessage(copy, 'extension → webview');
        accepted++;
      } catch (err) {
        assert.ok(err instanceof WebviewMessageError, `${(err as Error).name}: ${(err as Error).message}`);
      }
    }
    assert.ok(accepted < 300, 'damage is noticed');
  });
});
