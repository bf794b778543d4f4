/**
 * Which metrics share a chart, and the data a chart draws: smoothed on every point, then thinned
 * to what its width can show. Free of the DOM and of uPlot, so tests run it on plain data.
 */
import type { RunModel, Series } from './state';
import { smooth } from './smoothing';
import { thin, pick } from './thinning';

export interface ChartDef {
  id: string;
  title: string;
  /** Metric keys this chart draws; the first chart that matches a key takes it. */
  match: (key: string) => boolean;
  /** Fractions and scores: the y axis always shows 0 to 1 (widened if a value falls outside). */
  unit?: boolean;
}

/** The charts in the order they show; keys that none matches get a chart each, after these. */
export const CHARTS: readonly ChartDef[] = [
  { id: 'loss', title: 'Loss per task', match: (k) => /(^|\/)loss(_[a-z]+)?$/.test(k) },
  { id: 'reward', title: 'Reward: mean and std', match: (k) => /\/(reward|reward_std|understanding_reward|accepted)$|\/rewards\/[^/]+\/([a-z_]+_)?(mean|std)$/.test(k), unit: true },
  { id: 'kl', title: 'KL to the reference', match: (k) => /\/kl$/.test(k) },
  { id: 'clip', title: 'Clip ratio', match: (k) => /clip_ratio/.test(k), unit: true },
  // The self judge's health: how often its verdict disagrees with the detector's, and how well it
  // ranks a group's images (0.5 is chance); a self-rewarded run is only as good as these.
  { id: 'judge', title: 'Judge: grounding gap and within-group AUC (vs detector)', match: (k) => /(grounding_gap|judge_auc)$/.test(k), unit: true },
  { id: 'geneval', title: 'GenEval overall', match: (k) => k === 'geneval/overall' || k.startsWith('geneval/correct_'), unit: true },
  { id: 'geneval-tags', title: 'GenEval per tag', match: (k) => k.startsWith('geneval/') && !k.endsWith('_per_second'), unit: true },
  { id: 'time', title: 'Step time (s)', match: (k) => /(step_time|sampling_time)$/.test(k) },
  { id: 'throughput', title: 'Throughput', match: (k) => /(_per_sec|_per_second)$/.test(k) },
];

export interface ChartLayout {
  id: string;
  title: string;
  keys: string[];
  unit: boolean;
}

export function layoutCharts(keys: Iterable<string>, defs: readonly ChartDef[] = CHARTS): ChartLayout[] {
  const byDef = new Map<string, string[]>();
  const rest: string[] = [];
  for (const key of keys) {
    const def = defs.find((d) => d.match(key));
    if (def) byDef.set(def.id, [...(byDef.get(def.id) ?? []), key]);
    else rest.push(key);
  }
  const out: ChartLayout[] = [];
  for (const d of defs) {
    const k = byDef.get(d.id);
    if (k) out.push({ id: d.id, title: d.title, keys: k.sort(), unit: d.unit === true });
  }
  for (const key of rest.sort()) out.push({ id: `key:${key}`, title: key, keys: [key], unit: false });
  return out;
}

export type XAxis = 'step' | 'time';

export interface ChartOptions {
  smoothing: number;
  xAxis: XAxis;
  /** About one per pixel of the chart's width. */
  buckets: number;
}

export interface SeriesStats {
  key: string;
  last: number | null;
  min: number | null;
  max: number | null;
  /** Every value is positive (or null): a log scale can show the whole series. */
  positive: boolean;
}

export interface ChartData {
  /** x, then for each key its raw values and its smoothed values (undefined where it has no point at that x). */
  columns: [number[], ...(number | null | undefined)[][]];
  stats: SeriesStats[];
  /** Points before thinning, and drawn. */
  total: number;
  drawn: number;
}

function statsOf(s: Series): SeriesStats {
  let min: number | null = null;
  let max: number | null = null;
  let last: number | null = null;
  let positive = true;
  for (const v of s.y) {
    if (v === null) continue;
    if (min === null || v < min) min = v;
    if (max === null || v > max) max = v;
    if (v <= 0) positive = false;
    last = v;
  }
  return { key: s.key, last, min, max, positive };
}

/** Aligns series with their own x onto one x column (uPlot wants one), filling with undefined. */
function align(xs: readonly (readonly number[])[], ys: readonly (readonly (number | null)[])[][]): [number[], ...(number | null | undefined)[][]] {
  if (xs.length === 1) return [[...xs[0]!], ...ys[0]!.map((c) => [...c])];
  const union = [...new Set(xs.flat())].sort((a, b) => a - b);
  const at = new Map(union.map((x, i) => [x, i]));
  const columns: (number | null | undefined)[][] = [];
  ys.forEach((group, s) => {
    for (const y of group) {
      const out = new Array<number | null | undefined>(union.length).fill(undefined);
      xs[s]!.forEach((x, i) => (out[at.get(x)!] = y[i]));
      columns.push(out);
    }
  });
  return [union, ...columns];
}

export function chartData(model: RunModel, keys: readonly string[], options: ChartOptions): ChartData {
  const series = keys.map((k) => model.series.get(k)).filter((s): s is Series => s !== undefined);
  const xs = series.map((s) => (options.xAxis === 'step' ? s.x : s.t));
  const ys = series.map((s) => [s.y, smooth(s.y, options.smoothing)]);
  const stats = series.map(statsOf);
  if (series.length === 0) return { columns: [[]], stats, total: 0, drawn: 0 };
  const [x, ...aligned] = align(xs, ys);
  const kept = thin(x, aligned, options.buckets);
  return {
    columns: [pick(x, kept), ...aligned.map((c) => pick(c, kept))],
    stats,
    total: series.reduce((n, s) => n + s.y.length, 0),
    drawn: kept.length,
  };
}
