/**
 * The samples view's hot paths on a long run, without a browser (medians of 7 rounds):
 * `node --import tsx bench/webview.ts`. Numbers go in webview/README.md.
 *  - validate: parseWebviewMessage on one `events` batch of the whole run (what the page does on receipt);
 *  - apply: folding the run into a fresh RunModel (a replay after the view is shown again);
 *  - append: one more batch of 50 events onto the full model (a live update);
 *  - chart: chartData for one metric at 300 px (smoothing every point, then thinning).
 */
import { performance } from 'node:perf_hooks';
import { cpus, loadavg } from 'node:os';
import type { RunEventBody } from '../schemas/protocol';
import { parseWebviewMessage } from '../schemas/protocol';
import { chartData } from '../webview/charts';
import { apply, emptyModel } from '../webview/state';
import { squarePng } from '../test/unit/webview-fixtures';

const POINTS = 10_000;
const SAMPLES = 500;
const png = squarePng(10, 20, 30, 32);
const bodies: RunEventBody[] = [{ type: 'state', state: 'running' }];
let y = 1;
for (let step = 1; step <= POINTS; step++) {
  y += Math.sin(step) * 0.01;
  bodies.push({ type: 'progress', stage: 0, step, total: POINTS, etaSeconds: 10, stepsPerSecond: 5 });
  bodies.push({ type: 'metric', stage: 0, step, values: { 'grpo/loss_generation': y, 'grpo/reward': y / 2, 'grpo/kl': 0.01, 'grpo/clip_ratio': 0.1, 'grpo/step_time': 0.2 } });
  if (step % (POINTS / SAMPLES) === 0) bodies.push({ type: 'sample', stage: 0, step, prompt: 'a photo of a red circle', image: { path: `s${step}.png`, pngBase64: png }, answer: 'yes', reward: 1, advantage: 0.5 });
}
const events = bodies.map((b, i) => ({ ...b, seq: i + 1, time: new Date(1e12 + i * 100).toISOString() }));

function median(f: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[3]!;
}

const full = emptyModel('r');
apply(full, events);
const extra = events.slice(-50).map((e, i) => ({ ...e, seq: events.length + 1 + i }));
const rows = {
  events: events.length,
  validateMs: median(() => parseWebviewMessage({ type: 'events', runId: 'r', events }, 'extension → webview')),
  applyMs: median(() => apply(emptyModel('r'), events)),
  appendMs: median(() => {
    apply(full, extra);
    // Let the same batch apply again next round (each round adds 50 points to 10,000).
    full.lastSeq = events.length;
  }),
  chartMs: median(() => chartData(full, ['grpo/loss_generation'], { smoothing: 0.9, xAxis: 'step', buckets: 300 })),
};
console.log(JSON.stringify({ ...rows, node: process.version, cpu: cpus()[0]?.model, load: loadavg()[0] }, null, 2));
