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
