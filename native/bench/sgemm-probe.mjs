// Quick SGEMM probe against the raw addon: GFLOP/s (median of repeated calls) for the shapes that matter.
// Usage: node bench/sgemm-probe.mjs [reps]
import { createRequire } from 'node:module';

const addon = createRequire(import.meta.url)('../../build/Release/simmer_native.node');
const reps = Number(process.argv[2] ?? 15);
console.log(addon.info());
function rand(n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}
function check(m, n, k, ta, tb) {
  const a = rand(m * k),
    b = rand(k * n),
    c = new Float32Array(m * n);
  addon.matmul(a, b, c, 1, m, n, k, ta, tb, 0, 0, 0, false);
  let maxd = 0;
  for (let t = 0; t < 50; t++) {
    const i = Math.floor(Math.random() * m),
      j = Math.floor(Math.random() * n);
    let s = 0;
    for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
    maxd = Math.max(maxd, Math.abs(s - c[i * n + j]));
  }
  return maxd;
}
function bench(m, n, k, ta = false, tb = false) {
  const a = rand(m * k),
    b = rand(k * n),
    c = new Float32Array(m * n);
  const times = [];
  for (let r = 0; r < reps + 3; r++) {
    const t0 = process.hrtime.bigint();
    addon.matmul(a, b, c, 1, m, n, k, ta, tb, 0, 0, 0, false);
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r >= 3) times.push(t);
  }
  times.sort((x, y) => x - y);
  const med = times[times.length >> 1];
  const err = check(m, n, k, ta, tb);
  console.log(
    `${m}x${n}x${k}${ta ? ' tA' : ''}${tb ? ' tB' : ''}: ${(med * 1e3).toFixed(3)} ms  ${((2 * m * n * k) / med / 1e9).toFixed(1)} GFLOP/s  (maxdiff ${err.toExponential(1)})`,
  );
}
bench(1024, 1024, 1024);
bench(1024, 1024, 1024, true, false);
bench(1024, 1024, 1024, false, true);
bench(64, 128, 3136); // fc1 forward: x (64×3136) · Wᵀ
bench(64, 128, 3136, false, true);
bench(64, 3136, 128); // fc1 backward input: gy (64×128) · W (128×3136)
bench(128, 3136, 64, true, false); // fc1 weight grad: gyᵀ · x
bench(3136, 64, 288);
bench(64, 3136, 288);
bench(32, 784, 9);
bench(64, 196, 288);
bench(17, 129, 3);
