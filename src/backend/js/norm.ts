/** Reference normalisation kernels: statistics and the normalised values; the affine part is done by ops. */
import type { F32 } from '../backend.ts';

export function batchNormForward(x: F32, n: number, c: number, hw: number, eps: number, xHat: F32, mean: F32, invStd: F32): void {
  const count = n * hw;
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) sum += x[o + i];
    }
    const mu = sum / count;
    let sq = 0;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) sq += (x[o + i] - mu) ** 2;
    }
    const is = 1 / Math.sqrt(sq / count + eps);
    mean[ch] = mu;
    invStd[ch] = is;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) xHat[o + i] = (x[o + i] - mu) * is;
    }
  }
}

export function batchNormBackward(xHat: F32, gxHat: F32, invStd: F32, n: number, c: number, hw: number, gx: F32): void {
  const count = n * hw;
  for (let ch = 0; ch < c; ch++) {
    let sumG = 0;
    let sumGX = 0;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) {
        sumG += gxHat[o + i];
        sumGX += gxHat[o + i] * xHat[o + i];
      }
    }
    const mg = sumG / count;
    const mgx = sumGX / count;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) gx[o + i] = invStd[ch] * (gxHat[o + i] - mg - xHat[o + i] * mgx);
    }
  }
}

export function rowNormForward(x: F32, rows: number, cols: number, eps: number, xHat: F32, mean: F32, invStd: F32): void {
  batchNormForward(x, 1, rows, cols, eps, xHat, mean, invStd);
}

export function rowNormBackward(xHat: F32, gxHat: F32, invStd: F32, rows: number, cols: number, gx: F32): void {
  batchNormBackward(xHat, gxHat, invStd, 1, rows, cols, gx);
}

/** Running statistics after a training step: r = (1 − momentum)·r + momentum·batch, the variance made unbiased by `unbias`. */
export function batchNormUpdateStats(
  mean: F32,
  invStd: F32,
  c: number,
  eps: number,
  momentum: number,
  unbias: number,
  runningMean: F32,
  runningVar: F32,
): void {
  for (let ch = 0; ch < c; ch++) {
    const biasedVar = 1 / (invStd[ch] * invStd[ch]) - eps;
    runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * mean[ch];
    runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * biasedVar * unbias;
  }
}
