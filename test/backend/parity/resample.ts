// Parity of adaptive average pooling and nearest / bilinear resampling (pool family): native vs the JS reference
// (collected by test/backend/parity.ts). The kernel computes coordinates and sums exactly as the reference, so the
// bound is 0: every case must agree to the bit (sizes 1, 3, 17, 129; scale-factor ratios; corner alignment).
import { test } from 'node:test';
import type { ResampleGeometry, UpsampleMode } from '../../../src/backend/backend.ts';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, rng, type ParitySuite } from '../parity-kit.ts';

const exact = { atol: 0, rtol: 0 };

export default function defineResampleParity({ label, name, skip, native: nb }: ParitySuite): void {
  const sizes: [number, number, number, number][] = [
    [1, 1, 1, 1],
    [1, 1, 3, 3],
    [3, 17, 17, 3],
    [17, 3, 129, 129],
    [129, 17, 17, 129],
    [7, 7, 14, 14],
    [5, 6, 3, 4],
  ];

  test(`${label}: ${name} adaptiveAvgPool2d forward / backward`, { skip }, (t) => {
    const rand = rng(51);
    for (const [h, w, oh, ow] of sizes) {
      const g: ResampleGeometry = { n: 2, c: 3, h, w, oh, ow };
      const x = randomF32(g.n * g.c * h * w, rand);
      const gy = randomF32(g.n * g.c * oh * ow, rand);
      const yw = new Float32Array(gy.length);
      const yg = new Float32Array(gy.length);
      jsBackend.adaptiveAvgPool2dForward(x, yw, g);
      nb.adaptiveAvgPool2dForward(x, yg, g);
      expectClose(t, `adaptiveAvgPool2d ${h}×${w} → ${oh}×${ow}`, yg, yw, exact);
      const gxw = new Float32Array(x.length);
      const gxg = new Float32Array(x.length).fill(3);
      jsBackend.adaptiveAvgPool2dBackward(gy, gxw, g);
      nb.adaptiveAvgPool2dBackward(gy, gxg, g);
      expectClose(t, `adaptiveAvgPool2d backward ${h}×${w} → ${oh}×${ow}`, gxg, gxw, exact);
    }
  });

  test(`${label}: ${name} upsample2d forward / backward`, { skip }, (t) => {
    const rand = rng(52);
    const cases: [string, ResampleGeometry][] = [
      ...sizes.map(([h, w, oh, ow]): [string, ResampleGeometry] => [`${h}×${w} → ${oh}×${ow}`, { n: 2, c: 3, h, w, oh, ow }]),
      ['7×7 ×2 (scale factor)', { n: 64, c: 8, h: 7, w: 7, oh: 14, ow: 14, ratioH: 0.5, ratioW: 0.5 }],
      ['5×6 ×1.7 (ratio 1/1.7)', { n: 1, c: 2, h: 5, w: 6, oh: 8, ow: 10, ratioH: 1 / 1.7, ratioW: 1 / 1.7 }],
      ['17×3 ×0.4 (downscale)', { n: 1, c: 2, h: 17, w: 3, oh: 6, ow: 1, ratioH: 2.5, ratioW: 2.5 }],
    ];
    for (const [tag, g] of cases)
      for (const mode of ['nearest', 'bilinear'] as UpsampleMode[])
        for (const align of mode === 'bilinear' ? [false, true] : [false]) {
          const x = randomF32(g.n * g.c * g.h * g.w, rand);
          const gy = randomF32(g.n * g.c * g.oh * g.ow, rand);
          const yw = new Float32Array(gy.length);
          const yg = new Float32Array(gy.length).fill(5);
          jsBackend.upsample2dForward(x, yw, g, mode, align);
          nb.upsample2dForward(x, yg, g, mode, align);
          expectClose(t, `upsample2d ${mode}${align ? ' alignCorners' : ''} ${tag}`, yg, yw, exact);
          const gxw = new Float32Array(x.length);
          const gxg = new Float32Array(x.length).fill(5);
          jsBackend.upsample2dBackward(gy, gxw, g, mode, align);
          nb.upsample2dBackward(gy, gxg, g, mode, align);
          expectClose(t, `upsample2d backward ${mode}${align ? ' alignCorners' : ''} ${tag}`, gxg, gxw, exact);
        }
  });
}
