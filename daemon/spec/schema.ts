/** The schema layer: ajv (draft-07) over schemas/unirl-run.schema.json, errors in words a person reads. */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import runSchema from '../../schemas/unirl-run.schema.json';
import type { SpecProblem } from '../../schemas/protocol';
import { escapePointerToken } from './pointer';

let compiled: ValidateFunction | undefined;

/** Compiled once: strict (a typo in the schema fails loudly), all errors, defaults filled in place. */
function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true }).compile(runSchema);
  return compiled;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describe(error: ErrorObject, root: unknown): SpecProblem | undefined {
  const at = error.instancePath;
  const field = at === '' ? 'the spec' : `"${at.split('/').pop() ?? ''}"`;
  const value = valueAt(root, at);
  const p = error.params as Record<string, unknown>;
  const props = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  switch (error.keyword) {
    case 'if':
      return undefined; // the failing branch reports the real problem
    case 'required':
      return { pointer: at, message: `${field} is missing the required field "${String(p['missingProperty'])}"`, severity: 'error' };
    case 'additionalProperties': {
      const name = String(p['additionalProperty']);
      const allowed = props ? ` (allowed here: ${Object.keys(props).join(', ')})` : '';
      return { pointer: `${at}/${escapePointerToken(name)}`, message: `unknown field "${name}"${allowed}`, severity: 'error' };
    }
    case 'type':
      return { pointer: at, message: `${field} must be ${article(String(p['type']))}, got ${show(value)}`, severity: 'error' };
    case 'enum':
      return {
        pointer: at,
        message: `${field} must be one of ${(p['allowedValues'] as unknown[]).map(show).join(', ')}, got ${show(value)}`,
        severity: 'error',
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' }[error.keyword];
      return { pointer: at, message: `${field} must be ${op} ${String(p['limit'])}, got ${show(value)}`, severity: 'error' };
    }
    case 'pattern': {
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      return { pointer: at, message: `${field} ${show(value)} is not allowed: ${description ?? `must match ${String(p['pattern'])}`}`, severity: 'error' };
    }
    case 'minItems':
    case 'maxItems':
    case 'minLength':
    case 'maxLength': {
      const what = error.keyword.endsWith('Items') ? 'items' : 'characters';
      const op = error.keyword.startsWith('min') ? 'at least' : 'at most';
      return { pointer: at, message: `${field} must have ${op} ${String(p['limit'])} ${what}`, severity: 'error' };
    }
    default:
      return { pointer: at, message: `${field} ${error.message ?? 'is not valid'}`, severity: 'error' };
  }
}

function article(type: string): string {
  return type === 'integer' || type === 'object' || type === 'array' ? `an ${type}` : `a ${type}`;
}

export function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/** Validates `spec` against the schema, filling defaults into it in place. */
export function schemaProblems(spec: unknown): SpecProblem[] {
  const validate = validator();
  if (validate(spec)) return [];
  const seen = new Set<string>();
  const problems: SpecProblem[] = [];
  for (const error of validate.errors ?? []) {
    const problem = describe(error, spec);
    if (!problem) continue;
    const key = `${problem.pointer}\0${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}
