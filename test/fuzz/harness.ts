/**
 * The fuzz harness shared by test/fuzz/*.test.ts: a seeded generator, byte-level mutations of valid files (bit flips,
 * byte edits, truncation, extension, deleted/duplicated/inserted runs, 32/64-bit fields set to huge values), and
 * `judge`, which runs one input and holds the outcome to the rule every parser must keep: either the input is accepted
 * (and the caller checks the result is right) or it is refused with one of the project's errors, whose message names
 * the file and contains no engine wording. `MemoryWatch` fails a fuzz run whose inputs raise the process's peak RSS by
 * more than 256 MB. Seeds are fixed, so a failure prints the seed and index that reproduce it.
 */
import assert from 'node:assert/strict';
import { DataError } from '../../src/data/errors.ts';
import { JsonFileError } from '../../src/io/json-file.ts';
import { SafetensorsError } from '../../src/io/safetensors.ts';
import { CheckpointError } from '../../src/train/checkpoint-validate.ts';

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export class FuzzRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }
}

/** Values that break parsers which trust a size field. */
const HUGE32 = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000000, 0xffff, 0];

/**
 * One mutation of `input` (a fresh array). `focus` bytes at the start (a header) get most of the edits, since that is
 * where the size fields live.
 */
export function mutate(rng: FuzzRng, input: Uint8Array, focus = Math.min(input.length, 64)): Uint8Array {
  const at = (span = input.length) => (span > 0 ? rng.int(span) : 0);
  const where = () => (rng.next() < 0.6 ? at(Math.max(1, focus)) : at());
  const out = Uint8Array.from(input);
  switch (rng.int(10)) {
    case 0: {
      const flips = 1 + rng.int(8);
      for (let i = 0; i < flips && out.length; i++) out[where()] ^= 1 << rng.int(8);
      return out;
    }
    case 1: {
      for (let i = 0, n = 1 + rng.int(4); i < n && out.length; i++) out[where()] = rng.pick([0, 0xff, 0x7f, 0x80, rng.int(256)]);
      return out;
    }
    case 2:
      return out.subarray(0, at(out.length + 1)).slice();
    case 3: {
      const extra = rng.next() < 0.5 ? rng.bytes(1 + rng.int(64)) : new Uint8Array(1 + rng.int(4096));
      return concat(out, extra);
    }
    case 4: {
      const from = at();
      return concat(out.subarray(0, from), out.subarray(Math.min(out.length, from + 1 + rng.int(32))));
    }
    case 5: {
      const from = at();
      const run = out.subarray(from, from + 1 + rng.int(64));
      return concat(concat(out.subarray(0, from), run), out.subarray(from));
    }
    case 6: {
      const from = where();
      return concat(concat(out.subarray(0, from), rng.bytes(1 + rng.int(16))), out.subarray(from));
    }
    case 7:
    case 8: {
      // A 32-bit field (either byte order) set to a huge or zero value.
      if (out.length < 4) return out;
      const pos = Math.min(where(), out.length - 4);
      const v = rng.pick(HUGE32);
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      view.setUint32(pos - (pos % 4 === 0 || rng.next() < 0.5 ? 0 : pos % 4), v, rng.next() < 0.5);
      return out;
    }
    default: {
      if (out.length < 8) return out;
      const pos = Math.min(where(), out.length - 8);
      new DataView(out.buffer, out.byteOffset, out.byteLength).setBigUint64(pos, rng.pick([2n ** 63n, 2n ** 40n, 2n ** 32n, 1n << 27n]), true);
      return out;
    }
  }
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Wording of the engine or the runtime, which must never reach a user. */
export const ENGINE_WORDING =
  /Offset is outside the bounds|Invalid typed array length|Unexpected end of JSON|Cannot read propert|is not a function|is not iterable|Maximum call stack|Array buffer allocation failed|Invalid array length|out of memory|Cannot convert|Unexpected token|\bat position \d+\b(?!.*fix:)/;

const PROJECT_ERRORS = [DataError, SafetensorsError, CheckpointError, JsonFileError];

export interface Tally {
  accepted: number;
  refused: number;
  /** Distinct refusal kinds seen (first line, digits and paths blanked), to show the fuzz reached many checks. */
  kinds: Set<string>;
}

export const newTally = (): Tally => ({ accepted: 0, refused: 0, kinds: new Set() });

/** One line for the test report: how many inputs were accepted and refused, and how many kinds of refusal. */
export const summary = (t: Tally): string => `${t.accepted} accepted, ${t.refused} refused (${t.kinds.size} kinds of refusal)`;

/**
 * Runs one fuzz input: `run` parses it; `accept` checks an accepted result is right. A thrown error must be a project
 * error naming `file`, without engine wording. `label` (seed and index) is printed on failure.
 */
export async function judge<T>(label: string, file: string, run: () => T | Promise<T>, accept: (out: T) => void, tally: Tally): Promise<void> {
  let out: T;
  try {
    out = await run();
  } catch (e) {
    const err = e as Error;
    assert.ok(
      PROJECT_ERRORS.some((k) => e instanceof k),
      `${label}: refused with a ${err?.name ?? typeof e}, not a project error: ${err?.stack ?? String(e)}`,
    );
    assert.ok(err.message.includes(file), `${label}: the message does not name ${file}: ${err.message}`);
    assert.doesNotMatch(err.message, ENGINE_WORDING, `${label}: engine wording reached the message`);
    tally.refused++;
    tally.kinds.add(
      err.message
        .split('\n')[0]
        .replaceAll(file, '<file>')
        .replace(/[\d,.]+/g, '#')
        .slice(0, 60),
    );
    return;
  }
  try {
    accept(out);
  } catch (e) {
    throw new Error(`${label}: accepted, but the result is wrong: ${(e as Error).message}`);
  }
  tally.accepted++;
}

/** Watches the process's peak RSS from now on; `check` fails when it rose by more than `limitMb`. */
export class MemoryWatch {
  // From the current RSS, not the peak so far: a peak from before (loading modules) must not hide growth.
  private readonly startKb = process.memoryUsage().rss / 1024;
  constructor(private readonly limitMb = 256) {}
  check(label: string): void {
    const grewMb = (process.resourceUsage().maxRSS - this.startKb) / 1024;
    assert.ok(grewMb <= this.limitMb, `${label}: peak RSS rose by ${grewMb.toFixed(0)} MB (limit ${this.limitMb} MB)`);
  }
}

/** Values a hostile JSON edit puts in place of a field. */
const EVIL_VALUES: unknown[] = [
  null,
  -1,
  0,
  0.5,
  -0.5,
  1e308,
  2 ** 53,
  2 ** 32,
  '',
  'x',
  '../../etc/passwd',
  [],
  {},
  [null],
  [-1, -1],
  true,
  [1e9, 1e9, 1e9],
  'F64',
];

/**
 * One structural edit of a JSON value (a fresh copy): a random node replaced by a hostile value, deleted, or given
 * a twin; or the whole value replaced.
 */
export function mutateJson(rng: FuzzRng, value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  if (rng.next() < 0.05) return rng.pick(EVIL_VALUES);
  // Walk down a random path, then edit the node there.
  let parent: Record<string, unknown> | unknown[] | null = null;
  let key: string | number = '';
  let node: unknown = copy;
  for (let depth = 0; depth < 6 && typeof node === 'object' && node !== null && rng.next() < 0.8; depth++) {
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    parent = node as Record<string, unknown>;
    key = rng.pick(keys);
    node = (parent as Record<string, unknown>)[key];
  }
  if (parent === null) return rng.pick(EVIL_VALUES);
  const p = parent as Record<string | number, unknown>;
  const op = rng.int(4);
  if (op === 0 && !Array.isArray(parent)) delete p[key];
  else if (op === 1 && typeof node === 'number') p[key] = rng.pick([-node, node * 1e6, node + 1, node - 1, Math.floor(node / 2), node + 0.5]);
  else if (op === 2 && Array.isArray(parent)) parent.push(rng.pick(EVIL_VALUES));
  else p[key] = rng.pick(EVIL_VALUES);
  return copy;
}
