/** Helpers shared by the op families: constants, dtype checks, and undoing broadcasting in gradients. */
import { backend } from '../backend/index.ts';
import { formatShape, shapeEquals } from '../tensor/shape.ts';
import { Tensor, type TensorLike } from '../tensor/tensor.ts';

/** A number becomes a 0-d float32 constant; a tensor passes through. */
export function toTensor(x: TensorLike): Tensor {
  return typeof x === 'number' ? new Tensor(new Float32Array([x]), []) : x;
}

/** Throws unless t is float32, naming the op and the fix. */
export function requireFloat(t: Tensor, op: string, what = 'input'): Float32Array {
  if (t.dtype !== 'float32') {
    throw new TypeError(`${op}: ${what} must be float32, got ${t.dtype} with shape ${formatShape(t.shape)}; convert it with .float()`);
  }
  return t.data as Float32Array;
}

export function requireInt(t: Tensor, op: string, what: string): Int32Array {
  if (t.dtype !== 'int32') {
    throw new TypeError(`${op}: ${what} must be int32 class indices, got ${t.dtype} with shape ${formatShape(t.shape)}; convert it with .int()`);
  }
  return t.data as Int32Array;
}

const scratch = new Map<string, Float32Array>();

/**
 * A reusable buffer of `size` floats for a temporary that never leaves one backward rule or op (e.g. the full-size
 * gradient a fused conv block scatters into before its convolution backward). One per slot name, grown as needed and
 * kept: large temporaries allocated every step are what drive V8's major GCs. Contents are garbage on return; a slot
 * must not be used again before its previous use is finished (rules run one at a time, so one slot per rule is safe).
 */
export function scratchF32(slot: string, size: number): Float32Array {
  let buf = scratch.get(slot);
  if (buf === undefined || buf.length < size) {
    buf = new Float32Array(size);
    scratch.set(slot, buf);
  }
  return buf.length === size ? buf : buf.subarray(0, size);
}

export function f32(shape: readonly number[], data?: Float32Array): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  return new Tensor(data ?? new Float32Array(n), shape);
}

/** Sums g over the dimensions that broadcasting added or stretched, so it matches `shape` (gradient of broadcast). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapeEquals(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  let data = g.f32;
  const cur = [...g.shape];
  // Sum each broadcast axis as outer × size × inner, from the last so earlier axis indices stay valid.
  for (let axis = g.rank - 1; axis >= 0; axis--) {
    const target = axis < lead ? 1 : shape[axis - lead];
    if (cur[axis] === target) continue;
    const outer = cur.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = cur.slice(axis + 1).reduce((a, b) => a * b, 1);
    const out = new Float32Array(outer * inner);
    backend().reduce('sum', data, outer, cur[axis], inner, out);
    data = out;
    cur[axis] = 1;
  }
  return new Tensor(data, shape);
}

/** Materialises x broadcast to shape (no graph; used by backward rules). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (shapeEquals(x.shape, shape)) return x;
  const out = f32(shape);
  backend().binary('add', x.f32, x.shape, new Float32Array(1), [], out.f32, shape);
  return out;
}

export type Reduction = 'mean' | 'sum' | 'none';
