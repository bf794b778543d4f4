/** The samples view's state logic without a browser: the run model, smoothing, thinning, chart data, settings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent, RunEventBody } from '../../schemas/protocol';
import { chartData, CHARTS, layoutCharts } from '../../webview/charts';
import { DEFAULT_SETTINGS, readSettings } from '../../webview/settings';
import { clampSmoothing, MAX_SMOOTHING, smooth } from '../../webview/smoothing';
import { apply, emptyModel, groupsOf, MAX_LOG_LINES, noChanges, tagSpread, type RunModel } from '../../webview/state';
import { thin } from '../../webview/thinning';
import { squarePng, syntheticRun } from './webview-fixtures';

function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Numbers events from `from`, a quarter second apart. */
function stamp(bodies: RunEventBody[], from = 1): RunEvent[] {
  return bodies.map((b, i) => ({ ...b, seq: from + i, time: new Date(Date.UTC(2026, 0, 1) + (from + i) * 250).toISOString() }));
}

/** A long run: `points` metric events (two keys, a random walk with spikes and a NaN now and then) and `samples` samples. */
function longRun(points: number, samples: number, seed = 7): RunEvent[] {
  const random = rng(seed);
  const png = squarePng(10, 20, 30, 4);
  const bodies: RunEventBody[] = [{ type: 'state', state: 'running' }];
  let y = 1;
  const every = Math.floor(points / samples);
  for (let step = 1; step <= points; step++) {
    y += (random() - 0.5) * 0.1 + (random() < 0.002 ? 5 : 0);
    bodies.push({ type: 'metric', stage: 0, step, values: { 'train/loss': y, 'train/lr': random() < 0.01 ? null : 1e-3 * (1 - step / points) } });
    if (step % every === 0 && step / every <= samples) bodies.push({ type: 'sample', stage: 0, step, prompt: `p${step % 7}`, image: { path: `samples/${step}.png`, pngBase64: png } });
  }
  return stamp(bodies);
}

function model(events: RunEvent[], batch = events.length): RunModel {
  const m = emptyModel('run');
  for (let i = 0; i < events.length; i += batch) apply(m, events.slice(i, i + batch));
  return m;
}

/** What a model shows, as plain data (to compare two models). */
function picture(m: RunModel): unknown {
  return {
    lastSeq: m.lastSeq,
    state: m.state,
    series: [...m.series.values()].map((s) => [s.key, s.x, s.y, s.t]),
    steps: m.steps.map((s) => [s.key, s.samples.map((x) => x.seq)]),
    results: m.results.map((r) => [r.seq, r.after]),
    checkpoints: m.checkpoints,
    progress: m.progress,
    logs: m.logs.length,
  };
}

describe('smoothing (debiased EMA)', () => {
  it('weight 0 leaves the data as it is', () => {
    const y = [3, -1, 4, null, 1, 5];
    assert.deepEqual(smooth(y, 0), y);
  });

  it('starts on the data and stays there for a constant curve, at any weight (no ramp from zero)', () => {
    for (const w of [0.3, 0.9, 0.99, MAX_SMOOTHING]) {
      const out = smooth(Array.from({ length: 50 }, () => 2.5), w);
      for (const v of out) assert.ok(Math.abs(v! - 2.5) < 1e-9, `w=${w}: ${v}`);
    }
  });

  it('debiases by 1 - w^n: two points 0 and 10 at w = 0.5 give 0 and 20/3', () => {
    const [a, b] = smooth([0, 10], 0.5);
    assert.equal(a, 0);
    assert.ok(Math.abs(b! - 20 / 3) < 1e-12);
  });

  it('stays within the range of the points seen so far', () => {
    const random = rng(3);
    const y = Array.from({ length: 2000 }, () => random() * 10 - 5);
    const out = smooth(y, 0.95);
    let lo = Infinity;
    let hi = -Infinity;
    y.forEach((v, i) => {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      assert.ok(out[i]! >= lo - 1e-9 && out[i]! <= hi + 1e-9);
    });
  });

  it('caps the weight below 1, so the curve still follows the data', () => {
    assert.equal(clampSmoothing(1), MAX_SMOOTHING);
    assert.equal(clampSmoothing(5), MAX_SMOOTHING);
    assert.equal(clampSmoothing(-1), 0);
    assert.equal(clampSmoothing(Number.NaN), 0);
    assert.ok(MAX_SMOOTHING < 1);
    const y = [...Array.from({ length: 100 }, () => 0), ...Array.from({ length: 5000 }, () => 1)];
    assert.deepEqual(smooth(y, 1), smooth(y, MAX_SMOOTHING));
    assert.ok(smooth(y, 1).at(-1)! > 0.9, 'a capped weight still reaches the new level');
  });

  it('keeps nulls as gaps without disturbing the average', () => {
    const y = [1, null, 3, null, null, 2];
    const out = smooth(y, 0.7);
    assert.deepEqual(out.map((v) => v === null), y.map((v) => v === null));
    const compact = smooth([1, 3, 2], 0.7);
    assert.deepEqual(out.filter((v) => v !== null), compact);
  });
});

describe('thinning', () => {
  const random = rng(11);
  const n = 10_000;
  const x = Array.from({ length: n }, (_, i) => i + 1);
  const a: (number | null)[] = [];
  const b: (number | null)[] = [];
  let w = 0;
  for (let i = 0; i < n; i++) {
    w += random() - 0.5;
    a.push(i % 2500 === 1234 ? 1000 : w);
    b.push(i >= 5000 && i < 5040 ? null : Math.sin(i / 300) + random() * 0.01);
  }
  const buckets = 300;
  const kept = thin(x, [a, b], buckets);

  it('draws at most a few points per bucket, in order, first and last included', () => {
    assert.ok(kept.length <= 2 + buckets * 3 * 2, `${kept.length} points`);
    assert.ok(kept.length < n / 5);
    for (let i = 1; i < kept.length; i++) assert.ok(kept[i]! > kept[i - 1]!);
    assert.equal(kept[0], 0);
    assert.equal(kept.at(-1), n - 1);
  });

  it('never hides an outlier: every bucket keeps its minimum and maximum of each series', () => {
    const keptSet = new Set(kept);
    const span = x[n - 1]! - x[0]!;
    const byBucket = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const bucket = Math.min(buckets - 1, Math.floor(((x[i]! - x[0]!) / span) * buckets));
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), i]);
    }
    for (const series of [a, b]) {
      for (const indices of byBucket.values()) {
        const values = indices.map((i) => series[i]).filter((v): v is number => v !== null);
        if (values.length === 0) continue;
        const keptValues = indices.filter((i) => keptSet.has(i)).map((i) => series[i]);
        assert.ok(keptValues.includes(Math.max(...values)) && keptValues.includes(Math.min(...values)));
      }
    }
    for (let i = 0; i < n; i++) if (a[i] === 1000) assert.ok(keptSet.has(i), `the spike at ${i} is drawn`);
  });

  it('keeps a gap a gap', () => {
    assert.ok(kept.some((i) => b[i] === null));
  });

  it('leaves short curves alone', () => {
    assert.deepEqual(thin([1, 2, 3, 4], [[1, 2, 3, 4]], 300), [0, 1, 2, 3]);
    assert.deepEqual(thin([5, 5, 5], [[1, 2, 3]], 1), [0, 1, 2]);
  });
});

describe('the run model', () => {
  const events = syntheticRun();

  it('gives the same picture whatever the batches the events came in', () => {
    const whole = picture(model(events));
    for (const batch of [1, 7, 50, 333]) assert.deepEqual(picture(model(events, batch)), whole, `batches of ${batch}`);
  });

  it('ignores events it already has (a replay overlapping what came live)', () => {
    const m = model(events);
    const before = picture(m);
    const changes = apply(m, [...events.slice(10, 40), ...events.slice(-5)]);
    assert.equal(changes.applied, 0);
    assert.deepEqual(picture(m), before);
  });

  it('puts each stage after the one before on the step axis', () => {
    const m = model(events);
    const base = m.series.get('geneval/overall')!;
    const loss = m.series.get('grpo/loss_generation')!;
    assert.ok(Math.min(...loss.x) > Math.max(...base.x.filter((_, i) => base.stage[i] === 0)));
    const final = base.x.filter((_, i) => base.stage[i] === 2);
    assert.ok(Math.min(...final) > Math.max(...loss.x));
    for (const s of m.series.values()) for (let i = 1; i < s.x.length; i++) assert.ok(s.x[i]! >= s.x[i - 1]!, `${s.key} x goes back`);
  });

  it('groups the samples of a step by prompt (a GRPO group side by side)', () => {
    const m = model(events);
    const sampleEvents = events.filter((e) => e.type === 'sample');
    assert.equal(m.sampleCount, sampleEvents.length);
    for (const step of m.steps) {
      const groups = groupsOf(step);
      assert.equal(groups.reduce((n, g) => n + g.samples.length, 0), step.samples.length);
      for (const g of groups) for (const s of g.samples) assert.equal(s.prompt, g.prompt);
    }
    assert.ok(m.steps.some((s) => groupsOf(s)[0]!.samples.length === 4));
  });

  it('ties each GenEval result to what came before it: the base, then the trained checkpoint', () => {
    const m = model(events);
    assert.equal(m.results.length, 2);
    assert.equal(m.results[0]!.after, null);
    const lastCheckpoint = events.filter((e) => e.type === 'checkpoint').at(-1)!;
    assert.deepEqual(m.results[1]!.after, { stage: 1, kind: 'grpo', step: (lastCheckpoint as { step: number }).step });
  });

  it('follows state and progress, and keeps the last log lines only', () => {
    const logs = stamp(Array.from({ length: MAX_LOG_LINES + 50 }, (_, i): RunEventBody => ({ type: 'log', level: 'info', message: `line ${i}` })));
    const m = model([...events, ...stamp(logs, events.length + 1)]);
    assert.equal(m.state, 'completed');
    assert.equal(m.progress?.stage, 2);
    assert.equal(m.logs.length, MAX_LOG_LINES);
    assert.equal(m.logs.at(-1)!.message, `line ${MAX_LOG_LINES + 49}`);
  });

  it('on a rewind drops what the resume supersedes, then takes the new points', () => {
    const bodies: RunEventBody[] = [];
    for (let step = 1; step <= 50; step++) {
      bodies.push({ type: 'metric', stage: 0, step, values: { 'train/loss': 1 / step } });
      if (step % 10 === 0) bodies.push({ type: 'sample', stage: 0, step, prompt: 'p', image: { path: 'x.png', pngBase64: '' } });
      if (step % 25 === 0) bodies.push({ type: 'checkpoint', stage: 0, step, path: `c${step}` });
    }
    bodies.push({ type: 'rewind', stage: 0, step: 25 });
    for (let step = 26; step <= 30; step++) bodies.push({ type: 'metric', stage: 0, step, values: { 'train/loss': 2 } });
    const m = emptyModel('run');
    const changes = apply(m, stamp(bodies));
    assert.ok(changes.rewound);
    const s = m.series.get('train/loss')!;
    assert.deepEqual(s.step, Array.from({ length: 30 }, (_, i) => i + 1));
    assert.deepEqual(s.y.slice(25), [2, 2, 2, 2, 2]);
    assert.deepEqual(m.steps.map((x) => x.step), [10, 20]);
    assert.deepEqual(m.checkpoints.map((c) => c.step), [25]);
  });

  it('holds 10,000 points and 500 samples, and a batch reports only what it added', () => {
    const run = longRun(10_000, 500);
    const m = emptyModel('run');
    const half = Math.floor(run.length / 2);
    apply(m, run.slice(0, half));
    const changes = apply(m, run.slice(half));
    assert.equal(changes.applied, run.length - half);
    assert.deepEqual([...changes.metrics].sort(), ['train/loss', 'train/lr']);
    assert.ok(changes.sampleSteps.size > 0 && changes.sampleSteps.size < 500);
    assert.equal(m.series.get('train/loss')!.y.length, 10_000);
    assert.equal(m.sampleCount, 500);
    assert.equal(m.steps.length, 500);
    // A batch of nothing new changes nothing.
    const again = apply(m, run.slice(half));
    assert.deepEqual({ ...again, metrics: [...again.metrics], sampleSteps: [...again.sampleSteps] }, { ...noChanges(), metrics: [], sampleSteps: [] });
  });
});

describe('charts', () => {
  it('puts every metric in exactly one chart, related ones together', () => {
    const keys = ['grpo/loss_generation', 'grpo/loss_understanding', 'grpo/reward', 'grpo/reward_std', 'grpo/kl', 'grpo/clip_ratio', 'grpo/grounding_gap', 'grpo/judge_auc', 'geneval/overall', 'geneval/two_object', 'grpo/step_time', 'grpo/tokens_per_sec', 'train/loss', 'sft/rewards/detector/mean', 'sft/rewards/detector/accepted_mean', 'sft/accepted', 'custom/thing'];
    const layout = layoutCharts(keys);
    assert.deepEqual(layout.flatMap((c) => c.keys).sort(), [...keys].sort());
    const chartOf = (k: string): string => layout.find((c) => c.keys.includes(k))!.id;
    assert.equal(chartOf('grpo/loss_generation'), chartOf('train/loss'));
    assert.equal(chartOf('grpo/reward'), chartOf('grpo/reward_std'));
    assert.equal(chartOf('grpo/judge_auc'), chartOf('grpo/grounding_gap'));
    // SFT's detector share of the images it kept sits beside that of all its images.
    assert.equal(chartOf('sft/rewards/detector/accepted_mean'), chartOf('sft/rewards/detector/mean'));
    assert.equal(chartOf('sft/accepted'), chartOf('grpo/reward'));
    assert.notEqual(chartOf('geneval/overall'), chartOf('geneval/two_object'));
    assert.equal(chartOf('custom/thing'), 'key:custom/thing');
    // Charts come in the table's order, the unmatched after.
    const order = CHARTS.map((c) => c.id);
    const ids = layout.map((c) => c.id).filter((id) => order.includes(id));
    assert.deepEqual(ids, [...ids].sort((p, q) => order.indexOf(p) - order.indexOf(q)));
    assert.equal(layout.at(-1)!.id, 'key:custom/thing');
  });

  it('draws 10,000 points as a few per pixel, smoothed over all of them, with the true min, max and last', () => {
    const m = model(longRun(10_000, 500));
    const data = chartData(m, ['train/loss'], { smoothing: 0.9, xAxis: 'step', buckets: 300 });
    assert.equal(data.total, 10_000);
    assert.ok(data.drawn <= 2 + 300 * 3 * 2 && data.drawn < 2000, `${data.drawn} drawn`);
    const [x, raw, smoothed] = data.columns;
    assert.equal(raw!.length, x.length);
    assert.equal(smoothed!.length, x.length);
    const y = m.series.get('train/loss')!.y as number[];
    assert.equal(data.stats[0]!.max, Math.max(...y));
    assert.equal(data.stats[0]!.min, Math.min(...y));
    assert.equal(data.stats[0]!.last, y.at(-1));
    assert.equal(smoothed!.at(-1), smooth(y, 0.9).at(-1), 'smoothing runs on every point, before thinning');
    assert.ok(raw!.includes(Math.max(...y)));
  });

  it('aligns series with different steps onto one x column, and knows when a log scale fits', () => {
    const events = stamp([
      { type: 'metric', stage: 0, step: 1, values: { 'a/loss': 1 } },
      { type: 'metric', stage: 0, step: 2, values: { 'a/loss': 0.5, 'a/loss_generation': 0 } },
      { type: 'metric', stage: 0, step: 3, values: { 'a/loss_generation': 0.2 } },
    ]);
    const data = chartData(model(events), ['a/loss', 'a/loss_generation'], { smoothing: 0, xAxis: 'step', buckets: 100 });
    assert.deepEqual(data.columns, [
      [1, 2, 3],
      [1, 0.5, undefined],
      [1, 0.5, undefined],
      [undefined, 0, 0.2],
      [undefined, 0, 0.2],
    ]);
    assert.deepEqual(
      data.stats.map((s) => s.positive),
      [true, false],
    );
    const byTime = chartData(model(events), ['a/loss'], { smoothing: 0, xAxis: 'time', buckets: 100 });
    assert.deepEqual(byTime.columns[0], [0, 0.25]);
  });
});

describe('view settings', () => {
  it('reads back what it stored, and defaults for anything else', () => {
    const stored = { ...DEFAULT_SETTINGS, runId: 'r', smoothing: 0.9, logScale: true, xAxis: 'time' as const, followSamples: false, sampleStep: '1:5', compareBase: 3, compareWith: 9, closed: ['log'] };
    assert.deepEqual(readSettings(JSON.parse(JSON.stringify(stored))), stored);
    for (const junk of [undefined, null, 42, 'x', [], { smoothing: 'a', xAxis: 'days', closed: [1, 'log'], runId: 5 }]) {
      const s = readSettings(junk);
      assert.equal(s.xAxis, 'step');
      assert.equal(s.runId, null);
      assert.equal(s.smoothing, DEFAULT_SETTINGS.smoothing);
      assert.ok(s.closed.every((c) => typeof c === 'string'));
    }
    assert.equal(readSettings({ smoothing: 1 }).smoothing, MAX_SMOOTHING);
  });
});

describe('GenEval imbalance', () => {
  it('names the best and the worst tag and the spread between them', () => {
    const spread = tagSpread({
      overall: 0.5,
      tags: { a: { correct: 9, total: 10, score: 0.9 }, b: { correct: 2, total: 10, score: 0.2 }, c: { correct: 0, total: 0, score: null } },
      totalImages: 20,
      totalPrompts: 5,
      correctImages: 11,
      correctPrompts: 2,
    });
    assert.equal(spread?.best, 'a');
    assert.equal(spread?.worst, 'b');
    assert.ok(Math.abs(spread.spread - 0.7) < 1e-12);
  });
});
