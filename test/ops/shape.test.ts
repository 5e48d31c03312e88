/**
 * Shape ops: forward against index-arithmetic definitions in float64 (every output element says which input element
 * it reads), gradients by central differences, dtype preservation for int32/uint8, and error messages.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  cat,
  chunk,
  expand,
  flatten,
  gather,
  indexSelect,
  narrow,
  pad,
  permute,
  reshape,
  scatterAdd,
  slice,
  split,
  squeeze,
  stack,
  tensor,
  transpose,
  unsqueeze,
} from '../../src/index.ts';
import { errorTest, lit, opTest, randInt, randn } from '../helpers/check.ts';
import { broadcastGet, Nd } from '../helpers/nd.ts';

/** out[idx] = a[read(idx)], or `fill` where read returns null. */
function pick(a: Nd, outShape: number[], read: (idx: number[]) => number[] | null, fill = 0): Nd {
  const out = new Nd(outShape);
  for (let i = 0; i < out.size; i++) {
    const src = read(out.unravel(i));
    out.data[i] = src === null ? fill : a.get(...src);
  }
  return out;
}

const same = (shape: number[]) => (a: Nd) => new Nd(shape, a.data);

describe('reshape family', () => {
  opTest({ name: 'reshape', label: '[3, 17] → [17, 3]', fn: (x) => reshape(x, [17, 3]), inputs: [randn([3, 17], 1)], reference: same([17, 3]) });
  opTest({ name: 'reshape', label: '[2, 3, 5] → [-1, 5]', fn: (x) => reshape(x, [-1, 5]), inputs: [randn([2, 3, 5], 2)], reference: same([6, 5]) });
  opTest({ name: 'reshape', label: '[1] → []', fn: (x) => reshape(x, []).mul(1), inputs: [randn([1], 3)], reference: same([]) });
  opTest({ name: 'flatten', label: '[2, 3, 5] all', fn: (x) => flatten(x), inputs: [randn([2, 3, 5], 4)], reference: same([30]) });
  opTest({ name: 'flatten', label: '[2, 3, 5, 1] dims 1..2', fn: (x) => flatten(x, 1, 2), inputs: [randn([2, 3, 5, 1], 5)], reference: same([2, 15, 1]) });
  opTest({ name: 'squeeze', label: '[1, 3, 1, 17] all', fn: (x) => squeeze(x), inputs: [randn([1, 3, 1, 17], 6)], reference: same([3, 17]) });
  opTest({ name: 'squeeze', label: '[1, 3, 1] axis −1', fn: (x) => squeeze(x, -1), inputs: [randn([1, 3, 1], 7)], reference: same([1, 3]) });
  opTest({ name: 'unsqueeze', label: '[3, 17] at 1', fn: (x) => unsqueeze(x, 1), inputs: [randn([3, 17], 8)], reference: same([3, 1, 17]) });
  opTest({ name: 'unsqueeze', label: '[17] at −1', fn: (x) => unsqueeze(x, -1), inputs: [randn([17], 9)], reference: same([17, 1]) });
  test('reshape shares the buffer (a view of contiguous data); squeeze of a non-1 axis is a no-op', () => {
    const x = randn([2, 3], 1);
    assert.equal(reshape(x, [3, 2]).data, x.data);
    assert.deepEqual(squeeze(x, 0).shape, [2, 3]);
  });
});

describe('permute and transpose', () => {
  const permRef = (perm: number[]) => (a: Nd) =>
    pick(
      a,
      perm.map((d) => a.shape[d]),
      (idx) => {
        const src = new Array<number>(perm.length);
        perm.forEach((d, i) => {
          src[d] = idx[i];
        });
        return src;
      },
    );
  const cases: [number[], number[]][] = [
    [
      [3, 17],
      [1, 0],
    ],
    [
      [2, 3, 5],
      [2, 0, 1],
    ],
    [
      [2, 3, 5],
      [1, 2, 0],
    ],
    [
      [2, 1, 3, 4],
      [3, 1, 0, 2],
    ],
    [[17], [0]],
  ];
  cases.forEach(([shape, perm], k) => {
    opTest({ name: 'permute', label: `[${shape}] by [${perm}]`, fn: (x) => permute(x, perm).mul(1), inputs: [randn(shape, 20 + k)], reference: permRef(perm) });
  });
  opTest({ name: 'transpose', label: '[3, 17] default', fn: (x) => transpose(x), inputs: [randn([3, 17], 30)], reference: permRef([1, 0]) });
  opTest({ name: 'transpose', label: '[2, 3, 5] 0↔2', fn: (x) => transpose(x, 0, 2), inputs: [randn([2, 3, 5], 31)], reference: permRef([2, 1, 0]) });
  opTest({
    name: 'transpose',
    label: '[2, 3, 5] −1↔1 (same axis)',
    fn: (x) => transpose(x, -2, 1).mul(1),
    inputs: [randn([2, 3, 5], 32)],
    reference: permRef([0, 1, 2]),
  });
  test('permute keeps int32 and uint8 data exact', () => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      'int32',
    );
    const t = permute(x, [1, 0]);
    assert.equal(t.dtype, 'int32');
    assert.deepEqual(t.toArray(), [
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    assert.deepEqual(transpose(tensor([[255, 0]], 'uint8')).toArray(), [[255], [0]]);
  });
});

describe('expand', () => {
  const expandRef = (shape: number[]) => (a: Nd) => pick(a, shape, () => null).map((_, i) => broadcastGet(a, new Nd(shape).unravel(i)));
  const cases: [number[], number[], number[]][] = [
    [
      [3, 1],
      [3, 17],
      [3, 17],
    ],
    [[1], [17], [17]],
    [[17], [2, 3, 17], [2, 3, 17]],
    [
      [2, 1, 5],
      [-1, 3, -1],
      [2, 3, 5],
    ],
  ];
  cases.forEach(([from, to, result], k) => {
    opTest({ name: 'expand', label: `[${from}] → [${to}]`, fn: (x) => expand(x, to), inputs: [randn(from, 40 + k)], reference: expandRef(result) });
  });
  test('expand of int32 is exact above 2^24 and of uint8 stays uint8', () => {
    assert.deepEqual(expand(tensor([[16777217], [-5]], 'int32'), [2, 3]).toArray(), [
      [16777217, 16777217, 16777217],
      [-5, -5, -5],
    ]);
    const u = expand(tensor([255, 7], 'uint8'), [3, 2]);
    assert.equal(u.dtype, 'uint8');
    assert.deepEqual(u.toArray(), [
      [255, 7],
      [255, 7],
      [255, 7],
    ]);
  });
  test('expand of int32 stays int32', () => {
    const e = expand(tensor([[1], [2]], 'int32'), [2, 3]);
    assert.equal(e.dtype, 'int32');
    assert.deepEqual(e.toArray(), [
      [1, 1, 1],
      [2, 2, 2],
    ]);
  });
});

describe('cat, stack, split, chunk, slice, narrow', () => {
  const catRef =
    (axis: number) =>
    (...parts: Nd[]) => {
      const ax = axis < 0 ? axis + parts[0].rank : axis;
      const shape = [...parts[0].shape];
      shape[ax] = parts.reduce((p, t) => p + t.shape[ax], 0);
      const out = new Nd(shape);
      for (let i = 0; i < out.size; i++) {
        const idx = out.unravel(i);
        let j = idx[ax];
        let part = 0;
        while (j >= parts[part].shape[ax]) j -= parts[part++].shape[ax];
        idx[ax] = j;
        out.data[i] = parts[part].get(...idx);
      }
      return out;
    };
  opTest({
    name: 'cat',
    label: 'three [*, 3] along 0 (sizes 1, 3, 17)',
    fn: (a, b, c) => cat([a, b, c], 0),
    inputs: [randn([1, 3], 50), randn([3, 3], 51), randn([17, 3], 52)],
    reference: catRef(0),
  });
  opTest({
    name: 'cat',
    label: 'along the last axis of [2, *, 3]',
    fn: (a, b) => cat([a, b], -1),
    inputs: [randn([2, 3, 1], 53), randn([2, 3, 4], 54)],
    reference: catRef(-1),
  });
  opTest({ name: 'cat', label: 'one tensor', fn: (a) => cat([a], 1), inputs: [randn([3, 5], 55)], reference: catRef(1) });
  const stackRef =
    (axis: number) =>
    (...parts: Nd[]) => {
      const shape = [...parts[0].shape];
      const ax = axis < 0 ? axis + shape.length + 1 : axis;
      shape.splice(ax, 0, parts.length);
      return pick(parts[0], shape, () => null).map((_, i) => {
        const idx = new Nd(shape).unravel(i);
        const [p] = idx.splice(ax, 1);
        return parts[p].get(...idx);
      });
    };
  opTest({
    name: 'stack',
    label: 'three [3, 5] at 0',
    fn: (a, b, c) => stack([a, b, c]),
    inputs: [randn([3, 5], 60), randn([3, 5], 61), randn([3, 5], 62)],
    reference: stackRef(0),
  });
  opTest({ name: 'stack', label: 'two [17] at −1', fn: (a, b) => stack([a, b], -1), inputs: [randn([17], 63), randn([17], 64)], reference: stackRef(-1) });
  opTest({ name: 'stack', label: 'two [2, 3] at 1', fn: (a, b) => stack([a, b], 1), inputs: [randn([2, 3], 65), randn([2, 3], 66)], reference: stackRef(1) });

  const rangeRef = (axis: number, start: number, step: number, n: number) => (a: Nd) => {
    const shape = [...a.shape];
    shape[axis] = n;
    return pick(a, shape, (idx) => idx.map((v, d) => (d === axis ? start + v * step : v)));
  };
  const x = randn([3, 17], 70);
  [
    [1, 0, 5, 1, 5],
    [1, 2, 17, 3, 5],
    [0, -2, undefined, 1, 2],
    [1, -5, -1, 2, 2],
    [1, 10, 100, 4, 2],
  ].forEach(([axis, start, end, step, n]) => {
    const s0 = (start as number) < 0 ? (start as number) + x.shape[axis as number] : (start as number);
    opTest({
      name: 'slice',
      label: `axis ${axis} [${start}:${end ?? ''}:${step}]`,
      fn: (t) => slice(t, axis as number, start, end, step),
      inputs: [x],
      reference: rangeRef(axis as number, s0, step as number, n as number),
    });
  });
  opTest({ name: 'narrow', label: '[3, 17] axis 1 from 4 length 9', fn: (t) => narrow(t, 1, 4, 9), inputs: [x], reference: rangeRef(1, 4, 1, 9) });
  opTest({
    name: 'narrow',
    label: '[2, 3, 5] axis 0 from 1 length 1',
    fn: (t) => narrow(t, 0, 1, 1),
    inputs: [randn([2, 3, 5], 71)],
    reference: rangeRef(0, 1, 1, 1),
  });

  // split and chunk return lists: check each piece (its gradient is zero outside the piece).
  [
    [[5, 3, 9], 1, 'sizes [5, 3, 9]'],
    [5, 1, 'size 5 (last piece 2)'],
  ].forEach(([sizes, axis, what]) => {
    const starts = Array.isArray(sizes) ? [0, 5, 8] : [0, 5, 10, 15];
    const lens = Array.isArray(sizes) ? sizes : [5, 5, 5, 2];
    starts.forEach((s, i) => {
      opTest({
        name: 'split',
        label: `[3, 17] by ${what}, piece ${i}`,
        fn: (t) => split(t, sizes as number | number[], axis as number)[i],
        inputs: [x],
        reference: rangeRef(1, s, 1, lens[i]),
      });
    });
  });
  [0, 1, 2].forEach((i) => {
    opTest({
      name: 'chunk',
      label: `[17, 3] into 3, piece ${i}`,
      fn: (t) => chunk(t, 3, 0)[i],
      inputs: [randn([17, 3], 72)],
      reference: rangeRef(0, 6 * i, 1, i < 2 ? 6 : 5),
    });
  });
  test('split and chunk piece counts and shapes; cat of int32 stays int32', () => {
    assert.deepEqual(
      split(x, 5, 1).map((t) => t.shape),
      [
        [3, 5],
        [3, 5],
        [3, 5],
        [3, 2],
      ],
    );
    assert.equal(chunk(x, 3, 0).length, 3);
    const c = cat([tensor([1, 2], 'int32'), tensor([3], 'int32')]);
    assert.equal(c.dtype, 'int32');
    assert.deepEqual(c.toArray(), [1, 2, 3]);
  });
});

describe('indexSelect, gather, scatterAdd, pad', () => {
  const idx = tensor([2, 0, 2, 16, 5], 'int32');
  opTest({
    name: 'indexSelect',
    label: '[3, 17] axis 1 with repeats',
    fn: (t) => indexSelect(t, 1, idx),
    inputs: [randn([3, 17], 80)],
    reference: (a) => pick(a, [3, 5], ([i, j]) => [i, idx.data[j]]),
  });
  opTest({
    name: 'indexSelect',
    label: '[3, 2, 5] axis 0',
    fn: (t) => indexSelect(t, 0, tensor([1, 1], 'int32')),
    inputs: [randn([3, 2, 5], 81)],
    reference: (a) => pick(a, [2, 2, 5], ([, j, k]) => [1, j, k]),
  });
  const gi = randInt([3, 5], 82, 0, 17);
  opTest({
    name: 'gather',
    label: '[3, 17] axis 1, index [3, 5]',
    fn: (t) => gather(t, 1, gi),
    inputs: [randn([3, 17], 83)],
    reference: (a) => pick(a, [3, 5], ([i, j]) => [i, gi.data[i * 5 + j]]),
  });
  const g0 = randInt([2, 4], 84, 0, 3);
  opTest({
    name: 'gather',
    label: '[3, 4] axis 0, index [2, 4]',
    fn: (t) => gather(t, 0, g0),
    inputs: [randn([3, 4], 85)],
    reference: (a) => pick(a, [2, 4], ([i, j]) => [g0.data[i * 4 + j], j]),
  });
  const si = randInt([3, 5], 86, 0, 17);
  opTest({
    name: 'scatterAdd',
    label: '[3, 17] axis 1, index/src [3, 5] (repeats add up)',
    fn: (t, src) => scatterAdd(t, 1, si, src),
    inputs: [randn([3, 17], 87), randn([3, 5], 88)],
    reference: (a, src) => {
      const out = new Nd(a.shape, a.data);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) out.set(out.get(i, si.data[i * 5 + j]) + src.get(i, j), i, si.data[i * 5 + j]);
      return out;
    },
  });
  const padRef = (pads: number[], value: number) => (a: Nd) => {
    const before = a.shape.map(() => 0);
    const shape = [...a.shape];
    for (let p = 0; p < pads.length / 2; p++) {
      const ax = a.rank - 1 - p;
      before[ax] = pads[2 * p];
      shape[ax] += pads[2 * p] + pads[2 * p + 1];
    }
    return pick(
      a,
      shape,
      (idx) => {
        const src = idx.map((v, d) => v - before[d]);
        return src.every((v, d) => v >= 0 && v < a.shape[d]) ? src : null;
      },
      value,
    );
  };
  opTest({ name: 'pad', label: 'last axis [1, 2]', fn: (t) => pad(t, [1, 2]), inputs: [randn([3, 17], 90)], reference: padRef([1, 2], 0) });
  opTest({
    name: 'pad',
    label: 'last two axes [2, 0, 1, 3], value −1.5',
    fn: (t) => pad(t, [2, 0, 1, 3], -1.5),
    inputs: [randn([2, 3, 5], 91)],
    reference: padRef([2, 0, 1, 3], -1.5),
  });
  opTest({ name: 'pad', label: 'negative pads crop [−1, 2]', fn: (t) => pad(t, [-1, 2]), inputs: [randn([3, 5], 92)], reference: padRef([-1, 2], 0) });
  opTest({ name: 'pad', label: '[1] to [3]', fn: (t) => pad(t, [1, 1], 7), inputs: [randn([1], 93)], reference: padRef([1, 1], 7) });
  opTest({
    name: 'pad',
    label: '3-D crop and grow at once [−2, 1, 3, −1]',
    fn: (t) => pad(t, [-2, 1, 3, -1]),
    inputs: [randn([2, 3, 17], 94)],
    reference: padRef([-2, 1, 3, -1], 0),
  });
  const g3 = randInt([2, 17, 3], 95, 0, 129);
  opTest({
    name: 'gather',
    label: '[2, 129, 3] axis 1, index [2, 17, 3]',
    fn: (t) => gather(t, 1, g3),
    inputs: [randn([2, 129, 3], 96)],
    reference: (a) => pick(a, [2, 17, 3], ([i, j, k]) => [i, g3.data[(i * 17 + j) * 3 + k], k]),
  });
  const s3 = randInt([2, 3, 4], 97, 0, 3);
  opTest({
    name: 'scatterAdd',
    label: '[3, 3, 5] axis 0, index/src [2, 3, 4]',
    fn: (t, src) => scatterAdd(t, 0, s3, src),
    inputs: [randn([3, 3, 5], 98), randn([2, 3, 4], 99)],
    reference: (a, src) => {
      const out = new Nd(a.shape, a.data);
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 3; j++)
          for (let k = 0; k < 4; k++) {
            const t = s3.data[(i * 3 + j) * 4 + k];
            out.set(out.get(t, j, k) + src.get(i, j, k), t, j, k);
          }
      return out;
    },
  });
  test('indexSelect, gather and pad keep int32 (above 2^24) and uint8 exact', () => {
    const big = tensor([[16777217, -7, 2 ** 30]], 'int32');
    assert.deepEqual(indexSelect(big, 1, tensor([2, 0, 0], 'int32')).toArray(), [[2 ** 30, 16777217, 16777217]]);
    assert.deepEqual(gather(big, 1, tensor([[1, 2]], 'int32')).toArray(), [[-7, 2 ** 30]]);
    const u = pad(tensor([[255, 1]], 'uint8'), [1, 0], 9);
    assert.equal(u.dtype, 'uint8');
    assert.deepEqual(u.toArray(), [[9, 255, 1]]);
  });
});

describe('shape op errors name the op, the shapes and what was expected', () => {
  const x = randn([3, 17], 1);
  errorTest('reshape', 'wrong element count', () => reshape(x, [4, 5]), /^reshape: shape \[4, 5\] has 20 elements but the tensor has 51/);
  errorTest('reshape', 'two −1', () => reshape(x, [-1, -1]), /^reshape: only one dimension may be -1, got \[-1, -1\]/);
  errorTest('reshape', '−1 that cannot be inferred', () => reshape(x, [-1, 4]), /^reshape: cannot infer -1 in \[-1, 4\] for 51 elements/);
  errorTest('flatten', 'start after end', () => flatten(randn([2, 3, 5], 1), 2, 1), /^flatten: startDim 2 comes after endDim 1 for shape \[2, 3, 5\]/);
  errorTest('squeeze', 'axis out of range', () => squeeze(x, 2), /^squeeze: axis 2 is out of range for a tensor of rank 2/);
  errorTest('unsqueeze', 'axis out of range', () => unsqueeze(x, 4), /^unsqueeze: axis 4 is out of range for a tensor of rank 3/);
  errorTest('permute', 'wrong number of dims', () => permute(x, [0]), /^permute: got 1 dims \[0\] for a tensor of rank 2 \(shape \[3, 17\]\)/);
  errorTest('permute', 'repeated axis', () => permute(x, [1, 1]), /^permute: dims \[1, 1\] repeat an axis/);
  errorTest('transpose', 'axis out of range', () => transpose(x, 0, 2), /^transpose: axis 2 is out of range for a tensor of rank 2/);
  errorTest('expand', 'a non-1 dimension', () => expand(x, [3, 34]), /^expand: /, lit('[3, 17]'), lit('[3, 34]'));
  errorTest('expand', 'fewer dimensions', () => expand(x, [51]), /^expand: target \[51\] has fewer dimensions than \[3, 17\]/);
  errorTest(
    'cat',
    'mismatched shapes',
    () => cat([x, randn([3, 4], 2)], 0),
    /^cat: tensor 1 has shape \[3, 4\] but tensor 0 has \[3, 17\]; all dimensions except axis 0 must match/,
  );
  errorTest('cat', 'mixed dtypes', () => cat([tensor([1]), tensor([1], 'int32')]), /^cat: tensor 1 is int32 but tensor 0 is float32/);
  errorTest('cat', 'no tensors', () => cat([]), /^cat: expected at least one tensor/);
  errorTest(
    'stack',
    'mismatched shapes',
    () => stack([x, randn([17, 3], 2)]),
    /^stack: tensor 1 has shape \[17, 3\] but tensor 0 has \[3, 17\]; stack needs equal shapes/,
  );
  errorTest('split', 'sizes that do not add up', () => split(x, [5, 5], 1), /^split: sizes \[5, 5\] add up to 10 but axis 1 of \[3, 17\] has 17/);
  errorTest('split', 'size 0', () => split(x, 0, 1), /^split: size must be positive, got 0/);
  errorTest('chunk', 'axis out of range', () => chunk(x, 2, 3), /^chunk: axis 3 is out of range for a tensor of rank 2/);
  errorTest('slice', 'step 0', () => slice(x, 1, 0, 5, 0), /^slice: step must be a positive integer, got 0/);
  errorTest('narrow', 'range outside the axis', () => narrow(x, 1, 10, 10), /^narrow: range \[10, 20\) is outside axis 1 of size 17 \(shape \[3, 17\]\)/);
  errorTest(
    'indexSelect',
    'index out of range',
    () => indexSelect(x, 0, tensor([3], 'int32')),
    /^indexSelect: index 3 is out of range for axis 0 of size 3 \(shape \[3, 17\]\)/,
  );
  errorTest(
    'indexSelect',
    'float index',
    () => indexSelect(x, 0, tensor([1])),
    /^indexSelect: index must be int32 class indices, got float32 with shape \[1\]/,
  );
  errorTest('indexSelect', '2-D index', () => indexSelect(x, 0, tensor([[1]], 'int32')), /^indexSelect: index must be 1-D, got shape \[1, 1\]/);
  errorTest('gather', 'rank mismatch', () => gather(x, 1, tensor([1], 'int32')), /^gather: index has rank 1 but the tensor has rank 2; they must match/);
  errorTest('gather', 'index shape too large', () => gather(x, 1, randInt([4, 2], 1, 0, 3)), /^gather: index shape \[4, 2\] exceeds \[3, 17\] at dimension 0/);
  errorTest('gather', 'index out of range', () => gather(x, 1, tensor([[17]], 'int32')), /^gather: index 17 is out of range for axis 1 of size 17/);
  errorTest(
    'scatterAdd',
    'index and src shapes differ',
    () => scatterAdd(x, 1, randInt([3, 2], 1, 0, 3), randn([3, 3], 2)),
    /^scatterAdd: index shape \[3, 2\] must equal src shape \[3, 3\]/,
  );
  errorTest(
    'scatterAdd',
    'an int32 tensor',
    () => scatterAdd(tensor([[1, 2]], 'int32'), 1, tensor([[0]], 'int32'), tensor([[1]], 'int32')),
    /^scatterAdd: input must be float32, got int32/,
  );
  errorTest('pad', 'odd pads', () => pad(x, [1]), /^pad: pads must hold a \(before, after\) pair per padded axis, at most 2 pairs; got \[1\]/);
  errorTest('pad', 'cropping below zero', () => pad(x, [-10, -10]), /^pad: pads \[-10, -10\] crop axis 1 of size 17 below zero/);
});
