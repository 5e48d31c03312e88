/**
 * Reductions over any set of axes (all by default), with keepdim, and softmax / logSoftmax.
 * Multi-axis reductions run one axis at a time through the backend's outer × size × inner kernel.
 * @example
 *   sum(x);                       // scalar
 *   mean(x, [0, 2], true);        // keeps reduced axes as size 1
 *   softmax(logits, -1);
 */
import { record } from '../autograd/node.ts';
import type { ReduceOp } from '../backend/backend.ts';
import { backend } from '../backend/index.ts';
import { formatShape, normalizeAxes, normalizeAxis } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import { abs, add, div, eq, exp, log, lt, mul, sqrt, sub, where } from './elementwise.ts';
import { reshape } from './shape.ts';
import { broadcastTo, f32, requireFloat, sumToShape } from './util.ts';

export type Axes = number | readonly number[] | undefined;

function keptShape(shape: readonly number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function finalShape(shape: readonly number[], axes: number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

/** Raw reduction of x over axes, returned with keepdim shape. */
function reduceRaw(op: ReduceOp, x: Tensor, axes: number[]): Tensor {
  let data = requireFloat(x, op);
  const cur = [...x.shape];
  for (const axis of axes) {
    if (cur[axis] === 0 && op !== 'sum') throw new RangeError(`${op}: cannot reduce over axis ${axis} of size 0 (shape ${formatShape(x.shape)})`);
    const outer = cur.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = cur.slice(axis + 1).reduce((a, b) => a * b, 1);
    const out = new Float32Array(outer * inner);
    backend().reduce(op, data, outer, cur[axis], inner, out);
    data = out;
    cur[axis] = 1;
  }
  return new Tensor(data === x.data ? data.slice() : data, cur);
}

/** Sum over axes. */
export function sum(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'sum');
  const kept = reduceRaw('sum', x, ax);
  const out = new Tensor(kept.data, finalShape(x.shape, ax, keepdim));
  return record(out, 'sum', [x], (g) => [broadcastTo(new Tensor(g.data, kept.shape), x.shape)]);
}

/** Mean over axes. */
export function mean(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'mean');
  const count = ax.reduce((p, a) => p * x.shape[a], 1);
  return div(sum(x, ax, keepdim), count);
}

/** Max or min over axes; the gradient goes to the extreme elements, split evenly among ties. */
function extreme(op: 'max' | 'min', x: Tensor, axes: Axes, keepdim: boolean): Tensor {
  const ax = normalizeAxes(axes, x.rank, op);
  const kept = reduceRaw(op, x, ax);
  const out = new Tensor(kept.data, finalShape(x.shape, ax, keepdim));
  return record(
    out,
    op,
    [x],
    (g) => {
      const mask = eq(x, kept).to('float32');
      const count = sumToShape(mask, kept.shape);
      return [mul(mask, broadcastTo(div(new Tensor(g.data, kept.shape), count), x.shape))];
    },
    [x],
  );
}

export function max(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  return extreme('max', x, axes, keepdim);
}

export function min(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  return extreme('min', x, axes, keepdim);
}

/** Index of the largest (or smallest) element along one axis, int32; over the flattened tensor when axis is undefined. */
function argExtreme(op: 'argmax' | 'argmin', x: Tensor, axis: number | undefined, keepdim: boolean): Tensor {
  const data = x.dtype === 'float32' ? x.f32 : x.to('float32').f32;
  if (axis === undefined) {
    if (data.length === 0) throw new RangeError(`${op}: the tensor is empty`);
    const out = new Int32Array(1);
    backend().argReduce(op, data, 1, data.length, 1, out);
    return new Tensor(out, keepdim ? x.shape.map(() => 1) : []);
  }
  const a = normalizeAxis(axis, x.rank, op);
  const n = x.shape[a];
  if (n === 0) throw new RangeError(`${op}: axis ${a} has size 0`);
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const out = new Int32Array(outer * inner);
  backend().argReduce(op, data, outer, n, inner, out);
  return new Tensor(out, finalShape(x.shape, [a], keepdim));
}

export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argExtreme('argmax', x, axis, keepdim);
}

export function argmin(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argExtreme('argmin', x, axis, keepdim);
}

/** Variance with Bessel's correction by default (correction = 1), like torch.var. */
export function variance(x: Tensor, axes?: Axes, keepdim = false, correction = 1): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'var');
  const count = ax.reduce((p, a) => p * x.shape[a], 1);
  const centered = sub(x, mean(x, ax, true));
  return div(sum(mul(centered, centered), ax, keepdim), Math.max(0, count - correction));
}

export function std(x: Tensor, axes?: Axes, keepdim = false, correction = 1): Tensor {
  return sqrt(variance(x, axes, keepdim, correction));
}

/** log Σ exp(x) over axes, computed stably by subtracting the (constant) max first. */
export function logsumexp(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'logsumexp');
  // The max is a constant shift (no gradient); an infinite or NaN max shifts by 0 instead.
  const raw = reduceRaw('max', x, ax);
  const m = where(lt(abs(raw), Number.POSITIVE_INFINITY), raw, 0);
  const lse = add(log(sum(exp(sub(x, m)), ax, true)), m);
  return keepdim ? lse : reshape(lse, finalShape(x.shape, ax, false));
}

/** Softmax (or log-softmax) along one axis: rows of the last axis, or the outer × size × inner kernel (no transposes). */
function softmaxAlong(x: Tensor, axis: number, log: boolean): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  const xd = requireFloat(x, op);
  if (x.rank === 0) throw new RangeError(`${op}: expected at least a 1-D tensor, got a scalar`);
  const a = normalizeAxis(axis, x.rank, op);
  const size = x.shape[a];
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const out = f32(x.shape);
  if (inner === 1) backend().softmax(xd, outer, size, out.f32, log);
  else backend().softmaxAxis(xd, outer, size, inner, out.f32, log);
  return record(
    out,
    op,
    [x],
    (g) => {
      const gx = f32(x.shape);
      if (inner === 1) backend().softmaxBackward(out.f32, g.f32, outer, size, gx.f32, log);
      else backend().softmaxAxisBackward(out.f32, g.f32, outer, size, inner, gx.f32, log);
      return [gx];
    },
    [out],
  );
}

/** exp(x) / Σ exp(x) along axis (default last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxAlong(x, axis, false);
}

/** x − logsumexp(x) along axis (default last), computed stably. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxAlong(x, axis, true);
}
