/**
 * Finding, starting and connecting to a daemon process, without VS Code (unit-tested against the
 * real bundle). daemon.ts adds the lifecycle: state, restarts, the status it reports.
 *
 * One daemon serves one UNIRL_HOME (its connection file is HOME/daemon.json) and one workspace
 * folder (spec paths may not leave it). A window reuses the daemon in the user's home when that
 * daemon's workspace holds this window's folder; otherwise it uses a home of its own for its folder
 * (HOME/workspaces/HASH), so two projects never fight over one daemon.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROTOCOL_VERSION, type InitializeResult } from '../schemas/protocol';
import { DaemonClient } from '../daemon/server/client';
import { processAlive, readConnectionFile, type ConnectionInfo } from '../daemon/server/connection-file';

export type Found =
  | { kind: 'none' }
  | { kind: 'usable'; info: ConnectionInfo }
  /** A live daemon that cannot serve this folder: another workspace, or another protocol. */
  | { kind: 'unusable'; info: ConnectionInfo; why: string };

/** The daemon described by HOME's connection file, if its process is alive. */
export function findDaemon(home: string, workspaceRoot: string): Found {
  const info = readConnectionFile(home);
  if (!info || typeof info.pid !== 'number' || !processAlive(info.pid)) return { kind: 'none' };
  if (info.protocolVersion !== PROTOCOL_VERSION) {
    return { kind: 'unusable', info, why: `it speaks protocol ${info.protocolVersion}, this extension ${PROTOCOL_VERSION}` };
  }
  if (typeof info.workspaceRoot !== 'string' || !contains(info.workspaceRoot, workspaceRoot)) {
    return { kind: 'unusable', info, why: `it serves another folder (${String(info.workspaceRoot)})` };
  }
  return { kind: 'usable', info };
}

/** Whether `inner` is `outer` or inside it. (daemon/spec has the same test; importing it would bundle the validator.) */
function contains(outer: string, inner: string): boolean {
  const rel = path.relative(path.resolve(outer), path.resolve(inner));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The home a window uses for its folder when the user's home holds a daemon it cannot use. */
export function workspaceHome(home: string, workspaceRoot: string): string {
  const hash = createHash('sha256').update(path.resolve(workspaceRoot)).digest('hex').slice(0, 16);
  return path.join(home, 'workspaces', hash);
}

export interface SpawnOptions {
  /** A Node.js executable, or VS Code's own runtime (then `electronAsNode`). */
  runtime: string;
  electronAsNode: boolean;
  /** dist/unirl.js */
  bundle: string;
  home: string;
  workspaceRoot: string;
  runsDir: string;
  port: number;
  /** Extra environment (UNIRL_BACKEND, UNIRL_DEBUG). */
  env: Record<string, string>;
  /** How long to wait for the start line. */
  timeoutMs?: number;
}

export interface Spawned {
  child: ChildProcess;
  info: ConnectionInfo;
  /** The daemon's stderr goes here (a file, not a pipe: the daemon may outlive this process). */
  logFile: string;
  /** Where this daemon's output starts in the log file. */
  logOffset: number;
}

export class SpawnError extends Error {
  constructor(
    message: string,
    /** The daemon refused because another daemon holds the home (a race with another window). */
    readonly homeTaken: boolean,
  ) {
    super(message);
  }
}

const MAX_LOG_BYTES = 1 << 20;

/** Starts `unirl daemon` detached and resolves with its start line (the connection details). */
export function spawnDaemon(options: SpawnOptions): Promise<Spawned> {
  fs.mkdirSync(options.home, { recursive: true, mode: 0o700 });
  const logFile = path.join(options.home, 'daemon.log');
  rotate(logFile);
  const logFd = fs.openSync(logFile, 'a', 0o600);
  const logOffset = fs.fstatSync(logFd).size;
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, UNIRL_HOME: options.home };
  if (options.electronAsNode) env['ELECTRON_RUN_AS_NODE'] = '1';
  const args = [options.bundle, 'daemon', '--workspace', options.workspaceRoot, '--runs', options.runsDir, '--port', String(options.port)];
  let child: ChildProcess;
  try {
    // Detached: a daemon with a run going outlives the window that started it.
    child = spawn(options.runtime, args, { cwd: options.workspaceRoot, env, detached: true, stdio: ['ignore', 'pipe', logFd], windowsHide: true });
  } finally {
    fs.closeSync(logFd);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise<Spawned>((resolve, reject) => {
    let buffered = '';
    const fail = (message: string): void => {
      cleanup();
      const log = readLogTail(logFile, logOffset);
      reject(new SpawnError(`${message}${log ? `:\n${log}` : ''}`, /already running/.test(log)));
    };
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline < 0) {
        if (buffered.length > 64 * 1024) fail('the daemon printed no start line');
        return;
      }
      let info: ConnectionInfo;
      try {
        info = startLine(buffered.slice(0, newline));
      } catch (err) {
        child.kill();
        fail((err as Error).message);
        return;
      }
      cleanup();
      resolve({ child, info, logFile, logOffset });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`the daemon exited (${signal ?? `code ${String(code)}`}) before it was ready`);
    const onError = (err: Error): void => fail(`cannot start ${options.runtime}: ${err.message}`);
    const timer = setTimeout(() => {
      child.kill();
      fail(`the daemon did not start within ${timeoutMs / 1000} s`);
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function startLine(line: string): ConnectionInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`the daemon's start line is not JSON: ${line.slice(0, 200)}`);
  }
  const info = parsed as Partial<ConnectionInfo> & { event?: unknown };
  if (info.event !== 'listening' || typeof info.port !== 'number' || typeof info.token !== 'string' || typeof info.host !== 'string') {
    throw new Error(`unexpected start line from the daemon: ${line.slice(0, 200)}`);
  }
  return info as ConnectionInfo;
}

/** Keeps one previous log; a log never grows past MAX_LOG_BYTES at a start. */
function rotate(file: string): void {
  try {
    if (fs.statSync(file).size > MAX_LOG_BYTES) fs.renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
}

export function readLogTail(file: string, from: number, maxBytes = 4096): string {
  try {
    const size = fs.statSync(file).size;
    const start = Math.max(from, size - maxBytes);
    if (size <= start) return '';
    const buffer = Buffer.alloc(size - start);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, buffer, 0, buffer.length, start);
    } finally {
      fs.closeSync(fd);
    }
    return buffer.toString('utf8').trim();
  } catch {
    return '';
  }
}

export async function connect(info: Pick<ConnectionInfo, 'host' | 'port' | 'token'>, clientName: string): Promise<{ client: DaemonClient; init: InitializeResult }> {
  return DaemonClient.open(info, clientName);
}
