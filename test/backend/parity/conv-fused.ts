// Parity of the fused conv paths (conv + bias + ReLU; conv + bias + ReLU + 2×2 max pool, with the argmax for training): native vs
// the JS references, which are the plain convolution followed by ReLU and pooling (collected by test/backend/parity.ts).
import assert from 'node:assert/strict';
import type { Conv2dGeometry } from '../../../src/backend/backend.ts';
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, rng, type ParitySuite } from '../parity-kit.ts';

export default function defineConvFusedParity({ label, name, skip, native: nb }: ParitySuite): void {
  const cases: [string, Conv2dGeometry][] = [
    ['1×1×5×5 k1 3×3 pad1 (odd plane)', conv({ n: 1, c: 1, h: 5, w: 5, k: 1, r: 3, s: 3, padH: 1, padW: 1 })],
    ['3×3×17×9 k17 3×3 stride2 pad1', conv({ n: 3, c: 3, h: 17, w: 9, k: 17, r: 3, s: 3, strideH: 2, strideW: 2, padH: 1, padW: 1 })],
    ['4×4×11×10 k6 3×2 groups2', conv({ n: 4, c: 4, h: 11, w: 10, k: 6, r: 3, s: 2, groups: 2 })],
    ['5×17×6×6 k33 1×1', conv({ n: 5, c: 17, h: 6, w: 6, k: 33, r: 1, s: 1 })],
    ['8×1×28×28 k32 3×3 pad1 (W3 conv1)', conv({ n: 8, c: 1, h: 28, w: 28, k: 32, r: 3, s: 3, padH: 1, padW: 1 })],
    ['6×32×14×14 k64 3×3 pad1 (W3 conv2)', conv({ n: 6, c: 32, h: 14, w: 14, k: 64, r: 3, s: 3, padH: 1, padW: 1 })],
    ['1×3×9×129 k129 3×3 pad1 (odd width, 129 filters)', conv({ n: 1, c: 3, h: 9, w: 129, k: 129, r: 3, s: 3, padH: 1, padW: 1 })],
    ['21×8×10×10 k12 3×3 pad1 (several images per task)', conv({ n: 21, c: 8, h: 10, w: 10, k: 12, r: 3, s: 3, padH: 1, padW: 1 })],
  ];

  test(`${label}: ${name} fused conv2dForwardAct / conv2dReluMaxPool2`, { skip }, (t) => {
    const rand = rng(5);
    let sawNoRoute = false;
    for (const [tag, g] of cases) {
      const cg = g.c / g.groups;
      const x = randomF32(g.n * g.c * g.h * g.w, rand);
      const w = randomF32(g.k * cg * g.r * g.s, rand);
      const bias = randomF32(g.k, rand);
      const bound = { atol: 4e-6 * Math.sqrt(cg * g.r * g.s) + 1e-6, rtol: 1e-5 };
      const size = g.n * g.k * g.oh * g.ow;
      for (const b of [bias, null])
        for (const relu of [true, false]) {
          const want = new Float32Array(size);
          const got = new Float32Array(size).fill(Number.NaN);
          jsBackend.conv2dForwardAct(x, w, b, want, g, relu);
          nb.conv2dForwardAct(x, w, b, got, g, relu);
          expectClose(t, `conv2dForwardAct ${tag}${b ? ' +bias' : ''}${relu ? ' relu' : ''}`, got, want, bound);
        }
      const pooled = g.n * g.k * Math.floor(g.oh / 2) * Math.floor(g.ow / 2);
      for (const b of [bias, null]) {
        const want = new Float32Array(pooled);
        const got = new Float32Array(pooled).fill(Number.NaN);
        jsBackend.conv2dReluMaxPool2(x, w, b, want, g);
        nb.conv2dReluMaxPool2(x, w, b, got, g);
        expectClose(t, `conv2dReluMaxPool2 ${tag}${b ? ' +bias' : ''}`, got, want, bound);
        // Training: the same pooled values and gradient routes: the reference pool's argmax, -1 where the max is not
        // > 0. Windows whose max is within rounding of 0 may go either way, so only clear cases are compared.
        const wantArg = new Int32Array(pooled);
        const gotArg = new Int32Array(pooled).fill(-1);
        got.fill(Number.NaN);
        jsBackend.conv2dReluMaxPool2Argmax(x, w, b, want, wantArg, g);
        nb.conv2dReluMaxPool2Argmax(x, w, b, got, gotArg, g);
        expectClose(t, `conv2dReluMaxPool2Argmax ${tag}${b ? ' +bias' : ''}`, got, want, bound);
        let differ = 0;
        for (let i = 0; i < pooled; i++) {
          const sure = want[i] > 1e-4 || (want[i] === 0 && got[i] === 0); // a clear max, or ReLU'd on both sides
          if (sure && gotArg[i] !== wantArg[i]) differ++;
        }
        sawNoRoute ||= wantArg.includes(-1);
        assert.equal(differ, 0, `conv2dReluMaxPool2Argmax ${tag}: ${differ} argmax entries differ where the max is > 0`);
      }
    }
    assert.ok(sawNoRoute, "some windows are all ReLU'd, so the -1 routes were compared");
  });
}

function conv(p: Partial<Conv2dGeometry> & { n: number; c: number; h: number; w: number; k: number; r: number; s: number }): Conv2dGeometry {
  const g = { strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1, oh: 0, ow: 0, ...p };
  g.oh = Math.floor((g.h + 2 * g.padH - g.dilationH * (g.r - 1) - 1) / g.strideH) + 1;
  g.ow = Math.floor((g.w + 2 * g.padW - g.dilationW * (g.s - 1) - 1) / g.strideW) + 1;
  return g;
}
