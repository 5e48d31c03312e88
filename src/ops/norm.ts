/**
 * Normalisation: batchNorm (training and running statistics), layerNorm, groupNorm. (dropout lives in regularize.ts,
 * embedding in embedding.ts.)
 * The statistics kernels produce the normalised x̂; the learnable scale and shift are ordinary broadcast ops.
 * @example
 *   batchNorm(x, runningMean, runningVar, gamma, beta, { training: true });
 *   layerNorm(x, [512], gamma, beta);
 */
import { record } from '../autograd/node.ts';
import { backend } from '../backend/index.ts';
import { formatShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { add, mul, rsqrt, sub } from './elementwise.ts';
import { reshape } from './shape.ts';
import { f32, requireFloat } from './util.ts';

export interface BatchNormOptions {
  training?: boolean;
  /** Weight of the new batch statistic in the running average (PyTorch's default 0.1). */
  momentum?: number;
  eps?: number;
}

/** Applies optional per-channel scale and shift, broadcast over a [1, C, 1, …] shape. */
function channelAffine(xHat: Tensor, weight: Tensor | null, bias: Tensor | null, channels: number): Tensor {
  const shape = xHat.shape.map((_d, i) => (i === 1 ? channels : 1));
  let y = xHat;
  if (weight) y = mul(y, reshape(weight, shape));
  if (bias) y = add(y, reshape(bias, shape));
  return y;
}

function checkChannelParam(p: Tensor | null, c: number, op: string, name: string): void {
  if (p && (p.rank !== 1 || p.shape[0] !== c)) throw new RangeError(`${op}: ${name} must have shape [${c}] (one per channel), got ${formatShape(p.shape)}`);
}

/**
 * Batch normalisation over x [N, C, …]. In training it normalises with the batch statistics and updates the running
 * statistics in place (unbiased variance, as PyTorch); in evaluation it uses the running statistics.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  options: BatchNormOptions = {},
): Tensor {
  const xd = requireFloat(x, 'batchNorm', 'input');
  if (x.rank < 2) throw new RangeError(`batchNorm: input must be [N, C] or [N, C, …], got ${formatShape(x.shape)}`);
  const [n, c] = x.shape;
  const hw = x.size / Math.max(1, n * c);
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  const training = options.training ?? true;
  checkChannelParam(weight, c, 'batchNorm', 'weight');
  checkChannelParam(bias, c, 'batchNorm', 'bias');
  checkChannelParam(runningMean, c, 'batchNorm', 'runningMean');
  checkChannelParam(runningVar, c, 'batchNorm', 'runningVar');
  const statShape = x.shape.map((_d, i) => (i === 1 ? c : 1));
  if (!training) {
    if (!runningMean || !runningVar) throw new Error('batchNorm: evaluation mode needs runningMean and runningVar');
    const xHat = mul(sub(x, reshape(runningMean.detach(), statShape)), rsqrt(add(reshape(runningVar.detach(), statShape), eps)));
    return channelAffine(xHat, weight, bias, c);
  }
  const count = n * hw;
  if (count <= 1)
    throw new RangeError(
      `batchNorm: expected more than one value per channel in training, got input ${formatShape(x.shape)}; use a batch of 2 or more, or eval mode`,
    );
  const xHat = f32(x.shape);
  const mean = new Float32Array(c);
  const invStd = new Float32Array(c);
  backend().batchNormForward(xd, n, c, hw, eps, xHat.f32, mean, invStd);
  if (runningMean && runningVar) {
    backend().batchNormUpdateStats(mean, invStd, c, eps, momentum, count / (count - 1), runningMean.f32, runningVar.f32);
    runningMean.bumpVersion();
    runningVar.bumpVersion();
  }
  record(
    xHat,
    'batchNorm',
    [x],
    (g) => {
      const gx = f32(x.shape);
      backend().batchNormBackward(xHat.f32, g.f32, invStd, n, c, hw, gx.f32);
      return [gx];
    },
    [x],
  );
  return channelAffine(xHat, weight, bias, c);
}

/** Normalises each contiguous row of length cols; returns x̂ with its backward rule. */
function rowNorm(x: Tensor, rows: number, cols: number, eps: number, op: string): Tensor {
  const xHat = f32(x.shape);
  const mean = new Float32Array(rows);
  const invStd = new Float32Array(rows);
  backend().rowNormForward(requireFloat(x, op, 'input'), rows, cols, eps, xHat.f32, mean, invStd);
  return record(
    xHat,
    op,
    [x],
    (g) => {
      const gx = f32(x.shape);
      backend().rowNormBackward(xHat.f32, g.f32, invStd, rows, cols, gx.f32);
      return [gx];
    },
    [x],
  );
}

/** Layer normalisation over the trailing `normalizedShape` dimensions, with elementwise weight and bias of that shape. */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  const tail = x.shape.slice(x.rank - normalizedShape.length);
  if (normalizedShape.length > x.rank || tail.join() !== normalizedShape.join()) {
    throw new RangeError(`layerNorm: input ${formatShape(x.shape)} does not end in normalizedShape ${formatShape(normalizedShape)}`);
  }
  for (const [name, p] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (p && p.shape.join() !== normalizedShape.join())
      throw new RangeError(`layerNorm: ${name} must have shape ${formatShape(normalizedShape)}, got ${formatShape(p.shape)}`);
  }
  const cols = normalizedShape.reduce((a, b) => a * b, 1);
  let y = rowNorm(x, x.size / Math.max(cols, 1), cols, eps, 'layerNorm');
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/** Group normalisation of x [N, C, …]: statistics per sample over groups of C/numGroups channels; per-channel affine. */
export function groupNorm(x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  if (x.rank < 2) throw new RangeError(`groupNorm: input must be [N, C, …], got ${formatShape(x.shape)}`);
  const [n, c] = x.shape;
  if (!Number.isInteger(numGroups) || numGroups < 1 || c % numGroups !== 0)
    throw new RangeError(`groupNorm: numGroups=${numGroups} must divide the channel count ${c}`);
  checkChannelParam(weight, c, 'groupNorm', 'weight');
  checkChannelParam(bias, c, 'groupNorm', 'bias');
  const rows = n * numGroups;
  const xHat = rowNorm(x, rows, x.size / Math.max(rows, 1), eps, 'groupNorm');
  return channelAffine(xHat, weight, bias, c);
}
