// Parity of the exact t-SNE kernels: native vs the JS reference (collected by test/backend/parity.ts). Both sum each
// row in float64, so affinities and gradients agree to float32 rounding.
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, rng, type ParitySuite } from '../parity-kit.ts';

export default function defineTsneParity({ label, name, skip, native: nb }: ParitySuite): void {
  test(`${label}: ${name} tsneAffinities and tsneGradient`, { skip }, (t) => {
    const rand = rng(61);
    for (const n of [3, 17, 129])
      for (const dims of [1, 2, 3]) {
        const d2 = randomF32(n * n, rand, 0, 4);
        const perplexity = Math.min(30, (n - 1) / 2);
        const want = new Float32Array(n * n);
        const got = new Float32Array(n * n).fill(-1);
        jsBackend.tsneAffinities(d2, n, perplexity, want);
        nb.tsneAffinities(d2, n, perplexity, got);
        expectClose(t, `tsneAffinities n=${n}`, got, want, { atol: 1e-7, rtol: 1e-5 });
        const p = randomF32(n * n, rand, 0, 1 / (n * n));
        const y = randomF32(n * dims, rand, -3, 3);
        const g = { js: new Float32Array(n * dims), nat: new Float32Array(n * dims), jl: new Float32Array(1), nl: new Float32Array(1) };
        jsBackend.tsneGradient(p, y, n, dims, g.js, true, g.jl);
        nb.tsneGradient(p, y, n, dims, g.nat, true, g.nl);
        expectClose(t, `tsneGradient n=${n} dims=${dims}`, g.nat, g.js, { atol: 1e-7, rtol: 1e-5 });
        expectClose(t, `tsneGradient loss n=${n} dims=${dims}`, g.nl, g.jl, { atol: 1e-6, rtol: 1e-5 });
      }
  });
}
