/**
 * `unirl daemon`: the engine plus the server in one process, found through the connection file.
 * Stops cleanly on SIGINT/SIGTERM or `daemon/shutdown` (a running run becomes interrupted and
 * resumes at the next start); a SIGKILL loses nothing either, the run folders are the truth.
 */
import * as path from 'node:path';
import { PROTOCOL_VERSION } from '../../schemas/protocol';
import { RunEngine } from '../runs';
import { newToken, isLoopback } from './auth';
import { processAlive, readConnectionFile, removeConnectionFile, unirlHome, writeConnectionFile, type ConnectionInfo } from './connection-file';
import { DEFAULT_MAX_PAYLOAD, startServer } from './server';

export interface DaemonOptions {
  host: string;
  port: number;
  /** Required for a host other than loopback: the daemon then listens beyond this machine. */
  allowRemote: boolean;
  workspaceRoot: string;
  runsDir?: string;
  home?: string;
  resumeOnStart: boolean;
  maxPayloadBytes?: number;
  version: string;
  /** Where the one JSON start line goes (stdout) and warnings (stderr). */
  out: (line: string) => void;
  warn: (line: string) => void;
}

export interface RunningDaemon {
  info: ConnectionInfo;
  /** Resolves when the daemon has stopped. */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

export async function runDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  if (!isLoopback(options.host)) {
    if (!options.allowRemote) {
      throw new Error(`refusing to listen on ${options.host}: only loopback is allowed without --allow-remote`);
    }
    options.warn(
      `WARNING: listening on ${options.host}: anyone who can reach this address and holds the token can run code-heavy jobs and read run folders`,
    );
  }
  const home = options.home ?? unirlHome();
  const existing = readConnectionFile(home);
  if (existing && existing.pid !== process.pid && processAlive(existing.pid)) {
    throw new Error(`a daemon is already running for ${home} (pid ${existing.pid}, port ${existing.port}); stop it or set UNIRL_HOME`);
  }
  const workspaceRoot = path.resolve(options.workspaceRoot);
  const runsDir = path.resolve(options.runsDir ?? path.join(workspaceRoot, 'runs'));
  const engine = new RunEngine({ runsDir, workspaceRoot, resumeOnStart: options.resumeOnStart });
  const token = newToken();

  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await server.close();
      await engine.stop();
      removeConnectionFile(process.pid, home);
      resolveStopped();
    })();
    return stopping;
  };

  const server = await startServer({
    engine,
    token,
    host: options.host,
    port: options.port,
    workspaceRoot,
    version: options.version,
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD,
    onShutdown: () => void stop(),
  });
  // Runs resume only once clients can connect and watch them.
  try {
    engine.start();
  } catch (err) {
    await server.close();
    throw err;
  }
  const info: ConnectionInfo = {
    port: server.port,
    host: server.host,
    token,
    pid: process.pid,
    version: options.version,
    protocolVersion: PROTOCOL_VERSION,
    runsDir,
    workspaceRoot,
    startedAt: new Date().toISOString(),
  };
  const file = writeConnectionFile(info, home);
  options.out(JSON.stringify({ event: 'listening', ...info, connectionFile: file }));
  return { info, stopped, stop };
}
