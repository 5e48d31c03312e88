// Parity of the conv2d forward and both backward kernels: native vs the JS reference (collected by test/backend/parity.ts).
import type { Conv2dGeometry } from '../../../src/backend/backend.ts';
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, rng, type ParitySuite } from '../parity-kit.ts';

export default function defineConvParity({ label, name, skip, native: nb }: ParitySuite): void {
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
    ['4×1×3×129 k3 3×3 pad1 (few taps, Q = 387)', conv({ n: 4, c: 1, h: 3, w: 129, k: 3, r: 3, s: 3, padH: 1, padW: 1 })],
    ['4×6×7×7 k6 3×3 depthwise pad1', conv({ n: 4, c: 6, h: 7, w: 7, k: 6, r: 3, s: 3, padH: 1, padW: 1, groups: 6 })],
    // Batches large enough for the batched paths (several images per task, micro-panels and K blocks across image
    // boundaries, an odd last task): native/kernels/conv.cc imagesPerTask and the weight gradient's chunks.
    ['21×16×7×7 k24 3×3 pad1 (images per task, odd remainder)', conv({ n: 21, c: 16, h: 7, w: 7, k: 24, r: 3, s: 3, padH: 1, padW: 1 })],
    ['21×16×7×7 k24 3×3 stride2 pad1 (batched)', conv({ n: 21, c: 16, h: 7, w: 7, k: 24, r: 3, s: 3, strideH: 2, strideW: 2, padH: 1, padW: 1 })],
    ['9×12×12×12 k20 1×1 (pointwise, a whole-image GEMM per task)', conv({ n: 9, c: 12, h: 12, w: 12, k: 20, r: 1, s: 1 })],
    ['21×24×7×7 k40 1×1 (batched pointwise)', conv({ n: 21, c: 24, h: 7, w: 7, k: 40, r: 1, s: 1 })],
    ['21×8×14×14 k16 3×3 pad1 groups2 (K blocks across images)', conv({ n: 21, c: 8, h: 14, w: 14, k: 16, r: 3, s: 3, padH: 1, padW: 1, groups: 2 })],
    ['19×6×9×8 k10 3×3 stride2 (no padding: read in place)', conv({ n: 19, c: 6, h: 9, w: 8, k: 10, r: 3, s: 3, strideH: 2, strideW: 2 })],
    ['17×5×6×9 k7 3×2 stride(1,2) pad(1,0) dil(2,1)', conv({ n: 17, c: 5, h: 6, w: 9, k: 7, r: 3, s: 2, strideW: 2, padH: 1, dilationH: 2 })],
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
}

function conv(p: Partial<Conv2dGeometry> & { n: number; c: number; h: number; w: number; k: number; r: number; s: number }): Conv2dGeometry {
  const g = { strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1, oh: 0, ow: 0, ...p };
  g.oh = Math.floor((g.h + 2 * g.padH - g.dilationH * (g.r - 1) - 1) / g.strideH) + 1;
  g.ow = Math.floor((g.w + 2 * g.padW - g.dilationW * (g.s - 1) - 1) / g.strideW) + 1;
  return g;
}
