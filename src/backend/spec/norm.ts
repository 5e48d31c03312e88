/**
 * Normalisation statistics (batch norm per channel, row norm per row for layer and group norm). The interface is the
 * Backend's contract for this family; NORM_KERNELS is its spec (see ./kernel.ts).
 */
import type { F32 } from '../backend.ts';
import { f32, float, int, kernel, type KernelSpec } from './kernel.ts';

export interface NormKernels {
  /**
   * Per-channel statistics of x N×C×HW (batch norm): mean[c] and invStd[c] = 1/sqrt(var[c] + eps) with the
   * biased variance, and xHat = (x − mean)·invStd.
   */
  batchNormForward(x: F32, n: number, c: number, hw: number, eps: number, xHat: F32, mean: F32, invStd: F32): void;
  /** gx from gxHat (the gradient w.r.t. xHat) for batch-norm statistics: gx = invStd·(gxHat − mean(gxHat) − xHat·mean(gxHat·xHat)). */
  batchNormBackward(xHat: F32, gxHat: F32, invStd: F32, n: number, c: number, hw: number, gx: F32): void;
  /** The same, with statistics over each contiguous row of length cols (layer norm, group norm). */
  rowNormForward(x: F32, rows: number, cols: number, eps: number, xHat: F32, mean: F32, invStd: F32): void;
  rowNormBackward(xHat: F32, gxHat: F32, invStd: F32, rows: number, cols: number, gx: F32): void;
  /**
   * Batch norm's running statistics after a training step, from batchNormForward's mean and invStd:
   * runningMean = (1−momentum)·runningMean + momentum·mean, runningVar = (1−momentum)·runningVar +
   * momentum·(1/invStd² − eps)·unbias (unbias = count/(count−1) makes the batch variance unbiased). In place.
   */
  batchNormUpdateStats(mean: F32, invStd: F32, c: number, eps: number, momentum: number, unbias: number, runningMean: F32, runningVar: F32): void;
}

const NCHW = 'n * c * hw';
const RC = 'rows * cols';

export const NORM_KERNELS: readonly KernelSpec[] = [
  kernel('batchNormForward', 'norm', 'per-channel mean, invStd and xHat', [
    f32('x', NCHW),
    int('n'),
    int('c'),
    int('hw'),
    float('eps'),
    f32('xHat', NCHW),
    f32('mean', 'c'),
    f32('invStd', 'c'),
  ]),
  kernel('batchNormBackward', 'norm', 'gx through per-channel statistics', [
    f32('xHat', NCHW),
    f32('gxHat', NCHW),
    f32('invStd', 'c'),
    int('n'),
    int('c'),
    int('hw'),
    f32('gx', NCHW),
  ]),
  kernel('rowNormForward', 'norm', 'per-row mean, invStd and xHat', [
    f32('x', RC),
    int('rows'),
    int('cols'),
    float('eps'),
    f32('xHat', RC),
    f32('mean', 'rows'),
    f32('invStd', 'rows'),
  ]),
  kernel('rowNormBackward', 'norm', 'gx through per-row statistics', [
    f32('xHat', RC),
    f32('gxHat', RC),
    f32('invStd', 'rows'),
    int('rows'),
    int('cols'),
    f32('gx', RC),
  ]),
  kernel('batchNormUpdateStats', 'norm', 'running mean and unbiased variance update of batch norm', [
    f32('mean', 'c'),
    f32('invStd', 'c'),
    int('c'),
    float('eps'),
    float('momentum'),
    float('unbias'),
    f32('runningMean', 'c'),
    f32('runningVar', 'c'),
  ]),
];
