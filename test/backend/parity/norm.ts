// Parity of the batch-norm and row-norm statistics: native vs the JS reference (collected by test/backend/parity.ts).
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, rng, type ParitySuite } from '../parity-kit.ts';

export default function defineNormParity({ label, name, skip, native: nb }: ParitySuite): void {
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
}
