/** Reference reductions over the middle axis of an outer × size × inner view, and row softmax. */
import type { ArgReduceOp, F32, ReduceOp } from '../backend.ts';

export function reduce(op: ReduceOp, x: F32, outer: number, size: number, inner: number, out: F32): void {
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    for (let i = 0; i < inner; i++) {
      let acc = op === 'sum' ? 0 : x[base + i];
      for (let r = op === 'sum' ? 0 : 1; r < size; r++) {
        const v = x[base + r * inner + i];
        if (op === 'sum') acc += v;
        else if (op === 'max') acc = v > acc || Number.isNaN(v) ? v : acc;
        else acc = v < acc || Number.isNaN(v) ? v : acc;
      }
      out[o * inner + i] = acc;
    }
  }
}

export function softmax(x: F32, rows: number, cols: number, out: F32, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < cols; j++) if (x[base + j] > max) max = x[base + j];
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[base + j] - max);
    if (log) {
      const lse = max + Math.log(sum);
      for (let j = 0; j < cols; j++) out[base + j] = x[base + j] - lse;
    } else {
      for (let j = 0; j < cols; j++) out[base + j] = Math.exp(x[base + j] - max) / sum;
    }
  }
}

export function softmaxBackward(y: F32, gy: F32, rows: number, cols: number, gx: F32, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    if (log) {
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += gy[base + j];
      for (let j = 0; j < cols; j++) gx[base + j] = gy[base + j] - Math.exp(y[base + j]) * sum;
    } else {
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += gy[base + j] * y[base + j];
      for (let j = 0; j < cols; j++) gx[base + j] = y[base + j] * (gy[base + j] - dot);
    }
  }
}

/** Index of the first largest (argmax) or smallest (argmin) value along the middle axis; a NaN wins only in first place. */
export function argReduce(op: ArgReduceOp, x: F32, outer: number, size: number, inner: number, out: Int32Array): void {
  const max = op === 'argmax';
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let best = 0;
      let bestVal = x[base];
      for (let r = 1; r < size; r++) {
        const v = x[base + r * inner];
        if (max ? v > bestVal : v < bestVal) {
          best = r;
          bestVal = v;
        }
      }
      out[o * inner + i] = best;
    }
}

/** Softmax (or log-softmax) along the middle axis of outer × size × inner. */
export function softmaxAxis(x: F32, outer: number, size: number, inner: number, out: F32, log: boolean): void {
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let max = Number.NEGATIVE_INFINITY;
      for (let r = 0; r < size; r++) if (x[base + r * inner] > max) max = x[base + r * inner];
      let sum = 0;
      for (let r = 0; r < size; r++) sum += Math.exp(x[base + r * inner] - max);
      const lse = max + Math.log(sum);
      for (let r = 0; r < size; r++) {
        const at = base + r * inner;
        out[at] = log ? x[at] - lse : Math.exp(x[at] - max) / sum;
      }
    }
}

export function softmaxAxisBackward(y: F32, gy: F32, outer: number, size: number, inner: number, gx: F32, log: boolean): void {
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let acc = 0;
      for (let r = 0; r < size; r++) acc += log ? gy[base + r * inner] : gy[base + r * inner] * y[base + r * inner];
      for (let r = 0; r < size; r++) {
        const at = base + r * inner;
        gx[at] = log ? gy[at] - Math.exp(y[at]) * acc : y[at] * (gy[at] - acc);
      }
    }
}
