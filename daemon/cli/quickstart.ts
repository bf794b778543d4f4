import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { GenevalResult, RunEvent } from '../../schemas/protocol';
import { packageRoot } from '../util/paths';
import type { Command } from './command';
import { exitCodeOf, runSpecFile } from './run';

export const QUICKSTART_SPEC = 'examples/quickstart.unirl.json';

export const quickstartCommand: Command = {
  name: 'quickstart',
  summary: 'the main job on the built-in default: UniRL-GRPO from the masked base, GenEval before and after',
  help: `unirl quickstart [--runs DIR] [--spec FILE]

Runs ${QUICKSTART_SPEC}: GenEval of the committed masked base (models/shapes-masked-base) on the
60-prompt quick set (held-out compositional prompts, 4 images each), a short UniRL-GRPO with the
model's own answers as the reward (no external images), and GenEval again; then prints the
before/after table and the reward and grounding gap at the start and end of GRPO.
  --runs DIR   the runs folder (default ./runs)
  --spec FILE  another spec with GenEval stages to compare (default the quickstart spec)`,
  async run(args) {
    const { values } = parseArgs({ args, options: { runs: { type: 'string' }, spec: { type: 'string' } }, strict: true });
    const spec = values.spec ?? join(packageRoot(), QUICKSTART_SPEC);
    if (!existsSync(spec)) throw new Error(`${spec}: no such spec file`);
    const results: GenevalResult[] = [];
    const metrics: Record<string, number | null>[] = [];
    const started = Date.now();
    const final = await runSpecFile(spec, {
      runsDir: values.runs ?? 'runs',
      json: false,
      onEvent: (e: RunEvent) => {
        if (e.type === 'result') results.push(e.result);
        if (e.type === 'metric' && 'grpo/reward' in e.values) metrics.push(e.values);
      },
    });
    if (results.length > 0) process.stdout.write(`\n${beforeAfterTable(results)}\n`);
    if (metrics.length > 0) {
      // One step's reward is one or two groups: compare the means of the first and last quarter.
      const k = Math.max(1, Math.floor(metrics.length / 4));
      const meanOf = (rows: typeof metrics, key: string): string => {
        const v = rows.map((r) => r[key]).filter((x): x is number => typeof x === 'number');
        return v.length === 0 ? '-' : (v.reduce((a, b) => a + b, 0) / v.length).toFixed(3);
      };
      const [head, tail] = [metrics.slice(0, k), metrics.slice(-k)];
      process.stdout.write(
        `GRPO, mean of the first ${k} steps -> the last ${k}: self reward ${meanOf(head, 'grpo/reward')} -> ${meanOf(tail, 'grpo/reward')}, ` +
          `detector reward ${meanOf(head, 'grpo/rewards/detector/mean')} -> ${meanOf(tail, 'grpo/rewards/detector/mean')}, ` +
          `grounding gap ${meanOf(head, 'grpo/grounding_gap')} -> ${meanOf(tail, 'grpo/grounding_gap')}\n`,
      );
    }
    process.stdout.write(`${final.state} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    return exitCodeOf(final.state);
  },
};

/** GenEval per tag, the first result (before) against the last (after). */
export function beforeAfterTable(results: readonly GenevalResult[]): string {
  const first = results[0]!;
  const last = results[results.length - 1]!;
  const tags = Object.keys(first.tags);
  const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x.toFixed(3)).padStart(8);
  const change = (a: number | null | undefined, b: number | null | undefined): string =>
    (a === null || a === undefined || b === null || b === undefined ? '-' : `${b - a >= 0 ? '+' : ''}${(b - a).toFixed(3)}`).padStart(8);
  const lines = [`${'GenEval'.padEnd(16)}${'before'.padStart(8)}${'after'.padStart(8)}${'change'.padStart(8)}`];
  for (const tag of tags) lines.push(`${tag.padEnd(16)}${pct(first.tags[tag]?.score)}${pct(last.tags[tag]?.score)}${change(first.tags[tag]?.score, last.tags[tag]?.score)}`);
  lines.push(`${'overall'.padEnd(16)}${pct(first.overall)}${pct(last.overall)}${change(first.overall, last.overall)}`);
  return lines.join('\n');
}
