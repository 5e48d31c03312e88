/**
 * Losses: forward against PyTorch's documented formulas evaluated here in float64 (cross-entropy with label
 * smoothing, class weights and ignoreIndex; soft targets; nll; mse/l1/smoothL1; BCE; BCE-with-logits with posWeight;
 * KL divergence with batchmean), gradients by central differences, and shape/dtype errors.
 */
import { describe } from 'node:test';
import {
  bceWithLogits,
  binaryCrossEntropy,
  type CrossEntropyOptions,
  crossEntropy,
  klDiv,
  l1,
  mse,
  nllLoss,
  type Reduction,
  smoothL1,
  type Tensor,
  tensor,
} from '../../src/index.ts';
import { awayFrom, errorTest, makeRng, opTest, randInt, randn, uniform } from '../helpers/check.ts';
import { Nd, sumOf, zipBroadcast } from '../helpers/nd.ts';

const reduceRef = (values: Nd, reduction: Reduction | 'batchmean'): Nd | number => {
  if (reduction === 'none') return values;
  const s = sumOf(Array.from(values.data));
  if (reduction === 'sum') return s;
  if (reduction === 'batchmean') return s / values.shape[0];
  return s / values.size;
};

/** Rows of logits [N, C, d…] as (class-vector, position) pairs in target order. */
function rows(x: Nd): number[][] {
  const [n, c] = x.shape;
  const inner = x.size / (n * c);
  const out: number[][] = [];
  for (let b = 0; b < n; b++) for (let i = 0; i < inner; i++) out.push(Array.from({ length: c }, (_, j) => x.data[(b * c + j) * inner + i]));
  return out;
}

const logSoftmaxRow = (r: number[]) => {
  const m = Math.max(...r);
  const lse = m + Math.log(sumOf(r.map((v) => Math.exp(v - m))));
  return r.map((v) => v - lse);
};

/**
 * torch.nn.functional.cross_entropy with class indices: ℓ_i = (1−ε)·w_{y_i}·(−log p_{i,y_i}) + (ε/C)·Σ_c w_c·(−log p_{i,c});
 * ignored rows contribute nothing; 'mean' divides by Σ_i w_{y_i} over the rows that are not ignored.
 */
function crossEntropyRef(o: CrossEntropyOptions, weight?: number[]) {
  return (logits: Nd, target: Nd): Nd | number => {
    const c = logits.shape[1];
    const w = (j: number) => (weight ? weight[j] : 1);
    const eps = o.labelSmoothing ?? 0;
    const ignore = o.ignoreIndex ?? -100;
    const per: number[] = [];
    let denom = 0;
    rows(logits).forEach((r, i) => {
      const y = target.data[i];
      if (y === ignore) {
        per.push(0);
        return;
      }
      const lp = logSoftmaxRow(r);
      let smooth = 0;
      for (let j = 0; j < c; j++) smooth += w(j) * -lp[j];
      per.push((1 - eps) * w(y) * -lp[y] + (eps / c) * smooth);
      denom += w(y);
    });
    const reduction = o.reduction ?? 'mean';
    if (reduction === 'none') return new Nd(target.shape, per);
    return reduction === 'sum' ? sumOf(per) : sumOf(per) / denom;
  };
}

/** Probability targets: ℓ_i = −Σ_c w_c·t'_{i,c}·log p_{i,c} with t' = (1−ε)·t + ε/C; 'mean' divides by the row count. */
function softCrossEntropyRef(o: CrossEntropyOptions, weight?: number[]) {
  return (logits: Nd, target: Nd): Nd | number => {
    const c = logits.shape[1];
    const eps = o.labelSmoothing ?? 0;
    const tr = rows(target);
    const per = rows(logits).map((r, i) => {
      const lp = logSoftmaxRow(r);
      return -sumOf(lp.map((l, j) => (weight ? weight[j] : 1) * ((1 - eps) * tr[i][j] + eps / c) * l));
    });
    return reduceRef(new Nd([logits.shape[0], ...logits.shape.slice(2)], per), o.reduction ?? 'mean');
  };
}

/** Probability rows (each sums to 1) for soft targets, with the class axis at 1. */
function probs(shape: number[], seed: number): Tensor {
  const t = uniform(shape, seed, 0.05, 1);
  const x = new Nd(t.shape, t.data);
  const sums = new Map<string, number>();
  const key = (idx: number[]) => idx.filter((_, d) => d !== 1).join();
  for (let i = 0; i < x.size; i++) sums.set(key(x.unravel(i)), (sums.get(key(x.unravel(i))) ?? 0) + x.data[i]);
  return tensor(
    Float32Array.from(x.data, (v, i) => v / (sums.get(key(x.unravel(i))) as number)),
    'float32',
    shape,
  );
}

describe('crossEntropy', () => {
  const weight = [0.5, 2, 1, 1.5];
  const w = tensor(weight);
  const labels = randInt([17], 2100, 0, 4);
  const withIgnored = tensor([0, 3, -100, 1, 2, 1, -100, 0], 'int32');
  const cases: [string, number[], Tensor, CrossEntropyOptions, number[] | undefined][] = [
    ['mean', [17, 4], labels, {}, undefined],
    ['sum', [17, 4], labels, { reduction: 'sum' }, undefined],
    ['none', [17, 4], labels, { reduction: 'none' }, undefined],
    ['one row, one class', [1, 1], tensor([0], 'int32'), {}, undefined],
    ['class weights', [17, 4], labels, { weight: w }, weight],
    ['label smoothing 0.1', [17, 4], labels, { labelSmoothing: 0.1 }, undefined],
    ['smoothing 0.2 + weights + ignoreIndex −100', [8, 4], withIgnored, { labelSmoothing: 0.2, weight: w }, weight],
    ['smoothing + weights + ignoreIndex, sum', [8, 4], withIgnored, { labelSmoothing: 0.2, weight: w, reduction: 'sum' }, weight],
    ['smoothing + weights + ignoreIndex, none', [8, 4], withIgnored, { labelSmoothing: 0.2, weight: w, reduction: 'none' }, weight],
    ['ignoreIndex = a real class (1)', [8, 4], tensor([0, 1, 2, 1, 3, 3, 1, 0], 'int32'), { ignoreIndex: 1, weight: w }, weight],
    ['spatial logits [N, C, d]', [2, 4, 3], randInt([2, 3], 2101, 0, 4), { labelSmoothing: 0.1 }, undefined],
    ['spatial [N, C, H, W], none', [2, 3, 2, 2], randInt([2, 2, 2], 2102, 0, 3), { reduction: 'none' }, undefined],
  ];
  cases.forEach(([label, shape, target, o, wArr], k) => {
    opTest({
      name: 'crossEntropy',
      label: `${label}, logits [${shape}]`,
      fn: (x, t) => crossEntropy(x, t, o),
      inputs: [randn(shape, 2110 + k, 2), target],
      reference: crossEntropyRef(o, wArr),
    });
  });
  const soft: [string, number[], CrossEntropyOptions, number[] | undefined][] = [
    ['probability targets', [5, 4], {}, undefined],
    ['probability targets, smoothing and weights, sum', [5, 4], { labelSmoothing: 0.1, weight: w, reduction: 'sum' }, weight],
    ['probability targets, spatial [N, C, d]', [2, 3, 5], {}, undefined],
  ];
  soft.forEach(([label, shape, o, wArr], k) => {
    opTest({
      name: 'crossEntropy',
      label: `${label}, logits [${shape}]`,
      fn: (x, t) => crossEntropy(x, t, o),
      inputs: [randn(shape, 2130 + k, 2), probs(shape, 2140 + k)],
      reference: softCrossEntropyRef(o, wArr),
    });
  });
});

describe('nllLoss', () => {
  const weight = [0.5, 2, 1];
  const nllRef =
    (reduction: Reduction, wArr?: number[], ignore = -100) =>
    (lp: Nd, t: Nd) => {
      const per: number[] = [];
      let denom = 0;
      for (let i = 0; i < lp.shape[0]; i++) {
        const y = t.data[i];
        if (y === ignore) {
          per.push(0);
          continue;
        }
        const wy = wArr ? wArr[y] : 1;
        per.push(-wy * lp.get(i, y));
        denom += wy;
      }
      if (reduction === 'none') return new Nd([lp.shape[0]], per);
      return reduction === 'sum' ? sumOf(per) : sumOf(per) / denom;
    };
  const t = tensor([0, 2, 1, 2, -100, 0, 1], 'int32');
  (['mean', 'sum', 'none'] as const).forEach((reduction, k) => {
    opTest({
      name: 'nllLoss',
      label: `${reduction}, weights, ignoreIndex`,
      fn: (x, tt) => nllLoss(x, tt, { weight: tensor(weight), reduction }),
      inputs: [randn([7, 3], 2200 + k), t],
      reference: nllRef(reduction, weight),
    });
  });
  opTest({
    name: 'nllLoss',
    label: 'plain mean, [17, 3]',
    fn: (x, tt) => nllLoss(x, tt),
    inputs: [randn([17, 3], 2210), randInt([17], 2211, 0, 3)],
    reference: nllRef('mean'),
  });
  opTest({
    name: 'nllLoss',
    label: 'ignoreIndex 2',
    fn: (x, tt) => nllLoss(x, tt, { ignoreIndex: 2 }),
    inputs: [randn([7, 3], 2212), tensor([0, 2, 1, 2, 1, 0, 2], 'int32')],
    reference: nllRef('mean', undefined, 2),
  });
});

describe('regression losses', () => {
  const reductions: Reduction[] = ['mean', 'sum', 'none'];
  const shapes = [[17], [3, 5], [1]];
  /** target = input + d with |d| kept away from the kinks (0 for l1, ±beta for smoothL1). */
  const pair = (shape: number[], seed: number, kinks: number[]) => {
    const input = randn(shape, seed);
    const d = awayFrom(shape, seed + 1, kinks, 0.05, -2, 2);
    return [
      input,
      tensor(
        Float32Array.from(input.f32, (v, i) => v - d.f32[i]),
        'float32',
        shape,
      ),
    ];
  };
  shapes.forEach((shape, k) => {
    reductions.forEach((reduction, r) => {
      const label = `[${shape}], ${reduction}`;
      const seed = 2300 + 10 * k + 3 * r;
      opTest({
        name: 'mse',
        label,
        fn: (a, b) => mse(a, b, reduction),
        inputs: [randn(shape, seed), randn(shape, seed + 1)],
        reference: (a, b) =>
          reduceRef(
            zipBroadcast([a, b], (x, y) => (x - y) ** 2),
            reduction,
          ),
      });
      opTest({
        name: 'l1',
        label,
        fn: (a, b) => l1(a, b, reduction),
        inputs: pair(shape, seed + 2, [0]),
        reference: (a, b) =>
          reduceRef(
            zipBroadcast([a, b], (x, y) => Math.abs(x - y)),
            reduction,
          ),
      });
      const beta = [1, 0.5, 2][r];
      opTest({
        name: 'smoothL1',
        label: `${label}, beta ${beta}`,
        fn: (a, b) => smoothL1(a, b, beta, reduction),
        inputs: pair(shape, seed + 4, [0, beta, -beta]),
        reference: (a, b) =>
          reduceRef(
            zipBroadcast([a, b], (x, y) => {
              const d = Math.abs(x - y);
              return d < beta ? (0.5 * d * d) / beta : d - 0.5 * beta;
            }),
            reduction,
          ),
      });
    });
  });
  opTest({
    name: 'smoothL1',
    label: 'beta 0 is l1',
    fn: (a, b) => smoothL1(a, b, 0),
    inputs: pair([3, 5], 2390, [0]),
    reference: (a, b) =>
      reduceRef(
        zipBroadcast([a, b], (x, y) => Math.abs(x - y)),
        'mean',
      ),
  });
});

describe('binary losses', () => {
  const bceRef = (reduction: Reduction, weighted: boolean) => (p: Nd, t: Nd, w?: Nd) =>
    reduceRef(
      zipBroadcast(
        weighted && w ? [p, t, w] : [p, t],
        (pv, tv, wv = 1) => -wv * (tv * Math.max(Math.log(pv), -100) + (1 - tv) * Math.max(Math.log(1 - pv), -100)),
      ),
      reduction,
    );
  (['mean', 'sum', 'none'] as const).forEach((reduction, k) => {
    opTest({
      name: 'binaryCrossEntropy',
      label: `[3, 17] soft targets, ${reduction}`,
      fn: (p, t) => binaryCrossEntropy(p, t, { reduction }),
      inputs: [uniform([3, 17], 2400 + k, 0.05, 0.95), uniform([3, 17], 2410 + k, 0, 1)],
      reference: bceRef(reduction, false),
      eps: 1e-3,
    });
  });
  opTest({
    name: 'binaryCrossEntropy',
    label: '[17] weighted',
    fn: (p, t, w) => binaryCrossEntropy(p, t, { weight: w }),
    inputs: [uniform([17], 2420, 0.05, 0.95), uniform([17], 2421, 0, 1), uniform([17], 2422, 0.5, 2)],
    reference: bceRef('mean', true),
    eps: 1e-3,
  });

  /** −w·[pw·t·log σ(x) + (1 − t)·log(1 − σ(x))], PyTorch's BCEWithLogitsLoss, computed stably via log σ(x) = −softplus(−x). */
  const logSig = (x: number) => -(Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x))));
  const bceLogitsRef = (reduction: Reduction, hasW: boolean, hasPw: boolean) => (x: Nd, t: Nd, a?: Nd, b?: Nd) => {
    const w = hasW ? a : undefined;
    const pw = hasPw ? (hasW ? b : a) : undefined;
    const ops = [x, t, ...(w ? [w] : []), ...(pw ? [pw] : [])];
    return reduceRef(
      zipBroadcast(ops, (xv, tv, ...rest) => {
        const wv = w ? rest[0] : 1;
        const pv = pw ? rest[w ? 1 : 0] : 1;
        return -wv * (pv * tv * logSig(xv) + (1 - tv) * logSig(-xv));
      }),
      reduction,
    );
  };
  const cases: [string, Reduction, boolean, boolean][] = [
    ['mean', 'mean', false, false],
    ['sum', 'sum', false, false],
    ['none, posWeight [17] broadcast over [3, 17]', 'none', false, true],
    ['mean, weight and posWeight', 'mean', true, true],
  ];
  cases.forEach(([label, reduction, hasW, hasPw], k) => {
    const extra = [...(hasW ? [uniform([3, 17], 2430 + k, 0.5, 2)] : []), ...(hasPw ? [uniform([17], 2440 + k, 0.5, 3)] : [])];
    opTest({
      name: 'bceWithLogits',
      label: `[3, 17], ${label}`,
      fn: (x, t, a, b) => {
        const w = hasW ? a : null;
        const pw = hasPw ? (hasW ? b : a) : null;
        return bceWithLogits(x, t, { weight: w, posWeight: pw, reduction });
      },
      inputs: [randn([3, 17], 2450 + k, 3), uniform([3, 17], 2460 + k, 0, 1), ...extra],
      reference: bceLogitsRef(reduction, hasW, hasPw),
    });
  });
  opTest({
    name: 'bceWithLogits',
    label: 'large logits stay finite',
    fn: (x, t) => bceWithLogits(x, t, { reduction: 'none' }),
    inputs: [tensor([-200, -30, 30, 200]), tensor([1, 0, 1, 0])],
    reference: bceLogitsRef('none', false, false),
    gradInputs: false,
  });
});

describe('klDiv', () => {
  /** Σ target·(log target − input), 0 where target = 0 (torch.nn.functional.kl_div with log-probability input). */
  const klRef =
    (reduction: Reduction | 'batchmean', logTarget = false) =>
    (x: Nd, t: Nd) =>
      reduceRef(
        zipBroadcast([x, t], (xv, tv) => (logTarget ? Math.exp(tv) * (tv - xv) : tv > 0 ? tv * (Math.log(tv) - xv) : 0)),
        reduction,
      );
  /** Probabilities with some exact zeros. */
  const target = (shape: number[], seed: number) => {
    const r = makeRng(seed);
    return tensor(
      Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => (r.uniform() < 0.25 ? 0 : r.uniform())),
      'float32',
      shape,
    );
  };
  (['batchmean', 'sum', 'mean', 'none'] as const).forEach((reduction, k) => {
    opTest({
      name: 'klDiv',
      label: `[3, 17] with zero targets, ${reduction}`,
      fn: (x, t) => klDiv(x, t, { reduction }),
      inputs: [randn([3, 17], 2500 + k), target([3, 17], 2510 + k)],
      reference: klRef(reduction),
      gradInputs: [0],
    });
  });
  opTest({
    name: 'klDiv',
    label: 'logTarget, batchmean',
    fn: (x, t) => klDiv(x, t, { reduction: 'batchmean', logTarget: true }),
    inputs: [randn([4, 5], 2520), randn([4, 5], 2521)],
    reference: klRef('batchmean', true),
  });
});

describe('loss errors name the op, the shapes and what was expected', () => {
  const logits = randn([5, 4], 1);
  errorTest(
    'crossEntropy',
    'target shape',
    () => crossEntropy(logits, tensor([0, 1, 2], 'int32')),
    /^crossEntropy: target shape \[3\] does not match logits \[5, 4\]; expected \[5\]/,
  );
  errorTest(
    'crossEntropy',
    'target out of range',
    () => crossEntropy(logits, tensor([0, 1, 2, 4, 0], 'int32')),
    /^crossEntropy: target 4 at position 3 is not a class index for 4 classes \(valid: 0\.\.3, or ignoreIndex -100\)/,
  );
  errorTest(
    'crossEntropy',
    'weight shape',
    () => crossEntropy(logits, tensor([0, 1, 2, 3, 0], 'int32'), { weight: tensor([1, 1]) }),
    /^crossEntropy: weight must be \[4\] \(one per class\), got \[2\]/,
  );
  errorTest(
    'crossEntropy',
    'uint8 target',
    () => crossEntropy(logits, tensor([0, 1, 2, 3, 0], 'uint8')),
    /^crossEntropy: target must be int32 class indices or float32 probabilities, got uint8/,
  );
  errorTest(
    'crossEntropy',
    '1-D logits',
    () => crossEntropy(randn([4], 1), tensor([0], 'int32')),
    /^crossEntropy: logits must be \[N, C\] \(or \[N, C, d…\]\), got \[4\]/,
  );
  errorTest(
    'crossEntropy',
    'probability target shape',
    () => crossEntropy(logits, randn([5, 3], 2)),
    /^crossEntropy: input \[5, 4\] and target \[5, 3\] must have the same shape/,
  );
  errorTest(
    'crossEntropy',
    'label smoothing above 1',
    () => crossEntropy(logits, tensor([0, 1, 2, 3, 0], 'int32'), { labelSmoothing: 1.5 }),
    /^crossEntropy: labelSmoothing must be in \[0, 1\], got 1\.5/,
  );
  errorTest(
    'crossEntropy',
    'int32 logits',
    () => crossEntropy(tensor([[1, 2]], 'int32'), tensor([0], 'int32')),
    /^crossEntropy: logits must be float32, got int32 with shape \[1, 2\]/,
  );
  errorTest('nllLoss', 'target shape', () => nllLoss(logits, tensor([0, 1], 'int32')), /^nllLoss: target must be \[5\], got \[2\]/);
  errorTest('nllLoss', 'float target', () => nllLoss(logits, tensor([0, 1, 2, 3, 0])), /^nllLoss: target must be int32 class indices, got float32/);
  errorTest(
    'nllLoss',
    '3-D input',
    () => nllLoss(randn([2, 3, 4], 1), tensor([0, 1], 'int32')),
    /^nllLoss: input must be \[N, C\] log-probabilities, got \[2, 3, 4\]/,
  );
  errorTest(
    'nllLoss',
    'weight shape',
    () => nllLoss(logits, tensor([0, 1, 2, 3, 0], 'int32'), { weight: tensor([1, 1]) }),
    /^nllLoss: weight must be \[4\] \(one per class\), got \[2\]/,
  );
  errorTest(
    'nllLoss',
    'target out of range',
    () => nllLoss(logits, tensor([0, 1, 2, 3, 7], 'int32')),
    /^nllLoss: target 7 at position 4 is not a class index for 4 classes/,
  );
  for (const [name, fn] of [
    ['mse', mse],
    ['l1', l1],
    ['smoothL1', smoothL1],
    ['binaryCrossEntropy', binaryCrossEntropy],
    ['bceWithLogits', bceWithLogits],
    ['klDiv', klDiv],
  ] as const) {
    errorTest(
      name,
      'mismatched shapes',
      () => (fn as (a: Tensor, b: Tensor) => Tensor)(uniform([3], 1, 0.1, 0.9), uniform([3, 1], 2, 0.1, 0.9)),
      new RegExp(`^${name}: input \\[3\\] and target \\[3, 1\\] must have the same shape`),
    );
  }
  errorTest(
    'binaryCrossEntropy',
    'input outside [0, 1]',
    () => binaryCrossEntropy(tensor([0.5, 1.5]), tensor([1, 0])),
    /^binaryCrossEntropy: input 1\.5 at position 1 is not a probability in \[0, 1\]/,
  );
  errorTest(
    'mse',
    'unknown reduction',
    () => mse(randn([3], 1), randn([3], 2), 'max' as Reduction),
    /^mse: reduction must be 'mean', 'sum' or 'none', got 'max'/,
  );
});
