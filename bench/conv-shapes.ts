/**
 * GFLOP per CPU-second of the W6 U-Net's convolutions, one kernel at a time (forward, backward-input,
 * backward-weight), on Simmer's current backend; bench/peers/conv_shapes.py times the same shapes in PyTorch.
 *   SIMMER_THREADS=1 node --import tsx bench/conv-shapes.ts [--reps 3] [--json]
 * Each kernel runs once untimed, then `reps` times; the figure is FLOPs (2·N·K·(C/groups)·R·S·OH·OW per kernel)
 * over the least CPU time of one call (user + system, all threads), and over the least wall time beside it.
 */
import type { Conv2dGeometry } from '../src/backend/backend.ts';
import { backend } from '../src/backend/index.ts';

/** The W6 conv shapes (N×C×H×W → K, kernel, stride; pad (R−1)/2) with how many times one training step runs each. */
export const W6_CONVS: readonly { c: number; hw: number; k: number; r: number; stride: number; calls: number }[] = [
  { c: 1, hw: 28, k: 32, r: 3, stride: 1, calls: 1 },
  { c: 32, hw: 28, k: 32, r: 3, stride: 1, calls: 3 },
  { c: 64, hw: 28, k: 32, r: 3, stride: 1, calls: 2 },
  { c: 32, hw: 28, k: 32, r: 3, stride: 2, calls: 1 },
  { c: 64, hw: 28, k: 32, r: 1, stride: 1, calls: 1 },
  { c: 32, hw: 28, k: 1, r: 3, stride: 1, calls: 1 },
  { c: 32, hw: 14, k: 64, r: 3, stride: 1, calls: 1 },
  { c: 64, hw: 14, k: 64, r: 3, stride: 1, calls: 2 },
  { c: 128, hw: 14, k: 64, r: 3, stride: 1, calls: 2 },
  { c: 64, hw: 14, k: 64, r: 3, stride: 2, calls: 1 },
  { c: 32, hw: 14, k: 64, r: 1, stride: 1, calls: 1 },
  { c: 128, hw: 14, k: 64, r: 1, stride: 1, calls: 1 },
  { c: 64, hw: 7, k: 128, r: 3, stride: 1, calls: 1 },
  { c: 128, hw: 7, k: 128, r: 3, stride: 1, calls: 6 },
  { c: 256, hw: 7, k: 128, r: 3, stride: 1, calls: 1 },
  { c: 64, hw: 7, k: 128, r: 1, stride: 1, calls: 1 },
  { c: 128, hw: 7, k: 384, r: 1, stride: 1, calls: 1 },
  { c: 128, hw: 7, k: 128, r: 1, stride: 1, calls: 1 },
  { c: 256, hw: 7, k: 128, r: 1, stride: 1, calls: 1 },
];

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function geometry(n: number, c: number, hw: number, k: number, r: number, stride: number): Conv2dGeometry {
  const pad = (r - 1) / 2;
  const o = Math.floor((hw + 2 * pad - r) / stride) + 1;
  return { n, c, h: hw, w: hw, k, r, s: r, oh: o, ow: o, strideH: stride, strideW: stride, padH: pad, padW: pad, dilationH: 1, dilationW: 1, groups: 1 };
}

/** The least CPU time and the least wall time of `reps` calls after one untimed call (on a shared machine the least is the
 * call that was interrupted least). */
function timeIt(fn: () => void, reps: number): { cpuS: number; wallS: number } {
  fn();
  let cpuS = Infinity;
  let wallS = Infinity;
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const c = process.cpuUsage(c0);
    cpuS = Math.min(cpuS, (c.user + c.system) / 1e6);
    wallS = Math.min(wallS, (performance.now() - t0) / 1e3);
  }
  return { cpuS, wallS };
}

function main(): void {
  const reps = Number(flag('reps', '7'));
  const n = Number(flag('batch', '64'));
  const b = backend();
  const rows: Record<string, unknown>[] = [];
  let weighted = { flop: 0, cpu: 0 };
  for (const s of W6_CONVS) {
    const g = geometry(n, s.c, s.hw, s.k, s.r, s.stride);
    const x = Float32Array.from({ length: g.n * g.c * g.h * g.w }, () => Math.random() - 0.5);
    const w = Float32Array.from({ length: g.k * g.c * g.r * g.s }, () => Math.random() - 0.5);
    const y = new Float32Array(g.n * g.k * g.oh * g.ow);
    const gy = Float32Array.from(y, () => Math.random() - 0.5);
    const gx = new Float32Array(x.length);
    const gw = new Float32Array(w.length);
    const flop = 2 * g.n * g.k * g.c * g.r * g.s * g.oh * g.ow;
    const fwd = timeIt(() => b.conv2dForward(x, w, null, y, g), reps);
    const bi = timeIt(() => b.conv2dBackwardInput(gy, w, gx, g), reps);
    const bw = timeIt(() => b.conv2dBackwardWeight(x, gy, gw, g), reps);
    const per = (t: { cpuS: number; wallS: number }) => ({ cpu: flop / t.cpuS / 1e9, wall: flop / t.wallS / 1e9 });
    const row = { shape: `${n}x${s.c}x${s.hw}x${s.hw} -> ${s.k} k${s.r} s${s.stride}`, calls: s.calls, fwd: per(fwd), bwdInput: per(bi), bwdWeight: per(bw) };
    weighted = { flop: weighted.flop + 3 * flop * s.calls, cpu: weighted.cpu + (fwd.cpuS + bi.cpuS + bw.cpuS) * s.calls };
    rows.push(row);
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ backend: b.name, rows, stepConvGflopPerCpuS: weighted.flop / weighted.cpu / 1e9 }));
    return;
  }
  console.log(`${b.name} backend, batch ${n}, best of ${reps} calls; GFLOP per CPU-second (wall in brackets)`);
  const f = (v: { cpu: number; wall: number }) => `${v.cpu.toFixed(1)} (${v.wall.toFixed(1)})`.padEnd(14);
  console.log(`${'shape'.padEnd(30)}${'calls'.padEnd(6)}${'forward'.padEnd(14)}${'bwd input'.padEnd(14)}bwd weight`);
  for (const r of rows as { shape: string; calls: number; fwd: never; bwdInput: never; bwdWeight: never }[])
    console.log(`${r.shape.padEnd(30)}${String(r.calls).padEnd(6)}${f(r.fwd)}${f(r.bwdInput)}${f(r.bwdWeight)}`);
  console.log(
    `all three kernels of every W6 conv, weighted by calls per step: ${(weighted.flop / weighted.cpu / 1e9).toFixed(1)} GFLOP/CPU-s, ${weighted.cpu.toFixed(3)} CPU-s per step`,
  );
}

main();
