/**
 * CPU microseconds per call of the GEMMs of one W2 step (MLP 784-256-128-10, batch 128), each shape alone, a
 * mean over 400 calls after 20 warm-up calls; CPU time is the figure to compare builds by on a shared machine:
 *   SIMMER_THREADS=1 node --import tsx bench/gemm-w2.ts [name prefix, e.g. F1]
 */
import { backend } from '../src/backend/index.ts';
const only = process.argv[2];
const all: [string, number, number, number, boolean, boolean][] = [
  ['F1 x·W1ᵀ', 128, 256, 784, false, true],
  ['F2 h·W2ᵀ', 128, 128, 256, false, true],
  ['F3 h·W3ᵀ', 128, 10, 128, false, true],
  ['bias 128×256×1', 128, 256, 1, false, false],
  ['B3 gx3', 128, 128, 10, false, false],
  ['B3 gw3', 10, 128, 128, true, false],
  ['B2 gx2', 128, 256, 128, false, false],
  ['B2 gw2', 128, 256, 128, true, false],
  ['B1 gw1', 256, 784, 128, true, false],
];
const shapes = only ? all.filter((s) => s[0].startsWith(only)) : all;
const b = backend();
let total = 0;
for (const [name, m, n, k, ta, tb] of shapes) {
  const a = new Float32Array(m * k).map(() => Math.random());
  const bb = new Float32Array(k * n).map(() => Math.random());
  const c = new Float32Array(m * n);
  const p = { batch: 1, m, n, k, transA: ta, transB: tb, strideA: 0, strideB: 0, strideC: m * n, accumulate: false };
  for (let i = 0; i < 20; i++) b.matmul(a, bb, c, p);
  const reps = 400;
  const t = process.cpuUsage();
  for (let i = 0; i < reps; i++) b.matmul(a, bb, c, p);
  const u = process.cpuUsage(t);
  const us = (u.user + u.system) / reps;
  total += us;
  console.log(`${name.padEnd(16)} ${us.toFixed(1).padStart(7)} us CPU  ${((2 * m * n * k) / us / 1e3).toFixed(1)} GFLOP/CPU-s`);
}
console.log(`total ${total.toFixed(1)} us`);
