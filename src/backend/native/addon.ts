/**
 * The shape of the compiled addon (native/addon.cc): flat functions over typed arrays and numbers.
 * Geometry travels as Int32Array so a call reads no JS object properties on the C++ side.
 */
import type { F32 } from '../backend.ts';

export interface NativeInfo {
  backend: 'native';
  /** SIMD path chosen at load: 'avx512' | 'avx2' | 'portable'. */
  simd: string;
  /** Why that path (best supported, or forced by SIMMER_SIMD). */
  simdNote: string;
  /** SGEMM micro-kernel, e.g. 'avx512 8x32'. */
  gemmKernel: string;
  /** Size of the thread pool (cores, or SIMMER_THREADS). */
  threads: number;
  compiler: string;
  buildFlags: string;
  arch: string;
}

export interface NativeAddon {
  info(): NativeInfo;
  /** Returns freed heap pages to the OS (malloc_trim). */
  releaseMemory(): void;
  matmul(
    a: F32,
    b: F32,
    c: F32,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    strideA: number,
    strideB: number,
    strideC: number,
    accumulate: boolean,
  ): void;
  conv2dForward(x: F32, w: F32, bias: F32 | null, y: F32, geom: Int32Array): void;
  conv2dBackwardInput(gy: F32, w: F32, gx: F32, geom: Int32Array): void;
  conv2dBackwardWeight(x: F32, gy: F32, gw: F32, geom: Int32Array): void;
  maxPool2dForward(x: F32, y: F32, argmax: Int32Array, geom: Int32Array): void;
  maxPool2dBackward(gy: F32, argmax: Int32Array, gx: F32, geom: Int32Array): void;
  avgPool2dForward(x: F32, y: F32, geom: Int32Array, countIncludePad: boolean): void;
  avgPool2dBackward(gy: F32, gx: F32, geom: Int32Array, countIncludePad: boolean): void;
  unary(op: number, x: F32, out: F32, alpha: number): void;
  unaryBackward(op: number, x: F32, y: F32, gy: F32, gx: F32, alpha: number): void;
  /** shapes holds aShape, bShape and outShape in 8 slots each. */
  binary(op: number, a: F32, b: F32, out: F32, shapes: Int32Array, aRank: number, bRank: number, outRank: number): void;
  affine(x: F32, scale: number, shift: number, out: F32): void;
  clamp(x: F32, lo: number, hi: number, out: F32): void;
  reduce(op: number, x: F32, outer: number, size: number, inner: number, out: F32): void;
  softmax(x: F32, rows: number, cols: number, out: F32, log: boolean): void;
  softmaxBackward(y: F32, gy: F32, rows: number, cols: number, gx: F32, log: boolean): void;
  batchNormForward(x: F32, n: number, c: number, hw: number, eps: number, xHat: F32, mean: F32, invStd: F32): void;
  batchNormBackward(xHat: F32, gxHat: F32, invStd: F32, n: number, c: number, hw: number, gx: F32): void;
  sgdStep(
    param: F32,
    grad: F32,
    buf: F32 | null,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    firstStep: boolean,
  ): void;
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
