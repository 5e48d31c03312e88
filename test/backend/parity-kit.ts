/**
 * Shared by the per-family parity files (test/backend/parity/<family>.ts): seeded inputs, the bound check that reports
 * the max abs diff (llm.c style), and the suite context each family's tests are defined with.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Backend, F32 } from '../../src/backend/backend.ts';

/** What a family's parity file gets: the label and name for its test titles, the skip reason, the native backend. */
export interface ParitySuite {
  label: string;
  name: string;
  skip: string | false;
  native: Backend;
}

/** Odd sizes (not a multiple of any SIMD width) and one above the threading threshold. */
export const SIZES = [1, 3, 17, 129, 40_001];

/** mulberry32: small, seeded, good enough for test data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomF32(n: number, rand: () => number, lo = -1, hi = 1): F32 {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}

/** Random int32 values in [lo, hi). */
export function randomI32(n: number, rand: () => number, lo: number, hi: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + Math.floor((hi - lo) * rand());
  return a;
}

export interface Bound {
  atol: number;
  rtol: number;
}

/** Asserts every element is within the bound (NaN must match NaN) and reports the max abs diff. */
export function expectClose(t: TestContext, label: string, got: ArrayLike<number>, want: ArrayLike<number>, bound: Bound): number {
  assert.equal(got.length, want.length, `${label}: length`);
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) {
      assert.ok(Number.isNaN(w) && Number.isNaN(g), `${label}[${i}]: native ${g}, js ${w}`);
      continue;
    }
    if (g === w) continue;
    const d = Math.abs(g - w);
    if (d > maxDiff) maxDiff = d;
    if (!(d <= bound.atol + bound.rtol * Math.abs(w))) assert.fail(`${label}[${i}]: native ${g}, js ${w}, |Δ| ${d} > ${bound.atol} + ${bound.rtol}·|js|`);
  }
  t.diagnostic(`${label.padEnd(58)} max|Δ| ${maxDiff.toExponential(2)}  (bound ${bound.atol.toPrecision(2)} + ${bound.rtol}·|js|)`);
  return maxDiff;
}

/** expectClose without the diagnostic line (for loops that report one summary line). */
export function expectQuiet(label: string, got: ArrayLike<number>, want: ArrayLike<number>, bound: Bound): number {
  const quiet = { diagnostic: () => {} } as unknown as TestContext;
  return expectClose(quiet, label, got, want, bound);
}
