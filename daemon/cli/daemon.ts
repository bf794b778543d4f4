import { parseArgs } from 'node:util';
import { runDaemon } from '../server';
import { intOption } from './args';
import type { Command } from './command';
import { VERSION } from './version';

export const daemonCommand: Command = {
  name: 'daemon',
  summary: 'serve runs over a local WebSocket (the VS Code extension starts it)',
  help: `unirl daemon [--port N] [--host H --allow-remote] [--workspace DIR] [--runs DIR] [--no-resume]

Starts the training daemon: a WebSocket server (JSON-RPC 2.0, see docs/protocol.md) that queues
and runs specs one at a time and streams their events. It writes the connection file
$UNIRL_HOME/daemon.json (default ~/.unirl; mode 0600: port, token, pid, version) and prints the
same as one JSON line on stdout. Runs that were running when a daemon died resume on start.
  --port N          port to listen on (default 0: any free port)
  --host H          address to bind (default 127.0.0.1); anything but loopback needs --allow-remote
  --allow-remote    allow a non-loopback --host (prints a warning; the token is then all that protects it)
  --workspace DIR   spec paths in requests resolve inside DIR and may not leave it (default: .)
  --runs DIR        the runs folder (default WORKSPACE/runs)
  --no-resume       leave interrupted runs interrupted at start
  --max-payload N   largest inbound message in bytes (default 1048576)`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'allow-remote': { type: 'boolean' },
        workspace: { type: 'string' },
        runs: { type: 'string' },
        'no-resume': { type: 'boolean' },
        'max-payload': { type: 'string' },
      },
      strict: true,
    });
    const daemon = await runDaemon({
      host: values.host ?? '127.0.0.1',
      port: intOption(values.port, 'port', 0, 0, 65535),
      allowRemote: values['allow-remote'] ?? false,
      workspaceRoot: values.workspace ?? process.cwd(),
      ...(values.runs !== undefined ? { runsDir: values.runs } : {}),
      resumeOnStart: !values['no-resume'],
      maxPayloadBytes: intOption(values['max-payload'], 'max-payload', 1 << 20, 1024, 256 << 20),
      version: VERSION,
      out: (line) => process.stdout.write(`${line}\n`),
      warn: (line) => process.stderr.write(`${line}\n`),
    });
    const stop = (): void => void daemon.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await daemon.stopped;
    return 0;
  },
};
