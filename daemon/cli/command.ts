/** What every `unirl` subcommand provides; cli/index.ts lists them. */
export interface Command {
  /** Words after `unirl`, e.g. "geneval score". */
  name: string;
  summary: string;
  /** Full help text, printed by `unirl NAME --help`. */
  help: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}

/** An error whose message is meant for the user as it is (no stack trace). */
export class UsageError extends Error {
  override name = 'UsageError';
}
