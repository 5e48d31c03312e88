/**
 * 2-D convolution (convTranspose2d forward is conv2dBackwardInput, and vice versa). The interface is the Backend's
 * contract for this family; CONV_KERNELS is its spec (see ./kernel.ts).
 */
import type { F32 } from '../backend.ts';
import { bool, f32, geom, i32, kernel, type KernelSpec } from './kernel.ts';

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

export interface ConvKernels {
  /** y = conv(x, w) + bias; bias may be null. */
  conv2dForward(x: F32, w: F32, bias: F32 | null, y: F32, g: Conv2dGeometry): void;
  /** gx = ∂L/∂x from gy and w (overwrites gx). */
  conv2dBackwardInput(gy: F32, w: F32, gx: F32, g: Conv2dGeometry): void;
  /** gw = ∂L/∂w from x and gy (overwrites gw). */
  conv2dBackwardWeight(x: F32, gy: F32, gw: F32, g: Conv2dGeometry): void;
  /** y = conv(x, w) + bias, then ReLU when `relu` (fused: applied per image while it is in cache). */
  conv2dForwardAct(x: F32, w: F32, bias: F32 | null, y: F32, g: Conv2dGeometry, relu: boolean): void;
  /** out = 2×2 stride-2 max pool (floor) of relu(conv(x, w) + bias), N×K×⌊OH/2⌋×⌊OW/2⌋ (inference: no argmax). */
  conv2dReluMaxPool2(x: F32, w: F32, bias: F32 | null, out: F32, g: Conv2dGeometry): void;
  /**
   * conv2dReluMaxPool2 for training: also each window's argmax (the flat index into the OH×OW plane, as
   * maxPool2dForward writes it), or -1 where the pooled value is not > 0 (the ReLU passed no gradient there), so the
   * backward is maxPool2dBackward of the pooled gradient and the full-size activation is never stored.
   */
  conv2dReluMaxPool2Argmax(x: F32, w: F32, bias: F32 | null, out: F32, argmax: Int32Array, g: Conv2dGeometry): void;
}

/** The order native/kernels/conv.cc unpacks the geometry in. */
const CONV_GEOM = ['n', 'c', 'h', 'w', 'k', 'r', 's', 'oh', 'ow', 'strideH', 'strideW', 'padH', 'padW', 'dilationH', 'dilationW', 'groups'];
const X = 'g.n * g.c * g.h * g.w';
const W = 'g.k * (g.c / g.groups) * g.r * g.s';
const Y = 'g.n * g.k * g.oh * g.ow';
const POOLED = 'g.n * g.k * Math.floor(g.oh / 2) * Math.floor(g.ow / 2)';
const CONV_CHECKS = [
  ['g.groups >= 1 && g.c % g.groups === 0 && g.k % g.groups === 0', 'groups must divide c and k'],
  ['g.strideH >= 1 && g.strideW >= 1 && g.dilationH >= 1 && g.dilationW >= 1', 'stride and dilation must be >= 1'],
] as const;

export const CONV_KERNELS: readonly KernelSpec[] = [
  kernel('conv2dForward', 'conv', 'y = conv(x, w) + bias', [f32('x', X), f32('w', W), f32('bias', 'g.k', true), f32('y', Y), geom('g', CONV_GEOM)], {
    checks: CONV_CHECKS,
  }),
  kernel('conv2dBackwardInput', 'conv', 'gx from gy and w', [f32('gy', Y), f32('w', W), f32('gx', X), geom('g', CONV_GEOM)], { checks: CONV_CHECKS }),
  kernel('conv2dBackwardWeight', 'conv', 'gw from x and gy', [f32('x', X), f32('gy', Y), f32('gw', W), geom('g', CONV_GEOM)], { checks: CONV_CHECKS }),
  kernel(
    'conv2dForwardAct',
    'conv',
    'y = relu?(conv(x, w) + bias), fused',
    [f32('x', X), f32('w', W), f32('bias', 'g.k', true), f32('y', Y), geom('g', CONV_GEOM), bool('relu')],
    { checks: CONV_CHECKS },
  ),
  kernel(
    'conv2dReluMaxPool2',
    'conv',
    'maxpool2x2(relu(conv(x, w) + bias)), fused (inference)',
    [f32('x', X), f32('w', W), f32('bias', 'g.k', true), f32('out', POOLED), geom('g', CONV_GEOM)],
    { checks: CONV_CHECKS },
  ),
  kernel(
    'conv2dReluMaxPool2Argmax',
    'conv',
    'maxpool2x2(relu(conv(x, w) + bias)) and its argmax, fused (training)',
    [f32('x', X), f32('w', W), f32('bias', 'g.k', true), f32('out', POOLED), i32('argmax', POOLED), geom('g', CONV_GEOM)],
    { checks: CONV_CHECKS },
  ),
];
