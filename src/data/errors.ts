/**
 * DataError: a data problem reported as what is wrong, where, and how to fix it — so the CLI can print one clear line
 * instead of a stack trace from deep inside a decoder.
 */
export class DataError extends Error {
  /** Short machine-readable kind (e.g. 'missing-dataset', 'corrupt-image', 'too-large'). */
  readonly code: string;
  /** What to do about it. */
  readonly fix: string;
  /** The file or folder concerned, when there is one. */
  readonly path?: string;

  constructor(code: string, problem: string, fix: string, path?: string) {
    super(`${problem}\n  fix: ${fix}`);
    this.name = 'DataError';
    this.code = code;
    this.fix = fix;
    this.path = path;
  }
}

// Malformed-JSON messages in our words live with the JSON file reader (src/io) and are shared from there.
export { describeJsonError } from '../io/json-file.ts';
