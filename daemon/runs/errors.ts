/** Errors of the run engine, each carrying the protocol's error code so the server can pass it on. */
import { ErrorCodes, type SpecProblem } from '../../schemas/protocol';

export class RunError extends Error {
  override name = 'RunError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export const runNotFound = (id: string): RunError => new RunError(ErrorCodes.RunNotFound, `no run with id "${id}"`);
export const invalidState = (message: string): RunError => new RunError(ErrorCodes.InvalidState, message);
export const invalidSpec = (problems: SpecProblem[]): RunError => {
  const errors = problems.filter((p) => p.severity === 'error');
  const first = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new RunError(ErrorCodes.InvalidSpec, `invalid spec: ${first ? `${first.pointer || '/'}: ${first.message}` : 'unknown problem'}${more}`, { problems });
};
