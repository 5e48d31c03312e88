/**
 * The one op-test harness (in the spirit of tinygrad's test_ops helper and ggml's test-backend-ops):
 *
 *   checkOp({ name, label, fn, inputs, reference })
 *
 * (a) forward: runs fn on the inputs and compares every element with `reference`, an independent float64 definition
 *     written in the test (never the kernel under test), within atol + rtol·|expected|; prints the max abs diff.
 * (b) gradient: projects the output on a fixed random tensor R (L = Σ f(x)·R), takes the analytic gradients from
 *     backward(R), and compares them with central differences (L(x+ε) − L(x−ε)) / 2ε accumulated in float64, for every
 *     input element or a random sample of at most `maxGradSamples`, within gradAtol + gradRtol·|numeric|.
 * Each passed check is recorded (op, kind) so scripts/op-table.ts can print what the tests really cover: set
 * SIMMER_OP_COVERAGE=<file> and every record is appended to it as one JSON line.
 * Runs on whichever backend is active (SIMMER_BACKEND), so the same cases check the native kernels once they land.
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Backend } from '../../src/backend/backend.ts';
import { backend, withBackend } from '../../src/backend/index.ts';
import { noGrad, type Tensor, tensor } from '../../src/index.ts';
import { Nd } from './nd.ts';
import { opEntry } from './ops-list.ts';

export type CheckKind = 'forward' | 'gradient' | 'error';

/** Every check that passed in this process: op → kinds. */
export const coverage = new Map<string, Set<CheckKind>>();

/**
 * Runs fn; while coverage is being recorded, through a wrapper around the active backend that notes every kernel
 * called, so docs/ops.md can say which kernels (native or JS fallback) each op runs on.
 */
export function traceKernels<T>(fn: () => T): { result: T; kernels: string[] } {
  if (!process.env.SIMMER_OP_COVERAGE) return { result: fn(), kernels: [] };
  const used = new Set<string>();
  const active = backend() as unknown as Record<string, unknown>;
  const recording = Object.fromEntries(
    Object.entries(active).map(([k, v]) => [
      k,
      typeof v === 'function'
        ? (...args: unknown[]) => {
            used.add(k);
            return (v as (...a: unknown[]) => unknown)(...args);
          }
        : v,
    ]),
  ) as unknown as Backend;
  const result = withBackend(recording, fn);
  return { result, kernels: [...used].sort() };
}

export function recordCoverage(op: string, kind: CheckKind, kernels: readonly string[] = []): void {
  const entry = opEntry(op);
  if (kind === 'gradient' && !entry.grad) throw new Error(`test harness: ${op} has no gradient, so it cannot record a gradient check`);
  let kinds = coverage.get(op);
  if (!kinds) coverage.set(op, (kinds = new Set()));
  kinds.add(kind);
  const file = process.env.SIMMER_OP_COVERAGE;
  if (file) appendFileSync(file, `${JSON.stringify({ op, family: entry.family, kind, kernels })}\n`);
}

// ── deterministic inputs (own RNG, so the engine's generator is not part of what is tested) ───────────────

/** mulberry32: a small, well-known 32-bit generator. */
export function makeRng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    let u = uniform();
    while (u === 0) u = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal, int: (lo: number, hi: number) => lo + Math.floor(uniform() * (hi - lo)) };
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const count = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** Standard normal values (times scale), float32. */
export function randn(shape: readonly number[], seed: number, scale = 1): Tensor {
  const r = makeRng(seed);
  return tensor(
    Float32Array.from({ length: count(shape) }, () => scale * r.normal()),
    'float32',
    shape,
  );
}

/** Uniform in [lo, hi), float32. */
export function uniform(shape: readonly number[], seed: number, lo: number, hi: number): Tensor {
  const r = makeRng(seed);
  return tensor(
    Float32Array.from({ length: count(shape) }, () => lo + (hi - lo) * r.uniform()),
    'float32',
    shape,
  );
}

/** Uniform in [lo, hi) but at least `margin` away from every kink, so finite differences never straddle one. */
export function awayFrom(shape: readonly number[], seed: number, kinks: readonly number[], margin = 0.1, lo = -2, hi = 2): Tensor {
  const r = makeRng(seed);
  const values = Array.from({ length: count(shape) }, () => {
    for (;;) {
      const v = lo + (hi - lo) * r.uniform();
      if (kinks.every((k) => Math.abs(v - k) >= margin)) return v;
    }
  });
  return tensor(Float32Array.from(values), 'float32', shape);
}

/** Distinct values spaced `gap` apart in random order (no ties for max/min/argmax), centred on zero. */
export function distinct(shape: readonly number[], seed: number, gap = 0.1): Tensor {
  const n = count(shape);
  const r = makeRng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(0, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return tensor(
    Float32Array.from(order, (k) => (k - (n - 1) / 2) * gap),
    'float32',
    shape,
  );
}

/** int32 values uniform in [lo, hi). */
export function randInt(shape: readonly number[], seed: number, lo: number, hi: number): Tensor {
  const r = makeRng(seed);
  return tensor(
    Int32Array.from({ length: count(shape) }, () => r.int(lo, hi)),
    'int32',
    shape,
  );
}

// ── the harness ─────────────────────────────────────────────────────────────────────────────────────────

export interface OpCase {
  /** The op's name in test/helpers/ops-list.ts. */
  name: string;
  /** What this case exercises (shapes, options); shown in test names and failure messages. */
  label?: string;
  fn: (...inputs: Tensor[]) => Tensor;
  inputs: Tensor[];
  /** Independent float64 definition of the forward pass (inputs arrive as float64 copies). */
  reference?: (...inputs: Nd[]) => Nd | number;
  atol?: number;
  rtol?: number;
  /** false: forward only. Otherwise which inputs to gradient-check (default: every float32 input). */
  gradInputs?: number[] | false;
  /** Finite-difference step. */
  eps?: number;
  gradAtol?: number;
  gradRtol?: number;
  maxGradSamples?: number;
  /** Called before every evaluation of fn (e.g. to re-seed dropout so each evaluation draws the same mask). */
  before?: () => void;
}

function describeCase(c: OpCase): string {
  return `${c.name}${c.label ? ` (${c.label})` : ''}`;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(6) : String(v);
}

/** Compares out with expected elementwise; throws with the max abs diff and the worst element. */
export function assertClose(out: Tensor, expected: Nd, atol: number, rtol: number, what: string): void {
  assert.deepEqual([...out.shape], expected.shape, `${what}: shape [${out.shape.join(', ')}], expected [${expected.shape.join(', ')}]`);
  let maxDiff = 0;
  let worst = -1;
  let worstDiff = 0;
  let bad = 0;
  for (let i = 0; i < expected.size; i++) {
    const got = out.data[i];
    const want = expected.data[i];
    if (got === want || (Number.isNaN(want) && Number.isNaN(got))) continue;
    const diff = Math.abs(got - want);
    const d = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
    maxDiff = Math.max(maxDiff, d);
    if (!(diff <= atol + rtol * Math.abs(want))) {
      bad++;
      if (worst < 0 || d > worstDiff) {
        worst = i;
        worstDiff = d;
      }
    }
  }
  if (bad > 0) {
    const idx = expected.unravel(worst);
    assert.fail(
      `${what}: ${bad} of ${expected.size} elements differ; max abs diff ${fmt(maxDiff)} (atol ${atol}, rtol ${rtol}); ` +
        `e.g. at [${idx.join(', ')}] got ${fmt(out.data[worst])}, expected ${fmt(expected.data[worst])}`,
    );
  }
}

function asNd(v: Nd | number): Nd {
  return typeof v === 'number' ? new Nd([], [v]) : v;
}

/** Forward check against the reference; returns the output. */
export function checkForward(c: OpCase): Tensor {
  if (!c.reference) throw new Error(`${describeCase(c)}: no reference to check the forward pass against`);
  c.before?.();
  const { result: out, kernels } = traceKernels(() => noGrad(() => c.fn(...c.inputs)));
  const expected = asNd(c.reference(...c.inputs.map((t) => new Nd(t.shape, t.data))));
  assertClose(out, expected, c.atol ?? 1e-5, c.rtol ?? 1e-4, `${describeCase(c)} forward`);
  recordCoverage(c.name, 'forward', kernels);
  return out;
}

/** L = Σ fn(inputs)·R in float64. */
function projected(c: OpCase, inputs: Tensor[], r: Float32Array): number {
  c.before?.();
  const out = noGrad(() => c.fn(...inputs));
  let s = 0;
  for (let i = 0; i < out.size; i++) s += out.data[i] * r[i];
  return s;
}

/** Finite-difference gradient check of every float32 input (or those in gradInputs). */
export function checkGradient(c: OpCase): void {
  const which = c.gradInputs === false ? [] : (c.gradInputs ?? c.inputs.flatMap((t, i) => (t.dtype === 'float32' ? [i] : [])));
  if (which.length === 0) throw new Error(`${describeCase(c)}: no float32 input to gradient-check`);
  const eps = c.eps ?? 1e-2;
  const gradAtol = c.gradAtol ?? 1e-2;
  const gradRtol = c.gradRtol ?? 1e-2;
  const maxSamples = c.maxGradSamples ?? 64;
  const rng = makeRng(hashString(describeCase(c)));

  // Analytic: backward with R as the output gradient.
  const leaves = c.inputs.map((t, i) => (which.includes(i) ? t.clone().requiresGrad_() : t));
  c.before?.();
  const { result: r, kernels } = traceKernels(() => {
    const out = c.fn(...leaves);
    assert.ok(out.requiresGrad, `${describeCase(c)}: the output does not require grad although its inputs do`);
    const projection = Float32Array.from({ length: out.size }, () => Math.fround(rng.normal()));
    out.backward(tensor(projection, 'float32', out.shape));
    return projection;
  });

  const failures: string[] = [];
  let maxDiff = 0;
  for (const i of which) {
    const leaf = leaves[i];
    assert.ok(leaf.grad, `${describeCase(c)}: input ${i} got no gradient`);
    assert.deepEqual([...leaf.grad.shape], [...leaf.shape], `${describeCase(c)}: gradient of input ${i} has the wrong shape`);
    const analytic = leaf.grad.data;
    const work = c.inputs.map((t, k) => (k === i ? t.clone() : t));
    const x = work[i].data as Float32Array;
    const n = x.length;
    let indices = Array.from({ length: n }, (_, k) => k);
    if (n > maxSamples) {
      for (let k = n - 1; k > 0; k--) {
        const j = rng.int(0, k + 1);
        [indices[k], indices[j]] = [indices[j], indices[k]];
      }
      indices = indices.slice(0, maxSamples).sort((a, b) => a - b);
    }
    for (const j of indices) {
      const x0 = x[j];
      const plus = Math.fround(x0 + eps);
      const minus = Math.fround(x0 - eps);
      x[j] = plus;
      const lp = projected(c, work, r);
      x[j] = minus;
      const lm = projected(c, work, r);
      x[j] = x0;
      const numeric = (lp - lm) / (plus - minus);
      const diff = Math.abs(analytic[j] - numeric);
      maxDiff = Math.max(maxDiff, Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff);
      if (!(diff <= gradAtol + gradRtol * Math.abs(numeric))) {
        failures.push(`input ${i}[${j}]: analytic ${fmt(analytic[j])}, numeric ${fmt(numeric)}`);
      }
    }
  }
  if (failures.length > 0) {
    assert.fail(
      `${describeCase(c)} gradient: ${failures.length} elements differ from central differences (eps ${eps}); ` +
        `max abs diff ${fmt(maxDiff)} (atol ${gradAtol}, rtol ${gradRtol}); ${failures.slice(0, 5).join('; ')}`,
    );
  }
  recordCoverage(c.name, 'gradient', kernels);
}

/** Forward check (when a reference is given) and gradient check (unless gradInputs is false). */
export function checkOp(c: OpCase): void {
  if (c.reference) checkForward(c);
  if (c.gradInputs !== false) checkGradient(c);
}

/** Registers checkOp(c) as a node:test test named after the op and label. */
export function opTest(c: OpCase): void {
  test(describeCase(c), () => checkOp(c));
}

/**
 * Asserts fn throws and that the message matches every pattern (the op's name, the shapes it got, what it expected),
 * then records an error test for op.
 */
export function checkThrows(op: string, fn: () => unknown, ...patterns: RegExp[]): void {
  let message: string | null = null;
  try {
    fn();
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  assert.ok(message !== null, `${op}: expected an error, but nothing was thrown`);
  for (const p of patterns) assert.match(message, p, `${op}: the error message does not match ${p}`);
  recordCoverage(op, 'error');
}

/** Registers checkThrows as a node:test test. */
export function errorTest(op: string, label: string, fn: () => unknown, ...patterns: RegExp[]): void {
  test(`${op} error: ${label}`, () => checkThrows(op, fn, ...patterns));
}

/** Escapes a literal (e.g. a shape "[2, 3]") for use inside a RegExp. */
export function lit(s: string): RegExp {
  return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}
