/**
 * Reading a JSON file that a program wrote (a run's config.json, a stored record): a missing, unreadable, cut-short
 * or non-object file is a JsonFileError that names the file, says what is wrong and what to do — never a bare
 * "Unexpected end of JSON input" without a file name.
 * @example
 *   const config = readJsonObject('runs/abc/config.json', 'the run config', 'start a new run; the folder is damaged');
 */
import { readFileSync } from 'node:fs';

export class JsonFileError extends Error {
  readonly path: string;
  constructor(path: string, problem: string, fix: string) {
    super(`${path}: ${problem}\n  fix: ${fix}`);
    this.name = 'JsonFileError';
    this.path = path;
  }
}

/** Parses the JSON in `path`; `what` names it in messages ("the run config"), `fix` says what to do when it is bad. */
export function readJsonFile(path: string, what: string, fix: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? `${what} is missing` : code === 'EISDIR' ? `${what} is a folder, not a file` : `${what} cannot be read (${code})`;
    throw new JsonFileError(path, problem, fix);
  }
  if (text.trim() === '') throw new JsonFileError(path, `${what} is empty (the write that made it was cut short)`, fix);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new JsonFileError(path, `${what} is not valid JSON: ${describeJsonError(e, text)}`, fix);
  }
}

/** Like readJsonFile, for files that must hold a JSON object. */
export function readJsonObject(path: string, what: string, fix: string): Record<string, unknown> {
  const value = readJsonFile(path, what, fix);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new JsonFileError(path, `${what} holds ${value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not an object`, fix);
  return value as Record<string, unknown>;
}

/**
 * What is wrong with text that JSON.parse refused, in our words (the engine's "Unexpected end of JSON input" or
 * "Unexpected token } in JSON at position 41" mean nothing to a user): cut short, or malformed at line:column.
 * @example
 *   try { JSON.parse(text) } catch (e) { throw new Error(`${file} is not valid JSON: ${describeJsonError(e, text)}`) }
 */
export function describeJsonError(e: unknown, text: string): string {
  const message = (e as Error)?.message ?? '';
  if (/end of (JSON )?input|Unterminated/i.test(message) || text.trim() === '') return 'it ends before the JSON is complete (cut short?)';
  const m = /position (\d+)/.exec(message);
  if (!m) return 'it is malformed';
  const pos = Math.min(Number(m[1]), text.length);
  const before = text.slice(0, pos);
  return `it is malformed at line ${before.split('\n').length}, column ${pos - before.lastIndexOf('\n')}`;
}
