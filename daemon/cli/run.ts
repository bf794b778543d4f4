import { readTextFile } from '../util/fsx';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { RunEngine } from '../runs';
import { RunError } from '../runs';
import type { RunEvent, RunSummary } from '../../schemas/protocol';
import { UsageError, type Command } from './command';
import { progressView } from './progress';

export const runCommand: Command = {
  name: 'run',
  summary: 'run a spec in this process (no daemon), with a progress bar',
  help: `unirl run SPEC [--runs DIR] [--json]

Validates SPEC, then runs its stages here with the same engine the daemon uses, into a run folder
under --runs (default ./runs). On a terminal a progress bar with rate and ETA (shown after the
first ~10 steps); otherwise plain lines. Ctrl-C cancels (the run can be resumed later by the
daemon). Exit code 0 when the run completes, 1 when it fails, 130 when cancelled.
  --runs DIR   the runs folder (default ./runs)
  --json       print every event as one JSON line instead`,
  async run(args) {
    const { values, positionals } = parseArgs({ args, options: { runs: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw new UsageError('give exactly one spec file');
    const final = await runSpecFile(positionals[0]!, { runsDir: values.runs ?? 'runs', json: values.json ?? false });
    return exitCodeOf(final.state);
  },
};

export const exitCodeOf = (state: RunSummary['state']): number => (state === 'completed' ? 0 : state === 'cancelled' ? 130 : 1);

/**
 * Runs a spec file here with the daemon's engine: validated first (problems listed with their
 * pointers), a progress bar or JSON lines on the way, Ctrl-C cancels. `onEvent` sees every event.
 */
export async function runSpecFile(
  specPath: string,
  options: { runsDir: string; json: boolean; onEvent?: (e: RunEvent) => void; specText?: string },
): Promise<RunSummary & { dir: string }> {
  const file = path.resolve(specPath);
  // specText: a variant of the file's spec (paths in it still resolve from the file's folder).
  const text = options.specText ?? readTextFile(file, specPath);
  const engine = new RunEngine({ runsDir: path.resolve(options.runsDir), resumeOnStart: false });
  engine.start();
  let run;
  try {
    run = engine.submit(text, path.dirname(file));
  } catch (err) {
    if (err instanceof RunError && Array.isArray((err.data as { problems?: unknown } | undefined)?.problems)) {
      const problems = (err.data as { problems: { pointer: string; message: string; severity: string }[] }).problems;
      for (const p of problems) process.stderr.write(`${specPath}: ${p.severity}: ${p.pointer || '/'}: ${p.message}\n`);
      throw new Error('the spec has errors (see above; `unirl validate` shows their lines)', { cause: err });
    }
    throw err;
  }
  const spec = engine.get(run.id);
  const label = (i: number): string => `stage ${i} ${spec.stages[i]?.kind ?? ''}`;
  const view = progressView(process.stderr, label);
  process.stderr.write(`run ${run.id} in ${engine.dirOf(run.id)}\n`);
  // Replayed events (those before the subscription) are recorded but not drawn as progress.
  const record = (e: RunEvent): void => {
    options.onEvent?.(e);
    if (options.json) process.stdout.write(`${JSON.stringify(e)}\n`);
  };
  const { replay, unsubscribe } = engine.subscribe(run.id, 0, (e) => {
    record(e);
    if (!options.json) view.event(e);
  });
  replay.forEach(record);
  const onSignal = (): void => void engine.cancel(run.id);
  process.once('SIGINT', onSignal);
  const final = await engine.whenDone(run.id);
  process.off('SIGINT', onSignal);
  unsubscribe();
  view.done();
  await engine.stop();
  // The progress view has already printed the failed state with its reason; JSON output has not.
  if (final.state === 'failed' && options.json) process.stderr.write(`run failed: ${final.error ?? 'unknown error'}\n`);
  return { ...final, dir: engine.dirOf(run.id) };
}
