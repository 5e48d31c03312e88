/**
 * Pooling and resampling over NCHW images: maxPool2d, avgPool2d, adaptiveAvgPool2d, upsample (nearest, bilinear).
 * @example
 *   maxPool2d(x, 2);                               // halves H and W
 *   adaptiveAvgPool2d(x, 1);                       // global average pool → [N, C, 1, 1]
 *   upsample(x, { scaleFactor: 2, mode: 'bilinear' });
 */
import { record } from '../autograd/node.ts';
import type { Pool2dGeometry, ResampleGeometry, UpsampleMode } from '../backend/backend.ts';
import { backend } from '../backend/index.ts';
import { formatShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { type Pair, pair } from './conv.ts';
import { f32, requireFloat } from './util.ts';

export interface Pool2dOptions {
  /** Defaults to the kernel size. */
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  /** Round the output size up instead of down. */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions extends Omit<Pool2dOptions, 'dilation'> {
  /** Divide by the whole window, padding included (PyTorch's default) or only by in-bounds cells. */
  countIncludePad?: boolean;
}

function poolOutputSize(size: number, kernel: number, stride: number, pad: number, dilation: number, ceil: boolean): number {
  const span = size + 2 * pad - dilation * (kernel - 1) - 1;
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // PyTorch: in ceil mode the last window must start inside the input or its left padding.
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return out;
}

function poolGeometry(op: string, x: Tensor, kernel: Pair, options: Pool2dOptions): Pool2dGeometry {
  requireFloat(x, op, 'input');
  if (x.rank !== 4) throw new RangeError(`${op}: input must be 4-D [N, C, H, W], got ${formatShape(x.shape)}`);
  const [kernelH, kernelW] = pair(kernel, 1, op, 'kernel');
  const [strideH, strideW] = pair(options.stride, 0, op, 'stride').map((v, i) => (v === 0 ? [kernelH, kernelW][i] : v));
  const [padH, padW] = pair(options.padding, 0, op, 'padding');
  const [dilationH, dilationW] = pair(options.dilation, 1, op, 'dilation');
  if (kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1)
    throw new RangeError(`${op}: kernel and stride must be >= 1, got kernel ${kernelH}x${kernelW}, stride ${strideH}x${strideW}`);
  if (padH < 0 || padW < 0 || padH > kernelH / 2 || padW > kernelW / 2) {
    throw new RangeError(`${op}: padding ${padH}x${padW} must be between 0 and half the kernel (${kernelH}x${kernelW})`);
  }
  const [n, c, h, w] = x.shape;
  const oh = poolOutputSize(h, kernelH, strideH, padH, dilationH, options.ceilMode ?? false);
  const ow = poolOutputSize(w, kernelW, strideW, padW, dilationW, options.ceilMode ?? false);
  if (oh < 1 || ow < 1)
    throw new RangeError(`${op}: kernel ${kernelH}x${kernelW} does not fit the input ${h}x${w} (padding ${padH}x${padW}); use a smaller kernel`);
  return { n, c, h, w, oh, ow, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW };
}

/** Max over each window; the gradient goes to the position of the max. */
export function maxPool2d(x: Tensor, kernel: Pair, options: Pool2dOptions = {}): Tensor {
  const g = poolGeometry('maxPool2d', x, kernel, options);
  const out = f32([g.n, g.c, g.oh, g.ow]);
  const argmax = new Int32Array(out.size);
  backend().maxPool2dForward(x.f32, out.f32, argmax, g);
  return record(out, 'maxPool2d', [x], (gy) => {
    const gx = f32(x.shape);
    backend().maxPool2dBackward(gy.f32, argmax, gx.f32, g);
    return [gx];
  });
}

/** Mean over each window. */
export function avgPool2d(x: Tensor, kernel: Pair, options: AvgPool2dOptions = {}): Tensor {
  const g = poolGeometry('avgPool2d', x, kernel, options);
  const include = options.countIncludePad ?? true;
  const out = f32([g.n, g.c, g.oh, g.ow]);
  backend().avgPool2dForward(x.f32, out.f32, g, include);
  return record(out, 'avgPool2d', [x], (gy) => {
    const gx = f32(x.shape);
    backend().avgPool2dBackward(gy.f32, gx.f32, g, include);
    return [gx];
  });
}

function resampleGeometry(op: string, x: Tensor, oh: number, ow: number): ResampleGeometry {
  requireFloat(x, op, 'input');
  if (x.rank !== 4) throw new RangeError(`${op}: input must be 4-D [N, C, H, W], got ${formatShape(x.shape)}`);
  if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1) throw new RangeError(`${op}: output size must be positive integers, got ${oh}x${ow}`);
  const [n, c, h, w] = x.shape;
  return { n, c, h, w, oh, ow };
}

/** Averages into a fixed output size whatever the input size (the windows follow PyTorch's rule). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair): Tensor {
  const [oh, ow] = pair(outputSize, 1, 'adaptiveAvgPool2d', 'outputSize');
  const g = resampleGeometry('adaptiveAvgPool2d', x, oh, ow);
  const out = f32([g.n, g.c, oh, ow]);
  backend().adaptiveAvgPool2dForward(x.f32, out.f32, g);
  return record(out, 'adaptiveAvgPool2d', [x], (gy) => {
    const gx = f32(x.shape);
    backend().adaptiveAvgPool2dBackward(gy.f32, gx.f32, g);
    return [gx];
  });
}

export interface UpsampleOptions {
  size?: Pair;
  scaleFactor?: number | readonly [number, number];
  mode?: UpsampleMode;
  alignCorners?: boolean;
}

/** Resizes images to `size` or by `scaleFactor` with nearest or bilinear interpolation (torch.nn.functional.interpolate). */
export function upsample(x: Tensor, options: UpsampleOptions): Tensor {
  const mode = options.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') throw new RangeError(`upsample: mode must be 'nearest' or 'bilinear', got '${mode}'`);
  if ((options.size === undefined) === (options.scaleFactor === undefined)) throw new RangeError('upsample: give exactly one of size or scaleFactor');
  if (x.rank !== 4) throw new RangeError(`upsample: input must be 4-D [N, C, H, W], got ${formatShape(x.shape)}`);
  let oh: number;
  let ow: number;
  let ratios: { ratioH?: number; ratioW?: number } = {};
  if (options.size !== undefined) [oh, ow] = pair(options.size, 1, 'upsample', 'size');
  else {
    const sf = options.scaleFactor as number | readonly [number, number];
    const [fh, fw] = typeof sf === 'number' ? [sf, sf] : sf;
    if (!(fh > 0 && fw > 0)) throw new RangeError(`upsample: scaleFactor must be positive, got ${JSON.stringify(sf)}`);
    oh = Math.floor(x.shape[2] * fh);
    ow = Math.floor(x.shape[3] * fw);
    // Like PyTorch, a given scale factor maps output to input coordinates by 1/scaleFactor.
    ratios = { ratioH: 1 / fh, ratioW: 1 / fw };
  }
  const g = { ...resampleGeometry('upsample', x, oh, ow), ...ratios };
  const align = options.alignCorners ?? false;
  const out = f32([g.n, g.c, oh, ow]);
  backend().upsample2dForward(x.f32, out.f32, g, mode, align);
  return record(out, 'upsample', [x], (gy) => {
    const gx = f32(x.shape);
    backend().upsample2dBackward(gy.f32, gx.f32, g, mode, align);
    return [gx];
  });
}
