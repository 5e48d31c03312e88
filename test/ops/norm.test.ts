/**
 * batchNorm (training statistics, running-stat update with unbiased variance and momentum, eval mode), layerNorm,
 * groupNorm, dropout and embedding: forward against formulas evaluated here in float64, gradients by central differences.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { batchNorm, dropout, embedding, Generator, groupNorm, layerNorm, manualSeed, ones, type Tensor, tensor } from '../../src/index.ts';
import { assertClose, errorTest, opTest, randInt, randn, recordCoverage, uniform } from '../helpers/check.ts';
import { meanOf, Nd } from '../helpers/nd.ts';

/** Normalises groups of elements: key(i) says which statistic element i uses; affine(i) gives [scale, shift]. */
function normalize(x: Nd, key: (idx: number[]) => number, eps: number, affine: (idx: number[]) => [number, number]): Nd {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < x.size; i++) {
    const k = key(x.unravel(i));
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)?.push(x.data[i]);
  }
  const stats = new Map<number, [number, number]>();
  for (const [k, v] of groups) {
    const m = meanOf(v);
    stats.set(k, [m, meanOf(v.map((a) => (a - m) ** 2))]); // biased variance, as the normalisation uses
  }
  return x.map((v, i) => {
    const idx = x.unravel(i);
    const [m, s2] = stats.get(key(idx)) as [number, number];
    const [g, b] = affine(idx);
    return ((v - m) / Math.sqrt(s2 + eps)) * g + b;
  });
}

const perChannel = (w?: Nd, b?: Nd) => (idx: number[]) => [w ? w.data[idx[1]] : 1, b ? b.data[idx[1]] : 0] as [number, number];

describe('batchNorm', () => {
  const cases: [number[], boolean][] = [
    [[4, 3], true],
    [[2, 3, 4, 5], true],
    [[3, 1, 2, 2], false],
    [[2, 17, 3], true],
  ];
  cases.forEach(([xs, affine], k) => {
    const c = xs[1];
    opTest({
      name: 'batchNorm',
      label: `training, x [${xs}]${affine ? ', weight and bias' : ''}`,
      fn: (x: Tensor, w?: Tensor, b?: Tensor) => batchNorm(x, null, null, w ?? null, b ?? null, { training: true }),
      inputs: [randn(xs, 1600 + k, 2), ...(affine ? [uniform([c], 1610 + k, 0.5, 1.5), randn([c], 1620 + k)] : [])],
      reference: (x, w, b) => normalize(x, (idx) => idx[1], 1e-5, perChannel(w, b)),
      atol: 1e-5,
      rtol: 1e-4,
      eps: 1e-2,
      gradAtol: 2e-2,
    });
  });

  test('training updates the running statistics in place: unbiased variance, momentum', () => {
    const x = randn([4, 3, 2, 2], 1630, 2);
    const runningMean = tensor([0.5, -1, 2]);
    const runningVar = tensor([1, 2, 0.5]);
    const momentum = 0.3;
    batchNorm(x, runningMean, runningVar, null, null, { training: true, momentum });
    const xs = new Nd(x.shape, x.data);
    const expMean = new Nd([3]);
    const expVar = new Nd([3]);
    for (let c = 0; c < 3; c++) {
      const v: number[] = [];
      for (let i = 0; i < xs.size; i++) if (xs.unravel(i)[1] === c) v.push(xs.data[i]);
      const m = meanOf(v);
      const unbiased = v.reduce((s, a) => s + (a - m) ** 2, 0) / (v.length - 1);
      expMean.data[c] = (1 - momentum) * [0.5, -1, 2][c] + momentum * m;
      expVar.data[c] = (1 - momentum) * [1, 2, 0.5][c] + momentum * unbiased;
    }
    assertClose(runningMean, expMean, 1e-5, 1e-5, 'batchNorm running mean');
    assertClose(runningVar, expVar, 1e-5, 1e-4, 'batchNorm running var');
    recordCoverage('batchNorm', 'forward');
  });

  const rm = randn([3], 1640);
  const rv = uniform([3], 1641, 0.5, 2);
  opTest({
    name: 'batchNorm',
    label: 'eval mode uses the running statistics',
    fn: (x, w, b) => batchNorm(x, rm, rv, w, b, { training: false }),
    inputs: [randn([2, 3, 3, 3], 1642), uniform([3], 1643, 0.5, 1.5), randn([3], 1644)],
    reference: (x, w, b) =>
      x.map((v, i) => {
        const c = x.unravel(i)[1];
        return ((v - rm.data[c]) / Math.sqrt(rv.data[c] + 1e-5)) * w.data[c] + b.data[c];
      }),
  });
  test('eval mode leaves the running statistics alone', () => {
    const m = tensor([1, 2, 3]);
    const v = tensor([1, 1, 1]);
    batchNorm(randn([2, 3], 1), m, v, null, null, { training: false });
    assert.deepEqual(m.toArray(), [1, 2, 3]);
    assert.deepEqual(v.toArray(), [1, 1, 1]);
  });
});

describe('layerNorm', () => {
  const cases: [number[], number[], boolean][] = [
    [[3, 17], [17], true],
    [[2, 3, 5], [3, 5], true],
    [[4, 3], [3], false],
    [[1, 1, 17], [17], true],
  ];
  cases.forEach(([xs, ns, affine], k) => {
    const tail = ns.reduce((p, d) => p * d, 1);
    opTest({
      name: 'layerNorm',
      label: `x [${xs}] over [${ns}]${affine ? ', weight and bias' : ''}`,
      fn: (x: Tensor, w?: Tensor, b?: Tensor) => layerNorm(x, ns, w ?? null, b ?? null),
      inputs: [randn(xs, 1700 + k, 2), ...(affine ? [uniform(ns, 1710 + k, 0.5, 1.5), randn(ns, 1720 + k)] : [])],
      reference: (x, w, b) =>
        normalize(
          x,
          (idx) => Math.floor(x.offset(idx) / tail),
          1e-5,
          (idx) => {
            const j = x.offset(idx) % tail;
            return [w ? w.data[j] : 1, b ? b.data[j] : 0];
          },
        ),
      gradAtol: 2e-2,
    });
  });
  opTest({
    name: 'layerNorm',
    label: 'eps 0.1',
    fn: (x) => layerNorm(x, [5], null, null, 0.1),
    inputs: [randn([3, 5], 1730, 0.3)],
    reference: (x) =>
      normalize(
        x,
        (idx) => idx[0],
        0.1,
        () => [1, 0],
      ),
  });
});

describe('groupNorm', () => {
  const cases: [number[], number, boolean][] = [
    [[2, 4, 3, 3], 2, true],
    [[2, 4, 3, 3], 1, false],
    [[1, 3, 2, 5], 3, true],
    [[2, 6], 3, true],
  ];
  cases.forEach(([xs, groups, affine], k) => {
    const c = xs[1];
    opTest({
      name: 'groupNorm',
      label: `x [${xs}], ${groups} groups${affine ? ', weight and bias' : ''}`,
      fn: (x: Tensor, w?: Tensor, b?: Tensor) => groupNorm(x, groups, w ?? null, b ?? null),
      inputs: [randn(xs, 1800 + k, 2), ...(affine ? [uniform([c], 1810 + k, 0.5, 1.5), randn([c], 1820 + k)] : [])],
      reference: (x, w, b) => normalize(x, (idx) => idx[0] * groups + Math.floor(idx[1] / (c / groups)), 1e-5, perChannel(w, b)),
      gradAtol: 2e-2,
    });
  });
});

describe('dropout', () => {
  /** Dropout's definition over the engine's seeded generator: element i is dropped when the i-th uniform draw is < p. */
  const dropRef = (seed: number, p: number) => (x: Nd) => {
    const g = new Generator(seed);
    return x.map((v) => (g.uniform() < p ? 0 : v / (1 - p)));
  };
  for (const [shape, p] of [
    [[17], 0.5],
    [[3, 17], 0.2],
    [[2, 3, 5], 0.9],
  ] as [number[], number][]) {
    const seed = 40 + shape.length;
    const gen = new Generator(seed);
    opTest({
      name: 'dropout',
      label: `[${shape}], p ${p}, re-seeded before each evaluation`,
      fn: (x) => dropout(x, p, true, gen),
      before: () => gen.manualSeed(seed),
      inputs: [randn(shape, 1900 + shape.length)],
      reference: dropRef(seed, p),
    });
  }
  test('statistics under a seed: about p dropped, survivors scaled by 1/(1−p), same seed same mask', () => {
    const p = 0.3;
    manualSeed(123);
    const a = dropout(ones([20000]), p);
    manualSeed(123);
    const b = dropout(ones([20000]), p);
    assert.deepEqual(a.data, b.data);
    let zeros = 0;
    for (const v of a.f32) {
      if (v === 0) zeros++;
      else assert.equal(v, Math.fround(1 / (1 - p)));
    }
    // Binomial(20000, 0.3): standard deviation ≈ 65, so ±400 is over 6σ.
    assert.ok(Math.abs(zeros - 0.3 * 20000) < 400, `dropped ${zeros} of 20000 at p = 0.3`);
    const m = a.f32.reduce((s, v) => s + v, 0) / a.size;
    assert.ok(Math.abs(m - 1) < 0.03, `mean after dropout ${m} should stay ≈ 1`);
  });
  test('eval mode and p = 0 are the identity; p = 1 zeroes everything', () => {
    const x = randn([3, 5], 1);
    assert.equal(dropout(x, 0.5, false), x);
    assert.equal(dropout(x, 0), x);
    assert.ok(dropout(x, 1).f32.every((v) => v === 0));
    recordCoverage('dropout', 'forward');
  });
});

describe('embedding', () => {
  const cases: [number[], number, number][] = [
    [[2, 5], 17, 3],
    [[17], 3, 5],
    [[1], 1, 1],
  ];
  cases.forEach(([is, num, dim], k) => {
    const idx = randInt(is, 2000 + k, 0, num);
    opTest({
      name: 'embedding',
      label: `indices [${is}] (repeats), weight [${num}, ${dim}]`,
      fn: (i, w) => embedding(i, w),
      inputs: [idx, randn([num, dim], 2010 + k)],
      reference: (i, w) => {
        const out = new Nd([...i.shape, dim]);
        for (let a = 0; a < out.size; a++) out.data[a] = w.get(i.data[Math.floor(a / dim)], a % dim);
        return out;
      },
    });
  });
});

describe('norm errors', () => {
  const x = randn([2, 3, 4], 1);
  errorTest('batchNorm', '1-D input', () => batchNorm(randn([3], 1), null, null), /^batchNorm: input must be \[N, C\] or \[N, C, …\], got \[3\]/);
  errorTest(
    'batchNorm',
    'wrong weight',
    () => batchNorm(x, null, null, randn([4], 2)),
    /^batchNorm: weight must have shape \[3\] \(one per channel\), got \[4\]/,
  );
  errorTest(
    'batchNorm',
    'wrong running mean',
    () => batchNorm(x, randn([2], 2), randn([3], 3)),
    /^batchNorm: runningMean must have shape \[3\] \(one per channel\), got \[2\]/,
  );
  errorTest(
    'batchNorm',
    'one value per channel in training',
    () => batchNorm(randn([1, 3], 1), null, null),
    /^batchNorm: expected more than one value per channel in training, got input \[1, 3\]/,
  );
  errorTest(
    'batchNorm',
    'eval without running statistics',
    () => batchNorm(x, null, null, null, null, { training: false }),
    /^batchNorm: evaluation mode needs runningMean and runningVar/,
  );
  errorTest(
    'batchNorm',
    'an int32 input',
    () => batchNorm(tensor([[1, 2]], 'int32'), null, null),
    /^batchNorm: input must be float32, got int32 with shape \[1, 2\]/,
  );
  errorTest('layerNorm', 'normalizedShape not at the end', () => layerNorm(x, [3]), /^layerNorm: input \[2, 3, 4\] does not end in normalizedShape \[3\]/);
  errorTest('layerNorm', 'wrong weight', () => layerNorm(x, [4], randn([3], 2)), /^layerNorm: weight must have shape \[4\], got \[3\]/);
  errorTest('groupNorm', 'groups that do not divide channels', () => groupNorm(x, 2), /^groupNorm: numGroups=2 must divide the channel count 3/);
  errorTest('groupNorm', '1-D input', () => groupNorm(randn([4], 1), 2), /^groupNorm: input must be \[N, C, …\], got \[4\]/);
  errorTest('groupNorm', 'wrong bias', () => groupNorm(x, 3, null, randn([2], 2)), /^groupNorm: bias must have shape \[3\] \(one per channel\), got \[2\]/);
  errorTest('dropout', 'p outside [0, 1]', () => dropout(x, 1.5), /^dropout: p must be in \[0, 1\], got 1\.5/);
  errorTest(
    'embedding',
    'index out of range',
    () => embedding(tensor([0, 5], 'int32'), randn([5, 2], 1)),
    /^embedding: index 5 is out of range for 5 embeddings \(valid: 0\.\.4\)/,
  );
  errorTest(
    'embedding',
    'float indices',
    () => embedding(tensor([0, 1]), randn([5, 2], 1)),
    /^embedding: indices must be int32 class indices, got float32 with shape \[2\]/,
  );
  errorTest('embedding', '1-D weight', () => embedding(tensor([0], 'int32'), randn([5], 1)), /^embedding: weight must be \[numEmbeddings, dim\], got \[5\]/);
});
