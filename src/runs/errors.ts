/**
 * Errors of the run application that a front end may want to phrase in its own words: each carries a code and the
 * facts, and a message that names no command-line flag (the CLI maps codes to its flags, the dashboard to its buttons).
 */
export type RunErrorCode = 'unknown-run' | 'no-checkpoint' | 'already-finished' | 'unknown-model' | 'bad-source';

export class RunError extends Error {
  constructor(
    readonly code: RunErrorCode,
    message: string,
    readonly facts: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'RunError';
  }
}
