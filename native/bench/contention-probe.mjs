// Contention check: SGEMM and conv throughput alone, then with a busy-looping process on one core.
// Usage: node native/bench/contention-probe.mjs
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const addon = createRequire(import.meta.url)('../../build/Release/simmer_native.node');
const rand = (n) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const a = rand(1024 * 1024);
const b = rand(1024 * 1024);
const c = new Float32Array(1024 * 1024);
const geom = new Int32Array([64, 32, 14, 14, 64, 3, 3, 14, 14, 1, 1, 1, 1, 1, 1, 1]);
const x = rand(64 * 32 * 196);
const w = rand(64 * 288);
const y = new Float32Array(64 * 64 * 196);
function median(fn, reps = 30) {
  const ts = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ts.sort((p, q) => p - q);
  return ts[ts.length >> 1];
}
function measure(label) {
  const g = median(() => addon.matmul(a, b, c, 1, 1024, 1024, 1024, false, false, 0, 0, 0, false));
  const f = median(() => addon.conv2dForward(x, w, null, y, geom), 60);
  console.log(`${label}: sgemm 1024³ ${g.toFixed(2)} ms (${(2147.5 / g).toFixed(0)} GFLOP/s), conv2 forward b64 ${f.toFixed(3)} ms`);
  return [g, f];
}
const [g0, f0] = measure('alone');
const hog = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 300));
const [g1, f1] = measure('with a busy loop on one core');
hog.kill();
console.log(`throughput kept under contention: sgemm ${((100 * g0) / g1).toFixed(0)}%, conv ${((100 * f0) / f1).toFixed(0)}%`);
