// Parity of the k-means assignment: native vs the JS reference (collected by test/backend/parity.ts). Both use the
// same 16 interleaved fused-multiply-add partial sums, so the distances agree to rounding and the labels exactly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, randomI32, rng, type ParitySuite } from '../parity-kit.ts';

export default function defineClusterParity({ label, name, skip, native: nb }: ParitySuite): void {
  test(`${label}: ${name} kmeansAssign`, { skip }, (t) => {
    const rand = rng(53);
    for (const d of [1, 3, 17, 129, 784])
      for (const k of [1, 3, 10]) {
        const n = 257;
        const x = randomF32(n * d, rand);
        const centres = randomF32(k * d, rand);
        for (const m of [0, 1, 17, 1000]) {
          const rows = randomI32(m, rand, 0, n);
          const want = { labels: new Int32Array(m), nearest: new Float32Array(m), second: new Float32Array(m) };
          const got = { labels: new Int32Array(m).fill(-7), nearest: new Float32Array(m), second: new Float32Array(m) };
          jsBackend.kmeansAssign(x, n, d, centres, k, rows, want.labels, want.nearest, want.second);
          nb.kmeansAssign(x, n, d, centres, k, rows, got.labels, got.nearest, got.second);
          assert.deepEqual(got.labels, want.labels, `labels d=${d} k=${k} m=${m}`);
          const quiet = !(d === 784 && k === 10 && m === 1000);
          const check = quiet ? { ...t, diagnostic: () => {} } : t;
          expectClose(check as typeof t, `kmeansAssign nearest d=${d} k=${k} m=${m}`, got.nearest, want.nearest, { atol: 0, rtol: 1e-6 });
          if (k > 1) expectClose(check as typeof t, `kmeansAssign second d=${d} k=${k} m=${m}`, got.second, want.second, { atol: 0, rtol: 1e-6 });
          else
            assert.ok(
              got.second.every((v) => v === Number.POSITIVE_INFINITY),
              'second is +inf when k = 1',
            );
        }
      }
  });
}
