/**
 * The connection file: how a local client (the extension, the CLI) finds the daemon and proves it
 * may talk to it. Readable only by the user (0600) in the user's UniRL home (0700).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/fsx';

export interface ConnectionInfo {
  port: number;
  host: string;
  token: string;
  pid: number;
  version: string;
  protocolVersion: number;
  runsDir: string;
  workspaceRoot: string;
  startedAt: string;
}

/** UNIRL_HOME, else ~/.unirl. */
export function unirlHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = env['UNIRL_HOME'];
  return home !== undefined && home !== '' ? path.resolve(home) : path.join(os.homedir(), '.unirl');
}

export function connectionFilePath(home = unirlHome()): string {
  return path.join(home, 'daemon.json');
}

export function writeConnectionFile(info: ConnectionInfo, home = unirlHome()): string {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = connectionFilePath(home);
  writeFileAtomic(file, `${JSON.stringify(info, null, 2)}\n`, 0o600);
  fs.chmodSync(file, 0o600);
  return file;
}

export function readConnectionFile(home = unirlHome()): ConnectionInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(connectionFilePath(home), 'utf8')) as ConnectionInfo;
  } catch {
    return undefined;
  }
}

/** Removes the file only if it still describes this process (a newer daemon may have replaced it). */
export function removeConnectionFile(pid: number, home = unirlHome()): void {
  if (readConnectionFile(home)?.pid === pid) fs.rmSync(connectionFilePath(home), { force: true });
}

export { processAlive } from '../util/process';
