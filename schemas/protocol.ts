/**
 * The daemon protocol: every JSON-RPC 2.0 method and notification that the daemon, the extension,
 * the webview and the CLI exchange, typed, namespaced by area, each with its direction.
 *
 * This module is compiled into every side that talks, so it holds types and plain data only
 * (no Node, no VS Code, no ajv). docs/protocol.md describes the same methods for people; a test
 * (test/unit/protocol.test.ts) fails when one changes without the other.
 *
 * Transport: one WebSocket to 127.0.0.1, the connection file's token in `Authorization: Bearer`
 * on the upgrade request, no `Origin` header. One JSON-RPC message per WebSocket text frame.
 */

/** Bumped on every change a peer must know about; `initialize` refuses a different major. */
export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Runs and their events (the data that flows from a stage to every client)

export type RunState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';
/** States a run never leaves by itself (resume moves cancelled/failed/interrupted back to queued). */
export const TERMINAL_STATES: readonly RunState[] = ['completed', 'failed', 'cancelled'];

export type StageKind = 'pretrain' | 'sft' | 'grpo' | 'geneval' | 'sample';

/** Metric values by slash-namespaced key (`geneval/overall`, `grpo/reward_mean`); never NaN: null instead. */
export type MetricValues = Record<string, number | null>;

export interface GenevalTagScore {
  correct: number;
  total: number;
  /** correct / total, or null when the tag has no images. */
  score: number | null;
}

export interface GenevalResult {
  overall: number | null;
  tags: Record<string, GenevalTagScore>;
  totalImages: number;
  totalPrompts: number;
  correctImages: number;
  correctPrompts: number;
}

/** What a stage emits; the run engine adds `seq` and `time` and appends it to the run's event log. */
export type RunEventBody =
  /** The run's state changed (queued, running, terminal...). */
  | { type: 'state'; state: RunState; reason?: string }
  /** A stage started or finished. */
  | { type: 'stage'; stage: number; kind: StageKind; status: 'started' | 'finished' }
  /** Step counter of the current stage; `etaSeconds` stays null for the first ~10 steps after a (re)start. */
  | { type: 'progress'; stage: number; step: number; total: number; etaSeconds: number | null; stepsPerSecond: number | null; phase?: string }
  /** Scalars at a step; also appended to metrics.jsonl. */
  | { type: 'metric'; stage: number; step: number; values: MetricValues }
  /** A generated image with its prompt (and, in UniRL stages, the model's answer, reward and advantage). */
  | {
      type: 'sample';
      stage: number;
      step: number;
      prompt: string;
      /** Path of the PNG inside the run folder, and the PNG itself in base64. */
      image: { path: string; pngBase64: string };
      answer?: string;
      reward?: number;
      advantage?: number;
    }
  /** A checkpoint was saved; a resume continues from the latest one. */
  | { type: 'checkpoint'; stage: number; step: number; path: string }
  /** A resume restarted the stage from this checkpoint step: points after `step` of this stage are superseded. */
  | { type: 'rewind'; stage: number; step: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  /** A GenEval evaluation finished; `path` is its folder in the official layout inside the run folder. */
  | { type: 'result'; stage: number; kind: 'geneval'; path: string; result: GenevalResult };

export type RunEventType = RunEventBody['type'];

export const RUN_EVENT_TYPES = ['state', 'stage', 'progress', 'metric', 'sample', 'checkpoint', 'rewind', 'log', 'result'] as const satisfies readonly RunEventType[];
const _allEventTypesListed: Exclude<RunEventType, (typeof RUN_EVENT_TYPES)[number]> extends never ? true : never = true;
void _allEventTypesListed;

/** An event as stored and sent: numbered from 1 per run, with no gaps. */
export type RunEvent = RunEventBody & { seq: number; time: string };

export interface RunSummary {
  id: string;
  name: string;
  state: RunState;
  createdAt: string;
  updatedAt: string;
  stages: { kind: StageKind }[];
  /** Index of the stage running or last run; -1 before the first. */
  stage: number;
  step: number;
  total: number;
  /** Sequence number of the last event in the run's log. */
  lastSeq: number;
  lastCheckpoint: { stage: number; step: number } | null;
  error: string | null;
}

/** One problem found in a run spec; `pointer` is a JSON pointer (RFC 6901) into the spec. */
export interface SpecProblem {
  pointer: string;
  message: string;
  severity: 'error' | 'warning';
}

// ---------------------------------------------------------------------------------------------
// Requests: client -> daemon, each answered with a result or an error.

export interface InitializeParams {
  protocolVersion: number;
  client: { name: string; version: string };
}
export interface InitializeResult {
  protocolVersion: number;
  daemon: { version: string; pid: number };
  /** The default backend choice ("auto"); each run loads its own, as its spec says, and logs it. */
  backend: string;
  capabilities: { stageKinds: StageKind[]; availableStageKinds: StageKind[]; maxPayloadBytes: number };
  runsDir: string;
}

export interface RunIdParams {
  runId: string;
}

export interface SubmitParams {
  /** The spec object, or a path (relative to the workspace root, confined to it) of a *.unirl.json file. */
  spec?: unknown;
  specPath?: string;
}

export interface SubscribeParams {
  runId: string;
  /** Replay events with seq > afterSeq (0, the default, replays the whole history). */
  afterSeq?: number;
}
export interface SubscribeResult {
  runId: string;
  /** Events up to this seq are replayed from disk, then live events follow, in order, without gaps. */
  replayThrough: number;
}

export interface ReadFileParams {
  runId: string;
  /** A path inside the run folder, e.g. `samples/s0-000010-0.png`. */
  path: string;
}

export interface RequestMap {
  /** client -> daemon, first message of every connection: version handshake and capabilities. */
  initialize: { params: InitializeParams; result: InitializeResult };
  /** client -> daemon: liveness and latency probe. */
  'daemon/ping': { params: Record<string, never> | undefined; result: { time: number } };
  /** client -> daemon: stop the daemon after answering (running runs become interrupted and resume at next start). */
  'daemon/shutdown': { params: Record<string, never> | undefined; result: { ok: true } };
  /** client -> daemon: validate a spec without running it. */
  'spec/validate': { params: SubmitParams; result: { problems: SpecProblem[] } };
  /** client -> daemon: validate, store and queue a run. Invalid specs are refused with code InvalidSpec. */
  'runs/submit': { params: SubmitParams; result: RunSummary };
  /** client -> daemon: every run in the runs folder, newest first. */
  'runs/list': { params: Record<string, never> | undefined; result: { runs: RunSummary[] } };
  /** client -> daemon: one run. */
  'runs/get': { params: RunIdParams; result: RunSummary };
  /** client -> daemon: cancel a queued or running run; it reaches `cancelled` within 2 s. */
  'runs/cancel': { params: RunIdParams; result: RunSummary };
  /** client -> daemon: queue a cancelled, failed or interrupted run again; it continues from its last checkpoint. */
  'runs/resume': { params: RunIdParams; result: RunSummary };
  /** client -> daemon: delete a run that is not queued or running, with its folder. */
  'runs/delete': { params: RunIdParams; result: { ok: true } };
  /** client -> daemon: replay a run's events from disk, then stream them live (`runs/event`). */
  'runs/subscribe': { params: SubscribeParams; result: SubscribeResult };
  /** client -> daemon: stop streaming a run's events. */
  'runs/unsubscribe': { params: RunIdParams; result: { ok: true } };
  /** client -> daemon: a file of a run folder (sample, result, summary), base64; paths outside the run folder are refused. */
  'runs/readFile': { params: ReadFileParams; result: { path: string; base64: string; bytes: number } };
}

// ---------------------------------------------------------------------------------------------
// Notifications: daemon -> client, never answered.

export interface NotificationMap {
  /** daemon -> client: one event of a subscribed run, in seq order. Slow clients may miss `sample` events, never others. */
  'runs/event': { runId: string; event: RunEvent };
  /** daemon -> client (every initialized client): a run was created, changed state or was deleted. */
  'runs/changed': { run: RunSummary; deleted?: boolean };
}

export type RequestMethod = keyof RequestMap;
export type NotificationMethod = keyof NotificationMap;
export type ParamsOf<M extends RequestMethod> = RequestMap[M]['params'];
export type ResultOf<M extends RequestMethod> = RequestMap[M]['result'];

/** Runtime lists of the names above (the docs test and the server's dispatch table check against them). */
export const REQUEST_METHODS = [
  'initialize',
  'daemon/ping',
  'daemon/shutdown',
  'spec/validate',
  'runs/submit',
  'runs/list',
  'runs/get',
  'runs/cancel',
  'runs/resume',
  'runs/delete',
  'runs/subscribe',
  'runs/unsubscribe',
  'runs/readFile',
] as const satisfies readonly RequestMethod[];
export const NOTIFICATION_METHODS = ['runs/event', 'runs/changed'] as const satisfies readonly NotificationMethod[];

// Compile-time check that the runtime lists name every method of the maps.
type Missing<All, Listed> = Exclude<All, Listed>;
const _allRequestsListed: Missing<RequestMethod, (typeof REQUEST_METHODS)[number]> extends never ? true : never = true;
const _allNotificationsListed: Missing<NotificationMethod, (typeof NOTIFICATION_METHODS)[number]> extends never ? true : never = true;
void _allRequestsListed;
void _allNotificationsListed;

// ---------------------------------------------------------------------------------------------
// JSON-RPC 2.0 envelopes and error codes

export type JsonRpcId = number | string;

export interface JsonRpcRequest<M extends RequestMethod = RequestMethod> {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: M;
  params?: ParamsOf<M>;
}
export interface JsonRpcNotification<M extends NotificationMethod = NotificationMethod> {
  jsonrpc: '2.0';
  method: M;
  params: NotificationMap[M];
}
export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}
export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: JsonRpcId; result: unknown }
  | { jsonrpc: '2.0'; id: JsonRpcId | null; error: JsonRpcError };

export const ErrorCodes = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** A request other than `initialize` before the handshake. */
  NotInitialized: -32002,
  /** `initialize` with a protocol version this daemon does not speak. */
  UnsupportedProtocol: -32003,
  RunNotFound: -32010,
  /** The spec has errors; `data.problems` lists them (SpecProblem[]). */
  InvalidSpec: -32011,
  /** The run is not in a state that allows the request (e.g. deleting a running run). */
  InvalidState: -32012,
  /** A path in the request leaves the folder it must stay in. */
  PathNotAllowed: -32013,
} as const;

// ---------------------------------------------------------------------------------------------
// The samples view: messages between the extension and its webview (postMessage, not JSON-RPC).
// Each side checks every message it receives with `parseWebviewMessage` before acting on it.

/** extension → webview. */
export type ExtensionToWebview =
  /** extension → webview: the runs the picker offers, newest first; sent whole whenever one changes (a few hundred bytes each). */
  | { type: 'runs'; runs: RunSummary[] }
  /** extension → webview: whether the extension has a daemon connection, and why not. */
  | { type: 'connection'; connected: boolean; message?: string }
  /** extension → webview: the view now shows this run (null: none); its events follow from seq 1, each sent once. */
  | { type: 'show'; runId: string | null; follow: boolean }
  /** extension → webview: the next events of the shown run, in seq order, appended to what came before. */
  | { type: 'events'; runId: string; events: RunEvent[] };

/** webview → extension. */
export type WebviewToExtension =
  /** webview → extension: the webview (re)started with no data; `runId` is the run it showed before (null: follow the newest run). */
  | { type: 'ready'; runId: string | null }
  /** webview → extension: the user picked a run (null: follow the newest run). */
  | { type: 'select'; runId: string | null }
  /** webview → extension: cancel or resume a run through the extension's commands. */
  | { type: 'command'; command: 'cancel' | 'resume'; runId: string };

/** Every message of the samples view, one union discriminated by `type`. */
export type WebviewMessage = ExtensionToWebview | WebviewToExtension;
export type WebviewMessageDirection = 'extension → webview' | 'webview → extension';

/** Thrown by parseWebviewMessage: names the first problem found and where. */
export class WebviewMessageError extends Error {}

type Check = (v: unknown, at: string) => string | undefined;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v, at) => (typeof v === 'string' ? undefined : `${at} must be a string`);
const bool: Check = (v, at) => (typeof v === 'boolean' ? undefined : `${at} must be a boolean`);
const num: Check = (v, at) => (typeof v === 'number' && Number.isFinite(v) ? undefined : `${at} must be a finite number`);
const int: Check = (v, at) => (Number.isSafeInteger(v) ? undefined : `${at} must be an integer`);
const nullable =
  (c: Check): Check =>
  (v, at) =>
    v === null ? undefined : c(v, at);
const oneOf =
  (values: readonly string[]): Check =>
  (v, at) =>
    typeof v === 'string' && values.includes(v) ? undefined : `${at} must be one of ${values.join(', ')}`;
const arrayOf =
  (c: Check): Check =>
  (v, at) => {
    if (!Array.isArray(v)) return `${at} must be an array`;
    for (let i = 0; i < v.length; i++) {
      const problem = c(v[i], `${at}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  };
const recordOf =
  (c: Check): Check =>
  (v, at) => {
    if (!isRecord(v)) return `${at} must be an object`;
    for (const [k, x] of Object.entries(v)) {
      const problem = c(x, `${at}.${k}`);
      if (problem) return problem;
    }
    return undefined;
  };
/** Required fields, then optional ones (absent is fine; undefined is not JSON). Other fields are ignored. */
const object =
  (required: Record<string, Check>, optional: Record<string, Check> = {}): Check =>
  (v, at) => {
    if (!isRecord(v)) return `${at} must be an object`;
    for (const [k, c] of Object.entries(required)) {
      const problem = k in v ? c(v[k], `${at}.${k}`) : `${at}.${k} is missing`;
      if (problem) return problem;
    }
    for (const [k, c] of Object.entries(optional)) {
      const problem = k in v ? c(v[k], `${at}.${k}`) : undefined;
      if (problem) return problem;
    }
    return undefined;
  };
const tagged =
  (variants: Record<string, Check>): Check =>
  (v, at) => {
    if (!isRecord(v)) return `${at} must be an object`;
    const type = v['type'];
    const c = typeof type === 'string' && Object.hasOwn(variants, type) ? variants[type] : undefined;
    return c ? c(v, at) : `${at}.type must be one of ${Object.keys(variants).join(', ')}`;
  };

const RUN_STATES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted'] as const satisfies readonly RunState[];
const STAGE_KINDS = ['pretrain', 'sft', 'grpo', 'geneval', 'sample'] as const satisfies readonly StageKind[];
const stamped = { type: str, seq: int, time: str, stage: int };
const runEvent = tagged({
  state: object({ type: str, seq: int, time: str, state: oneOf(RUN_STATES) }, { reason: str }),
  stage: object({ ...stamped, kind: oneOf(STAGE_KINDS), status: oneOf(['started', 'finished']) }),
  progress: object({ ...stamped, step: int, total: int, etaSeconds: nullable(num), stepsPerSecond: nullable(num) }, { phase: str }),
  metric: object({ ...stamped, step: int, values: recordOf(nullable(num)) }),
  sample: object(
    { ...stamped, step: int, prompt: str, image: object({ path: str, pngBase64: str }) },
    { answer: str, reward: num, advantage: num },
  ),
  checkpoint: object({ ...stamped, step: int, path: str }),
  rewind: object({ ...stamped, step: int }),
  log: object({ type: str, seq: int, time: str, level: oneOf(['info', 'warn', 'error']), message: str }),
  result: object({
    ...stamped,
    kind: oneOf(['geneval']),
    path: str,
    result: object({
      overall: nullable(num),
      tags: recordOf(object({ correct: int, total: int, score: nullable(num) })),
      totalImages: int,
      totalPrompts: int,
      correctImages: int,
      correctPrompts: int,
    }),
  }),
});
const runSummary = object({
  id: str,
  name: str,
  state: oneOf(RUN_STATES),
  createdAt: str,
  updatedAt: str,
  stages: arrayOf(object({ kind: oneOf(STAGE_KINDS) })),
  stage: int,
  step: int,
  total: int,
  lastSeq: int,
  lastCheckpoint: nullable(object({ stage: int, step: int })),
  error: nullable(str),
});

const WEBVIEW_MESSAGES: Record<WebviewMessage['type'], { direction: WebviewMessageDirection; check: Check }> = {
  runs: { direction: 'extension → webview', check: object({ runs: arrayOf(runSummary) }) },
  connection: { direction: 'extension → webview', check: object({ connected: bool }, { message: str }) },
  show: { direction: 'extension → webview', check: object({ runId: nullable(str), follow: bool }) },
  events: { direction: 'extension → webview', check: object({ runId: str, events: arrayOf(runEvent) }) },
  ready: { direction: 'webview → extension', check: object({ runId: nullable(str) }) },
  select: { direction: 'webview → extension', check: object({ runId: nullable(str) }) },
  command: { direction: 'webview → extension', check: object({ command: oneOf(['cancel', 'resume']), runId: str }) },
};

/**
 * Checks a message received over postMessage: its shape, and that it travels in `direction`.
 * Returns it typed, or throws a WebviewMessageError naming the first problem.
 */
export function parseWebviewMessage(value: unknown, direction: 'extension → webview'): ExtensionToWebview;
export function parseWebviewMessage(value: unknown, direction: 'webview → extension'): WebviewToExtension;
export function parseWebviewMessage(value: unknown, direction: WebviewMessageDirection): WebviewMessage {
  const type = isRecord(value) ? value['type'] : undefined;
  const entry = typeof type === 'string' && Object.hasOwn(WEBVIEW_MESSAGES, type) ? WEBVIEW_MESSAGES[type as WebviewMessage['type']] : undefined;
  if (!entry) throw new WebviewMessageError(`message.type must be one of ${Object.keys(WEBVIEW_MESSAGES).join(', ')}`);
  if (entry.direction !== direction) throw new WebviewMessageError(`a "${String(type)}" message goes ${entry.direction}, not ${direction}`);
  const problem = entry.check(value, 'message');
  if (problem) throw new WebviewMessageError(problem);
  return value as WebviewMessage;
}
