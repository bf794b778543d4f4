/**
 * A Node client of the daemon (the CLI, tests, benchmarks). The extension has its own, over the
 * same protocol module. Requests are typed by schemas/protocol.ts.
 */
import WebSocket from 'ws';
import {
  PROTOCOL_VERSION,
  type InitializeResult,
  type JsonRpcError,
  type NotificationMap,
  type NotificationMethod,
  type ParamsOf,
  type RequestMethod,
  type ResultOf,
} from '../../schemas/protocol';
import type { ConnectionInfo } from './connection-file';

export class ClientError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export interface ConnectOptions {
  host: string;
  port: number;
  token?: string;
  /** Extra upgrade headers (tests send an Origin to see it refused). */
  headers?: Record<string, string>;
}

type Listener = (params: never) => void;

export class DaemonClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Every message received that is not a reply to a pending request (raw replies included). */
  private readonly rawListeners = new Set<(message: Record<string, unknown>) => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => this.onMessage(data.toString('utf8')));
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('connection closed'));
      this.pending.clear();
    });
  }

  /** Opens a connection; rejects with an error whose `status` is the HTTP status of a refused upgrade. */
  static connect(options: ConnectOptions): Promise<DaemonClient> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers['Authorization'] = `Bearer ${options.token}`;
    const socket = new WebSocket(`ws://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`, { headers, perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new DaemonClient(socket)));
      socket.once('unexpected-response', (_req, res) => {
        const err = Object.assign(new Error(`daemon refused the connection: HTTP ${res.statusCode}`), { status: res.statusCode });
        socket.terminate();
        reject(err);
      });
      socket.once('error', reject);
    });
  }

  /** Connects with a connection file's details and performs the handshake. */
  static async open(info: Pick<ConnectionInfo, 'host' | 'port' | 'token'>, clientName = 'unirl-cli'): Promise<{ client: DaemonClient; init: InitializeResult }> {
    const client = await DaemonClient.connect(info);
    const init = await client.request('initialize', { protocolVersion: PROTOCOL_VERSION, client: { name: clientName, version: '1' } });
    return { client, init };
  }

  request<M extends RequestMethod>(method: M, params?: ParamsOf<M>): Promise<ResultOf<M>> {
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.send(JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }));
    });
  }

  on<M extends NotificationMethod>(method: M, listener: (params: NotificationMap[M]) => void): () => void {
    let set = this.listeners.get(method);
    if (!set) this.listeners.set(method, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Sends text as it is (for fuzzing) and sees every unsolicited message. */
  sendRaw(text: string | Buffer): void {
    this.socket.send(text);
  }
  onRaw(listener: (message: Record<string, unknown>) => void): () => void {
    this.rawListeners.add(listener);
    return () => this.rawListeners.delete(listener);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }

  private onMessage(text: string): void {
    const message = JSON.parse(text) as Record<string, unknown>;
    const id = message['id'];
    if (typeof id === 'number' && this.pending.has(id)) {
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      const error = message['error'] as JsonRpcError | undefined;
      if (error) p.reject(new ClientError(error.code, error.message, error.data));
      else p.resolve(message['result']);
      return;
    }
    for (const listener of this.rawListeners) listener(message);
    const method = message['method'];
    if (typeof method === 'string') for (const listener of this.listeners.get(method) ?? []) listener(message['params'] as never);
  }
}
