/** Reference data-movement kernels for every dtype: strided copy, indexed copy / add along an axis, gather, scatter-add. */
import type { F32, NumericArray } from '../backend.ts';

export function stridedCopy(
  x: NumericArray,
  xOffset: number,
  xStrides: readonly number[],
  out: NumericArray,
  outOffset: number,
  outStrides: readonly number[],
  shape: readonly number[],
): void {
  const rank = shape.length;
  let total = 1;
  for (const d of shape) total *= d;
  if (total === 0) return;
  if (rank === 0) {
    out[outOffset] = x[xOffset];
    return;
  }
  // Odometer over all but the last axis; the last axis is the inner loop.
  const last = rank - 1;
  const n = shape[last];
  const sx = xStrides[last];
  const so = outStrides[last];
  const idx = new Array<number>(rank).fill(0);
  let ix = xOffset;
  let io = outOffset;
  for (let row = 0; row < total; row += n) {
    for (let j = 0; j < n; j++) out[io + j * so] = x[ix + j * sx];
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      ix += xStrides[d];
      io += outStrides[d];
      if (idx[d] < shape[d]) break;
      ix -= xStrides[d] * shape[d];
      io -= outStrides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

function firstBad(index: Int32Array, n: number): number {
  for (let i = 0; i < index.length; i++) if (index[i] < 0 || index[i] >= n) return i;
  return -1;
}

export function indexSelect(x: NumericArray, outer: number, n: number, inner: number, index: Int32Array, out: NumericArray): number {
  const bad = firstBad(index, n);
  if (bad >= 0) return bad;
  const count = index.length;
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < count; i++) {
      const src = (o * n + index[i]) * inner;
      out.set(x.subarray(src, src + inner), (o * count + i) * inner);
    }
  return -1;
}

export function indexAdd(g: F32, outer: number, n: number, inner: number, index: Int32Array, gx: F32): number {
  const bad = firstBad(index, n);
  if (bad >= 0) return bad;
  const count = index.length;
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < count; i++) {
      const src = (o * count + i) * inner;
      const dst = (o * n + index[i]) * inner;
      for (let j = 0; j < inner; j++) gx[dst + j] += g[src + j];
    }
  return -1;
}

/** Calls visit(p, target) for every index element p, with target the flat position in `shape` it names along axis. */
function forEachAxisTarget(
  index: Int32Array,
  indexShape: readonly number[],
  shape: readonly number[],
  axis: number,
  visit: (p: number, t: number) => void,
): number {
  const rank = indexShape.length;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  const n = shape[axis];
  const idx = new Array<number>(rank).fill(0);
  let base = 0; // Σ idx[d]·strides[d] over d ≠ axis
  for (let p = 0; p < index.length; p++) {
    const k = index[p];
    if (k < 0 || k >= n) return p;
    visit(p, base + k * strides[axis]);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      if (d !== axis) base += strides[d];
      if (idx[d] < indexShape[d]) break;
      if (d !== axis) base -= strides[d] * indexShape[d];
      idx[d] = 0;
    }
  }
  return -1;
}

export function gather(x: NumericArray, xShape: readonly number[], index: Int32Array, indexShape: readonly number[], axis: number, out: NumericArray): number {
  return forEachAxisTarget(index, indexShape, xShape, axis, (p, t) => {
    out[p] = x[t];
  });
}

export function scatterAdd(src: F32, index: Int32Array, indexShape: readonly number[], axis: number, out: F32, outShape: readonly number[]): number {
  return forEachAxisTarget(index, indexShape, outShape, axis, (p, t) => {
    out[t] += src[p];
  });
}
