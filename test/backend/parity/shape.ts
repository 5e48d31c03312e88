// Parity of the data-movement kernels (strided copy, indexSelect / indexAdd, gather / scatterAdd) on every dtype:
// native vs the JS reference, bit-exact (collected by test/backend/parity.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NumericArray } from '../../../src/backend/backend.ts';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, type ParitySuite, randomF32, randomI32, rng } from '../parity-kit.ts';

const stridesOf = (shape: readonly number[]) => {
  const s = new Array<number>(shape.length);
  let p = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = p;
    p *= shape[d];
  }
  return s;
};
const count = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** The same random values as float32, int32 (large, beyond 2^24) and uint8. */
function dtypes(n: number, rand: () => number): [string, () => NumericArray, NumericArray][] {
  const f = randomF32(n, rand, -5, 5);
  const i = randomI32(n, rand, -(2 ** 30), 2 ** 30);
  const u = Uint8Array.from(randomI32(n, rand, 0, 256));
  return [
    ['f32', () => new Float32Array(n), f],
    ['i32', () => new Int32Array(n), i],
    ['u8', () => new Uint8Array(n), u],
  ];
}

export default function defineShapeParity({ label, name, skip, native: nb }: ParitySuite): void {
  const exact = { atol: 0, rtol: 0 };

  test(`${label}: ${name} stridedCopy (permute, expand, narrow, pad) on f32 / i32 / u8`, { skip }, (t) => {
    const rand = rng(20);
    // [x shape, permutation or null, description]
    const permutes: [number[], number[]][] = [
      [[1], [0]],
      [
        [3, 17],
        [1, 0],
      ],
      [
        [2, 3, 17],
        [2, 0, 1],
      ],
      [
        [129, 3],
        [1, 0],
      ],
      [
        [4, 3, 17, 5],
        [0, 2, 3, 1],
      ],
      [
        [64, 32, 7, 7],
        [0, 2, 3, 1],
      ], // threaded
    ];
    for (const [shape, perm] of permutes) {
      const xStrides = stridesOf(shape);
      const outShape = perm.map((d) => shape[d]);
      for (const [dt, make, x] of dtypes(count(shape), rand)) {
        const want = make();
        const got = make();
        const walk = perm.map((d) => xStrides[d]);
        jsBackend.stridedCopy(x, 0, walk, want, 0, stridesOf(outShape), outShape);
        nb.stridedCopy(x, 0, walk, got, 0, stridesOf(outShape), outShape);
        expectClose(t, `stridedCopy permute [${shape}] → [${perm}] ${dt}`, got, want, exact);
      }
    }
    // expand (stride 0), a narrow window at an offset, and a copy into a padded output.
    for (const n of [1, 3, 17, 129]) {
      for (const [dt, , x] of dtypes(n * 3, rand)) {
        const C = x.constructor as new (k: number) => NumericArray;
        const shape = [5, n, 3];
        const want = new C(count(shape));
        const got = new C(count(shape));
        jsBackend.stridedCopy(x, 0, [0, 3, 1], want, 0, stridesOf(shape), shape);
        nb.stridedCopy(x, 0, [0, 3, 1], got, 0, stridesOf(shape), shape);
        expectClose(t, `stridedCopy expand [${n}, 3] → [${shape}] ${dt}`, got, want, exact);
        const padShape = [n + 2, 7];
        const pw = new C(count(padShape)).fill(9);
        const pg = new C(count(padShape)).fill(9);
        jsBackend.stridedCopy(x, 1, [3, 1], pw, 7 + 2, [7, 1], [n, 2]);
        nb.stridedCopy(x, 1, [3, 1], pg, 7 + 2, [7, 1], [n, 2]);
        expectClose(t, `stridedCopy window [${n}, 2] into pad [${padShape}] ${dt}`, pg, pw, exact);
      }
    }
  });

  test(`${label}: ${name} indexSelect / indexAdd`, { skip }, (t) => {
    const rand = rng(21);
    for (const [outer, n, inner] of [
      [1, 1, 1],
      [3, 17, 1],
      [2, 129, 3],
      [1, 129, 17],
      [17, 3, 129],
      [64, 50, 64], // threaded
    ]) {
      for (const k of [1, 3, 17, 129]) {
        const index = randomI32(k, rand, 0, n);
        for (const [dt, , x] of dtypes(outer * n * inner, rand)) {
          const C = x.constructor as new (m: number) => NumericArray;
          const want = new C(outer * k * inner);
          const got = new C(outer * k * inner);
          assert.equal(jsBackend.indexSelect(x, outer, n, inner, index, want), -1);
          assert.equal(nb.indexSelect(x, outer, n, inner, index, got), -1);
          expectClose(t, `indexSelect ${outer}×${n}×${inner} k=${k} ${dt}`, got, want, exact);
        }
        const g = randomF32(outer * k * inner, rand);
        const gxW = randomF32(outer * n * inner, rand);
        const gxG = gxW.slice();
        jsBackend.indexAdd(g, outer, n, inner, index, gxW);
        nb.indexAdd(g, outer, n, inner, index, gxG);
        expectClose(t, `indexAdd ${outer}×${n}×${inner} k=${k} (repeats add in order)`, gxG, gxW, exact);
      }
    }
    const bad = Int32Array.from([0, 2, 5, 1]);
    assert.equal(nb.indexSelect(new Float32Array(12), 1, 4, 3, bad, new Float32Array(12)), 2);
    assert.equal(nb.indexAdd(new Float32Array(12), 1, 4, 3, bad, new Float32Array(12)), 2);
  });

  test(`${label}: ${name} gather / scatterAdd`, { skip }, (t) => {
    const rand = rng(22);
    for (const [xShape, idxShape, axis] of [
      [[1], [1], 0],
      [[3, 17], [3, 5], 1],
      [[3, 17], [2, 17], 0],
      [[2, 129, 3], [2, 17, 3], 1],
      [[5, 3, 129], [4, 2, 129], 2],
      [[129, 17], [129, 3], 1],
    ] as [number[], number[], number][]) {
      const index = randomI32(count(idxShape), rand, 0, xShape[axis]);
      for (const [dt, , x] of dtypes(count(xShape), rand)) {
        const C = x.constructor as new (m: number) => NumericArray;
        const want = new C(count(idxShape));
        const got = new C(count(idxShape));
        assert.equal(jsBackend.gather(x, xShape, index, idxShape, axis, want), -1);
        assert.equal(nb.gather(x, xShape, index, idxShape, axis, got), -1);
        expectClose(t, `gather [${xShape}] axis ${axis} index [${idxShape}] ${dt}`, got, want, exact);
      }
      const src = randomF32(count(idxShape), rand);
      const ow = randomF32(count(xShape), rand);
      const og = ow.slice();
      jsBackend.scatterAdd(src, index, idxShape, axis, ow, xShape);
      nb.scatterAdd(src, index, idxShape, axis, og, xShape);
      expectClose(t, `scatterAdd [${xShape}] axis ${axis} index [${idxShape}]`, og, ow, exact);
    }
    const bad = Int32Array.from([0, 3, 1]);
    assert.equal(nb.gather(new Float32Array(6), [2, 3], bad, [1, 3], 1, new Float32Array(3)), 1);
    assert.equal(nb.scatterAdd(new Float32Array(3), bad, [1, 3], 1, new Float32Array(6), [2, 3]), 1);
  });
}
