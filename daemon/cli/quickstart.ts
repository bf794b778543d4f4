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
    const results: { stage: number; result: GenevalResult }[] = [];
    const metrics: Record<string, number | null>[] = [];
    const started = Date.now();
    const final = await runSpecFile(spec, {
      runsDir: values.runs ?? 'runs',
      json: false,
      onEvent: (e: RunEvent) => {
        if (e.type === 'result') results.push({ stage: e.stage, result: e.result });
        if (e.type === 'metric' && 'grpo/reward' in e.values) metrics.push(e.values);
      },
    });
    if (results.length > 0) process.stdout.write(`\n${beforeAfterTable(results.map((r) => r.result))}\n`);
    if (metrics.length > 0) {
      const first = metrics[0]!;
      const last = metrics[metrics.length - 1]!;
      const f = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v.toFixed(3));
      process.stdout.write(
        `GRPO over ${metrics.length} logged steps: self reward ${f(first['grpo/reward'])} -> ${f(last['grpo/reward'])}, ` +
          `grounding gap (own verdict vs detector) ${f(first['grpo/grounding_gap'])} -> ${f(last['grpo/grounding_gap'])}\n`,
      );
    }
    process.stdout.write(`${final.state} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    return exitCodeOf(final.state);
  },
};

/** GenEval per tag, first result against last (one column per result when there are more). */
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
