/**
 * The daemon's front door: a WebSocket server on loopback that admits only token holders without
 * an Origin, speaks JSON-RPC 2.0 (schemas/protocol.ts), and streams run events to subscribers.
 * Every inbound message is hostile until checked; a bad one gets an error reply, never a crash.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  ErrorCodes,
  PROTOCOL_VERSION,
  type JsonRpcId,
  type JsonRpcNotification,
  type NotificationMap,
  type NotificationMethod,
  type ParamsOf,
  type RequestMethod,
  type ResultOf,
  type RunEvent,
  type SubmitParams,
} from '../../schemas/protocol';
import { AVAILABLE_STAGE_KINDS, RunError, STAGE_KINDS, type RunEngine } from '../runs';
import { isInside, nodeContext, validateSpec } from '../spec';
import { checkUpgrade } from './auth';
import { paramsProblem } from './params';
import { parseInbound, RpcError } from './rpc';

export interface ServerOptions {
  engine: RunEngine;
  token: string;
  host: string;
  port: number;
  /** Spec paths in requests resolve against this folder and must stay inside it. */
  workspaceRoot: string;
  version: string;
  /** Largest inbound message; a bigger one closes the connection (code 1009). */
  maxPayloadBytes?: number;
  /** Called when a client asks the daemon to stop. */
  onShutdown?: () => void;
}

export interface ServerLimits {
  /** Above this many unsent bytes, live `sample` events are skipped for that client. */
  thinSamplesBytes: number;
  /** Above this many unsent bytes, the client is dropped. */
  dropBytes: number;
  /** A client whose backlog has not shrunk for this long is dropped. */
  stallMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = { thinSamplesBytes: 1 << 20, dropBytes: 64 << 20, stallMs: 30_000 };
export const DEFAULT_MAX_PAYLOAD = 1 << 20;
/** Editor windows, a CLI or two: far fewer than this. More is a runaway client, refused with 503. */
const MAX_CONNECTIONS = 64;
const MAX_SPEC_FILE_BYTES = 1 << 20;
const MAX_READ_FILE_BYTES = 16 << 20;

class Session {
  initialized = false;
  readonly subscriptions = new Map<string, () => void>();
  skippedSamples = 0;
  /** When the backlog last shrank (or was empty), for stall detection. */
  lastProgress = Date.now();
  lastBacklog = 0;
  afterReply: (() => void) | undefined;

  constructor(
    readonly socket: WebSocket,
    private readonly limits: ServerLimits,
  ) {}

  send(message: object): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.limits.dropBytes) {
      this.socket.terminate();
      return;
    }
    this.socket.send(JSON.stringify(message));
  }

  notify<M extends NotificationMethod>(method: M, params: NotificationMap[M]): void {
    this.send({ jsonrpc: '2.0', method, params } satisfies JsonRpcNotification<M>);
  }

  /** Live events: samples are the one kind a slow client may miss; everything else always goes. */
  sendEvent(runId: string, event: RunEvent, live: boolean): void {
    if (live && event.type === 'sample' && this.socket.bufferedAmount > this.limits.thinSamplesBytes) {
      this.skippedSamples++;
      return;
    }
    this.notify('runs/event', { runId, event });
  }

  close(): void {
    for (const off of this.subscriptions.values()) off();
    this.subscriptions.clear();
  }
}

type Handler<M extends RequestMethod> = (params: ParamsOf<M>, session: Session) => ResultOf<M> | Promise<ResultOf<M>>;

export interface DaemonServer {
  port: number;
  host: string;
  close(): Promise<void>;
  /** Connected clients (for tests and the benchmark). */
  clientCount(): number;
}

export async function startServer(options: ServerOptions, limits: ServerLimits = DEFAULT_LIMITS): Promise<DaemonServer> {
  const { engine } = options;
  const maxPayload = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD;
  const sessions = new Set<Session>();

  const specFrom = (params: SubmitParams): { spec: unknown; specDir: string } => {
    if (params.specPath === undefined) return { spec: params.spec, specDir: options.workspaceRoot };
    const file = confined(options.workspaceRoot, params.specPath);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      throw new RpcError(ErrorCodes.InvalidParams, `spec file not found: ${params.specPath}`);
    }
    if (!stat.isFile() || stat.size > MAX_SPEC_FILE_BYTES) throw new RpcError(ErrorCodes.InvalidParams, `not a spec file (or larger than 1 MiB): ${params.specPath}`);
    return { spec: fs.readFileSync(file, 'utf8'), specDir: path.dirname(file) };
  };

  const handlers: { [M in RequestMethod]: Handler<M> } = {
    initialize(params, session) {
      if (params.protocolVersion !== PROTOCOL_VERSION) {
        throw new RpcError(ErrorCodes.UnsupportedProtocol, `protocol version ${params.protocolVersion} is not supported (this daemon speaks ${PROTOCOL_VERSION})`);
      }
      session.initialized = true;
      return {
        protocolVersion: PROTOCOL_VERSION,
        daemon: { version: options.version, pid: process.pid },
        // Each run loads its backend in its own worker (spec.backend, logged by the run).
        backend: 'auto',
        capabilities: { stageKinds: STAGE_KINDS, availableStageKinds: AVAILABLE_STAGE_KINDS, maxPayloadBytes: maxPayload },
        runsDir: engine.runsDir,
      };
    },
    'daemon/ping': () => ({ time: Date.now() }),
    'daemon/shutdown': (_params, session) => {
      session.afterReply = () => options.onShutdown?.();
      return { ok: true };
    },
    'spec/validate': (params) => {
      const { spec, specDir } = specFrom(params);
      return { problems: validateSpec(spec, nodeContext(specDir, options.workspaceRoot)).problems };
    },
    'runs/submit': (params) => {
      const { spec, specDir } = specFrom(params);
      return engine.submit(spec, specDir);
    },
    'runs/list': () => ({ runs: engine.list() }),
    'runs/get': (params) => engine.get(params.runId),
    'runs/cancel': (params) => engine.cancel(params.runId),
    'runs/resume': (params) => engine.resume(params.runId),
    'runs/delete': (params, session) => {
      engine.delete(params.runId);
      session.subscriptions.get(params.runId)?.();
      session.subscriptions.delete(params.runId);
      return { ok: true };
    },
    'runs/subscribe': (params, session) => {
      const { runId } = params;
      session.subscriptions.get(runId)?.();
      let lastSent = params.afterSeq ?? 0;
      let replaying = true;
      const held: RunEvent[] = [];
      const { replay, unsubscribe } = engine.subscribe(runId, lastSent, (event) => {
        if (replaying) held.push(event);
        else if (event.seq > lastSent) {
          lastSent = event.seq;
          session.sendEvent(runId, event, true);
        }
      });
      session.subscriptions.set(runId, unsubscribe);
      const replayThrough = replay.length > 0 ? replay[replay.length - 1]!.seq : lastSent;
      // The reply goes first, then the history, then anything that arrived meanwhile, then live.
      session.afterReply = () => {
        for (const event of [...replay, ...held]) {
          if (event.seq <= lastSent) continue;
          lastSent = event.seq;
          session.sendEvent(runId, event, false);
        }
        replaying = false;
      };
      return { runId, replayThrough };
    },
    'runs/unsubscribe': (params, session) => {
      session.subscriptions.get(params.runId)?.();
      session.subscriptions.delete(params.runId);
      return { ok: true };
    },
    'runs/readFile': (params) => {
      const runDir = engine.dirOf(params.runId);
      const file = confined(runDir, params.path);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(file);
      } catch {
        throw new RpcError(ErrorCodes.InvalidParams, `no such file in the run folder: ${params.path}`);
      }
      if (!stat.isFile()) throw new RpcError(ErrorCodes.InvalidParams, `not a file: ${params.path}`);
      if (stat.size > MAX_READ_FILE_BYTES) throw new RpcError(ErrorCodes.InvalidParams, `file larger than 16 MiB: ${params.path}`);
      const bytes = fs.readFileSync(file);
      return { path: params.path, base64: bytes.toString('base64'), bytes: bytes.length };
    },
  };

  const reply = (session: Session, id: JsonRpcId | null, body: { result: unknown } | { error: { code: number; message: string; data?: unknown } }): void => {
    session.send({ jsonrpc: '2.0', id, ...body });
  };

  const onMessage = async (session: Session, data: RawData, isBinary: boolean): Promise<void> => {
    if (isBinary) {
      reply(session, null, { error: { code: ErrorCodes.InvalidRequest, message: 'binary messages are not supported: send JSON text' } });
      return;
    }
    const inbound = parseInbound(rawText(data));
    if (inbound.kind === 'notification') return;
    if (inbound.kind === 'invalid') {
      reply(session, inbound.id, { error: inbound.error });
      return;
    }
    const { id, method, params } = inbound;
    try {
      if (!session.initialized && method !== 'initialize') throw new RpcError(ErrorCodes.NotInitialized, `send "initialize" before "${method}"`);
      const problem = paramsProblem(method, params);
      if (problem !== undefined) throw new RpcError(ErrorCodes.InvalidParams, `invalid params for ${method}: ${problem}`);
      session.afterReply = undefined;
      const handler = handlers[method] as Handler<RequestMethod>;
      const result = await handler(params as never, session);
      const after = session.afterReply as (() => void) | undefined;
      session.afterReply = undefined;
      reply(session, id, { result });
      after?.();
    } catch (err) {
      if (err instanceof RpcError || err instanceof RunError) reply(session, id, { error: { code: err.code, message: err.message, ...(err.data !== undefined ? { data: err.data } : {}) } });
      else reply(session, id, { error: { code: ErrorCodes.InternalError, message: err instanceof Error ? err.message : String(err) } });
    }
  };

  const http_ = http.createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' }).end('WebSocket only\n');
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
  http_.on('upgrade', (req, socket, head) => {
    const verdict = checkUpgrade(req, options.token);
    if (!verdict.ok) {
      const text = verdict.status === 401 ? 'Unauthorized' : 'Forbidden';
      socket.end(`HTTP/1.1 ${verdict.status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${verdict.reason}\n`);
      return;
    }
    if (sessions.size >= MAX_CONNECTIONS) {
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\ntoo many connections\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new Session(ws, limits);
      sessions.add(session);
      ws.on('message', (data, isBinary) => void onMessage(session, data, isBinary));
      ws.on('close', () => {
        session.close();
        sessions.delete(session);
      });
      ws.on('error', () => ws.terminate());
    });
  });

  const offChange = engine.onChange((run, deleted) => {
    for (const s of sessions) if (s.initialized) s.notify('runs/changed', deleted ? { run, deleted } : { run });
  });

  // A client that stopped reading: its backlog never shrinks. Drop it; never let it hold the daemon.
  const stallTimer = setInterval(() => {
    const now = Date.now();
    for (const s of sessions) {
      const backlog = s.socket.bufferedAmount;
      if (backlog === 0 || backlog < s.lastBacklog) s.lastProgress = now;
      s.lastBacklog = backlog;
      if (backlog > 0 && now - s.lastProgress > limits.stallMs) s.socket.terminate();
    }
  }, Math.min(1000, limits.stallMs));
  stallTimer.unref();

  await new Promise<void>((resolve, reject) => {
    http_.once('error', reject);
    http_.listen(options.port, options.host, () => resolve());
  });
  const address = http_.address() as AddressInfo;

  return {
    port: address.port,
    host: options.host,
    clientCount: () => sessions.size,
    close: async () => {
      clearInterval(stallTimer);
      offChange();
      for (const s of sessions) s.socket.terminate();
      wss.close();
      await new Promise<void>((resolve) => http_.close(() => resolve()));
    },
  };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** Resolves `p` under `root`, refusing anything that lands outside it (`..`, absolute paths, symlinks out). */
export function confined(root: string, p: string): string {
  if (p.includes('\0')) throw new RpcError(ErrorCodes.PathNotAllowed, 'path contains a NUL byte');
  const resolved = path.resolve(root, p);
  if (!isInside(root, resolved)) throw new RpcError(ErrorCodes.PathNotAllowed, `path "${p}" leaves ${root}`);
  try {
    const real = fs.realpathSync(resolved);
    if (!isInside(fs.realpathSync(root), real)) throw new RpcError(ErrorCodes.PathNotAllowed, `path "${p}" leads outside ${root} through a link`);
    return real;
  } catch (err) {
    if (err instanceof RpcError) throw err;
    return resolved; // does not exist: the caller reports that
  }
}
