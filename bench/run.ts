/**
 * `npm run bench`: the workloads of shared/WORKLOADS.md on Simmer (native and JS backends) and, in the same run, on
 * the peers that are installed — PyTorch (Debian's python3-torch at /usr/bin/python3) with 1 thread and with all
 * cores, TensorFlow.js on its cpu and wasm backends. Prints the side-by-side table and writes every figure to
 * bench/results/<date>.json and bench/results/latest.md.
 *
 * Every measurement is its own child process (peak RSS per system; a crash loses one figure, not the run), and the
 * systems alternate round by round so drift on a shared machine hits all of them alike.
 *
 *   npm run bench                      # full run (~22 min on 2 cores)
 *   npm run bench -- --quick           # smoke test, ~2–3 min
 *   npm run bench -- --only W1,W3      # sections: W1 W2 W3 W4 W5 W6 W7 T1 scaling loader contention latency memory
 *   npm run bench -- --only latency,memory   # dashboard p95 while training; RSS across epochs (~1–2 min)
 *   npm run bench -- --contention      # add W3 beside a busy-loop process
 *   npm run bench -- --only W2,W3,W4 --fast-only   # Simmer native and PyTorch only (A/B runs between builds)
 *   npm run bench -- --only ddp        # W3 data-parallel: 1 process × 2 threads, 1 × 1, 2 MPI ranks × 1 thread
 *   npm run bench -- --json-out x.json
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { nativeInfo } from '../src/backend/native/load.ts';
import { classifyBlas, describeBlas, ratioRefusal, TORCH_BLAS_PROBE } from './blas.ts';
import { measurePeak } from './peak.ts';
import { type JobResult, type JobSpec, parseResult } from './protocol.ts';
import { type BenchResults, fmt, fmtDuration, formatReport, type Row, type SystemId, type SystemStatus, stats, writeResults } from './report.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = process.env.SIMMER_BENCH_PYTHON ?? '/usr/bin/python3';
const SECTIONS = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7', 'T1', 'scaling', 'loader', 'contention', 'latency', 'memory', 'ddp'];

/** A system run a particular way: the unit that alternates within a round. */
interface Variant {
  system: SystemId;
  label: string;
  threads: number;
  /** Slow systems (JS kernels) run one round with a time budget; their figures are extrapolated from few steps. */
  slow: boolean;
  /** Simmer under mpirun with this many ranks (the ddp section). */
  ranks?: number;
}

const program = new Command()
  .name('bench')
  .description('Simmer vs PyTorch and TensorFlow.js on the workloads of shared/WORKLOADS.md')
  .option('--quick', 'small samples, one round (CI smoke test, < 3 min)', false)
  .option('--only <sections>', `comma-separated subset of ${SECTIONS.join(',')}`)
  .option('--contention', 'also run W3 beside a busy-loop process (Simmer and PyTorch)', false)
  .option('--fast-only', 'skip the slow systems (Simmer JS, TF.js): for A/B runs of Simmer native against PyTorch', false)
  .option('--rounds <n>', 'alternating rounds for the fast systems (default 3, --quick 1)')
  .option('--json-out <file>', 'where to write the JSON with every figure (default bench/results/<date>.json)')
  .parse();
const opts = program.opts<{ quick: boolean; only?: string; contention: boolean; fastOnly: boolean; rounds?: string; jsonOut?: string }>();
const quick = opts.quick;
const rounds = opts.rounds ? Number(opts.rounds) : quick ? 1 : 3;
const only = opts.only ? new Set(opts.only.split(',').map((s) => s.trim())) : null;
for (const s of only ?? []) if (!SECTIONS.includes(s)) program.error(`--only: unknown section '${s}'; choose from ${SECTIONS.join(', ')}`);
const wants = (s: string) => (only ? only.has(s) : s !== 'contention' || opts.contention);

const cores = cpus().length;
const started = performance.now();

// ── which systems are here ───────────────────────────────────────────────────────────────────────────────────────
function detectSystems(): SystemStatus[] {
  const list: SystemStatus[] = [];
  const n = nativeInfo();
  list.push({
    id: 'simmer-native',
    name: 'Simmer native',
    available: n.info !== null,
    detail: n.info ? `${n.info.simd} (${n.info.gemmKernel}), ${n.info.threads} threads` : (n.error ?? 'not built'),
  });
  list.push({ id: 'simmer-js', name: 'Simmer JS', available: true, detail: 'reference TypeScript kernels, 1 thread' });
  try {
    const out = execFileSync(PYTHON, ['-c', `import numpy\n${TORCH_BLAS_PROBE}`], {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const probe = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { torch: string; libraries: string[] };
    const blas = classifyBlas(probe.libraries);
    list.push({ id: 'torch', name: 'PyTorch', available: true, detail: `torch ${probe.torch} (${PYTHON}), ${describeBlas(blas)}`, blas });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const why = existsSync(PYTHON) ? `${PYTHON} cannot import torch: ${(err.stderr ?? err.message).trim().split('\n').pop()}` : `${PYTHON} not found`;
    list.push({ id: 'torch', name: 'PyTorch', available: false, detail: `${why} (install Debian's python3-torch)` });
  }
  const require = createRequire(import.meta.url);
  const resolve = (m: string): string | null => {
    try {
      return require.resolve(m);
    } catch {
      return null;
    }
  };
  const tfjs = resolve('@tensorflow/tfjs');
  let tfVersion = '';
  if (tfjs) tfVersion = (require('@tensorflow/tfjs/package.json') as { version: string }).version;
  list.push({
    id: 'tfjs-cpu',
    name: 'TF.js cpu',
    available: tfjs !== null,
    detail: tfjs ? `@tensorflow/tfjs ${tfVersion}, pure JS kernels, 1 thread` : '@tensorflow/tfjs is not installed (npm install -D @tensorflow/tfjs)',
  });
  const wasm = tfjs ? resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm') : null;
  list.push({
    id: 'tfjs-wasm',
    name: 'TF.js wasm',
    available: wasm !== null,
    detail: wasm
      ? `@tensorflow/tfjs-backend-wasm ${tfVersion}, XNNPACK + SIMD, 1 thread (no threaded wasm in Node)`
      : '@tensorflow/tfjs-backend-wasm is not installed',
  });
  return list;
}

const systems = detectSystems();
const available = (id: SystemId) => systems.find((s) => s.id === id)?.available ?? false;
// Without the addon (or with one built before the kernel specs changed) every Simmer figure would be the JS backend's:
// a report of that kind compares nothing we ship, so stop before spending minutes on it.
if (!available('simmer-native')) {
  console.error(`bench: the native backend is not available: ${systems.find((s) => s.id === 'simmer-native')?.detail}`);
  console.error('bench: once it is built, `npx simmer info` says "backend native"; then run the bench again.');
  process.exit(1);
}
const fast: Variant[] = [];
const slow: Variant[] = [];
fast.push({ system: 'simmer-native', label: `Simmer native ${cores}t`, threads: cores, slow: false });
if (available('torch')) {
  fast.push({ system: 'torch', label: 'PyTorch 1t', threads: 1, slow: false });
  if (cores > 1) fast.push({ system: 'torch', label: `PyTorch ${cores}t`, threads: cores, slow: false });
}
if (!opts.fastOnly) {
  slow.push({ system: 'simmer-js', label: 'Simmer JS', threads: 1, slow: true });
  if (available('tfjs-cpu')) slow.push({ system: 'tfjs-cpu', label: 'TF.js cpu', threads: 1, slow: true });
  if (available('tfjs-wasm')) slow.push({ system: 'tfjs-wasm', label: 'TF.js wasm', threads: 1, slow: true });
}

// ── child processes ──────────────────────────────────────────────────────────────────────────────────────────────
interface Outcome extends JobResult {
  wallS: number;
}

function command(v: Variant, spec: JobSpec): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  const json = JSON.stringify(spec);
  const env = { ...process.env };
  switch (v.system) {
    case 'simmer-native':
    case 'simmer-js':
      env.SIMMER_BACKEND = v.system === 'simmer-js' ? 'js' : 'native';
      env.SIMMER_THREADS = String(v.threads);
      if ((v.ranks ?? 1) > 1) {
        // The ranks may outnumber free cores on a shared machine; the MPI addon picks the shared-memory copy itself.
        const child = [process.execPath, '--import', 'tsx', join(ROOT, 'bench/workloads/child.ts'), json];
        return { cmd: 'mpirun', args: ['--allow-run-as-root', '--oversubscribe', '--bind-to', 'none', '-np', String(v.ranks), ...child], env };
      }
      // --expose-gc lets the memory section collect before it reads the RSS; other jobs never call gc().
      return { cmd: process.execPath, args: ['--expose-gc', '--import', 'tsx', join(ROOT, 'bench/workloads/child.ts'), json], env };
    case 'torch':
      env.OMP_NUM_THREADS = String(v.threads);
      return { cmd: PYTHON, args: [join(ROOT, 'bench/peers/torch_bench.py'), json], env };
    case 'tfjs-cpu':
    case 'tfjs-wasm':
      return { cmd: process.execPath, args: ['--import', 'tsx', join(ROOT, 'bench/peers/tfjs_bench.ts'), v.system.slice(5), json], env };
  }
}

let busyLoop: ChildProcess | null = null;
process.on('exit', () => busyLoop?.kill('SIGKILL'));

function runJob(v: Variant, spec: JobSpec, timeoutS: number): Promise<Outcome> {
  const { cmd, args, env } = command(v, { ...spec, threads: v.threads });
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallS = (performance.now() - t0) / 1000;
      const r = parseResult(out);
      if (r) return resolve({ ...r, wallS });
      const why = signal === 'SIGKILL' ? `timed out after ${timeoutS} s` : `exited with ${code ?? signal} without a result`;
      const tail = err.trim().split('\n').slice(-3).join(' ').slice(0, 300);
      resolve({ ok: false, error: `${why}${tail ? `: ${tail}` : ''}`, threads: v.threads, rssMB: 0, figures: {}, notes: [], wallS });
    });
  });
}

// ── collecting rows ──────────────────────────────────────────────────────────────────────────────────────────────
const rows: Row[] = [];
const curves: NonNullable<BenchResults['curves']> = {};

const UNITS: Record<string, string> = {
  'images/s': 'images/s',
  'epoch-1 images/s': 'images/s',
  accuracy: 'accuracy',
  'accuracy after 2 epochs': 'accuracy',
  'best accuracy': 'accuracy',
  'seconds to target': 's',
  'data-wait fraction': 'fraction',
  'GET /api/runs p50': 'ms',
  'GET /api/runs p95': 'ms',
  'RSS after epoch 1': 'MiB',
  'RSS after epoch 3': 'MiB',
  'RSS growth epoch 1 to 3': 'fraction',
  'step ms': 'ms',
  'CPU ms per step': 'ms',
  parameters: 'count',
  'images/CPU-s': 'images/CPU-s',
  'all-reduce wait share': 'fraction',
  'all-reduce busy share': 'fraction',
  'all-reduce transfer share': 'fraction',
  'all-reduce CPU share': 'fraction',
};

function rowFor(section: string, metric: string, config: string, v: Variant): Row {
  let r = rows.find((o) => o.section === section && o.metric === metric && o.config === config && o.label === v.label);
  if (!r) {
    r = {
      section,
      metric,
      config,
      system: v.system,
      label: v.label,
      threads: v.threads,
      unit: UNITS[metric] ?? 'GFLOP/s',
      samples: [],
      status: 'ok',
      notes: [],
    };
    rows.push(r);
  }
  return r;
}

/** Files a child's figures into rows; a failed child marks the rows it would have filled. */
function record(section: string, config: string, v: Variant, o: Outcome, expected: string[], pickMetrics?: (m: string) => boolean): void {
  const metrics = o.ok ? Object.keys(o.figures).filter((m) => !pickMetrics || pickMetrics(m)) : expected;
  for (const m of metrics) {
    const r = rowFor(section, m, config, v);
    r.rssMB = Math.max(r.rssMB ?? 0, o.rssMB);
    if (o.ok) {
      r.samples.push(...o.figures[m]);
      // A note that names a figure ("64x3136x128: 3 calls") belongs to that figure's row only.
      const mine = (n: string) => n.startsWith(`${m}:`) || !metrics.some((k) => n.startsWith(`${k}:`));
      for (const n of o.notes) if (mine(n) && !r.notes.includes(n)) r.notes.push(n);
    } else if (r.samples.length === 0) {
      r.status = o.unsupported ? 'unsupported' : 'failed';
      r.reason = o.error?.split('\n')[0].slice(0, 200);
    }
  }
  const shown = o.ok
    ? metrics
        .filter((m) => m !== 'data-wait fraction')
        .map((m) => `${m} ${fmt(o.figures[m][o.figures[m].length >> 1], UNITS[m] ?? '')}`)
        .join(', ')
    : `${o.unsupported ? 'cannot run' : 'FAILED'}: ${o.error?.split('\n')[0].slice(0, 160)}`;
  console.log(`  [${section}${config ? ` ${config}` : ''}] ${v.label.padEnd(16)} ${shown}  (${o.wallS.toFixed(1)} s, ${o.rssMB.toFixed(0)} MB)`);
}

function skip(section: string, metric: string, config: string, v: Variant, reason: string): void {
  const r = rowFor(section, metric, config, v);
  r.status = 'skipped';
  r.reason = reason;
}

/** Runs a job on every variant, `rounds` times for the fast ones, rotating the order each round. */
async function alternate(
  section: string,
  expected: string[],
  specFast: JobSpec,
  specSlow: JobSpec | null,
  timeoutS: number,
  slowSkip?: (v: Variant) => string | null,
  nRounds = rounds,
): Promise<void> {
  for (let r = 0; r < nRounds; r++) {
    const order = [...fast.slice(r % Math.max(1, fast.length)), ...fast.slice(0, r % Math.max(1, fast.length))];
    const list = r === 0 ? [...order, ...slow] : order;
    for (const v of list) {
      if (v.slow) {
        const why = slowSkip?.(v) ?? (specSlow === null ? 'not run' : null);
        if (why || specSlow === null) {
          for (const m of expected) skip(section, m, '', v, why ?? 'not run');
          continue;
        }
      }
      const o = await runJob(v, v.slow && specSlow ? specSlow : specFast, timeoutS);
      record(section, '', v, o, expected);
    }
  }
}

/** PyTorch's better thread count for a section, by median images/s (or GFLOP/s of the first shape). */
function torchBest(section: string, metric: string): number {
  const cands = rows.filter((r) => r.section === section && r.metric === metric && r.system === 'torch' && r.status === 'ok');
  if (cands.length === 0) return cores;
  return cands.reduce((a, b) => (stats(b.samples).median > stats(a.samples).median ? b : a)).threads;
}

// ── the sections ─────────────────────────────────────────────────────────────────────────────────────────────────
const machineModel = (() => {
  try {
    const l = execFileSync('lscpu', { encoding: 'utf8' });
    return /Model name:\s*(.+)/.exec(l)?.[1].trim() ?? 'unknown CPU';
  } catch {
    return cpus()[0]?.model ?? 'unknown CPU';
  }
})();

console.log(`Simmer bench${quick ? ' --quick' : ''}: ${machineModel}, ${cores} cores, ${rounds} round(s)`);
for (const s of systems) console.log(`  ${s.name}: ${s.available ? s.detail : `SKIPPED — ${s.detail}`}`);
const blasRefusal = ratioRefusal('W1', systems.find((s) => s.id === 'torch')?.blas);
if (blasRefusal) console.log(`  No W1/W2 ratios against PyTorch: ${blasRefusal}.`);

let peak: BenchResults['peak'] = { ok: false, error: 'not run (--only)', byThreads: {} };
const peakThreads = cores > 1 ? [1, cores] : [1];
const wantPeak = wants('W5') || wants('W1');
/**
 * W5 samples are taken at the start and again between sections: on a shared machine the other core is often busy,
 * which lowers a peak measurement; the report's share-of-peak uses the best run.
 */
function samplePeak(reps: number): void {
  if (!wantPeak || reps === 0) return;
  const p = measurePeak(ROOT, peakThreads, reps, quick ? 0.3 : 0.5);
  if (!p.ok) {
    if (!peak.ok) peak = { ok: false, error: p.error, byThreads: {} };
    return;
  }
  const byThreads = { ...peak.byThreads };
  for (const [t, v] of Object.entries(p.byThreads)) byThreads[String(t)] = [...(byThreads[String(t)] ?? []), ...v];
  peak = { ok: true, isa: p.isa, byThreads };
  console.log(`  W5 ${p.isa}: ${peakThreads.map((t) => `${t}t ${fmt(stats(p.byThreads[t]).median)} GFLOP/s`).join(', ')}`);
}
if (wantPeak) console.log('W5 fp32 FMA peak');
samplePeak(quick ? 1 : 3);

const W1_SHAPES: [number, number, number][] = [
  [1024, 1024, 1024],
  [64, 3136, 128],
  [3136, 64, 288],
];
const shapeKeys = W1_SHAPES.map((s) => s.join('x'));

if (wants('W1')) {
  console.log('W1 SGEMM');
  await alternate(
    'W1',
    shapeKeys,
    { kind: 'sgemm', threads: 0, shapes: W1_SHAPES, minCalls: quick ? 3 : 10, maxCalls: quick ? 10 : 30, budgetS: quick ? 0.5 : 3 },
    { kind: 'sgemm', threads: 1, shapes: W1_SHAPES, minCalls: quick ? 1 : 2, maxCalls: 10, budgetS: quick ? 0.5 : 5, warmupSteps: quick ? 0 : 1 },
    600,
  );
  samplePeak(quick ? 1 : 2);
}

if (wants('W2')) {
  console.log('W2 MLP training');
  await alternate(
    'W2',
    ['images/s'],
    { kind: 'mlp-train', threads: 0, maxSteps: quick ? 40 : 0, budgetS: quick ? 10 : 60 },
    { kind: 'mlp-train', threads: 1, maxSteps: 0, minSteps: 2, budgetS: quick ? 2 : 10 },
    900,
    undefined,
    Math.min(rounds, 2),
  );
}

const W3_SEGMENT = quick ? 20 : 235; // steps: 1/4 epoch in the full run
// A system that collapses under the machine's background load (PyTorch with all threads fell to ~160 images/s here)
// would stretch the run past 25 min; past this many seconds its segment stops and is marked extrapolated.
const SEGMENT_BUDGET = quick ? 20 : 30;
if (wants('W3')) {
  console.log(`W3 CNN training (${W3_SEGMENT}-step segments, alternating)`);
  await alternate(
    'W3',
    ['images/s'],
    { kind: 'cnn-train', threads: 0, maxSteps: W3_SEGMENT, budgetS: SEGMENT_BUDGET, warmupSteps: 3 },
    { kind: 'cnn-train', threads: 1, maxSteps: 938, minSteps: 1, budgetS: quick ? 2 : 5, warmupSteps: quick ? 1 : 0 },
    900,
    (v) => (v.system === 'tfjs-cpu' && quick ? 'skipped in --quick: one batch-64 training step takes ~1 min on TF.js cpu' : null),
  );
  // The data-wait fraction is the loader section's figure.
  for (const r of rows.filter((x) => x.section === 'W3' && x.metric === 'data-wait fraction')) rows.splice(rows.indexOf(r), 1);
}

if (wants('W4')) {
  console.log('W4 CNN inference');
  await alternate(
    'W4',
    ['images/s'],
    { kind: 'cnn-infer', threads: 0, passes: quick ? 1 : 3, maxSteps: quick ? 2560 : 0, budgetS: 30 },
    { kind: 'cnn-infer', threads: 1, budgetS: quick ? 2 : 8 },
    600,
  );
}

/** Notes the 1-minute load average before and after a section on its Simmer row (a shared machine's context). */
async function withLoad(section: string, run: () => Promise<void>): Promise<void> {
  const before = loadavg()[0];
  await run();
  const load = `load average ${before.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after (${cores} cores)`;
  const row = rows.find((x) => x.section === section && x.system === 'simmer-native' && x.metric === 'images/s');
  row?.notes.push(load);
  console.log(`  ${load}`);
}

// W6/W7: the U-Net denoiser. Simmer JS and TF.js do not run them (minutes per step on single-threaded JS kernels).
const slowNotRun = () => 'not run: minutes per U-Net step on single-threaded JS kernels';
if (wants('W6')) {
  console.log('W6 U-Net diffusion training (batch 64, alternating)');
  await withLoad('W6', () =>
    alternate(
      'W6',
      ['images/s', 'images/CPU-s', 'parameters'],
      { kind: 'unet-train', threads: 0, batch: 64, maxSteps: quick ? 3 : 20, budgetS: quick ? 10 : 45, warmupSteps: quick ? 1 : 2 },
      null,
      600,
      slowNotRun,
    ),
  );
}

if (wants('W7')) {
  console.log(quick ? 'W7 DDIM sampling (--quick: 2 steps, B = 20)' : 'W7 DDIM sampling, 25 steps, guidance 2, B = 100 (alternating)');
  await withLoad('W7', () =>
    alternate(
      'W7',
      ['images/s', 'images/CPU-s'],
      { kind: 'unet-sample', threads: 0, batch: quick ? 20 : 100, samplerSteps: quick ? 2 : 25, passes: 1, budgetS: 0 },
      null,
      900,
      slowNotRun,
    ),
  );
}

const bestW3 = torchBest('W3', 'images/s');
if (wants('T1')) {
  console.log(quick ? 'T1 time to accuracy (--quick: 40 steps, evaluated every 20)' : 'T1 time to 90% test accuracy (and W3 accuracy after 2 epochs)');
  const spec: JobSpec = quick
    ? { kind: 'cnn-accuracy', threads: 0, budgetS: 0, maxSteps: 40, evalEvery: 20, minEpochs: 0, maxEpochs: 1 }
    : { kind: 'cnn-accuracy', threads: 0, budgetS: 0, minEpochs: 2, maxEpochs: 4, target: 0.9 };
  for (const v of fast.filter((f) => f.system !== 'torch' || f.threads === bestW3)) {
    const o = await runJob(v, spec, 1800);
    // The whole-epoch throughput and the 2-epoch accuracy are W3 figures; the clock to 90% is T1.
    record('W3', '', v, o, ['epoch-1 images/s', 'accuracy after 2 epochs'], (m) => m === 'epoch-1 images/s' || m === 'accuracy after 2 epochs');
    record('T1', '', v, o, ['seconds to target'], (m) => m === 'seconds to target' || m === 'best accuracy');
    if (o.curve) curves[v.label] = o.curve;
  }
  for (const v of slow) skip('T1', 'seconds to target', '', v, 'not run: hours of training on single-threaded JS kernels');
}

if (wants('scaling')) {
  console.log('Scaling: W3 by batch size and threads');
  const images = quick ? 320 : 3200;
  for (const batch of [16, 64, 256]) {
    for (const threads of cores > 1 ? [1, cores] : [1]) {
      const config = `batch ${batch}, ${threads}t`;
      const variants: Variant[] = [];
      variants.push({ system: 'simmer-native', label: 'Simmer native', threads, slow: false });
      if (available('torch')) variants.push({ system: 'torch', label: 'PyTorch', threads, slow: false });
      for (const v of variants) {
        const o = await runJob(v, { kind: 'cnn-train', threads, batch, maxSteps: Math.ceil(images / batch), budgetS: SEGMENT_BUDGET, warmupSteps: 3 }, 600);
        record('scaling', config, v, o, ['images/s'], (m) => m === 'images/s');
      }
    }
  }
}

if (wants('loader')) {
  console.log('Data loader: W3 with augmentation through 2 workers');
  const v: Variant = { system: 'simmer-native', label: `Simmer native ${cores}t`, threads: cores, slow: false };
  const configs: [string, Partial<JobSpec>][] = [
    ['no augmentation', {}],
    ['standard augmentation, 2 workers', { augment: 'standard', workers: 2 }],
    ['standard augmentation, main thread', { augment: 'standard', workers: 0 }],
  ];
  for (let r = 0; r < 1; r++) {
    for (const [config, extra] of configs) {
      const o = await runJob(v, { kind: 'cnn-train', threads: cores, maxSteps: W3_SEGMENT, budgetS: SEGMENT_BUDGET, warmupSteps: 3, ...extra }, 600);
      record('loader', config, v, o, ['images/s', 'data-wait fraction']);
    }
  }
}

if (wants('contention')) {
  console.log('Contention: W3 alone, then beside a busy loop on one core');
  for (const v of fast) {
    for (const load of ['alone', 'beside a busy loop']) {
      if (load !== 'alone') {
        busyLoop = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
        await new Promise((r) => setTimeout(r, 300));
      }
      const o = await runJob(v, { kind: 'cnn-train', threads: v.threads, maxSteps: W3_SEGMENT, budgetS: SEGMENT_BUDGET, warmupSteps: 3 }, 600);
      if (busyLoop) {
        busyLoop.kill('SIGKILL');
        busyLoop = null;
      }
      record('contention', load, v, o, ['images/s'], (m) => m === 'images/s');
    }
  }
  for (const v of fast) {
    const alone = rows.find((r) => r.section === 'contention' && r.label === v.label && r.config === 'alone');
    const busy = rows.find((r) => r.section === 'contention' && r.label === v.label && r.config === 'beside a busy loop');
    if (alone?.samples.length && busy?.samples.length) {
      busy.notes.push(`keeps ${((100 * stats(busy.samples).median) / stats(alone.samples).median).toFixed(0)}% of its speed alone`);
    }
  }
}

if (wants('latency')) {
  console.log('Latency: GET /api/runs while a run trains (was an assertion in test/server/api.test.ts)');
  const v: Variant = { system: 'simmer-native', label: `Simmer native ${cores}t`, threads: cores, slow: false };
  for (let r = 0; r < rounds; r++) {
    const o = await runJob(v, { kind: 'api-latency', threads: cores, budgetS: SEGMENT_BUDGET, maxCalls: quick ? 30 : 60 }, 300);
    record('latency', '', v, o, ['GET /api/runs p50', 'GET /api/runs p95']);
  }
}

if (wants('memory')) {
  console.log('Memory: RSS after epochs 1 and 3 of a shapes run (was an assertion in test/train/memory.test.ts)');
  const v: Variant = { system: 'simmer-native', label: `Simmer native ${cores}t`, threads: cores, slow: false };
  const o = await runJob(v, { kind: 'train-rss', threads: cores, budgetS: SEGMENT_BUDGET, seed: 2 }, 300);
  record('memory', '', v, o, ['RSS after epoch 1', 'RSS after epoch 3', 'RSS growth epoch 1 to 3']);
}

if (wants('ddp')) {
  console.log('DDP: W3 on 1 process × 2 threads, 1 × 1, and 2 MPI ranks × 1 thread (batch 64 per process)');
  const load0 = loadavg()[0];
  const configs: [string, Variant][] = [
    ['1 process × 2 threads', { system: 'simmer-native', label: 'Simmer 1p×2t', threads: 2, slow: false }],
    ['1 process × 1 thread', { system: 'simmer-native', label: 'Simmer 1p×1t', threads: 1, slow: false }],
    ['2 ranks × 1 thread', { system: 'simmer-native', label: 'Simmer 2r×1t', threads: 1, slow: false, ranks: 2 }],
  ];
  const steps = quick ? 20 : 150;
  // The load of a shared machine moves by 2× between minutes: the ratio that means something is that of one round.
  const roundRatios: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const speed: Record<string, number> = {};
    for (const [config, v] of [...configs.slice(r % 3), ...configs.slice(0, r % 3)]) {
      const o = await runJob(v, { kind: 'ddp-train', threads: v.threads, ranks: v.ranks ?? 1, batch: 64, maxSteps: steps, warmupSteps: 5, budgetS: 0 }, 900);
      record('ddp', config, v, o, ['images/s', 'step ms']);
      if (o.ok) speed[config] = o.figures['images/s'][0];
    }
    const ratio = speed['2 ranks × 1 thread'] / speed['1 process × 1 thread'];
    if (Number.isFinite(ratio)) roundRatios.push(`${ratio.toFixed(2)}× (load ${loadavg()[0].toFixed(1)})`);
  }
  const median = (config: string) => {
    const row = rows.find((x) => x.section === 'ddp' && x.config === config && x.metric === 'images/s');
    return row?.samples.length ? stats(row.samples).median : null;
  };
  const one = median('1 process × 1 thread');
  const two = median('2 ranks × 1 thread');
  const row = rows.find((x) => x.section === 'ddp' && x.config === '2 ranks × 1 thread' && x.metric === 'images/s');
  const load = `load average ${load0.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after (${cores} cores)`;
  if (row && one && two) row.notes.push(`${(two / one).toFixed(2)}× of 1 process × 1 thread (medians); per round: ${roundRatios.join(', ')}; ${load}`);
  console.log(`  ${one && two ? `2 ranks × 1t = ${(two / one).toFixed(2)}× 1 × 1t; ` : ''}${load}`);
}

samplePeak(quick ? 0 : 2);

const results: BenchResults = {
  date: new Date().toISOString().slice(0, 19).replace('T', ' '),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  quick,
  durationS: (performance.now() - started) / 1000,
  machine: { model: machineModel, cores, node: process.version, os: `Linux ${release()}` },
  peak,
  systems,
  rows,
  torchBest: {
    W1: torchBest('W1', shapeKeys[0]),
    W2: torchBest('W2', 'images/s'),
    W3: bestW3,
    W4: torchBest('W4', 'images/s'),
    W6: torchBest('W6', 'images/s'),
    W7: torchBest('W7', 'images/s'),
    T1: bestW3,
  },
  curves,
};
const report = formatReport(results);
console.log(`\n${report}`);
const written = writeResults(results, join(ROOT, 'bench', 'results'), opts.jsonOut);
console.log(`Wrote ${written.json} and ${written.md} (${fmtDuration(results.durationS)}).`);
