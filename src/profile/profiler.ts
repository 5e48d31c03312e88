/**
 * The profiler: records every backend kernel call (at the backend seam, so both backends and every op are covered),
 * the phases a training step goes through (data wait, forward, backward, optimizer, callbacks), the JS time of each
 * module's forward and each backward rule, and the JS time between kernels, then reports one flat table whose rows
 * add up to the profiled wall time (an "other / JS" row holds what no span covered, so nothing is hidden).
 *
 * Off by default, and cheap when off: every hook is one `PROFILE.on` check. It sits below every other folder of src/
 * (it imports none of them) so the backend, autograd, optim and train can all report into it.
 *
 * @example
 *   startProfile({ trace: true });
 *   for (...) trainStep(...);
 *   const report = stopProfile();
 *   console.log(formatProfile(report));
 *   writeFileSync('trace.json', JSON.stringify(chromeTrace(report)));
 * SIMMER_PROFILE=1 profiles the whole process and prints the table to stderr at exit (SIMMER_PROFILE_TRACE=file
 * also writes the trace).
 */
import { describeKernel } from './kernels.ts';

/** The one flag every hook checks. */
export const PROFILE = { on: false };

export type Phase = 'data' | 'forward' | 'backward' | 'optimizer' | 'callbacks' | 'eval' | 'other';
/** kernel: a backend call; op: JS of a module forward or a backward rule (its kernels excluded); phase: a step phase. */
export type SpanKind = 'kernel' | 'op' | 'phase';

interface Frame {
  kind: SpanKind;
  name: string;
  phase: Phase;
  start: number;
  child: number;
}

/** One row of the table: the time spent in a span with this phase, kind and name, its own children excluded. */
export interface ProfileRow {
  phase: Phase;
  kind: SpanKind | 'other';
  name: string;
  calls: number;
  /** Self time: the span's wall time minus that of the spans inside it. */
  ms: number;
  /** Floating-point operations of the kernel calls (0 where a kernel has no FLOP count). */
  flops: number;
  /** Call count per shape description, most frequent first in the table. */
  shapes: Map<string, number>;
}

export interface TraceEvent {
  name: string;
  cat: string;
  ph: 'X';
  ts: number;
  dur: number;
  pid: number;
  tid: number;
  args?: Record<string, string | number>;
}

export interface ProfileReport {
  /** Wall time from startProfile to stopProfile. */
  totalMs: number;
  /** Training steps marked with markStep (0 when none were). */
  steps: number;
  rows: ProfileRow[];
  /** Chrome trace events (empty unless startProfile({ trace: true })). */
  events: TraceEvent[];
  /** Events dropped past the cap (maxEvents). */
  droppedEvents: number;
  backend: string;
}

export interface ProfileOptions {
  /** Keep one trace event per span for chromeTrace (memory: ~150 bytes each). */
  trace?: boolean;
  /** At most this many trace events (default 1,000,000); later ones are counted, not kept. */
  maxEvents?: number;
}

const stack: Frame[] = [];
let rows = new Map<string, ProfileRow>();
let events: TraceEvent[] = [];
let dropped = 0;
let tracing = false;
let maxEvents = 1_000_000;
let t0 = 0;
let steps = 0;
let backendName = '';
let topLevel = 0;
let traceStart = 0;

const now = (): number => performance.now();

function currentPhase(): Phase {
  for (let i = stack.length - 1; i >= 0; i--) if (stack[i].kind === 'phase') return stack[i].phase;
  return 'other';
}

function row(phase: Phase, kind: ProfileRow['kind'], name: string): ProfileRow {
  const key = `${phase}\u0000${kind}\u0000${name}`;
  let r = rows.get(key);
  if (r === undefined) {
    r = { phase, kind, name, calls: 0, ms: 0, flops: 0, shapes: new Map() };
    rows.set(key, r);
  }
  return r;
}

function emit(name: string, cat: string, start: number, dur: number, args?: Record<string, string | number>): void {
  if (!tracing) return;
  if (events.length >= maxEvents) {
    dropped++;
    return;
  }
  const e: TraceEvent = { name, cat, ph: 'X', ts: Math.round((start - traceStart) * 1000), dur: Math.max(0, Math.round(dur * 1000)), pid: 1, tid: 1 };
  if (args) e.args = args;
  events.push(e);
}

/** Starts recording (clearing what an earlier run recorded). */
export function startProfile(options: ProfileOptions = {}): void {
  stack.length = 0;
  rows = new Map();
  events = [];
  dropped = 0;
  steps = 0;
  topLevel = 0;
  tracing = options.trace ?? false;
  maxEvents = options.maxEvents ?? 1_000_000;
  t0 = now();
  traceStart = t0;
  PROFILE.on = true;
}

/** Stops recording and returns what was recorded; the table's rows sum to totalMs. */
export function stopProfile(): ProfileReport {
  const end = now();
  PROFILE.on = false;
  while (stack.length > 0) endSpanAt(end); // spans left open (an exception) end here
  const totalMs = end - t0;
  const other = row('other', 'other', 'other / JS outside every span');
  other.ms += totalMs - topLevel;
  other.calls = 1;
  const report: ProfileReport = { totalMs, steps, rows: [...rows.values()], events, droppedEvents: dropped, backend: backendName };
  rows = new Map();
  events = [];
  return report;
}

/** Counts one training step (the table then shows time per step). */
export function markStep(): void {
  steps++;
}

/** Names the backend the kernels ran on (shown in the table's header). */
export function noteBackend(name: string): void {
  if (backendName === '' || backendName === name) backendName = name;
  else if (!backendName.split('+').includes(name)) backendName += `+${name}`;
}

/** Opens a span; every beginSpan needs its endSpan (use try/finally where the code between can throw). */
export function beginSpan(kind: SpanKind, name: string, phase?: Phase): void {
  stack.push({ kind, name, phase: phase ?? currentPhase(), start: now(), child: 0 });
}

function endSpanAt(end: number, shape?: string, flops = 0): void {
  const f = stack.pop();
  if (f === undefined) return;
  const dur = end - f.start;
  const parent = stack[stack.length - 1];
  if (parent) parent.child += dur;
  else topLevel += dur;
  const r = row(f.phase, f.kind, f.name);
  r.calls++;
  r.ms += dur - f.child;
  r.flops += flops;
  if (shape !== undefined) r.shapes.set(shape, (r.shapes.get(shape) ?? 0) + 1);
  emit(f.name, f.kind === 'phase' ? f.phase : `${f.kind}:${f.phase}`, f.start, dur, shape ? { shape } : undefined);
}

/** Closes the innermost span. */
export function endSpan(): void {
  endSpanAt(now());
}

/** Records a span that already ended (e.g. a data wait measured around an await), at the current depth. */
export function recordSpan(kind: SpanKind, name: string, phase: Phase, start: number, end: number): void {
  stack.push({ kind, name, phase, start, child: 0 });
  endSpanAt(end);
}

/** Runs fn inside a span when profiling, or just runs it. */
export function span<T>(kind: SpanKind, name: string, phase: Phase | undefined, fn: () => T): T {
  if (!PROFILE.on) return fn();
  beginSpan(kind, name, phase);
  try {
    return fn();
  } finally {
    endSpan();
  }
}

/** Times one kernel call: its row label, shape and FLOPs come from its arguments (./kernels.ts). */
function kernelCall(name: string, fn: (...a: unknown[]) => unknown, self: unknown, args: unknown[]): unknown {
  const d = describeKernel(name, args);
  beginSpan('kernel', d.label);
  try {
    return fn.apply(self, args);
  } finally {
    endSpanAt(now(), d.shape, d.flops);
  }
}

const wrapped = new WeakMap<object, object>();

/**
 * The same backend with every kernel timed (made once per backend object, then reused). backend() in
 * src/backend/index.ts returns this instead of the plain backend while PROFILE.on.
 */
export function profiledBackend<B extends object>(b: B): B {
  const hit = wrapped.get(b);
  if (hit) return hit as B;
  const out: Record<string, unknown> = {};
  const src = b as Record<string, unknown>;
  for (const key of Object.keys(src)) {
    const v = src[key];
    if (typeof v !== 'function') {
      out[key] = v;
      continue;
    }
    const fn = v as (...a: unknown[]) => unknown;
    out[key] = (...args: unknown[]): unknown => (PROFILE.on ? kernelCall(key, fn, b, args) : fn.apply(b, args));
  }
  wrapped.set(b, out);
  return out as B;
}

interface Timable {
  forward: (...inputs: unknown[]) => unknown;
  namedModules(): [string, object][];
}

/** Marks the forward wrappers profileModules installs, so code that changes what runs when a module is hooked can tell them apart. */
const TIMING_WRAPPER = Symbol('simmer.profile.timingWrapper');

/**
 * True when `fn` is a forward wrapper of profileModules (which only times). Sequential's fusion checks this: a module
 * with user hooks must run its own forward, but a profiled one must run exactly as it would unprofiled.
 */
export function isTimingWrapper(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[TIMING_WRAPPER] === true;
}

/**
 * Times each module's forward (its JS: shape checks, allocation, graph recording; its kernels are their own rows).
 * It wraps `forward` on each instance (no hooks, which would turn Sequential's fusion off and so profile a different
 * step than the one that runs unprofiled) and returns a function that takes the wrappers away.
 */
export function profileModules(model: object): () => void {
  const restore: (() => void)[] = [];
  for (const [, m] of (model as Timable).namedModules()) {
    const mod = m as Timable;
    if (typeof mod.forward !== 'function' || isTimingWrapper(mod.forward)) continue;
    const label = `${m.constructor.name}.forward`;
    const own = Object.hasOwn(mod, 'forward');
    const inner = mod.forward;
    const wrapper = function (this: unknown, ...inputs: unknown[]): unknown {
      return PROFILE.on ? span('op', label, undefined, () => inner.apply(this, inputs)) : inner.apply(this, inputs);
    };
    (wrapper as unknown as Record<symbol, unknown>)[TIMING_WRAPPER] = true;
    mod.forward = wrapper;
    restore.push(() => {
      if (mod.forward !== wrapper) return; // someone wrapped it again since (hooks): leave theirs, ours only times
      if (own) mod.forward = inner;
      else delete (mod as unknown as Record<string, unknown>).forward;
    });
  }
  return () => {
    for (const r of restore.reverse()) r();
  };
}
