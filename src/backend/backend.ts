/**
 * The Backend contract: every kernel the engine needs, as plain functions over raw float32 buffers and integers.
 *
 * A backend knows nothing about tensors, graphs or gradients (those live in src/tensor, src/autograd, src/ops).
 * Inputs are read-only; outputs are caller-allocated buffers that the kernel overwrites completely
 * unless a flag says it accumulates. Layout is always contiguous row-major (NCHW for images).
 *
 * `js/` implements every entry in plain TypeScript and is the reference each faster backend is tested against.
 * A faster backend may implement any subset: `withFallback` fills the rest from the reference.
 */

export type F32 = Float32Array;

/** Elementwise functions of one input. `alpha` parameterises leakyRelu (slope), elu (alpha) and softplus (beta). */
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'relu' | 'leakyRelu' | 'elu' | 'gelu' | 'silu' | 'sigmoid' | 'tanh' | 'softplus';

export const UNARY_OPS: readonly UnaryOp[] = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'abs',
  'relu',
  'leakyRelu',
  'elu',
  'gelu',
  'silu',
  'sigmoid',
  'tanh',
  'softplus',
];

/** Elementwise functions of two inputs under NumPy broadcasting. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
export const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'];

export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export type ReduceOp = 'sum' | 'max' | 'min';

/**
 * C[b] = op(A[b]) · op(B[b]) for b in 0..batch-1, with op = transpose when the flag is set.
 * A[b] is M×K (K×M stored when transA), B[b] is K×N (N×K stored when transB), C[b] is M×N.
 * Batch strides are in elements; a stride of 0 broadcasts one matrix across the batch.
 * With accumulate, C += product instead of C = product.
 */
export interface MatmulParams {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  strideA: number;
  strideB: number;
  strideC: number;
  accumulate: boolean;
}

/** Geometry of a 2-D convolution. x is N×C×H×W, w is K×(C/groups)×R×S, y is N×K×OH×OW. */
export interface Conv2dGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  r: number;
  s: number;
  oh: number;
  ow: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  groups: number;
}

/** Geometry of a 2-D pooling window over x N×C×H×W giving y N×C×OH×OW. */
export interface Pool2dGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
}

/** x N×C×H×W resampled to y N×C×OH×OW. */
export interface ResampleGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  /**
   * Input pixels per output pixel along H and W when the caller gave a scale factor (PyTorch then maps coordinates by
   * 1/scaleFactor, not by H/OH, which differs when H·scaleFactor is not whole). Absent: H/OH and W/OW.
   */
  ratioH?: number;
  ratioW?: number;
}

export type UpsampleMode = 'nearest' | 'bilinear';

export interface Backend {
  readonly name: string;

  // ── elementwise ────────────────────────────────────────────────────────────
  /** out[i] = f(x[i]). */
  unary(op: UnaryOp, x: F32, out: F32, alpha: number): void;
  /** gx[i] = gy[i] · f'(x[i]); y = f(x) is passed so rules like sigmoid/tanh/exp can reuse it. */
  unaryBackward(op: UnaryOp, x: F32, y: F32, gy: F32, gx: F32, alpha: number): void;
  /** out = a ∘ b with broadcasting; shapes are given right-aligned as in NumPy, outShape is the broadcast shape. */
  binary(op: BinaryOp, a: F32, aShape: readonly number[], b: F32, bShape: readonly number[], out: F32, outShape: readonly number[]): void;
  /** out[i] = 1 if a[i] op b[i] else 0, with broadcasting. */
  compare(op: CompareOp, a: F32, aShape: readonly number[], b: F32, bShape: readonly number[], out: Uint8Array, outShape: readonly number[]): void;
  /** out = x · scale + shift (scalars); the workhorse of scalar arithmetic. */
  affine(x: F32, scale: number, shift: number, out: F32): void;
  /** out[i] = min(max(x[i], lo), hi). */
  clamp(x: F32, lo: number, hi: number, out: F32): void;

  // ── reductions: x viewed as outer × size × inner, reduced over the middle axis into outer × inner ──
  reduce(op: ReduceOp, x: F32, outer: number, size: number, inner: number, out: F32): void;
  /** Softmax (or log-softmax) of each contiguous row of length cols. */
  softmax(x: F32, rows: number, cols: number, out: F32, log: boolean): void;
  /** Backward of softmax rows from the forward output y: gx = y·(gy − Σgy·y), or gx = gy − softmax·Σgy for log. */
  softmaxBackward(y: F32, gy: F32, rows: number, cols: number, gx: F32, log: boolean): void;

  // ── linear algebra ────────────────────────────────────────────────────────
  matmul(a: F32, b: F32, c: F32, p: MatmulParams): void;

  // ── convolution (convTranspose2d forward is conv2dBackwardInput, and vice versa) ──
  /** y = conv(x, w) + bias; bias may be null. */
  conv2dForward(x: F32, w: F32, bias: F32 | null, y: F32, g: Conv2dGeometry): void;
  /** gx = ∂L/∂x from gy and w (overwrites gx). */
  conv2dBackwardInput(gy: F32, w: F32, gx: F32, g: Conv2dGeometry): void;
  /** gw = ∂L/∂w from x and gy (overwrites gw). */
  conv2dBackwardWeight(x: F32, gy: F32, gw: F32, g: Conv2dGeometry): void;

  // ── pooling and resampling ────────────────────────────────────────────────
  /** y = window max; argmax holds the flat index into each (n, c) input plane, for the backward pass. */
  maxPool2dForward(x: F32, y: F32, argmax: Int32Array, g: Pool2dGeometry): void;
  maxPool2dBackward(gy: F32, argmax: Int32Array, gx: F32, g: Pool2dGeometry): void;
  /** y = window mean; countIncludePad divides by the full window, otherwise by the in-bounds count. */
  avgPool2dForward(x: F32, y: F32, g: Pool2dGeometry, countIncludePad: boolean): void;
  avgPool2dBackward(gy: F32, gx: F32, g: Pool2dGeometry, countIncludePad: boolean): void;
  /** PyTorch's adaptive average pooling: output cell i covers input rows floor(i·H/OH) .. ceil((i+1)·H/OH). */
  adaptiveAvgPool2dForward(x: F32, y: F32, g: ResampleGeometry): void;
  adaptiveAvgPool2dBackward(gy: F32, gx: F32, g: ResampleGeometry): void;
  /** Nearest (floor(i·H/OH)) or bilinear (half-pixel centres, or corner-aligned) resampling. */
  upsample2dForward(x: F32, y: F32, g: ResampleGeometry, mode: UpsampleMode, alignCorners: boolean): void;
  upsample2dBackward(gy: F32, gx: F32, g: ResampleGeometry, mode: UpsampleMode, alignCorners: boolean): void;

  // ── normalisation ─────────────────────────────────────────────────────────
  /**
   * Per-channel statistics of x N×C×HW (batch norm): mean[c] and invStd[c] = 1/sqrt(var[c] + eps) with the
   * biased variance, and xHat = (x − mean)·invStd.
   */
  batchNormForward(x: F32, n: number, c: number, hw: number, eps: number, xHat: F32, mean: F32, invStd: F32): void;
  /** gx from gxHat (the gradient w.r.t. xHat) for batch-norm statistics: gx = invStd·(gxHat − mean(gxHat) − xHat·mean(gxHat·xHat)). */
  batchNormBackward(xHat: F32, gxHat: F32, invStd: F32, n: number, c: number, hw: number, gx: F32): void;
  /** The same, with statistics over each contiguous row of length cols (layer norm, group norm). */
  rowNormForward(x: F32, rows: number, cols: number, eps: number, xHat: F32, mean: F32, invStd: F32): void;
  rowNormBackward(xHat: F32, gxHat: F32, invStd: F32, rows: number, cols: number, gx: F32): void;

  // ── fused optimizer updates (in place on param and state) ────────────────────
  /** PyTorch SGD: g += wd·p; buf = momentum·buf + (1−dampening)·g (buf = g on the first step); p −= lr·(nesterov ? g + momentum·buf : buf). */
  sgdStep(
    param: F32,
    grad: F32,
    momentumBuffer: F32 | null,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    firstStep: boolean,
  ): void;
  /** Adam (decoupled = false, L2 weight decay added to g) or AdamW (decoupled = true, p −= lr·wd·p). step counts from 1. */
  adamStep(
    param: F32,
    grad: F32,
    m: F32,
    v: F32,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    decoupled: boolean,
    step: number,
  ): void;
}

/** A backend that implements only some kernels gets the rest from the reference. */
export function withFallback(partial: Partial<Backend> & { name: string }, reference: Backend): Backend {
  return { ...reference, ...partial } as Backend;
}
