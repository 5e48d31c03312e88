// Parity of the fused cross-entropy / nll kernels: native vs the JS reference (collected by test/backend/parity.ts),
// on rows and classes of sizes 1, 3, 17, 129 with class weights, label smoothing, ignored rows and both reductions'
// gradient layouts (per-row and one shared value).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectQuiet, randomF32, randomI32, rng, type ParitySuite } from '../parity-kit.ts';

const SIZES = [1, 3, 17, 129];

export default function defineLossParity({ label, name, skip, native: nb }: ParitySuite): void {
  test(`${label}: ${name} crossEntropyForward / crossEntropyBackward`, { skip }, (t) => {
    const rand = rng(31);
    const bound = { atol: 2e-6, rtol: 2e-5 };
    let worst = 0;
    let checks = 0;
    for (const rows of SIZES)
      for (const c of SIZES)
        for (const [weighted, eps, ignore, logSoftmax] of [
          [false, 0, -100, true],
          [true, 0.1, 1, true],
          [false, 0.2, 0, false],
          [true, 0, -100, false],
        ] as const) {
          const logits = randomF32(rows * c, rand, -4, 4);
          const target = randomI32(rows, rand, 0, c);
          const weight = weighted ? randomF32(c, rand, 0.1, 2) : null;
          const out = () => ({ logp: new Float32Array(rows * c), loss: new Float32Array(rows), rw: new Float32Array(rows), status: new Int32Array(1) });
          const w = out();
          const g = out();
          jsBackend.crossEntropyForward(logits, target, weight, rows, c, ignore, eps, logSoftmax, w.logp, w.loss, w.rw, w.status);
          nb.crossEntropyForward(logits, target, weight, rows, c, ignore, eps, logSoftmax, g.logp, g.loss, g.rw, g.status);
          const tag = `crossEntropy ${rows}×${c} weighted=${weighted} ε=${eps} ignore=${ignore} logSoftmax=${logSoftmax}`;
          assert.equal(g.status[0], w.status[0], `${tag}: status`);
          worst = Math.max(worst, expectQuiet(`${tag} logp`, g.logp, w.logp, bound), expectQuiet(`${tag} loss`, g.loss, w.loss, bound));
          worst = Math.max(worst, expectQuiet(`${tag} rowWeight`, g.rw, w.rw, { atol: 0, rtol: 0 }));
          for (const perRow of [false, true]) {
            const gLoss = randomF32(perRow ? rows : 1, rand);
            const gxw = new Float32Array(rows * c);
            const gxg = new Float32Array(rows * c);
            jsBackend.crossEntropyBackward(w.logp, target, weight, rows, c, ignore, eps, logSoftmax, gLoss, perRow, 0.5, gxw);
            nb.crossEntropyBackward(w.logp, target, weight, rows, c, ignore, eps, logSoftmax, gLoss, perRow, 0.5, gxg);
            worst = Math.max(worst, expectQuiet(`${tag} gx perRow=${perRow}`, gxg, gxw, bound));
          }
          checks++;
        }
    // A target outside the classes is reported by position and nothing is computed.
    const status = new Int32Array(1);
    const target = Int32Array.from([0, 2, 7, -1]);
    nb.crossEntropyForward(new Float32Array(12), target, null, 4, 3, -1, 0, true, new Float32Array(12), new Float32Array(4), new Float32Array(4), status);
    assert.equal(status[0], 2);
    t.diagnostic(`crossEntropy: ${checks} cases, max|Δ| ${worst.toExponential(2)} (bound ${bound.atol} + ${bound.rtol}·|js|)`);
  });
}
