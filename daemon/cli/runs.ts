import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { RunSummary } from '../../schemas/protocol';
import { listRunFolders, RunFolder } from '../runs';
import { DaemonClient, processAlive, readConnectionFile } from '../server';
import type { Command } from './command';

function table(runs: RunSummary[]): string {
  if (runs.length === 0) return 'no runs';
  const rows = runs.map((r) => [r.id, r.state, r.stages.map((s) => s.kind).join('+'), r.total > 0 ? `${r.step}/${r.total}` : '-', r.error ?? '']);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length), ['ID', 'STATE', 'STAGES', 'STEP'][i]!.length));
  const fmt = (row: string[]): string => row.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join('  ').trimEnd();
  return [fmt(['ID', 'STATE', 'STAGES', 'STEP', 'ERROR']), ...rows.map(fmt)].join('\n');
}

export const runsCommand: Command = {
  name: 'runs',
  summary: 'list runs (from the running daemon, or from a runs folder)',
  help: `unirl runs [--runs DIR] [--json]

Lists runs, newest first: from the daemon named by $UNIRL_HOME/daemon.json when one is running,
else from the runs folder (--runs, default ./runs) read directly.
  --runs DIR   read this runs folder instead of asking the daemon
  --json       one JSON array of run summaries`,
  async run(args) {
    const { values } = parseArgs({ args, options: { runs: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
    let runs: RunSummary[];
    const info = values.runs === undefined ? readConnectionFile() : undefined;
    if (info && processAlive(info.pid)) {
      const { client } = await DaemonClient.open(info);
      runs = (await client.request('runs/list')).runs;
      await client.close();
    } else {
      const dir = path.resolve(values.runs ?? 'runs');
      // Read-only: a folder of another process is never repaired or changed from here.
      runs = listRunFolders(dir)
        .map((d) => RunFolder.open(d, { readOnly: true }).summary())
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    }
    process.stdout.write(values.json ? `${JSON.stringify(runs)}\n` : `${table(runs)}\n`);
    return 0;
  },
};
