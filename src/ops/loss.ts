/**
 * Loss functions. crossEntropy with class indices and nllLoss are one fused backend kernel pair each way
 * (crossEntropyForward / crossEntropyBackward: log-softmax, weights, ignoreIndex and label smoothing in one pass); the
 * others are composed from elementwise ops, so their gradients come from the rules already tested there.
 * @example
 *   crossEntropy(logits, labels);                          // logits [N, C] float32, labels [N] int32
 *   crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 *   mse(prediction, target);
 */
import { record } from '../autograd/node.ts';
import { backend } from '../backend/index.ts';
import { formatShape, shapeEquals } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import { softplus } from './activation.ts';
import { abs, add, exp, gt, log, lt, maximum, mul, neg, sub, where } from './elementwise.ts';
import { mean, sum } from './reduce.ts';
import { permute, reshape } from './shape.ts';
import { f32, type Reduction, requireFloat } from './util.ts';

function reduce(loss: Tensor, reduction: Reduction, op: string): Tensor {
  switch (reduction) {
    case 'mean':
      return mean(loss);
    case 'sum':
      return sum(loss);
    case 'none':
      return loss;
    default:
      throw new RangeError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${reduction}'`);
  }
}

function sameShape(a: Tensor, b: Tensor, op: string): void {
  if (!shapeEquals(a.shape, b.shape)) {
    throw new RangeError(`${op}: input ${formatShape(a.shape)} and target ${formatShape(b.shape)} must have the same shape`);
  }
}

export interface CrossEntropyOptions {
  /** Per-class weights [C]. */
  weight?: Tensor | null;
  /** Targets equal to this are skipped (and not counted in the mean). */
  ignoreIndex?: number;
  /** Mixes the one-hot target with the uniform distribution: (1−ε)·onehot + ε/C. */
  labelSmoothing?: number;
  reduction?: Reduction;
}

/** Moves the class axis of [N, C, d1, …] last and flattens to [N·d1·…, C]. */
function classesLast(x: Tensor): Tensor {
  if (x.rank === 2) return x;
  const perm = [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1];
  return reshape(permute(x, perm), [-1, x.shape[1]]);
}

/**
 * Cross-entropy between logits [N, C] (or [N, C, d…]) and int32 class indices [N] (or [N, d…]), or float32 class
 * probabilities with the logits' shape. Matches torch.nn.functional.cross_entropy, including weights, ignoreIndex
 * and label smoothing.
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  requireFloat(logits, 'crossEntropy', 'logits');
  if (logits.rank < 2) throw new RangeError(`crossEntropy: logits must be [N, C] (or [N, C, d…]), got ${formatShape(logits.shape)}`);
  const reduction = options.reduction ?? 'mean';
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`crossEntropy: labelSmoothing must be in [0, 1], got ${eps}`);
  const c = logits.shape[1];
  const weight = options.weight ?? null;
  if (weight && (weight.rank !== 1 || weight.shape[0] !== c))
    throw new RangeError(`crossEntropy: weight must be [${c}] (one per class), got ${formatShape(weight.shape)}`);
  const x = classesLast(logits);
  if (target.dtype === 'float32') {
    sameShape(logits, target, 'crossEntropy');
    const t = classesLast(target);
    const smoothed = eps > 0 ? add(mul(t, 1 - eps), eps / c) : t;
    const w = weight ? reshape(weight, [1, c]) : null;
    const logp = logSoftmaxRows(x);
    const perRow = neg(sum(mul(w ? mul(smoothed, w) : smoothed, logp), [1]));
    return reduce(reshape(perRow, [logits.shape[0], ...logits.shape.slice(2)]), reduction, 'crossEntropy');
  }
  if (target.dtype !== 'int32') throw new TypeError(`crossEntropy: target must be int32 class indices or float32 probabilities, got ${target.dtype}`);
  const expectedTarget = [logits.shape[0], ...logits.shape.slice(2)];
  if (!shapeEquals(target.shape, expectedTarget)) {
    throw new RangeError(
      `crossEntropy: target shape ${formatShape(target.shape)} does not match logits ${formatShape(logits.shape)}; expected ${formatShape(expectedTarget)}`,
    );
  }
  const ignore = options.ignoreIndex ?? -100;
  const loss = indexedLoss(x, target.data as Int32Array, weight, ignore, eps, reduction, true, 'crossEntropy');
  return reduction === 'none' ? reshape(loss, expectedTarget) : loss;
}

/**
 * The loss of rows × C scores x at int32 targets through the fused kernels: log-softmax first for crossEntropy
 * (logSoftmax = true), the scores taken as log-probabilities for nllLoss. Returns [rows] for 'none', a scalar otherwise.
 */
function indexedLoss(
  x: Tensor,
  labels: Int32Array,
  weight: Tensor | null,
  ignore: number,
  eps: number,
  reduction: Reduction,
  logSoftmax: boolean,
  op: string,
): Tensor {
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum')
    throw new RangeError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${reduction}'`);
  const [rows, c] = x.shape;
  const w = weight ? weight.f32 : null;
  const logp = new Float32Array(rows * c);
  const perRow = new Float32Array(rows);
  const rowWeight = new Float32Array(rows); // weight of each row's target class, 0 when ignored
  const status = new Int32Array(1);
  backend().crossEntropyForward(x.f32, labels, w, rows, c, ignore, eps, logSoftmax, logp, perRow, rowWeight, status);
  if (status[0] >= 0) {
    const i = status[0];
    throw new RangeError(
      `${op}: target ${labels[i]} at position ${i} is not a class index for ${c} classes (valid: 0..${c - 1}${ignore < 0 || ignore >= c ? `, or ignoreIndex ${ignore}` : ''})`,
    );
  }
  let out: Tensor;
  let gScale = 1; // d loss / d perRow[i] = gScale · (upstream gradient)
  if (reduction === 'none') out = new Tensor(perRow, [rows]);
  else {
    const total = sumOf(perRow);
    const denom = reduction === 'mean' ? sumOf(rowWeight) : 1;
    out = new Tensor(new Float32Array([total / denom]), []);
    gScale = 1 / denom;
  }
  return record(out, op, [x], (g) => {
    const gx = f32([rows, c]);
    backend().crossEntropyBackward(logp, labels, w, rows, c, ignore, eps, logSoftmax, g.f32, reduction === 'none', gScale, gx.f32);
    return [gx];
  });
}

/** Σ of a buffer through the backend's reduction. */
function sumOf(values: Float32Array): number {
  const out = new Float32Array(1);
  backend().reduce('sum', values, 1, values.length, 1, out);
  return out[0];
}

function logSoftmaxRows(x: Tensor): Tensor {
  const out = f32(x.shape);
  const [rows, cols] = x.shape;
  backend().softmax(x.f32, rows, cols, out.f32, true);
  return record(out, 'logSoftmax', [x], (g) => {
    const gx = f32(x.shape);
    backend().softmaxBackward(out.f32, g.f32, rows, cols, gx.f32, true);
    return [gx];
  });
}

export interface NllLossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}

/** Negative log-likelihood of log-probabilities [N, C] at int32 targets [N] (pair it with logSoftmax). */
export function nllLoss(logProbs: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  requireFloat(logProbs, 'nllLoss', 'input');
  if (logProbs.rank !== 2) throw new RangeError(`nllLoss: input must be [N, C] log-probabilities, got ${formatShape(logProbs.shape)}`);
  if (target.dtype !== 'int32') throw new TypeError(`nllLoss: target must be int32 class indices, got ${target.dtype}; convert it with .int()`);
  const [n, c] = logProbs.shape;
  if (target.rank !== 1 || target.shape[0] !== n) throw new RangeError(`nllLoss: target must be [${n}], got ${formatShape(target.shape)}`);
  if (options.weight && (options.weight.rank !== 1 || options.weight.shape[0] !== c))
    throw new RangeError(`nllLoss: weight must be [${c}] (one per class), got ${formatShape(options.weight.shape)}`);
  return indexedLoss(
    logProbs,
    target.data as Int32Array,
    options.weight ?? null,
    options.ignoreIndex ?? -100,
    0,
    options.reduction ?? 'mean',
    false,
    'nllLoss',
  );
}

/** Mean squared error. */
export function mse(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  sameShape(input, target, 'mse');
  const d = sub(input, target);
  return reduce(mul(d, d), reduction, 'mse');
}

/** Mean absolute error. */
export function l1(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  sameShape(input, target, 'l1');
  return reduce(abs(sub(input, target)), reduction, 'l1');
}

/** Huber-style loss: 0.5·d²/β where |d| < β, |d| − 0.5·β elsewhere. */
export function smoothL1(input: Tensor, target: Tensor, beta = 1, reduction: Reduction = 'mean'): Tensor {
  sameShape(input, target, 'smoothL1');
  const d = sub(input, target);
  const a = abs(d);
  if (beta === 0) return reduce(a, reduction, 'smoothL1');
  return reduce(where(lt(a, beta), mul(mul(d, d), 0.5 / beta), sub(a, 0.5 * beta)), reduction, 'smoothL1');
}

/** Binary cross-entropy of probabilities in [0, 1]; the logs are clamped at −100 like PyTorch. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  sameShape(input, target, 'binaryCrossEntropy');
  const p = input.f32;
  const lo = new Float32Array(1);
  const hi = new Float32Array(1);
  backend().reduce('min', p, 1, p.length, 1, lo);
  backend().reduce('max', p, 1, p.length, 1, hi);
  if (p.length > 0 && !(lo[0] >= 0 && hi[0] <= 1)) {
    const i = p.findIndex((v) => !(v >= 0 && v <= 1));
    throw new RangeError(`binaryCrossEntropy: input ${p[i]} at position ${i} is not a probability in [0, 1]; apply sigmoid first or use bceWithLogits`);
  }
  const logP = maximum(log(input), -100);
  const log1mP = maximum(log(sub(1, input)), -100);
  let loss = neg(add(mul(target, logP), mul(sub(1, target), log1mP)));
  if (options.weight) loss = mul(loss, options.weight);
  return reduce(loss, options.reduction ?? 'mean', 'binaryCrossEntropy');
}

/** Binary cross-entropy on logits, computed stably: (1−t)·x + (1 + (pw−1)·t)·softplus(−x). */
export function bceWithLogits(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  sameShape(input, target, 'bceWithLogits');
  const sp = softplus(neg(input));
  const factor = options.posWeight ? add(1, mul(sub(options.posWeight, 1), target)) : null;
  let loss = add(mul(sub(1, target), input), factor ? mul(factor, sp) : sp);
  if (options.weight) loss = mul(loss, options.weight);
  return reduce(loss, options.reduction ?? 'mean', 'bceWithLogits');
}

export type KlReduction = Reduction | 'batchmean';

/** KL divergence Σ target·(log target − input) with input given as log-probabilities (torch's kl_div); 0 where target = 0. */
export function klDiv(input: Tensor, target: Tensor, options: { reduction?: KlReduction; logTarget?: boolean } = {}): Tensor {
  sameShape(input, target, 'klDiv');
  let loss: Tensor;
  if (options.logTarget) loss = mul(exp(target), sub(target, input));
  else {
    const mask = gt(target.detach(), 0);
    const safeLog = log(where(mask, target, 1));
    loss = where(mask, mul(target, sub(safeLog, input)), 0);
  }
  const reduction = options.reduction ?? 'mean';
  if (reduction === 'batchmean') return mul(sum(loss), 1 / (input.rank > 0 ? input.shape[0] : 1));
  return reduce(loss, reduction, 'klDiv');
}
