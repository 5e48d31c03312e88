/**
 * Parity suite: every native kernel against the JS reference kernel on seeded random inputs of awkward sizes
 * (1, 3, 17, 129, sizes that are not a multiple of any SIMD width, K larger than one GEMM block, batches on
 * both sides of the threading threshold). Each check states its bound, |native − js| ≤ atol + rtol·|js|,
 * and reports the max abs diff (llm.c style) through the test's diagnostics.
 *
 * Used by native-parity*.test.ts, which pick the SIMD path through SIMMER_SIMD before the addon loads.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import {
  type Backend,
  BINARY_OPS,
  type Conv2dGeometry,
  type F32,
  type MatmulParams,
  type Pool2dGeometry,
  UNARY_OPS,
  type UnaryOp,
} from '../../src/backend/backend.ts';
import { jsBackend } from '../../src/backend/js/index.ts';
import { loadNativeBackend, nativeInfo } from '../../src/backend/native/load.ts';
import { skipUnless } from '../helpers/requirements.ts';

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

function randomF32(n: number, rand: () => number, lo = -1, hi = 1): F32 {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}

interface Bound {
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

/** Defines the whole parity suite under `label`; skips it with the reason when the addon is unavailable. */
export function defineParityTests(label: string): void {
  const loaded = loadNativeBackend();
  const native = loaded.backend;
  const info = nativeInfo().info;
  const name = info ? `native[${info.simd}, ${info.threads} threads]` : 'native';
  const skip = skipUnless('native', native !== null, loaded.error);
  const nb = native as Backend;

  test(`${label}: addon info`, { skip }, (t) => {
    assert.ok(info);
    t.diagnostic(JSON.stringify(info));
    if (process.env.SIMMER_SIMD) assert.equal(info.simd, process.env.SIMMER_SIMD, info.simdNote);
  });

  test(`${label}: ${name} matmul`, { skip }, (t) => {
    const rand = rng(1);
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [3, 17, 129],
      [129, 3, 17],
      [17, 129, 33],
      [64, 65, 67],
      [33, 47, 800], // K spans several KC blocks
      [130, 129, 131], // threaded path
      [2, 300, 5], // skinny
      [300, 2, 7],
    ];
    for (const [m, n, k] of shapes)
      for (const transA of [false, true])
        for (const transB of [false, true])
          for (const accumulate of [false, true]) {
            if (accumulate && (transA || transB)) continue;
            const batch = m * n * k < 5000 ? 3 : 1;
            const p: MatmulParams = { batch, m, n, k, transA, transB, strideA: m * k, strideB: k * n, strideC: m * n, accumulate };
            const a = randomF32(batch * m * k, rand);
            const b = randomF32(batch * k * n, rand);
            const c0 = randomF32(batch * m * n, rand);
            const want = c0.slice();
            const got = c0.slice();
            jsBackend.matmul(a, b, want, p);
            nb.matmul(a, b, got, p);
            const tag = `matmul ${batch}×${m}×${n}×${k}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}${accumulate ? ' +=' : ''}`;
            expectClose(t, tag, got, want, { atol: 2e-6 * Math.sqrt(k) * 4, rtol: 1e-5 });
          }
    // B broadcast over the batch (stride 0) and C shared across the batch (accumulating).
    const a = randomF32(4 * 5 * 6, rand);
    const b = randomF32(6 * 7, rand);
    const p: MatmulParams = { batch: 4, m: 5, n: 7, k: 6, transA: false, transB: false, strideA: 30, strideB: 0, strideC: 35, accumulate: false };
    const want = new Float32Array(4 * 35);
    const got = new Float32Array(4 * 35);
    jsBackend.matmul(a, b, want, p);
    nb.matmul(a, b, got, p);
    expectClose(t, 'matmul 4×5×7×6 strideB 0', got, want, { atol: 1e-5, rtol: 1e-5 });
    const shared: MatmulParams = { ...p, strideC: 0, accumulate: true };
    const w2 = new Float32Array(35).fill(0.5);
    const g2 = w2.slice();
    jsBackend.matmul(a, b, w2, shared);
    nb.matmul(a, b, g2, shared);
    expectClose(t, 'matmul 4×5×7×6 strideC 0 +=', g2, w2, { atol: 1e-5, rtol: 1e-5 });
  });

  const convCases: [string, Conv2dGeometry][] = [
    ['1×1×5×5 k1 3×3 pad1', conv({ n: 1, c: 1, h: 5, w: 5, k: 1, r: 3, s: 3, padH: 1, padW: 1 })],
    ['5×3×9×7 k17 3×3 stride2 pad1', conv({ n: 5, c: 3, h: 9, w: 7, k: 17, r: 3, s: 3, strideH: 2, strideW: 2, padH: 1, padW: 1 })],
    ['4×4×11×10 k6 3×2 groups2 dil2 pad(2,1)', conv({ n: 4, c: 4, h: 11, w: 10, k: 6, r: 3, s: 2, padH: 2, padW: 1, dilationH: 2, dilationW: 2, groups: 2 })],
    ['4×17×5×6 k33 1×1', conv({ n: 4, c: 17, h: 5, w: 6, k: 33, r: 1, s: 1 })],
    ['1×17×5×6 k33 1×1', conv({ n: 1, c: 17, h: 5, w: 6, k: 33, r: 1, s: 1 })],
    ['2×3×8×8 k5 5×5 stride(1,3) pad2', conv({ n: 2, c: 3, h: 8, w: 8, k: 5, r: 5, s: 5, strideW: 3, padH: 2, padW: 2 })],
    ['4×50×6×6 k5 3×3 (K > one GEMM block)', conv({ n: 4, c: 50, h: 6, w: 6, k: 5, r: 3, s: 3 })],
    ['6×32×14×14 k64 3×3 pad1 (W3 conv2)', conv({ n: 6, c: 32, h: 14, w: 14, k: 64, r: 3, s: 3, padH: 1, padW: 1 })],
    ['8×1×28×28 k32 3×3 pad1 (W3 conv1)', conv({ n: 8, c: 1, h: 28, w: 28, k: 32, r: 3, s: 3, padH: 1, padW: 1 })],
    ['4×6×7×7 k6 3×3 depthwise pad1', conv({ n: 4, c: 6, h: 7, w: 7, k: 6, r: 3, s: 3, padH: 1, padW: 1, groups: 6 })],
  ];

  test(`${label}: ${name} conv2d forward / backward input / backward weight`, { skip }, (t) => {
    const rand = rng(2);
    for (const [tag, g] of convCases) {
      const cg = g.c / g.groups;
      const x = randomF32(g.n * g.c * g.h * g.w, rand);
      const w = randomF32(g.k * cg * g.r * g.s, rand);
      const bias = randomF32(g.k, rand);
      const gy = randomF32(g.n * g.k * g.oh * g.ow, rand);
      const bound = (terms: number) => ({ atol: 4e-6 * Math.sqrt(terms) + 1e-6, rtol: 1e-5 });
      for (const b of [bias, null]) {
        const want = new Float32Array(gy.length);
        const got = new Float32Array(gy.length).fill(Number.NaN);
        jsBackend.conv2dForward(x, w, b, want, g);
        nb.conv2dForward(x, w, b, got, g);
        expectClose(t, `conv2dForward ${tag}${b ? ' +bias' : ''}`, got, want, bound(cg * g.r * g.s));
      }
      const gxWant = new Float32Array(x.length);
      const gxGot = new Float32Array(x.length).fill(Number.NaN);
      jsBackend.conv2dBackwardInput(gy, w, gxWant, g);
      nb.conv2dBackwardInput(gy, w, gxGot, g);
      expectClose(t, `conv2dBackwardInput ${tag}`, gxGot, gxWant, bound((g.k / g.groups) * g.r * g.s));
      const gwWant = new Float32Array(w.length);
      const gwGot = new Float32Array(w.length).fill(Number.NaN);
      jsBackend.conv2dBackwardWeight(x, gy, gwWant, g);
      nb.conv2dBackwardWeight(x, gy, gwGot, g);
      expectClose(t, `conv2dBackwardWeight ${tag}`, gwGot, gwWant, bound(g.n * g.oh * g.ow));
    }
  });

  const poolCases: [string, Pool2dGeometry][] = [
    ['3×5×8×8 2×2 stride2', pool({ n: 3, c: 5, h: 8, w: 8, k: 2, stride: 2 })],
    ['2×3×9×7 2×2 stride2 (odd input)', pool({ n: 2, c: 3, h: 9, w: 7, k: 2, stride: 2 })],
    ['2×3×9×7 3×3 stride2 pad1', pool({ n: 2, c: 3, h: 9, w: 7, k: 3, stride: 2, pad: 1 })],
    ['1×1×1×1 1×1', pool({ n: 1, c: 1, h: 1, w: 1, k: 1, stride: 1 })],
    ['2×17×13×11 3×2 stride(1,2) pad(1,1)', pool({ n: 2, c: 17, h: 13, w: 11, k: 3, kw: 2, stride: 1, sw: 2, pad: 1 })],
    ['64×8×14×14 2×2 stride2 (threaded)', pool({ n: 64, c: 8, h: 14, w: 14, k: 2, stride: 2 })],
  ];

  test(`${label}: ${name} max / avg pooling`, { skip }, (t) => {
    const rand = rng(3);
    const exact = { atol: 0, rtol: 0 };
    for (const [tag, g] of poolCases) {
      const x = randomF32(g.n * g.c * g.h * g.w, rand);
      const outLen = g.n * g.c * g.oh * g.ow;
      const gy = randomF32(outLen, rand);
      const yW = new Float32Array(outLen);
      const yG = new Float32Array(outLen);
      const aW = new Int32Array(outLen);
      const aG = new Int32Array(outLen);
      jsBackend.maxPool2dForward(x, yW, aW, g);
      nb.maxPool2dForward(x, yG, aG, g);
      expectClose(t, `maxPool2dForward ${tag}`, yG, yW, exact);
      assert.deepEqual(aG, aW, `maxPool2dForward ${tag}: argmax`);
      const gxW = new Float32Array(x.length);
      const gxG = new Float32Array(x.length).fill(Number.NaN);
      jsBackend.maxPool2dBackward(gy, aW, gxW, g);
      nb.maxPool2dBackward(gy, aW, gxG, g);
      expectClose(t, `maxPool2dBackward ${tag}`, gxG, gxW, { atol: 1e-6, rtol: 1e-6 });
      if (g.dilationH !== 1) continue;
      for (const includePad of [true, false]) {
        const aw = new Float32Array(outLen);
        const ag = new Float32Array(outLen);
        jsBackend.avgPool2dForward(x, aw, g, includePad);
        nb.avgPool2dForward(x, ag, g, includePad);
        expectClose(t, `avgPool2dForward ${tag} includePad=${includePad}`, ag, aw, { atol: 1e-6, rtol: 1e-6 });
        const bw = new Float32Array(x.length);
        const bg = new Float32Array(x.length).fill(Number.NaN);
        jsBackend.avgPool2dBackward(gy, bw, g, includePad);
        nb.avgPool2dBackward(gy, bg, g, includePad);
        expectClose(t, `avgPool2dBackward ${tag} includePad=${includePad}`, bg, bw, { atol: 1e-6, rtol: 1e-6 });
      }
    }
  });

  // Per-op bounds: fastExp-based functions are within a few float ulps of the double-precision reference.
  const unaryBound: Record<UnaryOp, Bound> = {
    neg: { atol: 0, rtol: 0 },
    exp: { atol: 0, rtol: 5e-7 },
    log: { atol: 1e-7, rtol: 2e-7 },
    sqrt: { atol: 0, rtol: 2e-7 },
    rsqrt: { atol: 0, rtol: 3e-7 },
    abs: { atol: 0, rtol: 0 },
    relu: { atol: 0, rtol: 0 },
    leakyRelu: { atol: 0, rtol: 2e-7 },
    elu: { atol: 1e-7, rtol: 5e-7 },
    gelu: { atol: 3e-7, rtol: 5e-7 },
    silu: { atol: 1e-7, rtol: 5e-7 },
    sigmoid: { atol: 1e-7, rtol: 5e-7 },
    tanh: { atol: 1e-7, rtol: 5e-7 },
    softplus: { atol: 1e-7, rtol: 5e-7 },
  };
  const sizes = [1, 3, 17, 129, 40_001];

  test(`${label}: ${name} unary and unaryBackward, every op`, { skip }, (t) => {
    const rand = rng(4);
    for (const op of UNARY_OPS) {
      const positive = op === 'log' || op === 'sqrt' || op === 'rsqrt';
      const alpha = op === 'softplus' ? 1.5 : op === 'elu' ? 0.7 : 0.01;
      let worst = 0;
      let worstBack = 0;
      for (const n of sizes) {
        const x = positive ? randomF32(n, rand, 0.01, 10) : randomF32(n, rand, -8, 8);
        if (!positive && n > 3) x[1] = 0; // the kink of relu/abs/leakyRelu
        const want = new Float32Array(n);
        const got = new Float32Array(n);
        jsBackend.unary(op, x, want, alpha);
        nb.unary(op, x, got, alpha);
        worst = Math.max(worst, expectQuiet(`unary ${op} n=${n}`, got, want, unaryBound[op]));
        const gy = randomF32(n, rand);
        const gxW = new Float32Array(n);
        const gxG = new Float32Array(n);
        jsBackend.unaryBackward(op, x, want, gy, gxW, alpha);
        nb.unaryBackward(op, x, want, gy, gxG, alpha);
        worstBack = Math.max(worstBack, expectQuiet(`unaryBackward ${op} n=${n}`, gxG, gxW, { atol: 2e-6, rtol: 2e-6 }));
      }
      const b = unaryBound[op];
      t.diagnostic(`${`unary ${op} (n = ${sizes.join(', ')})`.padEnd(58)} max|Δ| ${worst.toExponential(2)}  (bound ${b.atol} + ${b.rtol}·|js|)`);
      t.diagnostic(`${`unaryBackward ${op}`.padEnd(58)} max|Δ| ${worstBack.toExponential(2)}  (bound 2e-6 + 2e-6·|js|)`);
    }
  });

  test(`${label}: ${name} binary broadcasting, affine, clamp`, { skip }, (t) => {
    const rand = rng(5);
    const cases: [number[], number[]][] = [
      [
        [3, 17],
        [3, 17],
      ],
      [[129], []],
      [[], [129]],
      [
        [2, 3, 4, 5],
        [3, 1, 1],
      ],
      [[4, 5], [5]],
      [
        [2, 1, 4],
        [3, 1],
      ],
      [[1], [17, 3]],
      [
        [64, 32, 7, 9],
        [1, 32, 1, 1],
      ],
      [
        [5, 129],
        [5, 1],
      ],
      [
        [200, 300],
        [200, 300],
      ],
    ];
    for (const op of BINARY_OPS) {
      let worst = 0;
      for (const [as, bs] of cases) {
        const rank = Math.max(as.length, bs.length);
        const outShape: number[] = [];
        for (let i = 0; i < rank; i++) {
          const da = as[as.length - rank + i] ?? 1;
          const db = bs[bs.length - rank + i] ?? 1;
          outShape.push(Math.max(da, db));
        }
        const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
        const lo = op === 'pow' ? 0.1 : -2;
        const a = randomF32(size(as), rand, lo, 2);
        const b = randomF32(size(bs), rand, op === 'pow' ? -2 : -2, 2);
        const want = new Float32Array(size(outShape));
        const got = new Float32Array(size(outShape));
        jsBackend.binary(op, a, as, b, bs, want, outShape);
        nb.binary(op, a, as, b, bs, got, outShape);
        worst = Math.max(worst, expectQuiet(`binary ${op} [${as}] ∘ [${bs}]`, got, want, { atol: 0, rtol: op === 'pow' ? 3e-7 : 1.2e-7 }));
      }
      t.diagnostic(`${`binary ${op} (${cases.length} broadcast patterns)`.padEnd(58)} max|Δ| ${worst.toExponential(2)}`);
    }
    for (const n of sizes) {
      const x = randomF32(n, rand, -3, 3);
      const w1 = new Float32Array(n);
      const g1 = new Float32Array(n);
      jsBackend.affine(x, 1.7, -0.3, w1);
      nb.affine(x, 1.7, -0.3, g1);
      expectClose(t, `affine n=${n}`, g1, w1, { atol: 1e-7, rtol: 2e-7 });
      jsBackend.clamp(x, -1, 0.5, w1);
      nb.clamp(x, -1, 0.5, g1);
      expectClose(t, `clamp n=${n}`, g1, w1, { atol: 0, rtol: 0 });
    }
  });

  test(`${label}: ${name} reduce, softmax, softmaxBackward`, { skip }, (t) => {
    const rand = rng(6);
    const views: [number, number, number][] = [
      [1, 1, 1],
      [3, 17, 1],
      [2, 129, 3],
      [5, 3, 17],
      [1, 70_001, 1],
      [128, 49, 1],
      [1, 64, 129],
      [7, 33, 1030],
    ];
    for (const op of ['sum', 'max', 'min'] as const)
      for (const [outer, size, inner] of views) {
        const x = randomF32(outer * size * inner, rand);
        const want = new Float32Array(outer * inner);
        const got = new Float32Array(outer * inner);
        jsBackend.reduce(op, x, outer, size, inner, want);
        nb.reduce(op, x, outer, size, inner, got);
        const bound = op === 'sum' ? { atol: 2e-7 * size, rtol: 1e-6 } : { atol: 0, rtol: 0 };
        expectClose(t, `reduce ${op} ${outer}×${size}×${inner}`, got, want, bound);
      }
    for (const log of [false, true])
      for (const [rows, cols] of [
        [1, 1],
        [3, 17],
        [129, 10],
        [2, 1000],
        [64, 129],
      ]) {
        const x = randomF32(rows * cols, rand, -10, 10);
        const want = new Float32Array(rows * cols);
        const got = new Float32Array(rows * cols);
        jsBackend.softmax(x, rows, cols, want, log);
        nb.softmax(x, rows, cols, got, log);
        expectClose(t, `${log ? 'logSoftmax' : 'softmax'} ${rows}×${cols}`, got, want, { atol: log ? 2e-6 : 1e-7, rtol: 1e-6 });
        const gy = randomF32(rows * cols, rand);
        const gw = new Float32Array(rows * cols);
        const gg = new Float32Array(rows * cols);
        jsBackend.softmaxBackward(want, gy, rows, cols, gw, log);
        nb.softmaxBackward(want, gy, rows, cols, gg, log);
        expectClose(t, `${log ? 'logSoftmax' : 'softmax'}Backward ${rows}×${cols}`, gg, gw, { atol: 2e-6, rtol: 2e-6 });
      }
  });

  test(`${label}: ${name} batchNorm / rowNorm forward and backward`, { skip }, (t) => {
    const rand = rng(7);
    for (const [n, c, hw] of [
      [1, 1, 1],
      [3, 17, 5],
      [2, 3, 129],
      [64, 32, 49],
    ]) {
      const x = randomF32(n * c * hw, rand, -3, 5);
      const mk = () => ({ xHat: new Float32Array(x.length), mean: new Float32Array(c), invStd: new Float32Array(c) });
      const w = mk();
      const g = mk();
      jsBackend.batchNormForward(x, n, c, hw, 1e-5, w.xHat, w.mean, w.invStd);
      nb.batchNormForward(x, n, c, hw, 1e-5, g.xHat, g.mean, g.invStd);
      expectClose(t, `batchNormForward ${n}×${c}×${hw} xHat`, g.xHat, w.xHat, { atol: 2e-6, rtol: 2e-6 });
      expectClose(t, `batchNormForward ${n}×${c}×${hw} mean`, g.mean, w.mean, { atol: 1e-6, rtol: 1e-6 });
      expectClose(t, `batchNormForward ${n}×${c}×${hw} invStd`, g.invStd, w.invStd, { atol: 1e-6, rtol: 1e-6 });
      const gxh = randomF32(x.length, rand);
      const bw = new Float32Array(x.length);
      const bg = new Float32Array(x.length);
      jsBackend.batchNormBackward(w.xHat, gxh, w.invStd, n, c, hw, bw);
      nb.batchNormBackward(w.xHat, gxh, w.invStd, n, c, hw, bg);
      expectClose(t, `batchNormBackward ${n}×${c}×${hw}`, bg, bw, { atol: 5e-6, rtol: 5e-6 });
      const rows = n * c;
      const rw = { xHat: new Float32Array(x.length), mean: new Float32Array(rows), invStd: new Float32Array(rows) };
      const rg = { xHat: new Float32Array(x.length), mean: new Float32Array(rows), invStd: new Float32Array(rows) };
      jsBackend.rowNormForward(x, rows, hw, 1e-5, rw.xHat, rw.mean, rw.invStd);
      nb.rowNormForward(x, rows, hw, 1e-5, rg.xHat, rg.mean, rg.invStd);
      expectClose(t, `rowNormForward ${rows}×${hw} xHat`, rg.xHat, rw.xHat, { atol: 2e-6, rtol: 2e-6 });
      jsBackend.rowNormBackward(rw.xHat, gxh, rw.invStd, rows, hw, bw);
      nb.rowNormBackward(rw.xHat, gxh, rw.invStd, rows, hw, bg);
      expectClose(t, `rowNormBackward ${rows}×${hw}`, bg, bw, { atol: 5e-6, rtol: 5e-6 });
    }
  });

  test(`${label}: ${name} fused sgdStep / adamStep`, { skip }, (t) => {
    const rand = rng(8);
    const bound = { atol: 1e-7, rtol: 1e-6 };
    for (const n of sizes) {
      const p0 = randomF32(n, rand);
      const grad = randomF32(n, rand);
      const buf0 = randomF32(n, rand);
      for (const [momentum, dampening, wd, nesterov, first, withBuf] of [
        [0, 0, 0, false, false, false],
        [0.9, 0, 1e-4, false, true, true],
        [0.9, 0.1, 1e-4, true, false, true],
        [0.9, 0, 0, true, true, true],
      ] as const) {
        const pw = p0.slice();
        const pg = p0.slice();
        const bw = withBuf ? buf0.slice() : null;
        const bg = withBuf ? buf0.slice() : null;
        jsBackend.sgdStep(pw, grad, bw, 0.05, momentum, dampening, wd, nesterov, first);
        nb.sgdStep(pg, grad, bg, 0.05, momentum, dampening, wd, nesterov, first);
        const tag = `sgdStep n=${n} momentum=${momentum} nesterov=${nesterov} first=${first}`;
        expectClose(t, tag, pg, pw, bound);
        if (bw && bg) expectClose(t, `${tag} buffer`, bg, bw, bound);
      }
      for (const decoupled of [false, true]) {
        const pw = p0.slice();
        const pg = p0.slice();
        const m0 = randomF32(n, rand, -0.1, 0.1);
        const v0 = randomF32(n, rand, 0, 0.01);
        const mw = m0.slice();
        const mg = m0.slice();
        const vw = v0.slice();
        const vg = v0.slice();
        jsBackend.adamStep(pw, grad, mw, vw, 1e-3, 0.9, 0.999, 1e-8, 0.01, decoupled, 7);
        nb.adamStep(pg, grad, mg, vg, 1e-3, 0.9, 0.999, 1e-8, 0.01, decoupled, 7);
        const tag = `adamStep n=${n} ${decoupled ? 'AdamW' : 'Adam'}`;
        expectClose(t, tag, pg, pw, bound);
        expectClose(t, `${tag} m`, mg, mw, bound);
        expectClose(t, `${tag} v`, vg, vw, bound);
      }
    }
  });
}

/** expectClose without the diagnostic line (for loops that report one summary line). */
function expectQuiet(label: string, got: ArrayLike<number>, want: ArrayLike<number>, bound: Bound): number {
  const quiet = { diagnostic: () => {} } as unknown as TestContext;
  return expectClose(quiet, label, got, want, bound);
}

function conv(p: Partial<Conv2dGeometry> & { n: number; c: number; h: number; w: number; k: number; r: number; s: number }): Conv2dGeometry {
  const g = { strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1, oh: 0, ow: 0, ...p };
  g.oh = Math.floor((g.h + 2 * g.padH - g.dilationH * (g.r - 1) - 1) / g.strideH) + 1;
  g.ow = Math.floor((g.w + 2 * g.padW - g.dilationW * (g.s - 1) - 1) / g.strideW) + 1;
  return g;
}

function pool(p: {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  kw?: number;
  stride: number;
  sw?: number;
  pad?: number;
  dil?: number;
}): Pool2dGeometry {
  const kh = p.k;
  const kw = p.kw ?? p.k;
  const sh = p.stride;
  const sw = p.sw ?? p.stride;
  const pad = p.pad ?? 0;
  const dil = p.dil ?? 1;
  return {
    n: p.n,
    c: p.c,
    h: p.h,
    w: p.w,
    kernelH: kh,
    kernelW: kw,
    strideH: sh,
    strideW: sw,
    padH: pad,
    padW: pad,
    dilationH: dil,
    dilationW: dil,
    oh: Math.floor((p.h + 2 * pad - dil * (kh - 1) - 1) / sh) + 1,
    ow: Math.floor((p.w + 2 * pad - dil * (kw - 1) - 1) / sw) + 1,
  };
}
