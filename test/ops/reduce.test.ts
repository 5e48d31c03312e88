/**
 * Reductions over any axes with keepdim, argmax/argmin, var/std, logsumexp, softmax and logSoftmax: forward against
 * float64 definitions (reduceLists hands each output cell the values it covers), gradients by central differences.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { argmax, argmin, logSoftmax, logsumexp, max, mean, min, softmax, std, sum, tensor, variance } from '../../src/index.ts';
import { checkForward, distinct, errorTest, lit, opTest, randn, uniform } from '../helpers/check.ts';
import { alongAxis, meanOf, type Nd, reduceLists, sumOf } from '../helpers/nd.ts';

type Axes = number | number[] | undefined;
const allAxes = (a: Nd, axes: Axes) => (axes === undefined ? a.shape.map((_, i) => i) : typeof axes === 'number' ? [axes] : axes);
const varOf = (v: number[], correction: number) => {
  const m = meanOf(v);
  return sumOf(v.map((x) => (x - m) ** 2)) / (v.length - correction);
};
const lseOf = (v: number[]) => {
  const m = Math.max(...v);
  return m + Math.log(sumOf(v.map((x) => Math.exp(x - m))));
};

/** (shape, axes, keepdim) combinations: all axes, one axis, negative axis, several axes, odd sizes. */
const CASES: [number[], Axes, boolean][] = [
  [[17], undefined, false],
  [[1], 0, true],
  [[3, 17], undefined, true],
  [[3, 17], 0, false],
  [[3, 17], -1, true],
  [[2, 3, 5], [0, 2], false],
  [[2, 3, 5], [0, 2], true],
  [[2, 1, 3], 1, false],
];

describe('reductions', () => {
  CASES.forEach(([shape, axes, keepdim], k) => {
    const label = `[${shape}] over ${JSON.stringify(axes) ?? 'all'}${keepdim ? ', keepdim' : ''}`;
    const red = (f: (v: number[]) => number) => (a: Nd) => reduceLists(a, allAxes(a, axes), keepdim, f);
    opTest({ name: 'sum', label, fn: (x) => sum(x, axes, keepdim), inputs: [randn(shape, 500 + k)], reference: red(sumOf) });
    opTest({ name: 'mean', label, fn: (x) => mean(x, axes, keepdim), inputs: [randn(shape, 520 + k)], reference: red(meanOf) });
    opTest({ name: 'max', label, fn: (x) => max(x, axes, keepdim), inputs: [distinct(shape, 540 + k)], reference: red((v) => Math.max(...v)) });
    opTest({ name: 'min', label, fn: (x) => min(x, axes, keepdim), inputs: [distinct(shape, 560 + k)], reference: red((v) => Math.min(...v)) });
    opTest({ name: 'logsumexp', label, fn: (x) => logsumexp(x, axes, keepdim), inputs: [randn(shape, 580 + k, 2)], reference: red(lseOf) });
    const n = (axes === undefined ? shape : (typeof axes === 'number' ? [axes] : axes).map((a) => shape.at(a) as number)).reduce((p, d) => p * d, 1);
    if (n > 1) {
      opTest({ name: 'var', label, fn: (x) => variance(x, axes, keepdim), inputs: [randn(shape, 600 + k)], reference: red((v) => varOf(v, 1)) });
      opTest({ name: 'std', label, fn: (x) => std(x, axes, keepdim), inputs: [randn(shape, 620 + k)], reference: red((v) => Math.sqrt(varOf(v, 1))) });
    }
    opTest({
      name: 'var',
      label: `${label}, correction 0`,
      fn: (x) => variance(x, axes, keepdim, 0),
      inputs: [randn(shape, 640 + k)],
      reference: red((v) => varOf(v, 0)),
      gradInputs: n > 1 ? undefined : false,
    });
  });

  test('logsumexp is stable for large inputs', () => {
    const out = checkForward({
      name: 'logsumexp',
      label: 'values near ±1000',
      fn: (x) => logsumexp(x, 1),
      inputs: [
        tensor([
          [1000, 1000, 999],
          [-1000, -1001, -1002],
        ]),
      ],
      reference: (a) => reduceLists(a, [1], false, lseOf),
      rtol: 1e-6,
    });
    assert.ok(out.f32.every(Number.isFinite));
  });

  test('max gradient is split evenly among ties (as torch.amax)', () => {
    const x = tensor([
      [1, 3, 3],
      [2, 0, 1],
    ]).requiresGrad_();
    max(x, 1).sum().backward();
    assert.deepEqual(x.grad?.toArray(), [
      [0, 0.5, 0.5],
      [1, 0, 0],
    ]);
  });
});

describe('argmax and argmin (no gradient)', () => {
  const argRef = (better: (a: number, b: number) => boolean, axis: number | undefined, keepdim: boolean) => (a: Nd) => {
    if (axis === undefined) {
      let best = 0;
      for (let i = 1; i < a.size; i++) if (better(a.data[i], a.data[best])) best = i;
      return keepdim ? reduceLists(a, allAxes(a, undefined), true, () => best) : best;
    }
    return reduceLists(a, [axis], keepdim, (v) => v.reduce((b, x, i) => (better(x, v[b]) ? i : b), 0));
  };
  const cases: [number[], number | undefined, boolean][] = [
    [[17], undefined, false],
    [[3, 17], undefined, true],
    [[3, 17], 1, false],
    [[3, 17], 0, true],
    [[2, 3, 5], -2, false],
    [[1], 0, false],
  ];
  cases.forEach(([shape, axis, keepdim], k) => {
    const label = `[${shape}] axis ${axis ?? 'all'}${keepdim ? ', keepdim' : ''}`;
    for (const [name, fn, better] of [
      ['argmax', argmax, (a: number, b: number) => a > b],
      ['argmin', argmin, (a: number, b: number) => a < b],
    ] as const) {
      test(`${name} (${label})`, () => {
        const out = checkForward({
          name,
          label,
          fn: (x) => fn(x, axis, keepdim),
          inputs: [distinct(shape, 700 + k)],
          reference: argRef(better, axis, keepdim),
          atol: 0,
          rtol: 0,
        });
        assert.equal(out.dtype, 'int32');
      });
    }
  });
  test('argmax picks the first of tied maxima (as NumPy)', () => {
    assert.deepEqual(
      argmax(
        tensor([
          [1, 5, 5],
          [2, 2, 0],
        ]),
        1,
      ).toArray(),
      [1, 0],
    );
    assert.deepEqual(argmin(tensor([3, 1, 1])).toArray(), 1);
  });
});

describe('softmax and logSoftmax', () => {
  const softmaxRow = (row: number[]) => {
    const m = Math.max(...row);
    const e = row.map((x) => Math.exp(x - m));
    const s = sumOf(e);
    return e.map((x) => x / s);
  };
  const cases: [number[], number][] = [
    [[1], -1],
    [[17], 0],
    [[3, 17], -1],
    [[3, 17], 0],
    [[2, 3, 5], 1],
    [[2, 1, 3], 1],
    [[5, 3, 17], 0], // a leading axis: the outer × size × inner kernel, no transposes
    [[3, 17, 4], -2],
  ];
  cases.forEach(([shape, axis], k) => {
    const label = `[${shape}] axis ${axis}`;
    opTest({ name: 'softmax', label, fn: (x) => softmax(x, axis), inputs: [randn(shape, 800 + k, 2)], reference: (a) => alongAxis(a, axis, softmaxRow) });
    opTest({
      name: 'logSoftmax',
      label,
      fn: (x) => logSoftmax(x, axis),
      inputs: [randn(shape, 820 + k, 2)],
      reference: (a) => alongAxis(a, axis, (r) => r.map((x) => x - lseOf(r))),
    });
  });
  test('softmax is stable for large logits and rows sum to 1', () => {
    const out = checkForward({
      name: 'softmax',
      label: 'logits near 1000',
      fn: (x) => softmax(x),
      inputs: [uniform([3, 17], 850, 990, 1010)],
      reference: (a) => alongAxis(a, -1, softmaxRow),
    });
    assert.ok(out.f32.every(Number.isFinite));
    const ls = checkForward({
      name: 'logSoftmax',
      label: 'logits near −1000',
      fn: (x) => logSoftmax(x),
      inputs: [uniform([2, 5], 851, -1010, -990)],
      reference: (a) => alongAxis(a, -1, (r) => r.map((x) => x - lseOf(r))),
      atol: 1e-4,
    });
    assert.ok(ls.f32.every(Number.isFinite));
  });
});

describe('reduction errors', () => {
  const x = randn([3, 17], 1);
  errorTest('sum', 'axis out of range', () => sum(x, 2), /^sum: axis 2 is out of range for a tensor of rank 2/, /expected -2\.\.1/);
  errorTest('mean', 'axis out of range', () => mean(x, [0, -3]), /^mean: axis -3 is out of range for a tensor of rank 2/);
  errorTest('max', 'axis out of range', () => max(x, 5), /^max: axis 5 is out of range/);
  errorTest('min', 'an int32 input', () => min(tensor([1, 2], 'int32')), /^min: input must be float32, got int32 with shape \[2\]/);
  errorTest('sum', 'an int32 input', () => sum(tensor([1, 2], 'int32')), /^sum: input must be float32, got int32/);
  errorTest('var', 'axis out of range', () => variance(x, 3), /^var: axis 3 is out of range/);
  errorTest('std', 'axis out of range', () => std(x, -4), /^var: axis -4 is out of range/);
  errorTest('logsumexp', 'axis out of range', () => logsumexp(x, 2), /^logsumexp: axis 2 is out of range/);
  errorTest('argmax', 'axis out of range', () => argmax(x, 2), /^argmax: axis 2 is out of range for a tensor of rank 2/);
  errorTest('argmin', 'an empty tensor', () => argmin(tensor([])), /^argmin: the tensor is empty/);
  errorTest('max', 'reducing an empty axis', () => max(randn([2, 0], 1), 1), /^max: cannot reduce over axis 1 of size 0/, lit('[2, 0]'));
  errorTest('softmax', 'a scalar', () => softmax(tensor(3)), /^softmax: expected at least a 1-D tensor, got a scalar/);
  errorTest('logSoftmax', 'axis out of range', () => logSoftmax(x, 2), /^logSoftmax: axis 2 is out of range for a tensor of rank 2/);
  errorTest('softmax', 'an int32 input', () => softmax(tensor([1, 2], 'int32')), /^softmax: input must be float32, got int32/);
});
