/** Reference embedding lookup and its scatter-add backward. */
import type { F32 } from '../backend.ts';

export function embeddingForward(weight: F32, num: number, dim: number, indices: Int32Array, out: F32, status: Int32Array): void {
  status[0] = indices.findIndex((r) => r < 0 || r >= num);
  if (status[0] >= 0) return;
  for (let i = 0; i < indices.length; i++) out.set(weight.subarray(indices[i] * dim, (indices[i] + 1) * dim), i * dim);
}

export function embeddingBackward(gOut: F32, indices: Int32Array, _num: number, dim: number, gw: F32): void {
  gw.fill(0);
  for (let i = 0; i < indices.length; i++) {
    const o = indices[i] * dim;
    for (let j = 0; j < dim; j++) gw[o + j] += gOut[i * dim + j];
  }
}
