/**
 * The daemon's lifecycle as the extension sees it: attach to a running daemon or start the bundled
 * one, keep a connection, report health, restart after a crash with back-off, and on exit stop only
 * a daemon this window started and that has no run going.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import WebSocket from 'ws';
import { ErrorCodes, TERMINAL_STATES, type InitializeResult, type ParamsOf, type RequestMethod, type ResultOf } from '../schemas/protocol';
import { ClientError, type DaemonClient } from '../daemon/server/client';
import { unirlHome, type ConnectionInfo } from '../daemon/server/connection-file';
import { connect, findDaemon, spawnDaemon, SpawnError, workspaceHome, type Spawned } from './daemon-process';
import type { Log } from './log';
import type { Settings } from './manifest';

export type DaemonStatus =
  | { kind: 'stopped'; message?: string }
  | { kind: 'starting' }
  | { kind: 'running'; info: ConnectionInfo; init: InitializeResult; owned: boolean; healthy: boolean }
  | { kind: 'crashed'; message: string; retryAt: number | null };

/** An error whose message is for the user as it is (no stack, no prefix). */
export class UserError extends Error {}

const RESTART_DELAYS_MS = [1000, 2000, 4000, 8000, 16000, 30000];
/** A connection that lived this long resets the back-off. */
const STABLE_MS = 60_000;
const PING_EVERY_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

interface Connection {
  client: DaemonClient;
  init: InitializeResult;
  info: ConnectionInfo;
  home: string;
  owned?: Spawned;
  since: number;
}

export class DaemonManager implements vscode.Disposable {
  private connection: Connection | undefined;
  private connecting: Promise<Connection> | undefined;
  private status_: DaemonStatus = { kind: 'stopped' };
  private stopping = false;
  private releasing = false;
  private disposed = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private logTimer: NodeJS.Timeout | undefined;
  private readonly statusEmitter = new vscode.EventEmitter<DaemonStatus>();
  private readonly connectEmitter = new vscode.EventEmitter<DaemonClient>();
  /** Fires on every status change. */
  readonly onDidChangeStatus = this.statusEmitter.event;
  /** Fires with each new connection (after a start, an attach or a restart). */
  readonly onDidConnect = this.connectEmitter.event;

  constructor(
    private readonly extensionPath: string,
    private readonly settings: () => Settings,
    private readonly log: Log,
  ) {}

  get status(): DaemonStatus {
    return this.status_;
  }

  get client(): DaemonClient | undefined {
    return this.connection?.client;
  }

  /** The workspace folder the daemon serves (the first one), or a plain reason why there is none. */
  workspaceRoot(): string {
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
    if (!folder) throw new UserError('UniRL needs a folder open: the daemon runs the specs of a workspace folder. Open a folder first.');
    return folder.uri.fsPath;
  }

  /** Connects to a daemon that is already running, starting nothing (at activation). */
  async attach(): Promise<void> {
    if (this.connection || this.connecting || vscode.workspace.workspaceFolders === undefined) return;
    try {
      const root = this.workspaceRoot();
      for (const home of this.homes(root)) {
        const found = findDaemon(home, root);
        if (found.kind === 'usable') {
          await this.run(() => this.open(found.info, home, undefined));
          return;
        }
      }
    } catch (err) {
      this.log.warn(`could not attach to a running daemon: ${(err as Error).message}`);
    }
  }

  /** The connection for a command: attaches, or starts a daemon when unirl.daemon.autoStart allows. */
  async ensure(): Promise<DaemonClient> {
    if (this.connection) return this.connection.client;
    // A command does not wait for a scheduled restart: it connects now, and the restart is dropped.
    this.clearRestart();
    if (this.connecting) return (await this.connecting).client;
    const root = this.workspaceRoot();
    const usable = this.homes(root).some((home) => findDaemon(home, root).kind === 'usable');
    if (!usable && !this.settings().autoStart) {
      throw new UserError('The UniRL daemon is not running and unirl.daemon.autoStart is off: run "UniRL: Start Daemon" first, or turn the setting on.');
    }
    return (await this.run(() => this.connectOrSpawn(root))).client;
  }

  /** UniRL: Start Daemon. */
  async start(): Promise<{ alreadyRunning: boolean; info: ConnectionInfo }> {
    if (this.connection) return { alreadyRunning: true, info: this.connection.info };
    this.clearRestart();
    this.restarts = 0;
    const connection = await this.run(() => this.connectOrSpawn(this.workspaceRoot()));
    return { alreadyRunning: !connection.owned, info: connection.info };
  }

  /** UniRL: Stop Daemon: asks the daemon to stop (runs going are interrupted and resume at its next start). */
  async stop(): Promise<boolean> {
    this.clearRestart();
    const connection = this.connection;
    if (!connection) {
      this.setStatus({ kind: 'stopped' });
      return false;
    }
    this.stopping = true;
    try {
      await this.shutdown(connection);
    } finally {
      this.stopping = false;
    }
    this.setStatus({ kind: 'stopped', message: 'stopped on request' });
    return true;
  }

  /** A request with a timeout: a daemon that stops answering never leaves a command hanging. */
  async request<M extends RequestMethod>(method: M, params?: ParamsOf<M>): Promise<ResultOf<M>> {
    const client = await this.ensure();
    if (client.socket.readyState !== WebSocket.OPEN) throw new UserError('The connection to the UniRL daemon is closed; it is being restarted. Try again in a moment.');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UserError(`The UniRL daemon did not answer ${method} within ${REQUEST_TIMEOUT_MS / 1000} s.`)), REQUEST_TIMEOUT_MS);
    });
    try {
      return await Promise.race([client.request(method, params), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Extension exit: stop the daemon this window started if no run is going; leave any other running. */
  async release(): Promise<void> {
    this.disposed = true;
    this.clearRestart();
    const connection = this.connection;
    if (!connection) return;
    this.releasing = true;
    this.stopping = true;
    try {
      if (connection.owned && !(await this.hasActiveRuns(connection))) {
        this.log.info('stopping the daemon this window started (no run is going)');
        await this.shutdown(connection);
        return;
      }
      if (connection.owned) this.log.info('leaving the daemon running: a run is going');
      connection.owned?.child.unref();
      connection.owned?.child.stdout?.destroy();
      await connection.client.close();
    } catch (err) {
      this.log.warn(`releasing the daemon: ${(err as Error).message}`);
    } finally {
      this.drop();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.clearRestart();
    // VS Code disposes the subscriptions right after calling deactivate(), without waiting for it:
    // a release under way finishes the connection itself.
    if (this.connection && !this.releasing) {
      this.connection.owned?.child.unref();
      this.connection.client.socket.terminate();
      this.drop();
    }
    this.statusEmitter.dispose();
    this.connectEmitter.dispose();
  }

  // -------------------------------------------------------------------------------------------

  private homes(root: string): string[] {
    const home = unirlHome();
    return [home, workspaceHome(home, root)];
  }

  /** One connection attempt at a time; its outcome sets the status. */
  private async run(attempt: () => Promise<Connection>): Promise<Connection> {
    if (this.connection) return this.connection;
    if (this.connecting) return this.connecting;
    this.setStatus({ kind: 'starting' });
    this.connecting = attempt();
    try {
      const connection = await this.connecting;
      this.adopt(connection);
      return connection;
    } catch (err) {
      this.setStatus({ kind: 'stopped', message: (err as Error).message });
      throw err;
    } finally {
      this.connecting = undefined;
    }
  }

  private async connectOrSpawn(root: string): Promise<Connection> {
    const [shared, own] = this.homes(root) as [string, string];
    const found = findDaemon(shared, root);
    if (found.kind === 'usable') return this.open(found.info, shared, undefined);
    const mine = findDaemon(own, root);
    if (mine.kind === 'usable') return this.open(mine.info, own, undefined);
    if (found.kind === 'unusable') this.log.info(`the daemon in ${shared} cannot serve ${root}: ${found.why}; using ${own}`);
    const home = found.kind === 'none' ? shared : own;
    for (let attempt = 0; ; attempt++) {
      try {
        const spawned = await spawnDaemon(this.spawnOptions(home, root));
        this.log.info(`started the daemon: pid ${spawned.info.pid}, port ${spawned.info.port}, home ${home}, log ${spawned.logFile}`);
        try {
          return await this.open(spawned.info, home, spawned);
        } catch (err) {
          spawned.child.kill();
          throw err;
        }
      } catch (err) {
        // Another window started one between our look and our start: use it.
        if (err instanceof SpawnError && err.homeTaken && attempt === 0) {
          const now = findDaemon(home, root);
          if (now.kind === 'usable') return this.open(now.info, home, undefined);
        }
        throw new UserError(`The UniRL daemon could not start: ${(err as Error).message}`);
      }
    }
  }

  private spawnOptions(home: string, root: string): Parameters<typeof spawnDaemon>[0] {
    const s = this.settings();
    const env: Record<string, string> = {};
    if (s.backend !== 'auto') env['UNIRL_BACKEND'] = s.backend;
    if (s.logLevel === 'debug') env['UNIRL_DEBUG'] = '1';
    const bundle = path.join(this.extensionPath, 'dist', 'unirl.js');
    if (!fs.existsSync(bundle)) throw new UserError(`The daemon bundle is missing (${bundle}): the extension is not built.`);
    return {
      runtime: s.nodePath !== '' ? s.nodePath : process.execPath,
      electronAsNode: s.nodePath === '',
      bundle,
      home,
      workspaceRoot: root,
      runsDir: path.resolve(root, s.runsFolder),
      port: s.port,
      env,
    };
  }

  private async open(info: ConnectionInfo, home: string, owned: Spawned | undefined): Promise<Connection> {
    const { client, init } = await connect(info, 'unirl-vscode');
    return { client, init, info, home, ...(owned ? { owned } : {}), since: Date.now() };
  }

  private adopt(connection: Connection): void {
    this.connection = connection;
    const { client, init, info } = connection;
    this.log.info(`connected to the daemon ${init.daemon.version} (pid ${init.daemon.pid}, port ${info.port}, runs in ${init.runsDir})${connection.owned ? '' : ' started by another window or the CLI'}`);
    client.socket.once('close', () => this.onClosed(connection));
    connection.owned?.child.once('exit', (code, signal) => {
      const how = signal ?? `code ${String(code)}`;
      if (this.stopping) this.log.info(`the daemon exited (${how})`);
      else this.log.error(`the daemon exited unexpectedly (${how})`);
    });
    if (connection.owned) this.followLog(connection.owned);
    this.pingTimer = setInterval(() => void this.ping(connection), PING_EVERY_MS);
    this.setStatus({ kind: 'running', info, init, owned: connection.owned !== undefined, healthy: true });
    this.connectEmitter.fire(client);
  }

  private async ping(connection: Connection): Promise<void> {
    if (this.connection !== connection || this.status_.kind !== 'running') return;
    let healthy = true;
    try {
      await Promise.race([connection.client.request('daemon/ping'), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000))]);
    } catch {
      healthy = false;
    }
    if (this.connection === connection && this.status_.kind === 'running' && this.status_.healthy !== healthy) {
      if (healthy) this.log.info('the daemon answers again');
      else this.log.warn('the daemon did not answer a ping within 5 s');
      this.setStatus({ ...this.status_, healthy });
    }
  }

  private onClosed(connection: Connection): void {
    if (this.connection !== connection) return;
    this.drop();
    if (this.stopping || this.disposed) return;
    if (Date.now() - connection.since > STABLE_MS) this.restarts = 0;
    const message = 'the connection to the daemon was lost (the daemon stopped or crashed)';
    this.log.error(message);
    this.scheduleRestart(connection.owned !== undefined, message);
  }

  private scheduleRestart(owned: boolean, message: string): void {
    if (this.stopping || this.disposed) return;
    if (!this.settings().autoStart && !owned) {
      this.setStatus({ kind: 'crashed', message: `${message}; unirl.daemon.autoStart is off, so it is not restarted`, retryAt: null });
      void vscode.window.showErrorMessage(`UniRL: ${message}. Auto-start is off: run "UniRL: Start Daemon" to start it again.`);
      return;
    }
    const delay = RESTART_DELAYS_MS[Math.min(this.restarts, RESTART_DELAYS_MS.length - 1)]!;
    this.restarts++;
    this.log.info(`restarting the daemon in ${delay / 1000} s (attempt ${this.restarts})`);
    this.setStatus({ kind: 'crashed', message, retryAt: Date.now() + delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.run(() => this.connectOrSpawn(this.workspaceRoot())).catch((err: unknown) => {
        const why = `restart failed: ${(err as Error).message}`;
        this.log.error(why);
        // A failed restart is another crash: back off further.
        this.scheduleRestart(owned, why);
      });
    }, delay);
  }

  /** Shows what the daemon writes to its log file in the output channel, as it comes. */
  private followLog(owned: Spawned): void {
    let offset = owned.logOffset;
    clearInterval(this.logTimer);
    this.logTimer = setInterval(() => {
      try {
        const size = fs.statSync(owned.logFile).size;
        if (size <= offset) return;
        const fd = fs.openSync(owned.logFile, 'r');
        try {
          const buffer = Buffer.alloc(Math.min(size - offset, 1 << 20));
          fs.readSync(fd, buffer, 0, buffer.length, offset);
          offset += buffer.length;
          this.log.raw(buffer.toString('utf8'));
        } finally {
          fs.closeSync(fd);
        }
      } catch {
        // the log was rotated or removed: nothing to show
      }
    }, 1000);
  }

  private async hasActiveRuns(connection: Connection): Promise<boolean> {
    try {
      const { runs } = await connection.client.request('runs/list');
      return runs.some((r) => !TERMINAL_STATES.includes(r.state) && r.state !== 'interrupted');
    } catch {
      return false;
    }
  }

  private async shutdown(connection: Connection): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      if (connection.client.socket.readyState === WebSocket.CLOSED) resolve();
      else connection.client.socket.once('close', () => resolve());
    });
    const exited = connection.owned
      ? new Promise<void>((resolve) => {
          const child: ChildProcess = connection.owned!.child;
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once('exit', () => resolve());
        })
      : closed;
    try {
      await connection.client.request('daemon/shutdown');
    } catch (err) {
      if (!(err instanceof ClientError && err.code === ErrorCodes.MethodNotFound)) this.log.warn(`daemon/shutdown: ${(err as Error).message}`);
    }
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000));
    if ((await Promise.race([Promise.all([closed, exited]), timeout])) === 'timeout') {
      this.log.warn('the daemon did not stop within 10 s; terminating it');
      connection.owned?.child.kill('SIGTERM');
      connection.client.socket.terminate();
    }
    this.drop();
  }

  private drop(): void {
    clearInterval(this.pingTimer);
    clearInterval(this.logTimer);
    this.pingTimer = undefined;
    this.logTimer = undefined;
    this.connection = undefined;
  }

  private clearRestart(): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private setStatus(status: DaemonStatus): void {
    this.status_ = status;
    if (!this.disposed) this.statusEmitter.fire(status);
  }
}
