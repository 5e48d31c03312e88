/**
 * Shape ops: reshape, permute, expand, cat/stack/split, slicing, gathering and padding.
 * Every result is contiguous (DESIGN.md: an op that would make a strided view copies); reshape shares the buffer.
 * They work on every dtype; gradients flow for float32.
 * @example
 *   const x = arange(0, 6).float().reshape([2, 3]);
 *   transpose(x, 0, 1).shape;          // [3, 2]
 *   cat([x, x], 0).shape;              // [4, 3]
 */
import { record } from '../autograd/node.ts';
import { allocate } from '../tensor/dtype.ts';
import { backend } from '../backend/index.ts';
import { broadcastShapes, broadcastStrides, formatShape, inferShape, normalizeAxis, shapeEquals, sizeOf, stridesOf } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import { f32, requireFloat, requireInt, sumToShape } from './util.ts';

/** Same data, new shape (one dimension may be -1). Shares the buffer, like a PyTorch view of a contiguous tensor. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.size, 'reshape');
  if (shapeEquals(target, x.shape)) return x;
  const out = new Tensor(x.data, target, x.version);
  return record(out, 'reshape', [x], (g) => [new Tensor(g.data, x.shape)]);
}

export const view = reshape;

/** Flattens dimensions startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normalizeAxis(startDim, x.rank, 'flatten');
  const e = normalizeAxis(endDim, x.rank, 'flatten');
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${formatShape(x.shape)}`);
  const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/** Removes size-1 dimensions (all of them, or the given one). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normalizeAxis(axis, x.rank, 'squeeze');
  if (x.shape[a] !== 1) return x;
  return reshape(
    x,
    x.shape.filter((_, i) => i !== a),
  );
}

/** Inserts a size-1 dimension at axis (−1 appends). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.rank + 1, 'unsqueeze');
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Copies x with its axes reordered: out.shape[i] = x.shape[dims[i]]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.rank)
    throw new RangeError(`permute: got ${dims.length} dims [${dims.join(', ')}] for a tensor of rank ${x.rank} (shape ${formatShape(x.shape)})`);
  const perm = dims.map((d) => normalizeAxis(d, x.rank, 'permute'));
  if (new Set(perm).size !== perm.length) throw new RangeError(`permute: dims [${dims.join(', ')}] repeat an axis`);
  if (perm.every((d, i) => d === i)) return x;
  const outShape = perm.map((d) => x.shape[d]);
  const out = new Tensor(allocate(x.dtype, x.size), outShape);
  const xStrides = stridesOf(x.shape);
  backend().stridedCopy(
    x.data,
    0,
    perm.map((d) => xStrides[d]),
    out.data,
    0,
    stridesOf(outShape),
    outShape,
  );
  const inverse = new Array<number>(perm.length);
  perm.forEach((d, i) => {
    inverse[d] = i;
  });
  return record(out, 'permute', [x], (g) => [permute(g, inverse)]);
}

/** Swaps two axes. */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const a = normalizeAxis(dim0, x.rank, 'transpose');
  const b = normalizeAxis(dim1, x.rank, 'transpose');
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Broadcasts x to a larger shape (copying); −1 keeps a dimension. The gradient sums back. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.rank;
  if (lead < 0) throw new RangeError(`expand: target ${formatShape(shape)} has fewer dimensions than ${formatShape(x.shape)}`);
  const target = shape.map((d, i) => (d === -1 ? x.shape[i - lead] : d));
  const result = broadcastShapes(x.shape, target, 'expand');
  if (!shapeEquals(result, target)) {
    throw new RangeError(`expand: cannot expand ${formatShape(x.shape)} to ${formatShape(shape)}; only size-1 dimensions can grow`);
  }
  if (shapeEquals(target, x.shape)) return x;
  // Any dtype, exact for int32 (a float32 round trip would round values above 2^24): a copy with stride 0 on grown axes.
  const out = new Tensor(allocate(x.dtype, sizeOf(target)), target);
  backend().stridedCopy(x.data, 0, broadcastStrides(x.shape, target), out.data, 0, stridesOf(target), target);
  return record(out, 'expand', [x], (g) => [sumToShape(g, x.shape)]);
}

/** Joins tensors along an existing axis; all other dimensions must match. */
export function cat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new RangeError('cat: expected at least one tensor');
  const first = tensors[0];
  const a = normalizeAxis(axis, first.rank, 'cat');
  for (const [i, t] of tensors.entries()) {
    if (t.rank !== first.rank || t.shape.some((d, j) => j !== a && d !== first.shape[j])) {
      throw new RangeError(
        `cat: tensor ${i} has shape ${formatShape(t.shape)} but tensor 0 has ${formatShape(first.shape)}; all dimensions except axis ${a} must match`,
      );
    }
    if (t.dtype !== first.dtype) throw new TypeError(`cat: tensor ${i} is ${t.dtype} but tensor 0 is ${first.dtype}; cast them to one dtype first`);
  }
  const outer = first.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = first.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const total = tensors.reduce((p, t) => p + t.shape[a], 0);
  const outShape = [...first.shape];
  outShape[a] = total;
  const out = new Tensor(allocate(first.dtype, sizeOf(outShape)), outShape);
  // Each input is an outer × (its axis length · inner) block, written at its offset along the axis of out.
  let offset = 0;
  for (const t of tensors) {
    const block = t.shape[a] * inner;
    backend().stridedCopy(t.data, 0, [block, 1], out.data, offset * inner, [total * inner, 1], [outer, block]);
    offset += t.shape[a];
  }
  const sizes = tensors.map((t) => t.shape[a]);
  return record(out, 'cat', tensors, (g) => split(g, sizes, a));
}

/** Joins tensors of the same shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new RangeError('stack: expected at least one tensor');
  const a = normalizeAxis(axis, tensors[0].rank + 1, 'stack');
  for (const [i, t] of tensors.entries()) {
    if (!shapeEquals(t.shape, tensors[0].shape)) {
      throw new RangeError(`stack: tensor ${i} has shape ${formatShape(t.shape)} but tensor 0 has ${formatShape(tensors[0].shape)}; stack needs equal shapes`);
    }
  }
  return cat(
    tensors.map((t) => unsqueeze(t, a)),
    a,
  );
}

/** A slice of x along one axis: start ≤ i < end, step > 0. Negative start/end count from the end. */
export function slice(x: Tensor, axis: number, start = 0, end?: number, step = 1): Tensor {
  const a = normalizeAxis(axis, x.rank, 'slice');
  const n = x.shape[a];
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const clampIndex = (i: number) => Math.min(n, Math.max(0, i < 0 ? i + n : i));
  const s = clampIndex(start);
  const e = Math.max(s, clampIndex(end ?? n));
  const count = Math.ceil((e - s) / step);
  if (step === 1 && s === 0 && e === n) return x;
  // x as outer × n × inner, read from s with stride step along the axis.
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const outShape = [...x.shape];
  outShape[a] = count;
  const out = new Tensor(allocate(x.dtype, sizeOf(outShape)), outShape);
  const view = [outer, count, inner];
  const xStrides = [n * inner, step * inner, 1];
  const outStrides = [count * inner, inner, 1];
  backend().stridedCopy(x.data, s * inner, xStrides, out.data, 0, outStrides, view);
  return record(out, 'slice', [x], (g) => {
    const gx = f32(x.shape);
    backend().stridedCopy(g.f32, 0, outStrides, gx.f32, s * inner, xStrides, view);
    return [gx];
  });
}

/** Splits x along axis into pieces of `sizes` (a list) or of `size` each (the last may be smaller). */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis(axis, x.rank, 'split');
  const n = x.shape[a];
  let list: number[];
  if (typeof sizes === 'number') {
    if (!(sizes > 0)) throw new RangeError(`split: size must be positive, got ${sizes}`);
    list = [];
    for (let s = 0; s < n; s += sizes) list.push(Math.min(sizes, n - s));
  } else {
    list = [...sizes];
    const total = list.reduce((p, d) => p + d, 0);
    if (total !== n) throw new RangeError(`split: sizes [${list.join(', ')}] add up to ${total} but axis ${a} of ${formatShape(x.shape)} has ${n}`);
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const size of list) {
    out.push(narrow(x, a, start, size));
    start += size;
  }
  return out;
}

/** Splits into `chunks` nearly equal pieces (like torch.chunk). */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  const a = normalizeAxis(axis, x.rank, 'chunk');
  return split(x, Math.ceil(x.shape[a] / chunks), a);
}

/** The contiguous range [start, start+length) along axis, as a copy. */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normalizeAxis(axis, x.rank, 'narrow');
  if (start < 0 || length < 0 || start + length > x.shape[a]) {
    throw new RangeError(`narrow: range [${start}, ${start + length}) is outside axis ${a} of size ${x.shape[a]} (shape ${formatShape(x.shape)})`);
  }
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const outShape = [...x.shape];
  outShape[a] = length;
  const out = new Tensor(allocate(x.dtype, sizeOf(outShape)), outShape);
  const n = x.shape[a];
  // x as outer × (n · inner); the range is one contiguous run of length · inner per outer row.
  const run = [outer, length * inner];
  backend().stridedCopy(x.data, start * inner, [n * inner, 1], out.data, 0, [length * inner, 1], run);
  return record(out, 'narrow', [x], (g) => {
    const gx = f32(x.shape);
    backend().stridedCopy(g.f32, 0, [length * inner, 1], gx.f32, start * inner, [n * inner, 1], run);
    return [gx];
  });
}

function indexError(op: string, index: number, axis: number, n: number, shape: readonly number[]): RangeError {
  return new RangeError(`${op}: index ${index} is out of range for axis ${axis} of size ${n} (shape ${formatShape(shape)}); indices must be in 0..${n - 1}`);
}

/** Picks entries idx (1-D int32) along axis. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normalizeAxis(axis, x.rank, 'indexSelect');
  const idx = requireInt(index, 'indexSelect', 'index');
  if (index.rank !== 1) throw new RangeError(`indexSelect: index must be 1-D, got shape ${formatShape(index.shape)}`);
  const n = x.shape[a];
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const outShape = [...x.shape];
  outShape[a] = idx.length;
  const out = new Tensor(allocate(x.dtype, sizeOf(outShape)), outShape);
  const bad = backend().indexSelect(x.data, outer, n, inner, idx, out.data);
  if (bad >= 0) throw indexError('indexSelect', idx[bad], a, n, x.shape);
  return record(out, 'indexSelect', [x], (g) => {
    const gx = f32(x.shape);
    backend().indexAdd(g.f32, outer, n, inner, idx, gx.f32);
    return [gx];
  });
}

/** Checks torch.gather's index against x along `axis`: the same rank, and no larger than x off the axis. */
function checkGatherIndex(xShape: readonly number[], index: Tensor, axis: number, op: string): Int32Array {
  const idx = requireInt(index, op, 'index');
  if (index.rank !== xShape.length) throw new RangeError(`${op}: index has rank ${index.rank} but the tensor has rank ${xShape.length}; they must match`);
  index.shape.forEach((d, i) => {
    if (i !== axis && d > xShape[i]) throw new RangeError(`${op}: index shape ${formatShape(index.shape)} exceeds ${formatShape(xShape)} at dimension ${i}`);
  });
  return idx;
}

/** out[i][j] = x[i][index[i][j]] for axis 1 (torch.gather). */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normalizeAxis(axis, x.rank, 'gather');
  const idx = checkGatherIndex(x.shape, index, a, 'gather');
  const out = new Tensor(allocate(x.dtype, index.size), index.shape);
  const bad = backend().gather(x.data, x.shape, idx, index.shape, a, out.data);
  if (bad >= 0) throw new RangeError(`gather: index ${idx[bad]} is out of range for axis ${a} of size ${x.shape[a]}`);
  return record(out, 'gather', [x], (g) => {
    const gx = f32(x.shape);
    backend().scatterAdd(g.f32, idx, index.shape, a, gx.f32, x.shape);
    return [gx];
  });
}

/** A copy of x with src added at the positions index names along axis (torch.scatter_add); float32. */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const a = normalizeAxis(axis, x.rank, 'scatterAdd');
  if (!shapeEquals(index.shape, src.shape))
    throw new RangeError(`scatterAdd: index shape ${formatShape(index.shape)} must equal src shape ${formatShape(src.shape)}`);
  requireFloat(x, 'scatterAdd');
  const srcData = requireFloat(src, 'scatterAdd', 'src');
  const idx = checkGatherIndex(x.shape, index, a, 'scatterAdd');
  const out = x.clone();
  const bad = backend().scatterAdd(srcData, idx, index.shape, a, out.f32, x.shape);
  if (bad >= 0) throw new RangeError(`scatterAdd: index ${idx[bad]} is out of range for axis ${a} of size ${x.shape[a]}`);
  return record(out, 'scatterAdd', [x, src], (g) => {
    const gs = f32(src.shape);
    backend().gather(g.f32, x.shape, idx, index.shape, a, gs.f32);
    return [g, gs];
  });
}

/**
 * Pads the last dimensions with a constant: pads = [left, right] for the last axis, then [top, bottom] for the one
 * before, and so on (torch.nn.functional.pad order). Negative pads crop.
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  if (pads.length % 2 !== 0 || pads.length / 2 > x.rank) {
    throw new RangeError(`pad: pads must hold a (before, after) pair per padded axis, at most ${x.rank} pairs; got [${pads.join(', ')}]`);
  }
  const before = new Array<number>(x.rank).fill(0);
  const outShape = [...x.shape];
  for (let p = 0; p < pads.length / 2; p++) {
    const axis = x.rank - 1 - p;
    before[axis] = pads[2 * p];
    outShape[axis] += pads[2 * p] + pads[2 * p + 1];
    if (outShape[axis] < 0) throw new RangeError(`pad: pads [${pads.join(', ')}] crop axis ${axis} of size ${x.shape[axis]} below zero`);
  }
  const out = new Tensor(allocate(x.dtype, sizeOf(outShape)), outShape);
  out.data.fill(value);
  // The part of x that lands inside out: per axis, input positions lo .. lo+count-1 go to lo+before.
  const lo = before.map((b) => Math.max(0, -b));
  const count = x.shape.map((d, i) => Math.max(0, Math.min(d, outShape[i] - before[i]) - lo[i]));
  const xStrides = stridesOf(x.shape);
  const outStrides = stridesOf(outShape);
  const xOffset = lo.reduce((p, l, i) => p + l * xStrides[i], 0);
  const outOffset = lo.reduce((p, l, i) => p + (l + before[i]) * outStrides[i], 0);
  backend().stridedCopy(x.data, xOffset, xStrides, out.data, outOffset, outStrides, count);
  return record(out, 'pad', [x], (g) => {
    const gx = f32(x.shape);
    backend().stridedCopy(g.f32, outOffset, outStrides, gx.f32, xOffset, xStrides, count);
    return [gx];
  });
}
