/**
 * GenEval against GRPO steps, as an SVG, from result files of bench/grpo-sweep.ts: one line per run
 * and evaluation set (solid: held-out quick set, dashed: training-split quick set), and dotted
 * horizontal lines at the base's scores with other evaluation seeds when score files are given.
 *
 *   npx tsx bench/grpo-sweep-plot.ts --out docs/grpo-curves.svg runs/grpo-sweep/old-s1.json ... \
 *     [--base runs/grpo-sweep/score-ar-base-evalseed1.json ...] [--label 'name of the first run' ...] \
 *     [--understanding] [--until STEP]
 * --understanding adds the held-out quick set's understanding (dotted); --until draws steps 0-STEP only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultGrpo } from '../daemon/train';

interface Curve {
  step: number;
  [set: string]: number | { overall: number };
}

const { values, positionals } = parseArgs({
  options: { out: { type: 'string', default: 'grpo-curves.svg' }, understanding: { type: 'boolean', default: false }, until: { type: 'string' }, base: { type: 'string', multiple: true, default: [] }, label: { type: 'string', multiple: true, default: [] } },
  allowPositionals: true,
});

// Each series: the curve entry it reads, the value in it, its legend, its dash. Understanding (on the
// held-out quick set's truth scenes) is drawn with --understanding.
const SETS: readonly (readonly [string, 'overall' | 'understanding', string, string])[] = [
  ['quick', 'overall', 'held-out', ''],
  ['train-quick', 'overall', 'training split', '6 4'],
  ...(values.understanding ? ([['quick', 'understanding', 'understanding', '2 3']] as const) : []),
];
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];
const [W, H, L, R, T, B] = [840, 420, 56, 310, 20, 44];

// A run is named by its --label (in the order of the files), or else by its method or reward and
// what else it changed from the stage's defaults.
const runs = positionals.map((file, i) => {
  const r = JSON.parse(readFileSync(file, 'utf8')) as { seed: number; paradigm: 'masked' | 'autoregressive'; method?: string; config: { reward?: string }; changes: Record<string, unknown>; curve: Curve[] };
  // --until STEP draws each curve up to that step (runs continued since a figure was drawn).
  if (values.until !== undefined) r.curve = r.curve.filter((c) => c.step <= Number(values.until));
  const given = values.label[i];
  if (given !== undefined) return { label: given, curve: r.curve };
  const defaults = defaultGrpo(r.paradigm) as unknown as Record<string, unknown>;
  const changed = Object.entries(r.changes).filter(([k, v]) => k !== 'reward' && defaults[k] !== v).map(([k, v]) => `${k} ${String(v)}`);
  return { label: [r.method === 'sft' ? 'UniRL-SFT' : `${r.config.reward} reward`, ...changed, `seed ${r.seed}`].join(', '), curve: r.curve };
});
const bases = values.base.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
type Scores = { overall: number; understanding?: { overall: number } };
const valueOf = (entry: unknown, what: 'overall' | 'understanding'): number | undefined => {
  const scores = entry as Scores | undefined;
  return what === 'overall' ? scores?.overall : scores?.understanding?.overall;
};

const maxStep = Math.max(...runs.flatMap((r) => r.curve.map((c) => c.step)));
const ys = [...runs.flatMap((r) => r.curve.flatMap((c) => SETS.map(([s, what]) => valueOf(c[s], what)))), ...bases.flatMap((b) => SETS.map(([s, what]) => valueOf(b[s], what)))].filter((y): y is number => y !== undefined);
const [yLo, yHi] = [Math.floor(Math.min(...ys) * 20) / 20, Math.ceil(Math.max(...ys) * 20) / 20];
const x = (step: number): number => L + ((W - L - R) * step) / maxStep;
const y = (v: number): number => T + ((H - T - B) * (yHi - v)) / (yHi - yLo);

const parts: string[] = [];
for (let v = yLo; v <= yHi + 1e-9; v += 0.05) {
  parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(2)}</text>`);
}
// At most about a dozen step labels.
const tick = [50, 100, 250, 500, 1000, 2500].find((t) => maxStep / t <= 12) ?? 5000;
for (let s = 0; s <= maxStep; s += tick) parts.push(`<text x="${x(s)}" y="${H - B + 16}" text-anchor="middle">${s}</text>`);
parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">GRPO steps</text>`);
parts.push(`<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${values.understanding ? 'GenEval (overall); understanding (dotted)' : 'GenEval (overall)'}</text>`);
for (const b of bases) {
  for (const [set, what, , dash] of SETS) {
    const v = valueOf(b[set], what);
    if (v !== undefined) parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#888" stroke-dasharray="${dash ? '1 5' : '1 3'}"/>`);
  }
}
let legendRows = 0;
runs.forEach((run, i) => {
  const colour = COLOURS[i % COLOURS.length]!;
  SETS.forEach(([set, what, name, dash]) => {
    const points = run.curve.filter((c) => valueOf(c[set], what) !== undefined).map((c) => `${x(c.step).toFixed(1)},${y(valueOf(c[set], what)!).toFixed(1)}`);
    if (points.length < 1) return;
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${points.join(' ')}"/>`);
    const legendY = T + 14 + legendRows++ * 16;
    parts.push(`<line x1="${W - R + 10}" x2="${W - R + 34}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${colour}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''}/><text x="${W - R + 40}" y="${legendY}">${run.label}, ${name}</text>`);
  });
});
if (bases.length) parts.push(`<text x="${W - R + 10}" y="${H - B}">dotted: the base, other eval seeds</text>`);

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11"><rect width="${W}" height="${H}" fill="white"/>${parts.join('')}</svg>\n`;
writeFileSync(values.out, svg);
process.stderr.write(`${basename(values.out)}: ${runs.length} runs, steps 0-${maxStep}, GenEval ${yLo}-${yHi}\n`);
