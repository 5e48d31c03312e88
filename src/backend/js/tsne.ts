/** Reference t-SNE kernels (spec: ../spec/tsne.ts): the same float64 per-row sums as the native kernel. */
import type { F32 } from '../backend.ts';

const MAX_STEPS = 100;
const TOLERANCE = 1e-5;
const TINY = 1e-12;

export function tsneAffinities(d2: F32, n: number, perplexity: number, p: F32): void {
  const target = Math.log(perplexity);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let beta = 1;
    let lo = Number.NEGATIVE_INFINITY;
    let hi = Number.POSITIVE_INFINITY;
    let sum = 0;
    for (let step = 0; step < MAX_STEPS; step++) {
      sum = 0;
      let weighted = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) {
          row[j] = 0;
          continue;
        }
        const e = Math.exp(-d2[i * n + j] * beta);
        row[j] = e;
        sum += e;
        weighted += d2[i * n + j] * e;
      }
      if (sum === 0) sum = 1e-8;
      const entropy = Math.log(sum) + (beta * weighted) / sum;
      const diff = entropy - target;
      if (Math.abs(diff) <= TOLERANCE) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Number.POSITIVE_INFINITY ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === Number.NEGATIVE_INFINITY ? beta / 2 : (beta + lo) / 2;
      }
    }
    for (let j = 0; j < n; j++) p[i * n + j] = row[j] / sum;
  }
}

export function tsneGradient(p: F32, y: F32, n: number, dims: number, grad: F32, withLoss: boolean, loss: F32): void {
  const kernelAt = (i: number, j: number) => {
    let s = 0;
    for (let c = 0; c < dims; c++) {
      const v = y[i * dims + c] - y[j * dims + c];
      s += v * v;
    }
    return 1 / (1 + s);
  };
  let z = 0;
  for (let i = 0; i < n; i++) {
    let rowSum = 0;
    for (let j = 0; j < n; j++) if (j !== i) rowSum += kernelAt(i, j);
    z += rowSum;
  }
  let kl = 0;
  const g = new Float64Array(dims);
  for (let i = 0; i < n; i++) {
    g.fill(0);
    let rowKl = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const w = kernelAt(i, j);
      const pij = p[i * n + j];
      const f = (pij - w / z) * w;
      for (let c = 0; c < dims; c++) g[c] += f * (y[i * dims + c] - y[j * dims + c]);
      if (withLoss) rowKl += pij * Math.log(Math.max(pij, TINY) / Math.max(w / z, TINY));
    }
    for (let c = 0; c < dims; c++) grad[i * dims + c] = 4 * g[c];
    kl += rowKl;
  }
  if (withLoss) loss[0] = kl;
}
