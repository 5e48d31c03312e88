// Parity of the embedding lookup and its scatter-add backward: native vs the JS reference (collected by
// test/backend/parity.ts). Both add rows in index order, so they agree to the bit, repeated indices included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, randomI32, rng, type ParitySuite } from '../parity-kit.ts';

const SIZES = [1, 3, 17, 129];

export default function defineEmbeddingParity({ label, name, skip, native: nb }: ParitySuite): void {
  test(`${label}: ${name} embeddingForward / embeddingBackward`, { skip }, (t) => {
    const rand = rng(41);
    const exact = { atol: 0, rtol: 0 };
    for (const dim of SIZES)
      for (const count of [...SIZES, 4099]) {
        const num = 17;
        const weight = randomF32(num * dim, rand);
        const idx = randomI32(count, rand, 0, num);
        const want = new Float32Array(count * dim);
        const got = new Float32Array(count * dim);
        const sw = new Int32Array(1);
        const sg = new Int32Array(1);
        jsBackend.embeddingForward(weight, num, dim, idx, want, sw);
        nb.embeddingForward(weight, num, dim, idx, got, sg);
        assert.equal(sg[0], -1);
        assert.equal(sw[0], -1);
        const quiet = count !== 129 || dim !== 129;
        const check = quiet ? { ...t, diagnostic: () => {} } : t;
        expectClose(check as typeof t, `embeddingForward dim=${dim} count=${count}`, got, want, exact);
        const gOut = randomF32(count * dim, rand);
        const gw = new Float32Array(num * dim).fill(7);
        const gg = new Float32Array(num * dim).fill(7);
        jsBackend.embeddingBackward(gOut, idx, num, dim, gw);
        nb.embeddingBackward(gOut, idx, num, dim, gg);
        expectClose(check as typeof t, `embeddingBackward dim=${dim} count=${count}`, gg, gw, exact);
      }
    const status = new Int32Array(1);
    nb.embeddingForward(new Float32Array(6), 3, 2, Int32Array.from([0, 2, 3, 1]), new Float32Array(8), status);
    assert.equal(status[0], 2, 'the first out-of-range index is reported by position');
  });
}
