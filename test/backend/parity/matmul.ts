// Parity of the batched matmul: native vs the JS reference (collected by test/backend/parity.ts).
import type { MatmulParams } from '../../../src/backend/backend.ts';
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, rng, type ParitySuite } from '../parity-kit.ts';

export default function defineMatmulParity({ label, name, skip, native: nb }: ParitySuite): void {
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
      [136, 96, 400], // full 8×32 panels over two KC blocks (the gathered packs of row-major A and of Bᵀ)
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
}
