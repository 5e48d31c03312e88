/** Reference elementwise kernels: unary functions and their derivatives, broadcast binary ops, comparisons. */
import { broadcastStrides } from '../../tensor/shape.ts';
import type { BinaryOp, CompareOp, F32, NumericArray, UnaryOp } from '../backend.ts';

/** erf to ~1.2e-7 absolute error (Numerical Recipes erfc Chebyshev fit), enough for float32 GELU. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export function unaryScalar(op: UnaryOp, x: number, alpha: number): number {
  switch (op) {
    case 'neg':
      return -x;
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'sqrt':
      return Math.sqrt(x);
    case 'rsqrt':
      return 1 / Math.sqrt(x);
    case 'abs':
      return Math.abs(x);
    case 'relu':
      return Math.max(x, 0);
    case 'leakyRelu':
      return x > 0 ? x : alpha * x;
    case 'elu':
      return x > 0 ? x : alpha * Math.expm1(x);
    case 'gelu':
      return 0.5 * x * (1 + erf(x * SQRT1_2));
    case 'silu':
      return x / (1 + Math.exp(-x));
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh(x);
    case 'softplus': {
      const bx = alpha * x;
      return bx > 20 ? x : Math.log1p(Math.exp(bx)) / alpha;
    }
  }
}

/** f'(x), given x and y = f(x). */
export function unaryDerivative(op: UnaryOp, x: number, y: number, alpha: number): number {
  switch (op) {
    case 'neg':
      return -1;
    case 'exp':
      return y;
    case 'log':
      return 1 / x;
    case 'sqrt':
      return 0.5 / y;
    case 'rsqrt':
      return -0.5 * y * y * y;
    case 'abs':
      return x > 0 ? 1 : x < 0 ? -1 : 0;
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'leakyRelu':
      return x > 0 ? 1 : alpha;
    case 'elu':
      return x > 0 ? 1 : y + alpha;
    case 'gelu':
      return 0.5 * (1 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    case 'silu': {
      const s = 1 / (1 + Math.exp(-x));
      return s * (1 + x * (1 - s));
    }
    case 'sigmoid':
      return y * (1 - y);
    case 'tanh':
      return 1 - y * y;
    case 'softplus': {
      const bx = alpha * x;
      return bx > 20 ? 1 : 1 / (1 + Math.exp(-bx));
    }
  }
}

export function unary(op: UnaryOp, x: F32, out: F32, alpha: number): void {
  const n = x.length;
  if (op === 'relu') {
    for (let i = 0; i < n; i++) out[i] = Math.max(x[i], 0);
    return;
  }
  for (let i = 0; i < n; i++) out[i] = unaryScalar(op, x[i], alpha);
}

export function unaryBackward(op: UnaryOp, x: F32, y: F32, gy: F32, gx: F32, alpha: number): void {
  const n = x.length;
  if (op === 'relu') {
    for (let i = 0; i < n; i++) gx[i] = x[i] > 0 ? gy[i] : 0;
    return;
  }
  for (let i = 0; i < n; i++) gx[i] = gy[i] * unaryDerivative(op, x[i], y[i], alpha);
}

function binaryFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case 'add':
      return (a, b) => a + b;
    case 'sub':
      return (a, b) => a - b;
    case 'mul':
      return (a, b) => a * b;
    case 'div':
      return (a, b) => a / b;
    case 'pow':
      return (a, b) => a ** b;
    case 'maximum':
      return (a, b) => (a >= b || Number.isNaN(a) ? a : b);
    case 'minimum':
      return (a, b) => (a <= b || Number.isNaN(a) ? a : b);
  }
}

function compareFn(op: CompareOp): (a: number, b: number) => boolean {
  switch (op) {
    case 'eq':
      return (a, b) => a === b;
    case 'ne':
      return (a, b) => a !== b;
    case 'lt':
      return (a, b) => a < b;
    case 'le':
      return (a, b) => a <= b;
    case 'gt':
      return (a, b) => a > b;
    case 'ge':
      return (a, b) => a >= b;
  }
}

/** Calls visit(outIndex, aIndex, bIndex) for every output element in order, walking an odometer over outShape. */
function forEachBroadcast(
  aShape: readonly number[],
  bShape: readonly number[],
  outShape: readonly number[],
  visit: (o: number, ia: number, ib: number) => void,
): void {
  const rank = outShape.length;
  let total = 1;
  for (const d of outShape) total *= d;
  if (total === 0) return;
  if (rank === 0) {
    visit(0, 0, 0);
    return;
  }
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const idx = new Array<number>(rank).fill(0);
  const last = rank - 1;
  const n = outShape[last];
  const la = sa[last];
  const lb = sb[last];
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < total; o += n) {
    for (let j = 0; j < n; j++) visit(o + j, ia + j * la, ib + j * lb);
    // advance the odometer over all but the last dimension
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < outShape[d]) break;
      ia -= sa[d] * outShape[d];
      ib -= sb[d] * outShape[d];
      idx[d] = 0;
    }
  }
}

export function binary(op: BinaryOp, a: F32, aShape: readonly number[], b: F32, bShape: readonly number[], out: F32, outShape: readonly number[]): void {
  const f = binaryFn(op);
  if (a.length === out.length && b.length === out.length) {
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], b[i]);
    return;
  }
  forEachBroadcast(aShape, bShape, outShape, (o, ia, ib) => {
    out[o] = f(a[ia], b[ib]);
  });
}

/** Compares the values as JS numbers (exact for every dtype: int32 never passes through float32). */
export function compare(
  op: CompareOp,
  a: NumericArray,
  aShape: readonly number[],
  b: NumericArray,
  bShape: readonly number[],
  out: Uint8Array,
  outShape: readonly number[],
): void {
  const f = compareFn(op);
  forEachBroadcast(aShape, bShape, outShape, (o, ia, ib) => {
    out[o] = f(a[ia], b[ib]) ? 1 : 0;
  });
}

export function where(
  cond: Uint8Array,
  condShape: readonly number[],
  a: F32,
  aShape: readonly number[],
  b: F32,
  bShape: readonly number[],
  out: F32,
  outShape: readonly number[],
): void {
  const sc = broadcastStrides(condShape, outShape);
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const rank = outShape.length;
  const idx = new Array<number>(rank).fill(0);
  let ic = 0;
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = cond[ic] !== 0 ? a[ia] : b[ib];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      ic += sc[d];
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < outShape[d]) break;
      ic -= sc[d] * outShape[d];
      ia -= sa[d] * outShape[d];
      ib -= sb[d] * outShape[d];
      idx[d] = 0;
    }
  }
}

export function affine(x: F32, scale: number, shift: number, out: F32): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] * scale + shift;
}

export function clamp(x: F32, lo: number, hi: number, out: F32): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = v < lo ? lo : Math.min(v, hi);
  }
}

/** gx = gy where lo <= x <= hi, else 0 (NaN x passes no gradient). */
export function clampBackward(x: F32, lo: number, hi: number, gy: F32, gx: F32): void {
  for (let i = 0; i < x.length; i++) gx[i] = x[i] >= lo && x[i] <= hi ? gy[i] : 0;
}
