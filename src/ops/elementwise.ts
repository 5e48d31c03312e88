/**
 * Elementwise ops with NumPy broadcasting, each with its backward rule beside it.
 * @example
 *   const y = add(mul(x, 2), 1);        // 2x + 1
 *   const m = where(gt(x, 0), x, 0);    // relu by hand
 */
import { record } from '../autograd/node.ts';
import type { BinaryOp, CompareOp, UnaryOp } from '../backend/backend.ts';
import { backend } from '../backend/index.ts';
import { broadcastShapes, sizeOf } from '../tensor/shape.ts';
import { Tensor, type TensorLike } from '../tensor/tensor.ts';
import { broadcastTo, f32, requireFloat, sumToShape, toTensor } from './util.ts';

function binaryForward(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const ad = requireFloat(a, op, 'first operand');
  const bd = requireFloat(b, op, 'second operand');
  const shape = broadcastShapes(a.shape, b.shape, op);
  const out = f32(shape);
  backend().binary(op, ad, a.shape, bd, b.shape, out.f32, shape);
  return out;
}

export function add(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a);
  const y = toTensor(b);
  const out = binaryForward('add', x, y);
  return record(out, 'add', [x, y], (g) => [sumToShape(g, x.shape), sumToShape(g, y.shape)]);
}

export function sub(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a);
  const y = toTensor(b);
  const out = binaryForward('sub', x, y);
  return record(out, 'sub', [x, y], (g) => [sumToShape(g, x.shape), y.requiresGrad ? sumToShape(neg(g), y.shape) : null]);
}

export function mul(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a);
  const y = toTensor(b);
  const out = binaryForward('mul', x, y);
  return record(out, 'mul', [x, y], (g) => [x.requiresGrad ? sumToShape(mul(g, y), x.shape) : null, y.requiresGrad ? sumToShape(mul(g, x), y.shape) : null], [
    x,
    y,
  ]);
}

export function div(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a);
  const y = toTensor(b);
  const out = binaryForward('div', x, y);
  return record(
    out,
    'div',
    [x, y],
    (g) => [x.requiresGrad ? sumToShape(div(g, y), x.shape) : null, y.requiresGrad ? sumToShape(neg(div(mul(g, out), y)), y.shape) : null],
    [x, y, out],
  );
}

/** a ** b. The gradient for b uses log(a), so it needs a > 0 where b requires grad. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a);
  const y = toTensor(b);
  const out = binaryForward('pow', x, y);
  return record(
    out,
    'pow',
    [x, y],
    (g) => [
      x.requiresGrad ? sumToShape(mul(g, mul(y, pow(x, sub(y, 1)))), x.shape) : null,
      y.requiresGrad ? sumToShape(mul(g, mul(out, log(x))), y.shape) : null,
    ],
    [x, y, out],
  );
}

/** Gradient split evenly between a and b where they tie (as PyTorch does). */
function extremum(op: 'maximum' | 'minimum', a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a);
  const y = toTensor(b);
  const out = binaryForward(op, x, y);
  return record(
    out,
    op,
    [x, y],
    (g) => {
      const wins = maskToFloat(compare(op === 'maximum' ? 'gt' : 'lt', x, y));
      const ties = maskToFloat(compare('eq', x, y));
      const share = add(wins, mul(ties, 0.5));
      return [x.requiresGrad ? sumToShape(mul(g, share), x.shape) : null, y.requiresGrad ? sumToShape(mul(g, sub(1, share)), y.shape) : null];
    },
    [x, y],
  );
}

export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return extremum('maximum', a, b);
}

export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return extremum('minimum', a, b);
}

// ── unary ────────────────────────────────────────────────────────────────────

/** Applies a backend unary function; the backward rule is the backend's derivative kernel. */
export function unaryOp(op: UnaryOp, a: TensorLike, alpha = 0): Tensor {
  const x = toTensor(a);
  const xd = requireFloat(x, op);
  const out = f32(x.shape);
  backend().unary(op, xd, out.f32, alpha);
  return record(
    out,
    op,
    [x],
    (g) => {
      const gx = f32(x.shape);
      backend().unaryBackward(op, xd, out.f32, g.f32, gx.f32, alpha);
      return [gx];
    },
    [x, out],
  );
}

export const neg = (x: TensorLike) => unaryOp('neg', x);
export const exp = (x: TensorLike) => unaryOp('exp', x);
export const log = (x: TensorLike) => unaryOp('log', x);
export const sqrt = (x: TensorLike) => unaryOp('sqrt', x);
export const rsqrt = (x: TensorLike) => unaryOp('rsqrt', x);
export const abs = (x: TensorLike) => unaryOp('abs', x);

/** Limits values to [min, max]; the gradient passes only where the value was inside. */
export function clamp(a: TensorLike, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY): Tensor {
  const x = toTensor(a);
  if (min > max) throw new RangeError(`clamp: min (${min}) is greater than max (${max})`);
  const out = f32(x.shape);
  backend().clamp(requireFloat(x, 'clamp'), min, max, out.f32);
  return record(
    out,
    'clamp',
    [x],
    (g) => {
      const gx = f32(x.shape);
      backend().clampBackward(x.f32, min, max, g.f32, gx.f32);
      return [gx];
    },
    [x],
  );
}

/** x · scale + shift for scalars, one pass (used by normalisation and schedules). */
export function affine(a: TensorLike, scale: number, shift: number): Tensor {
  const x = toTensor(a);
  const out = f32(x.shape);
  backend().affine(requireFloat(x, 'affine'), scale, shift, out.f32);
  return record(out, 'affine', [x], (g) => [affine(g, scale, 0)]);
}

// ── comparisons and selection (no gradient) ──────────────────────────────────

/** Elementwise comparison of any dtypes (exact: int32 values are never rounded through float32), as a uint8 mask. */
export function compare(op: CompareOp, a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a);
  const y = toTensor(b);
  const shape = broadcastShapes(x.shape, y.shape, op);
  const out = new Tensor(new Uint8Array(sizeOf(shape)), shape);
  backend().compare(op, x.data, x.shape, y.data, y.shape, out.data as Uint8Array, shape);
  return out;
}

export const eq = (a: TensorLike, b: TensorLike) => compare('eq', a, b);
export const ne = (a: TensorLike, b: TensorLike) => compare('ne', a, b);
export const lt = (a: TensorLike, b: TensorLike) => compare('lt', a, b);
export const le = (a: TensorLike, b: TensorLike) => compare('le', a, b);
export const gt = (a: TensorLike, b: TensorLike) => compare('gt', a, b);
export const ge = (a: TensorLike, b: TensorLike) => compare('ge', a, b);

function maskToFloat(mask: Tensor): Tensor {
  return mask.to('float32');
}

/** A 0-d zero, the other branch of where's gradient (read only). */
const ZERO = new Float32Array(1);

/** Elementwise choice: a where cond is non-zero, else b, all three broadcast together. Gradients go to the chosen side. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor(a);
  const y = toTensor(b);
  const xd = requireFloat(x, 'where', 'first value');
  const yd = requireFloat(y, 'where', 'second value');
  const shape = broadcastShapes(broadcastShapes(cond.shape, x.shape, 'where'), y.shape, 'where');
  const mask = cond.dtype === 'uint8' ? cond : compare('ne', cond, 0);
  const m = mask.data as Uint8Array;
  const out = f32(shape);
  backend().where(m, mask.shape, xd, x.shape, yd, y.shape, out.f32, shape);
  return record(out, 'where', [x, y], (g) => {
    let gx: Tensor | null = null;
    let gy: Tensor | null = null;
    if (x.requiresGrad) {
      gx = f32(shape);
      backend().where(m, mask.shape, g.f32, shape, ZERO, [], gx.f32, shape);
    }
    if (y.requiresGrad) {
      gy = f32(shape);
      backend().where(m, mask.shape, ZERO, [], g.f32, shape, gy.f32, shape);
    }
    return [gx && sumToShape(gx, x.shape), gy && sumToShape(gy, y.shape)];
  });
}

/** True when every element of two tensors is within atol + rtol·|b| (shapes must broadcast); NaN is never close. */
export function allClose(a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
  const shape = broadcastShapes(a.shape, b.shape, 'allClose');
  const n = sizeOf(shape);
  if (n === 0) return true;
  const x = broadcastTo(a.to('float32'), shape).f32;
  const y = broadcastTo(b.to('float32'), shape).f32;
  const k = backend();
  const diff = new Float32Array(n);
  const tol = new Float32Array(n);
  k.binary('sub', x, shape, y, shape, diff, shape);
  k.unary('abs', diff, diff, 0);
  k.unary('abs', y, tol, 0);
  k.affine(tol, rtol, atol, tol);
  const close = new Uint8Array(n);
  k.compare('le', diff, shape, tol, shape, close, shape);
  return close.indexOf(0) === -1;
}
