/** The daemon's WebSocket front door: auth, JSON-RPC dispatch, subscriptions, the connection file. */
export { startServer, confined, DEFAULT_LIMITS, DEFAULT_MAX_PAYLOAD, type DaemonServer, type ServerOptions, type ServerLimits } from './server';
export { runDaemon, type DaemonOptions, type RunningDaemon } from './daemon';
export { checkUpgrade, tokensEqual, newToken, isLoopback } from './auth';
export { parseInbound, RpcError } from './rpc';
export { PARAMS_SCHEMAS, paramsProblem } from './params';
export * from './connection-file';
export { DaemonClient, ClientError, type ConnectOptions } from './client';
