/**
 * Runtime checks of every request's params (the types live in schemas/protocol.ts; a message off
 * the wire is hostile until these pass). Compiled once with ajv.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import type { RequestMethod } from '../../schemas/protocol';

const runId = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' };
const relativePath = { type: 'string', minLength: 1, maxLength: 1024 };
const none = { type: 'object', additionalProperties: false, properties: {} };
const byId = { type: 'object', additionalProperties: false, required: ['runId'], properties: { runId } };
const submit = {
  type: 'object',
  additionalProperties: false,
  properties: { spec: {}, specPath: relativePath },
  oneOf: [
    { required: ['spec'], properties: { spec: {} } },
    { required: ['specPath'], properties: { specPath: relativePath } },
  ],
};

/** Params schema per method; `undefined` params are allowed only where the schema is `none`. */
export const PARAMS_SCHEMAS: Readonly<Record<RequestMethod, object>> = {
  initialize: {
    type: 'object',
    additionalProperties: false,
    required: ['protocolVersion', 'client'],
    properties: {
      protocolVersion: { type: 'integer', minimum: 0 },
      client: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'version'],
        properties: { name: { type: 'string', maxLength: 100 }, version: { type: 'string', maxLength: 100 } },
      },
    },
  },
  'daemon/ping': none,
  'daemon/shutdown': none,
  'spec/validate': submit,
  'runs/submit': submit,
  'runs/list': none,
  'runs/get': byId,
  'runs/cancel': byId,
  'runs/resume': byId,
  'runs/delete': byId,
  'runs/subscribe': {
    type: 'object',
    additionalProperties: false,
    required: ['runId'],
    properties: { runId, afterSeq: { type: 'integer', minimum: 0 } },
  },
  'runs/unsubscribe': byId,
  'runs/readFile': { type: 'object', additionalProperties: false, required: ['runId', 'path'], properties: { runId, path: relativePath } },
};

// Compiled all at once when the server loads, so a mistake in a schema fails at start, not on a request.
const ajv = new Ajv({ allErrors: true, strict: true });
const compiled = new Map<string, ValidateFunction>(Object.entries(PARAMS_SCHEMAS).map(([method, schema]) => [method, ajv.compile(schema)]));

/** A message naming what is wrong with the params, or undefined when they are fine. */
export function paramsProblem(method: RequestMethod, params: unknown): string | undefined {
  const schema = PARAMS_SCHEMAS[method];
  if (params === undefined) return schema === none ? undefined : 'params are required';
  const validate = compiled.get(method)!;
  if (validate(params)) return undefined;
  return (validate.errors ?? []).map((e) => `${e.instancePath || 'params'} ${e.message ?? 'is not valid'}`).join('; ');
}
