/**
 * Elementwise ops with NumPy broadcasting: forward against float64 definitions, gradients against central differences.
 * Inputs are built away from kinks (abs at 0, clamp bounds, maximum/minimum ties) so finite differences are valid.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  abs,
  add,
  clamp,
  div,
  eq,
  exp,
  ge,
  gt,
  le,
  log,
  lt,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  rsqrt,
  sqrt,
  sub,
  type Tensor,
  tensor,
  where,
} from '../../src/index.ts';
import { awayFrom, checkForward, errorTest, lit, makeRng, opTest, randn, uniform } from '../helpers/check.ts';
import { Nd, zipBroadcast } from '../helpers/nd.ts';

const ref2 = (f: (a: number, b: number) => number) => (a: Nd, b: Nd) => zipBroadcast([a, b], f);
const ref1 = (f: (a: number) => number) => (a: Nd) => a.map(f);

/** Shape pairs that exercise broadcasting and the odd sizes 1, 3, 17. */
const PAIRS: [number[], number[]][] = [
  [[1], [1]],
  [[3], [3]],
  [[17], [17]],
  [[3, 1], [17]],
  [[2, 3, 4], [4]],
  [
    [1, 3, 1],
    [2, 1, 5],
  ],
];

/** b with |a − b| ≥ margin everywhere after broadcasting, so maximum/minimum never tie. */
function apart(a: Tensor, bShape: number[], seed: number, margin = 0.2): Tensor {
  const r = makeRng(seed);
  const size = bShape.reduce((p, d) => p * d, 1);
  // Simplest sufficient rule: every b value is far from every a value, whatever broadcasting pairs them with.
  const aVals = Array.from(a.data);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    for (;;) {
      const v = -3 + 6 * r.uniform();
      if (aVals.every((x) => Math.abs(x - v) >= margin)) {
        out[i] = v;
        break;
      }
    }
  }
  return tensor(out, 'float32', bShape);
}

describe('elementwise binary ops', () => {
  PAIRS.forEach(([sa, sb], k) => {
    const label = `[${sa}] with [${sb}]`;
    opTest({ name: 'add', label, fn: add, inputs: [randn(sa, 10 + k), randn(sb, 20 + k)], reference: ref2((a, b) => a + b) });
    opTest({ name: 'sub', label, fn: sub, inputs: [randn(sa, 30 + k), randn(sb, 40 + k)], reference: ref2((a, b) => a - b) });
    opTest({ name: 'mul', label, fn: mul, inputs: [randn(sa, 50 + k), randn(sb, 60 + k)], reference: ref2((a, b) => a * b) });
    opTest({
      name: 'div',
      label,
      fn: div,
      inputs: [randn(sa, 70 + k), awayFrom(sb, 80 + k, [0], 0.5)],
      reference: ref2((a, b) => a / b),
    });
    opTest({
      name: 'pow',
      label: `${label}, positive base`,
      fn: pow,
      inputs: [uniform(sa, 90 + k, 0.5, 2), uniform(sb, 100 + k, -1.5, 2.5)],
      reference: ref2((a, b) => a ** b),
    });
    const a = randn(sa, 110 + k);
    opTest({ name: 'maximum', label, fn: maximum, inputs: [a, apart(a, sb, 120 + k)], reference: ref2(Math.max) });
    opTest({ name: 'minimum', label, fn: minimum, inputs: [a, apart(a, sb, 130 + k)], reference: ref2(Math.min) });
  });

  opTest({ name: 'add', label: 'tensor + number', fn: (a) => add(a, 2.5), inputs: [randn([3, 17], 1)], reference: ref1((a) => a + 2.5) });
  opTest({ name: 'sub', label: 'number − tensor', fn: (a) => sub(1.5, a), inputs: [randn([17], 2)], reference: ref1((a) => 1.5 - a) });
  opTest({ name: 'div', label: 'number / tensor', fn: (a) => div(2, a), inputs: [awayFrom([17], 3, [0], 0.5)], reference: ref1((a) => 2 / a) });
  opTest({
    name: 'pow',
    label: 'negative base, integer exponent',
    fn: (a) => pow(a, 3),
    inputs: [randn([3, 5], 4)],
    reference: ref1((a) => a ** 3),
  });
  opTest({ name: 'pow', label: 'x^0.5 = sqrt', fn: (a) => pow(a, 0.5), inputs: [uniform([17], 5, 0.3, 3)], reference: ref1(Math.sqrt) });

  test('maximum and minimum split the gradient evenly on ties (as PyTorch)', () => {
    const a = tensor([1, 2, 3]).requiresGrad_();
    const b = tensor([1, 0, 5]).requiresGrad_();
    maximum(a, b).sum().backward();
    assert.deepEqual(a.grad?.toArray(), [0.5, 1, 0]);
    assert.deepEqual(b.grad?.toArray(), [0.5, 0, 1]);
  });
});

describe('elementwise unary ops', () => {
  const SHAPES = [[1], [3], [17], [3, 17]];
  SHAPES.forEach((shape, k) => {
    const label = `[${shape}]`;
    opTest({ name: 'neg', label, fn: neg, inputs: [randn(shape, 200 + k)], reference: ref1((a) => -a) });
    opTest({ name: 'exp', label, fn: exp, inputs: [uniform(shape, 210 + k, -2, 2)], reference: ref1(Math.exp) });
    opTest({ name: 'log', label, fn: log, inputs: [uniform(shape, 220 + k, 0.2, 4)], reference: ref1(Math.log) });
    opTest({ name: 'sqrt', label, fn: sqrt, inputs: [uniform(shape, 230 + k, 0.2, 4)], reference: ref1(Math.sqrt) });
    opTest({ name: 'rsqrt', label, fn: rsqrt, inputs: [uniform(shape, 240 + k, 0.2, 4)], reference: ref1((a) => 1 / Math.sqrt(a)) });
    opTest({ name: 'abs', label, fn: abs, inputs: [awayFrom(shape, 250 + k, [0])], reference: ref1(Math.abs) });
    opTest({
      name: 'clamp',
      label: `${label}, [−0.5, 0.7]`,
      fn: (x) => clamp(x, -0.5, 0.7),
      inputs: [awayFrom(shape, 260 + k, [-0.5, 0.7])],
      reference: ref1((a) => Math.min(0.7, Math.max(-0.5, a))),
    });
  });
  opTest({
    name: 'clamp',
    label: 'min only',
    fn: (x) => clamp(x, 0.25),
    inputs: [awayFrom([3, 17], 270, [0.25])],
    reference: ref1((a) => Math.max(0.25, a)),
  });
  opTest({
    name: 'clamp',
    label: 'max only',
    fn: (x) => clamp(x, undefined, -0.25),
    inputs: [awayFrom([17], 271, [-0.25])],
    reference: ref1((a) => Math.min(-0.25, a)),
  });
  test('special values: log(0) = −inf, sqrt(−1) = NaN, exp(−200) = 0', () => {
    assert.deepEqual(log(tensor([0])).toArray(), [Number.NEGATIVE_INFINITY]);
    assert.ok(Number.isNaN(sqrt(tensor([-1])).item()));
    assert.equal(exp(tensor([-200])).item(), 0);
  });
});

describe('where', () => {
  const mask = (shape: number[], seed: number) => {
    const r = makeRng(seed);
    return tensor(
      Uint8Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => (r.uniform() < 0.5 ? 1 : 0)),
      'uint8',
      shape,
    );
  };
  const refWhere = (c: Nd) => (a: Nd, b: Nd) => zipBroadcast([c, a, b], (cv, av, bv) => (cv !== 0 ? av : bv));
  const cases: [number[], number[], number[]][] = [
    [[17], [17], [17]],
    [[3, 1], [3, 17], [17]],
    [[1], [3], [2, 1]],
  ];
  cases.forEach(([sc, sa, sb], k) => {
    const c = mask(sc, 300 + k);
    const cNd = new Nd(c.shape, c.data);
    opTest({
      name: 'where',
      label: `cond [${sc}], a [${sa}], b [${sb}]`,
      fn: (a, b) => where(c, a, b),
      inputs: [randn(sa, 310 + k), randn(sb, 320 + k)],
      reference: refWhere(cNd),
    });
  });
  opTest({
    name: 'where',
    label: 'float condition and a number',
    fn: (a) => where(gt(a, 0), a, 0.5),
    inputs: [awayFrom([3, 5], 330, [0])],
    reference: ref1((a) => (a > 0 ? a : 0.5)),
  });
  opTest({
    name: 'where',
    label: 'int32 condition (non-zero is true), rank 3 broadcast',
    fn: (a, b) => where(tensor([[[0], [-3], [7]]], 'int32'), a, b),
    inputs: [randn([2, 3, 17], 340), randn([17], 341)],
    reference: (a, b) => zipBroadcast([new Nd([1, 3, 1], [0, -3, 7]), a, b], (cv, av, bv) => (cv !== 0 ? av : bv)),
  });
});

describe('comparisons (no gradient)', () => {
  // Integer-valued inputs so that ties (the edge of every comparison) really occur.
  const ints = (shape: number[], seed: number) => {
    const r = makeRng(seed);
    return tensor(
      Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r.int(-2, 3)),
      'float32',
      shape,
    );
  };
  const ops = [
    ['eq', eq, (a: number, b: number) => a === b],
    ['ne', ne, (a: number, b: number) => a !== b],
    ['lt', lt, (a: number, b: number) => a < b],
    ['le', le, (a: number, b: number) => a <= b],
    ['gt', gt, (a: number, b: number) => a > b],
    ['ge', ge, (a: number, b: number) => a >= b],
  ] as const;
  for (const [name, fn, f] of ops) {
    for (const [sa, sb] of [
      [[17], [17]],
      [[3, 1], [17]],
      [[1], [2, 3]],
    ]) {
      test(`${name} ([${sa}] with [${sb}])`, () => {
        const out = checkForward({
          name,
          label: `[${sa}] with [${sb}]`,
          fn: (a, b) => fn(a, b),
          inputs: [ints(sa, sa.length * 7 + sb.length), ints(sb, sb[0] + 3)],
          reference: ref2((a, b) => (f(a, b) ? 1 : 0)),
          atol: 0,
          rtol: 0,
        });
        assert.equal(out.dtype, 'uint8');
        assert.equal(out.requiresGrad, false);
      });
    }
  }
  test('comparisons accept int32 operands and numbers, and never record a graph', () => {
    const x = tensor([1, 2, 3]).requiresGrad_();
    const m = gt(x, 2);
    assert.equal(m.requiresGrad, false);
    assert.deepEqual(m.toArray(), [0, 0, 1]);
    assert.deepEqual(eq(tensor([1, 2, 3], 'int32'), 2).toArray(), [0, 1, 0]);
  });
  test('int32 comparisons are exact above 2^24 (float32 would merge neighbours), also against uint8 and float32', () => {
    const big = tensor([16777216, 16777217, 16777218], 'int32');
    assert.deepEqual(eq(big, tensor([16777217], 'int32')).toArray(), [0, 1, 0]);
    assert.deepEqual(lt(big, tensor([[16777217], [16777218]], 'int32')).toArray(), [
      [1, 0, 0],
      [1, 1, 0],
    ]);
    assert.deepEqual(ge(tensor([0, 200, 255], 'uint8'), tensor([200], 'int32')).toArray(), [0, 1, 1]);
    assert.deepEqual(gt(tensor([1, 2, 3], 'int32'), 1.5).toArray(), [0, 1, 1]);
  });
});

describe('elementwise errors name the op, the shapes and what was expected', () => {
  const bad = /cannot be broadcast together.*equal or one of them 1/;
  errorTest('add', 'shapes that do not broadcast', () => add(randn([2, 3], 1), randn([4], 2)), /^add:/, lit('[2, 3]'), lit('[4]'), bad);
  errorTest('sub', 'shapes that do not broadcast', () => sub(randn([3, 2], 1), randn([3], 2)), /^sub:/, lit('[3, 2]'), lit('[3]'), bad);
  errorTest('mul', 'shapes that do not broadcast', () => mul(randn([5], 1), randn([17], 2)), /^mul:/, lit('[5]'), lit('[17]'), bad);
  errorTest('div', 'shapes that do not broadcast', () => div(randn([2, 5], 1), randn([3, 1], 2)), /^div:/, lit('[2, 5]'), lit('[3, 1]'));
  errorTest('pow', 'shapes that do not broadcast', () => pow(randn([4], 1), randn([3], 2)), /^pow:/, lit('[4]'), lit('[3]'));
  errorTest('maximum', 'shapes that do not broadcast', () => maximum(randn([4], 1), randn([3], 2)), /^maximum:/, lit('[4]'), lit('[3]'));
  errorTest('minimum', 'shapes that do not broadcast', () => minimum(randn([4], 1), randn([3], 2)), /^minimum:/, lit('[4]'), lit('[3]'));
  errorTest('eq', 'shapes that do not broadcast', () => eq(randn([4], 1), randn([3], 2)), /^eq:/, lit('[4]'), lit('[3]'));
  errorTest('lt', 'shapes that do not broadcast', () => lt(randn([2, 2], 1), randn([3], 2)), /^lt:/, lit('[2, 2]'), lit('[3]'));
  errorTest('where', 'shapes that do not broadcast', () => where(tensor([1, 0], 'uint8'), randn([3], 1), 0), /^where:/, lit('[2]'), lit('[3]'));
  const int = tensor([1, 2, 3], 'int32');
  errorTest('add', 'an int32 operand', () => add(int, randn([3], 1)), /^add: first operand must be float32, got int32 with shape \[3\]/);
  errorTest('mul', 'an int32 operand', () => mul(randn([3], 1), int), /^mul: second operand must be float32, got int32/);
  errorTest('exp', 'an int32 input', () => exp(int), /^exp: input must be float32, got int32 with shape \[3\]/);
  errorTest('log', 'a uint8 input', () => log(tensor([1], 'uint8')), /^log: input must be float32, got uint8 with shape \[1\]/);
  for (const [name, fn] of [
    ['neg', neg],
    ['sqrt', sqrt],
    ['rsqrt', rsqrt],
    ['abs', abs],
  ] as const) {
    errorTest(name, 'an int32 input', () => fn(int), new RegExp(`^${name}: input must be float32, got int32 with shape \\[3\\]`));
  }
  for (const [name, fn] of [
    ['ne', ne],
    ['le', le],
    ['gt', gt],
    ['ge', ge],
  ] as const) {
    errorTest(
      name,
      'shapes that do not broadcast',
      () => fn(randn([2, 3], 1), randn([2], 2)),
      new RegExp(`^${name}: shapes \\[2, 3\\] and \\[2\\] cannot be broadcast`),
    );
  }
  errorTest('clamp', 'min above max', () => clamp(randn([3], 1), 2, 1), /^clamp: min \(2\) is greater than max \(1\)/);
  errorTest('clamp', 'an int32 input', () => clamp(int, 0, 1), /^clamp: input must be float32, got int32/);
  errorTest('where', 'an int32 value', () => where(tensor([1, 0, 1], 'uint8'), int, 0), /^where: first value must be float32, got int32/);
});

test('comparisons of int32 tensors are exact above 2^24 and broadcast', () => {
  const a = tensor([16777217, 5, -3], 'int32');
  assert.deepEqual([...eq(a, tensor([16777216, 5, -3], 'int32')).data], [0, 1, 1]);
  assert.deepEqual([...lt(a, 6).data], [0, 1, 1]);
  assert.deepEqual([...eq(tensor([[1], [2]], 'int32'), tensor([1, 2, 3], 'int32')).data], [1, 0, 0, 0, 1, 0]);
});
