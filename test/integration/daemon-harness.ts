/** Starts a real daemon process (the built bin/unirl.js) and talks to it over a real WebSocket. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunEvent } from '../../schemas/protocol';
import { DaemonClient } from '../../daemon/server';

const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'unirl.js');

export interface StartedDaemon {
  child: ChildProcess;
  port: number;
  token: string;
  home: string;
  workspace: string;
  stderr: () => string;
}

/**
 * How long a test waits for something before calling it hung. Only a guard against a hang, never
 * a measure of speed: a loaded machine may be many times slower than an idle one, and a test must
 * pass on both (slowness is for the benchmarks).
 */
export const HANG_GUARD_MS = 10 * 60_000;

/** Spawns `unirl daemon` and resolves with the port and token from its start line. */
export function startDaemon(home: string, workspace: string, extraArgs: string[] = []): Promise<StartedDaemon> {
  const child = spawn(process.execPath, [BIN, 'daemon', '--workspace', workspace, ...extraArgs], {
    env: { ...process.env, UNIRL_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      const line = JSON.parse(out.slice(0, nl)) as { port: number; token: string };
      resolve({ child, port: line.port, token: line.token, home, workspace, stderr: () => err });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code} before listening: ${err}`)));
  });
}

export async function stopDaemon(d: StartedDaemon, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  const exited = new Promise((resolve) => d.child.once('exit', resolve));
  d.child.kill(signal);
  await exited;
}

export async function connect(d: StartedDaemon): Promise<DaemonClient> {
  return (await DaemonClient.open({ host: '127.0.0.1', port: d.port, token: d.token }, 'test')).client;
}

/** Every `runs/event` of one run that a client receives, with a way to wait for a condition. */
export class EventLog {
  readonly events: RunEvent[] = [];
  private waiters: { pred: (e: RunEvent[]) => boolean; resolve: () => void }[] = [];

  constructor(client: DaemonClient, readonly runId: string) {
    client.on('runs/event', ({ runId, event }) => {
      if (runId !== this.runId) return;
      this.events.push(event);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(this.events)) return true;
        w.resolve();
        return false;
      });
    });
  }

  waitFor(pred: (events: RunEvent[]) => boolean, what = 'condition', timeoutMs = HANG_GUARD_MS): Promise<void> {
    if (pred(this.events)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; last events: ${JSON.stringify(this.events.slice(-3)).slice(0, 600)}`)), timeoutMs);
      this.waiters.push({ pred, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  waitForState(state: string): Promise<void> {
    return this.waitFor((es) => es.some((e) => e.type === 'state' && e.state === state), `state ${state}`);
  }

  lastCheckpoint(): number {
    const cps = this.events.filter((e) => e.type === 'checkpoint');
    return cps.length ? (cps[cps.length - 1] as Extract<RunEvent, { type: 'checkpoint' }>).step : 0;
  }
}

/** A GenEval-truth spec over the world's evaluation prompts (553 prompts x 4 images). */
export function truthSpec(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, stages: [{ kind: 'geneval', generator: 'truth', checkpointEvery: 25, samplesEvery: 20, ...extra }] };
}

export function readJsonLines<T>(file: string): T[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Asserts seqs run 1..n (or from..n) without gaps or duplicates. */
export function seqs(events: RunEvent[]): number[] {
  return events.map((e) => e.seq);
}
