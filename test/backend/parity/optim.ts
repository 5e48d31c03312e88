// Parity of the fused optimizer steps: native vs the JS reference (collected by test/backend/parity.ts).
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, rng, SIZES, type ParitySuite } from '../parity-kit.ts';

export default function defineOptimParity({ label, name, skip, native: nb }: ParitySuite): void {
  test(`${label}: ${name} fused sgdStep / adamStep`, { skip }, (t) => {
    const rand = rng(8);
    const bound = { atol: 1e-7, rtol: 1e-6 };
    for (const n of SIZES) {
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
