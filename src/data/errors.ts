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

/**
 * What is wrong with text that JSON.parse refused, in our words (the engine's "Unexpected end of JSON input" or
 * "Unexpected token } in JSON at position 41" mean nothing to a user): cut short, or malformed at line:column.
 * @example
 *   try { JSON.parse(text) } catch (e) { throw new DataError('bad-json', `${file} is not valid JSON: ${describeJsonError(e, text)}`, …) }
 */
export function describeJsonError(e: unknown, text: string): string {
  const message = (e as Error)?.message ?? '';
  if (/end of (JSON )?input|Unterminated/i.test(message) || text.trim() === '') return 'it ends before the JSON is complete (cut short?)';
  const m = /position (\d+)/.exec(message);
  if (!m) return 'it is malformed';
  const pos = Math.min(Number(m[1]), text.length);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `it is malformed at line ${line}, column ${column}`;
}
