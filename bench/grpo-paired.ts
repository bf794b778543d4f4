/**
 * Two GRPO sweep runs compared step by step. Runs of one seed from one base draw the same prompts
 * at every step (the draws and the sampler's noise use the seed's generator the same way whatever
 * the weights), so the difference of a per-step metric is paired: the prompts' difficulty, which
 * moves the training reward by more than any setting does over a few steps, cancels.
 *
 *   npx tsx bench/grpo-paired.ts A.json B.json [--metric grpo/rewards/detector/mean] [--window 100]
 *
 * Prints, per window of steps, A's and B's mean, and the mean of B - A with its standard error over
 * the window's steps; then the same over every step both ran.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { metric: { type: 'string', default: 'grpo/rewards/detector/mean' }, window: { type: 'string', default: '100' } },
});
if (positionals.length !== 2) throw new Error('usage: grpo-paired.ts A.json B.json [--metric NAME] [--window STEPS]');
const window = Number(values.window);
if (!(Number.isInteger(window) && window > 0)) throw new Error(`--window must be a positive integer, got "${values.window}"`);

interface Result {
  name: string;
  sha256: string;
  seed: number;
  metrics: Record<string, number | null>[];
}
const [a, b] = positionals.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Result) as [Result, Result];
if (a.seed !== b.seed || a.sha256 !== b.sha256) {
  process.stderr.write(`warning: ${a.name} and ${b.name} differ in seed or base: their prompts are not the same, the pairing means nothing\n`);
}

const value = (r: Result, step: number): number | undefined => {
  const x = r.metrics.find((m) => m['step'] === step)?.[values.metric];
  return typeof x === 'number' ? x : undefined;
};
const steps = a.metrics.map((m) => m['step']).filter((s): s is number => typeof s === 'number' && value(a, s) !== undefined && value(b, s) !== undefined);
if (steps.length === 0) throw new Error(`no step has ${values.metric} in both runs`);

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const se = (xs: number[]): number => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1) / xs.length);
const row = (label: string, chosen: number[]): string => {
  const xa = chosen.map((s) => value(a, s)!);
  const xb = chosen.map((s) => value(b, s)!);
  const d = chosen.map((_, i) => xb[i]! - xa[i]!);
  const spread = d.length > 1 ? ` ± ${se(d).toFixed(3)}` : '';
  return `| ${label} | ${chosen.length} | ${mean(xa).toFixed(3)} | ${mean(xb).toFixed(3)} | ${(mean(d) >= 0 ? '+' : '') + mean(d).toFixed(3)}${spread} |\n`;
};

process.stdout.write(`${values.metric}: A = ${a.name} (seed ${a.seed}), B = ${b.name} (seed ${b.seed})\n\n`);
process.stdout.write('| steps | n | A | B | B - A (paired, ± standard error) |\n|---|---|---|---|---|\n');
const last = steps[steps.length - 1]!;
for (let start = 0; start <= last; start += window) {
  const chosen = steps.filter((s) => s > start && s <= start + window);
  if (chosen.length) process.stdout.write(row(`${start + 1}-${Math.min(start + window, last)}`, chosen));
}
process.stdout.write(row('all', steps));
