/**
 * Reference fused cross-entropy and negative log-likelihood (float64 per element, as the ops computed them before the
 * kernel existed). logSoftmax = false takes the rows as log-probabilities (nllLoss).
 */
import type { F32 } from '../backend.ts';

export function crossEntropyForward(
  logits: F32,
  target: Int32Array,
  weight: F32 | null,
  rows: number,
  c: number,
  ignoreIndex: number,
  labelSmoothing: number,
  logSoftmax: boolean,
  logp: F32,
  loss: F32,
  rowWeight: F32,
  status: Int32Array,
): void {
  status[0] = -1;
  for (let i = 0; i < rows; i++) {
    const y = target[i];
    if (y !== ignoreIndex && (y < 0 || y >= c)) {
      status[0] = i;
      return;
    }
  }
  const eps = labelSmoothing;
  for (let i = 0; i < rows; i++) {
    const base = i * c;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < c; j++) if (logits[base + j] > max) max = logits[base + j];
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(logits[base + j] - max);
    const lse = logSoftmax ? max + Math.log(sum) : 0;
    for (let j = 0; j < c; j++) logp[base + j] = logits[base + j] - lse;
    const y = target[i];
    if (y === ignoreIndex) {
      loss[i] = 0;
      rowWeight[i] = 0;
      continue;
    }
    const wy = weight ? weight[y] : 1;
    rowWeight[i] = wy;
    let smooth = 0;
    if (eps > 0) for (let j = 0; j < c; j++) smooth += (weight ? weight[j] : 1) * logp[base + j];
    loss[i] = -(1 - eps) * wy * logp[base + y] - (eps / c) * smooth;
  }
}

export function crossEntropyBackward(
  logp: F32,
  target: Int32Array,
  weight: F32 | null,
  rows: number,
  c: number,
  ignoreIndex: number,
  labelSmoothing: number,
  logSoftmax: boolean,
  gLoss: F32,
  perRow: boolean,
  gScale: number,
  gx: F32,
): void {
  const eps = labelSmoothing;
  let wSum = c;
  if (weight) {
    wSum = 0;
    for (let j = 0; j < c; j++) wSum += weight[j];
  }
  for (let i = 0; i < rows; i++) {
    const base = i * c;
    const y = target[i];
    if (y === ignoreIndex) {
      gx.fill(0, base, base + c);
      continue;
    }
    const s = gScale * gLoss[perRow ? i : 0];
    const wy = weight ? weight[y] : 1;
    for (let j = 0; j < c; j++) {
      if (!logSoftmax) {
        gx[base + j] = -s * ((1 - eps) * wy * (j === y ? 1 : 0) + (eps / c) * (weight ? weight[j] : 1));
        continue;
      }
      const p = Math.exp(logp[base + j]);
      let d = (1 - eps) * wy * (p - (j === y ? 1 : 0));
      if (eps > 0) d += (eps / c) * (wSum * p - (weight ? weight[j] : 1));
      gx[base + j] = s * d;
    }
  }
}
