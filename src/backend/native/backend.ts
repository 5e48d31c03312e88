/**
 * Adapts the native addon to the Backend contract. Geometry and shapes are copied into reused Int32Arrays;
 * buffer sizes are checked here, because the C++ side trusts them (a short buffer would be written past).
 * Kernels the addon does not implement (compare, adaptive pooling, upsampling) come from the JS reference.
 *
 * @example
 *   const b = nativeBackend(addon); // usually through backend() in src/backend/index.ts
 *   b.matmul(a, bm, c, { batch: 1, m: 2, n: 2, k: 2, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false });
 */
import {
  type Backend,
  BINARY_OPS,
  type BinaryOp,
  type Conv2dGeometry,
  type F32,
  type MatmulParams,
  type Pool2dGeometry,
  type ReduceOp,
  UNARY_OPS,
  type UnaryOp,
  withFallback,
} from '../backend.ts';
import { jsBackend } from '../js/index.ts';
import type { NativeAddon } from './addon.ts';

const UNARY_CODE = new Map<UnaryOp, number>(UNARY_OPS.map((op, i) => [op, i]));
const BINARY_CODE = new Map<BinaryOp, number>(BINARY_OPS.map((op, i) => [op, i]));
const REDUCE_CODE: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2 };
const MAX_RANK = 8;

function fail(kernel: string, what: string): never {
  throw new RangeError(`native ${kernel}: ${what}`);
}

function need(kernel: string, name: string, buf: { length: number }, size: number): void {
  if (buf.length < size) fail(kernel, `${name} has ${buf.length} elements, needs ${size}`);
}

function product(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

/** Builds the Backend over a loaded addon. */
export function nativeBackend(addon: NativeAddon): Backend {
  const convGeom = new Int32Array(16);
  const poolGeom = new Int32Array(14);
  const shapes = new Int32Array(3 * MAX_RANK);

  function packConv(g: Conv2dGeometry): Int32Array {
    convGeom[0] = g.n;
    convGeom[1] = g.c;
    convGeom[2] = g.h;
    convGeom[3] = g.w;
    convGeom[4] = g.k;
    convGeom[5] = g.r;
    convGeom[6] = g.s;
    convGeom[7] = g.oh;
    convGeom[8] = g.ow;
    convGeom[9] = g.strideH;
    convGeom[10] = g.strideW;
    convGeom[11] = g.padH;
    convGeom[12] = g.padW;
    convGeom[13] = g.dilationH;
    convGeom[14] = g.dilationW;
    convGeom[15] = g.groups;
    return convGeom;
  }

  function checkConv(kernel: string, g: Conv2dGeometry, x: F32, w: F32, y: F32): void {
    if (g.groups < 1 || g.c % g.groups !== 0 || g.k % g.groups !== 0) fail(kernel, `groups=${g.groups} must divide c=${g.c} and k=${g.k}`);
    if (g.strideH < 1 || g.strideW < 1 || g.dilationH < 1 || g.dilationW < 1) fail(kernel, 'stride and dilation must be >= 1');
    need(kernel, 'x (or gx)', x, g.n * g.c * g.h * g.w);
    need(kernel, 'w (or gw)', w, g.k * (g.c / g.groups) * g.r * g.s);
    need(kernel, 'y (or gy)', y, g.n * g.k * g.oh * g.ow);
  }

  function packPool(g: Pool2dGeometry, kernel: string, x: { length: number }, y: { length: number }): Int32Array {
    need(kernel, 'input', x, g.n * g.c * g.h * g.w);
    need(kernel, 'output', y, g.n * g.c * g.oh * g.ow);
    if (g.strideH < 1 || g.strideW < 1 || g.dilationH < 1 || g.dilationW < 1) fail(kernel, 'stride and dilation must be >= 1');
    poolGeom[0] = g.n;
    poolGeom[1] = g.c;
    poolGeom[2] = g.h;
    poolGeom[3] = g.w;
    poolGeom[4] = g.oh;
    poolGeom[5] = g.ow;
    poolGeom[6] = g.kernelH;
    poolGeom[7] = g.kernelW;
    poolGeom[8] = g.strideH;
    poolGeom[9] = g.strideW;
    poolGeom[10] = g.padH;
    poolGeom[11] = g.padW;
    poolGeom[12] = g.dilationH;
    poolGeom[13] = g.dilationW;
    return poolGeom;
  }

  const partial: Partial<Backend> & { name: string } = {
    name: 'native',

    unary(op, x, out, alpha) {
      need('unary', 'out', out, x.length);
      addon.unary(UNARY_CODE.get(op)!, x, out, alpha);
    },
    unaryBackward(op, x, y, gy, gx, alpha) {
      need('unaryBackward', 'y', y, x.length);
      need('unaryBackward', 'gy', gy, x.length);
      need('unaryBackward', 'gx', gx, x.length);
      addon.unaryBackward(UNARY_CODE.get(op)!, x, y, gy, gx, alpha);
    },
    binary(op, a, aShape, b, bShape, out, outShape) {
      const rank = outShape.length;
      if (rank > MAX_RANK || aShape.length > rank || bShape.length > rank) {
        jsBackend.binary(op, a, aShape, b, bShape, out, outShape);
        return;
      }
      need('binary', 'a', a, product(aShape));
      need('binary', 'b', b, product(bShape));
      need('binary', 'out', out, product(outShape));
      for (let i = 0; i < aShape.length; i++) shapes[i] = aShape[i];
      for (let i = 0; i < bShape.length; i++) shapes[MAX_RANK + i] = bShape[i];
      for (let i = 0; i < rank; i++) shapes[2 * MAX_RANK + i] = outShape[i];
      addon.binary(BINARY_CODE.get(op)!, a, b, out, shapes, aShape.length, bShape.length, rank);
    },
    affine(x, scale, shift, out) {
      need('affine', 'out', out, x.length);
      addon.affine(x, scale, shift, out);
    },
    clamp(x, lo, hi, out) {
      need('clamp', 'out', out, x.length);
      addon.clamp(x, lo, hi, out);
    },

    reduce(op, x, outer, size, inner, out) {
      need('reduce', 'x', x, outer * size * inner);
      need('reduce', 'out', out, outer * inner);
      addon.reduce(REDUCE_CODE[op], x, outer, size, inner, out);
    },
    softmax(x, rows, cols, out, log) {
      need('softmax', 'x', x, rows * cols);
      need('softmax', 'out', out, rows * cols);
      addon.softmax(x, rows, cols, out, log);
    },
    softmaxBackward(y, gy, rows, cols, gx, log) {
      need('softmaxBackward', 'y', y, rows * cols);
      need('softmaxBackward', 'gy', gy, rows * cols);
      need('softmaxBackward', 'gx', gx, rows * cols);
      addon.softmaxBackward(y, gy, rows, cols, gx, log);
    },

    matmul(a, b, c, p: MatmulParams) {
      const { batch, m, n, k } = p;
      if (batch <= 0 || m <= 0 || n <= 0) return;
      need('matmul', 'a', a, (batch - 1) * p.strideA + m * k);
      need('matmul', 'b', b, (batch - 1) * p.strideB + k * n);
      need('matmul', 'c', c, (batch - 1) * p.strideC + m * n);
      addon.matmul(a, b, c, batch, m, n, k, p.transA, p.transB, p.strideA, p.strideB, p.strideC, p.accumulate);
    },

    conv2dForward(x, w, bias, y, g) {
      checkConv('conv2dForward', g, x, w, y);
      if (bias) need('conv2dForward', 'bias', bias, g.k);
      addon.conv2dForward(x, w, bias, y, packConv(g));
    },
    conv2dBackwardInput(gy, w, gx, g) {
      checkConv('conv2dBackwardInput', g, gx, w, gy);
      addon.conv2dBackwardInput(gy, w, gx, packConv(g));
    },
    conv2dBackwardWeight(x, gy, gw, g) {
      checkConv('conv2dBackwardWeight', g, x, gw, gy);
      addon.conv2dBackwardWeight(x, gy, gw, packConv(g));
    },

    maxPool2dForward(x, y, argmax, g) {
      const geom = packPool(g, 'maxPool2dForward', x, y);
      need('maxPool2dForward', 'argmax', argmax, g.n * g.c * g.oh * g.ow);
      addon.maxPool2dForward(x, y, argmax, geom);
    },
    maxPool2dBackward(gy, argmax, gx, g) {
      const geom = packPool(g, 'maxPool2dBackward', gx, gy);
      need('maxPool2dBackward', 'argmax', argmax, g.n * g.c * g.oh * g.ow);
      addon.maxPool2dBackward(gy, argmax, gx, geom);
    },
    avgPool2dForward(x, y, g, countIncludePad) {
      addon.avgPool2dForward(x, y, packPool(g, 'avgPool2dForward', x, y), countIncludePad);
    },
    avgPool2dBackward(gy, gx, g, countIncludePad) {
      addon.avgPool2dBackward(gy, gx, packPool(g, 'avgPool2dBackward', gx, gy), countIncludePad);
    },

    batchNormForward(x, n, c, hw, eps, xHat, mean, invStd) {
      need('batchNormForward', 'x', x, n * c * hw);
      need('batchNormForward', 'xHat', xHat, n * c * hw);
      need('batchNormForward', 'mean', mean, c);
      need('batchNormForward', 'invStd', invStd, c);
      addon.batchNormForward(x, n, c, hw, eps, xHat, mean, invStd);
    },
    batchNormBackward(xHat, gxHat, invStd, n, c, hw, gx) {
      need('batchNormBackward', 'xHat', xHat, n * c * hw);
      need('batchNormBackward', 'gxHat', gxHat, n * c * hw);
      need('batchNormBackward', 'gx', gx, n * c * hw);
      need('batchNormBackward', 'invStd', invStd, c);
      addon.batchNormBackward(xHat, gxHat, invStd, n, c, hw, gx);
    },
    rowNormForward(x, rows, cols, eps, xHat, mean, invStd) {
      need('rowNormForward', 'x', x, rows * cols);
      need('rowNormForward', 'xHat', xHat, rows * cols);
      need('rowNormForward', 'mean', mean, rows);
      need('rowNormForward', 'invStd', invStd, rows);
      addon.batchNormForward(x, 1, rows, cols, eps, xHat, mean, invStd);
    },
    rowNormBackward(xHat, gxHat, invStd, rows, cols, gx) {
      need('rowNormBackward', 'xHat', xHat, rows * cols);
      need('rowNormBackward', 'gxHat', gxHat, rows * cols);
      need('rowNormBackward', 'gx', gx, rows * cols);
      need('rowNormBackward', 'invStd', invStd, rows);
      addon.batchNormBackward(xHat, gxHat, invStd, 1, rows, cols, gx);
    },

    sgdStep(param, grad, buf, lr, momentum, dampening, weightDecay, nesterov, firstStep) {
      need('sgdStep', 'grad', grad, param.length);
      if (buf) need('sgdStep', 'momentumBuffer', buf, param.length);
      addon.sgdStep(param, grad, buf, lr, momentum, dampening, weightDecay, nesterov, firstStep);
    },
    adamStep(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step) {
      need('adamStep', 'grad', grad, param.length);
      need('adamStep', 'm', m, param.length);
      need('adamStep', 'v', v, param.length);
      addon.adamStep(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step);
    },
  };
  return withFallback(partial, jsBackend);
}

/** Names of the Backend kernels that run natively (the rest fall back to the JS reference). */
export const NATIVE_KERNELS: readonly (keyof Backend)[] = [
  'unary',
  'unaryBackward',
  'binary',
  'affine',
  'clamp',
  'reduce',
  'softmax',
  'softmaxBackward',
  'matmul',
  'conv2dForward',
  'conv2dBackwardInput',
  'conv2dBackwardWeight',
  'maxPool2dForward',
  'maxPool2dBackward',
  'avgPool2dForward',
  'avgPool2dBackward',
  'batchNormForward',
  'batchNormBackward',
  'rowNormForward',
  'rowNormBackward',
  'sgdStep',
  'adamStep',
];
