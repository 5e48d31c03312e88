// Parity of batch norm's running-statistics update (norm family): native vs the JS reference (collected by
// test/backend/parity.ts). Both compute in float64 from the same float32 inputs: bit-identical.
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, rng, SIZES, type ParitySuite } from '../parity-kit.ts';

export default function defineRunningStatsParity({ label, name, skip, native: nb }: ParitySuite): void {
  test(`${label}: ${name} batchNormUpdateStats`, { skip }, (t) => {
    const rand = rng(71);
    for (const c of SIZES) {
      const mean = randomF32(c, rand);
      const invStd = randomF32(c, rand, 0.5, 3);
      const rm = randomF32(c, rand);
      const rv = randomF32(c, rand, 0.1, 2);
      const w = { m: rm.slice(), v: rv.slice() };
      const g = { m: rm.slice(), v: rv.slice() };
      jsBackend.batchNormUpdateStats(mean, invStd, c, 1e-5, 0.1, 64 / 63, w.m, w.v);
      nb.batchNormUpdateStats(mean, invStd, c, 1e-5, 0.1, 64 / 63, g.m, g.v);
      expectClose(t, `batchNormUpdateStats c=${c} runningMean`, g.m, w.m, { atol: 0, rtol: 0 });
      expectClose(t, `batchNormUpdateStats c=${c} runningVar`, g.v, w.v, { atol: 0, rtol: 0 });
    }
  });
}
