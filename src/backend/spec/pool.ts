/**
 * Pooling and resampling. The interface is the Backend's contract for this family; POOL_KERNELS is its spec
 * (see ./kernel.ts).
 */
import type { F32 } from '../backend.ts';
import { bool, f32, geom, i32, kernel, type KernelSpec } from './kernel.ts';

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

export interface PoolKernels {
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
}

/** The order native/kernels/pool.cc unpacks the geometry in. */
const POOL_GEOM = ['n', 'c', 'h', 'w', 'oh', 'ow', 'kernelH', 'kernelW', 'strideH', 'strideW', 'padH', 'padW', 'dilationH', 'dilationW'];
const RESAMPLE_GEOM = [
  'n',
  'c',
  'h',
  'w',
  'oh',
  'ow',
  { name: 'ratioH', value: 'g.ratioH ?? g.h / g.oh' },
  { name: 'ratioW', value: 'g.ratioW ?? g.w / g.ow' },
];
const X = 'g.n * g.c * g.h * g.w';
const Y = 'g.n * g.c * g.oh * g.ow';
const POOL_CHECKS = [['g.strideH >= 1 && g.strideW >= 1 && g.dilationH >= 1 && g.dilationW >= 1', 'stride and dilation must be >= 1']] as const;
const MODE = { name: 'mode', kind: 'enum', table: 'upsample', values: ['nearest', 'bilinear'] } as const;

export const POOL_KERNELS: readonly KernelSpec[] = [
  kernel('maxPool2dForward', 'pool', 'window max and its argmax', [f32('x', X), f32('y', Y), i32('argmax', Y), geom('g', POOL_GEOM)], { checks: POOL_CHECKS }),
  kernel('maxPool2dBackward', 'pool', 'gx scattered through argmax', [f32('gy', Y), i32('argmax', Y), f32('gx', X), geom('g', POOL_GEOM)], {
    checks: POOL_CHECKS,
  }),
  kernel('avgPool2dForward', 'pool', 'window mean', [f32('x', X), f32('y', Y), geom('g', POOL_GEOM), bool('countIncludePad')], { checks: POOL_CHECKS }),
  kernel('avgPool2dBackward', 'pool', 'gradient of the window mean', [f32('gy', Y), f32('gx', X), geom('g', POOL_GEOM), bool('countIncludePad')], {
    checks: POOL_CHECKS,
  }),
  kernel('adaptiveAvgPool2dForward', 'pool', 'adaptive average pooling', [f32('x', X), f32('y', Y), geom('g', RESAMPLE_GEOM, 'f64')]),
  kernel('adaptiveAvgPool2dBackward', 'pool', 'gradient of adaptive average pooling', [f32('gy', Y), f32('gx', X), geom('g', RESAMPLE_GEOM, 'f64')]),
  kernel('upsample2dForward', 'pool', 'nearest or bilinear resampling', [
    f32('x', X),
    f32('y', Y),
    geom('g', RESAMPLE_GEOM, 'f64'),
    MODE,
    bool('alignCorners'),
  ]),
  kernel('upsample2dBackward', 'pool', 'gradient of resampling', [f32('gy', Y), f32('gx', X), geom('g', RESAMPLE_GEOM, 'f64'), MODE, bool('alignCorners')]),
];
