/** Reading one inbound JSON-RPC message off the wire: everything that can be wrong, answered precisely. */
import { ErrorCodes, REQUEST_METHODS, type JsonRpcError, type JsonRpcId, type RequestMethod } from '../../schemas/protocol';

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export type Inbound =
  | { kind: 'request'; id: JsonRpcId; method: RequestMethod; params: unknown }
  /** A notification (no id): JSON-RPC says it gets no reply, whatever it holds. */
  | { kind: 'notification' }
  | { kind: 'invalid'; id: JsonRpcId | null; error: JsonRpcError };

const KNOWN = new Set<string>(REQUEST_METHODS);

function validId(id: unknown): id is JsonRpcId {
  return (typeof id === 'string' && id.length <= 256) || (typeof id === 'number' && Number.isSafeInteger(id));
}

export function parseInbound(data: string): Inbound {
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch (err) {
    return { kind: 'invalid', id: null, error: { code: ErrorCodes.ParseError, message: `parse error: ${(err as Error).message}` } };
  }
  if (Array.isArray(message)) {
    return { kind: 'invalid', id: null, error: { code: ErrorCodes.InvalidRequest, message: 'batch requests are not supported: send one request per message' } };
  }
  if (typeof message !== 'object' || message === null) {
    return { kind: 'invalid', id: null, error: { code: ErrorCodes.InvalidRequest, message: 'a request must be a JSON object' } };
  }
  const m = message as Record<string, unknown>;
  const hasId = 'id' in m;
  const id = validId(m['id']) ? m['id'] : null;
  const invalid = (message: string): Inbound => ({ kind: 'invalid', id, error: { code: ErrorCodes.InvalidRequest, message } });
  if (m['jsonrpc'] !== '2.0') return invalid('"jsonrpc" must be "2.0"');
  if (hasId && id === null) return invalid('"id" must be a string or an integer');
  if (typeof m['method'] !== 'string') return invalid('"method" must be a string');
  const extra = Object.keys(m).filter((k) => k !== 'jsonrpc' && k !== 'id' && k !== 'method' && k !== 'params');
  if (extra.length > 0) return invalid(`unexpected member ${JSON.stringify(extra[0])}`);
  if (m['params'] !== undefined && (typeof m['params'] !== 'object' || m['params'] === null)) return invalid('"params" must be an object or an array');
  if (!hasId) return { kind: 'notification' };
  const method = m['method'];
  if (!KNOWN.has(method)) {
    return { kind: 'invalid', id, error: { code: ErrorCodes.MethodNotFound, message: `unknown method ${JSON.stringify(method.slice(0, 100))}` } };
  }
  return { kind: 'request', id: id as JsonRpcId, method: method as RequestMethod, params: m['params'] };
}
