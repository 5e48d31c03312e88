// Parity of the max / avg pooling: native vs the JS reference (collected by test/backend/parity.ts).
import assert from 'node:assert/strict';
import type { Pool2dGeometry } from '../../../src/backend/backend.ts';
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, rng, type ParitySuite } from '../parity-kit.ts';

export default function definePoolParity({ label, name, skip, native: nb }: ParitySuite): void {
  const poolCases: [string, Pool2dGeometry][] = [
    ['3×5×8×8 2×2 stride2', pool({ n: 3, c: 5, h: 8, w: 8, k: 2, stride: 2 })],
    ['2×3×9×7 2×2 stride2 (odd input)', pool({ n: 2, c: 3, h: 9, w: 7, k: 2, stride: 2 })],
    ['2×3×9×7 3×3 stride2 pad1', pool({ n: 2, c: 3, h: 9, w: 7, k: 3, stride: 2, pad: 1 })],
    ['1×1×1×1 1×1', pool({ n: 1, c: 1, h: 1, w: 1, k: 1, stride: 1 })],
    ['2×17×13×11 3×2 stride(1,2) pad(1,1)', pool({ n: 2, c: 17, h: 13, w: 11, k: 3, kw: 2, stride: 1, sw: 2, pad: 1 })],
    ['64×8×14×14 2×2 stride2 (threaded)', pool({ n: 64, c: 8, h: 14, w: 14, k: 2, stride: 2 })],
    ['1×3×6×70 2×2 stride2 (rows of 35: two SIMD blocks and a tail)', pool({ n: 1, c: 3, h: 6, w: 70, k: 2, stride: 2 })],
    ['1×1×2×258 2×2 stride2 (a row of 129)', pool({ n: 1, c: 1, h: 2, w: 258, k: 2, stride: 2 })],
  ];

  test(`${label}: ${name} max / avg pooling`, { skip }, (t) => {
    const rand = rng(3);
    const exact = { atol: 0, rtol: 0 };
    for (const [tag, g] of poolCases) {
      const x = randomF32(g.n * g.c * g.h * g.w, rand);
      // Ties (first maximum wins) and NaN (it wins) in the wide 2×2 cases, where the vector path decides.
      if (g.w >= 70) for (let i = 0; i < x.length; i++) x[i] = i % 13 === 0 ? Number.NaN : Math.round(x[i] * 2);
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
