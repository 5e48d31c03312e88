// Parity of the fused RMSprop step and the sum of squares behind clipGradNorm (optim family): native vs the JS
// reference (collected by test/backend/parity.ts).
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, rng, SIZES, type ParitySuite } from '../parity-kit.ts';

export default function defineRmspropParity({ label, name, skip, native: nb }: ParitySuite): void {
  test(`${label}: ${name} rmspropStep / sumOfSquares`, { skip }, (t) => {
    const rand = rng(61);
    const bound = { atol: 1e-7, rtol: 2e-6 };
    for (const n of SIZES) {
      const p0 = randomF32(n, rand);
      const grad = randomF32(n, rand);
      for (const [centered, momentum, wd] of [
        [false, 0, 0],
        [true, 0, 1e-4],
        [false, 0.9, 0],
        [true, 0.9, 1e-2],
      ] as const) {
        const sq0 = randomF32(n, rand, 0.5, 1);
        const ga0 = randomF32(n, rand, -0.1, 0.1);
        const mb0 = randomF32(n, rand, -0.1, 0.1);
        const state = () => ({ p: p0.slice(), sq: sq0.slice(), ga: centered ? ga0.slice() : null, mb: momentum > 0 ? mb0.slice() : null });
        const w = state();
        const g = state();
        jsBackend.rmspropStep(w.p, grad, w.sq, w.ga, w.mb, 1e-2, 0.99, 1e-8, wd, momentum);
        nb.rmspropStep(g.p, grad, g.sq, g.ga, g.mb, 1e-2, 0.99, 1e-8, wd, momentum);
        const tag = `rmspropStep n=${n} centered=${centered} momentum=${momentum}`;
        expectClose(t, tag, g.p, w.p, bound);
        expectClose(t, `${tag} squareAvg`, g.sq, w.sq, bound);
        if (w.ga && g.ga) expectClose(t, `${tag} gradAvg`, g.ga, w.ga, bound);
        if (w.mb && g.mb) expectClose(t, `${tag} momentum`, g.mb, w.mb, bound);
      }
      const want = new Float32Array(1);
      const got = new Float32Array(1);
      jsBackend.sumOfSquares(grad, want);
      nb.sumOfSquares(grad, got);
      expectClose(t, `sumOfSquares n=${n}`, got, want, { atol: 0, rtol: 1e-6 });
    }
  });
}
