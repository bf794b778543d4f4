/**
 * The sweep's table: one markdown row per result file of bench/grpo-sweep.ts (default: every
 * runs/grpo-sweep/*.json but the base caches and --score files), with the settings changed, the base's sha256, the
 * training reward over the first and last fifth of steps, the share of all-equal groups, the
 * last fifth's KL, and GenEval at each measured step.
 *
 *   npx tsx bench/grpo-sweep-report.ts [FILE.json ...]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Result {
  name: string;
  sha256: string;
  seed: number;
  changes: Record<string, unknown>;
  curve: ({ step: number } & Record<string, { overall: number } | number>)[];
  metrics: Record<string, number | null>[];
}

const dir = 'runs/grpo-sweep';
const files = process.argv.length > 2 ? process.argv.slice(2) : readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('base-') && !f.startsWith('score-')).map((f) => join(dir, f));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const fifth = (r: Result, key: string, last: boolean): string => {
  const n = Math.max(1, Math.floor(r.metrics.length / 5));
  const rows = last ? r.metrics.slice(-n) : r.metrics.slice(0, n);
  const xs = rows.map((m) => m[key]).filter((x): x is number => typeof x === 'number');
  return xs.length ? mean(xs).toFixed(3) : '-';
};

process.stdout.write('| run | seed | changes | base | steps | reward, first → last fifth | frac_reward_zero_std | kl (last fifth) | GenEval quick (held-out) by step | GenEval train-quick by step |\n|---|---|---|---|---|---|---|---|---|---|\n');
for (const file of files) {
  const r = JSON.parse(readFileSync(file, 'utf8')) as Result;
  const curve = (set: string): string =>
    r.curve
      .filter((c) => typeof c[set] === 'object')
      .map((c) => `${c.step}: ${(c[set] as { overall: number }).overall.toFixed(3)}`)
      .join(', ');
  const changes = Object.entries(r.changes).map(([k, v]) => `${k}=${String(v)}`).join(' ') || '-';
  process.stdout.write(
    `| ${r.name} | ${r.seed} | ${changes} | ${r.sha256.slice(0, 12)} | ${r.metrics.length} | ${fifth(r, 'grpo/reward', false)} → ${fifth(r, 'grpo/reward', true)} | ${fifth(r, 'grpo/frac_reward_zero_std', false)} → ${fifth(r, 'grpo/frac_reward_zero_std', true)} | ${fifth(r, 'grpo/kl', true)} | ${curve('quick')} | ${curve('train-quick')} |\n`,
  );
}
