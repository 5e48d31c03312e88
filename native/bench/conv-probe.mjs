// Times the native conv kernels on the W3 CNN shapes at batch 64 (median of repeated calls).
// Usage: node native/bench/conv-probe.mjs [reps]
import { createRequire } from 'node:module';

const addon = createRequire(import.meta.url)('../../build/Release/simmer_native.node');
const reps = Number(process.argv[2] ?? 20);
function rand(n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}
function median(fn) {
  const ts = [];
  for (let r = 0; r < reps + 3; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    if (r >= 3) ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1];
}
const shapes = [
  ['conv1 1→32 3×3 pad1 28×28', { n: 64, c: 1, h: 28, w: 28, k: 32, r: 3, s: 3, pad: 1 }],
  ['conv2 32→64 3×3 pad1 14×14', { n: 64, c: 32, h: 14, w: 14, k: 64, r: 3, s: 3, pad: 1 }],
];
for (const [name, s] of shapes) {
  const oh = s.h + 2 * s.pad - s.r + 1;
  const ow = s.w + 2 * s.pad - s.s + 1;
  const geom = new Int32Array([s.n, s.c, s.h, s.w, s.k, s.r, s.s, oh, ow, 1, 1, s.pad, s.pad, 1, 1, 1]);
  const x = rand(s.n * s.c * s.h * s.w);
  const w = rand(s.k * s.c * s.r * s.s);
  const b = rand(s.k);
  const y = new Float32Array(s.n * s.k * oh * ow);
  const gx = new Float32Array(x.length);
  const gw = new Float32Array(w.length);
  const flops = 2 * s.n * s.k * oh * ow * s.c * s.r * s.s;
  const f = median(() => addon.conv2dForward(x, w, b, y, geom));
  const bi = median(() => addon.conv2dBackwardInput(y, w, gx, geom));
  const bw = median(() => addon.conv2dBackwardWeight(x, y, gw, geom));
  const gf = (ms) => ((flops / ms) * 1e-6).toFixed(0);
  console.log(
    `${name} batch ${s.n}: forward ${f.toFixed(3)} ms (${gf(f)} GFLOP/s)  backwardInput ${bi.toFixed(3)} ms (${gf(bi)})  backwardWeight ${bw.toFixed(3)} ms (${gf(bw)})`,
  );
}
