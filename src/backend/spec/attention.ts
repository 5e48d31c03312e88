/**
 * Scaled dot-product attention over (B, heads, T, d) buffers. The interface is the Backend's contract for this family;
 * ATTENTION_KERNELS is its spec (see ./kernel.ts). The reference is js/attention.ts, the native kernel
 * native/kernels/attention.cc.
 */
import type { F32 } from '../backend.ts';
import { f32, geom, kernel, type KernelSpec } from './kernel.ts';

/**
 * q is batch×heads×tq×d, k is batch×heads×tk×d, v is batch×heads×tk×dv, the output batch×heads×tq×dv.
 * The optional additive mask holds one tq×tk block per (b, h) at mask[b·maskStrideB + h·maskStrideH] (a stride of 0
 * shares the block across that dimension). causal masks key j > query i (PyTorch's top-left alignment).
 */
export interface AttentionGeometry {
  batch: number;
  heads: number;
  tq: number;
  tk: number;
  d: number;
  dv: number;
  causal: boolean;
  maskStrideB: number;
  maskStrideH: number;
  /** Multiplies q·kᵀ; 1/sqrt(d) for scaled dot-product attention. */
  scale: number;
}

export interface AttentionKernels {
  /**
   * out = softmax(scale·q·kᵀ + mask)·v per (b, h), and lse = the log-sum-exp of each score row (batch×heads×tq), which
   * the backward pass uses to recompute the probabilities. A row the masks leave empty gives out = 0 and lse = −∞.
   */
  attentionForward(q: F32, k: F32, v: F32, mask: F32 | null, out: F32, lse: F32, g: AttentionGeometry): void;
  /** gq, gk, gv (overwritten) from gOut, with the forward's out and lse. The mask gets no gradient. */
  attentionBackward(q: F32, k: F32, v: F32, mask: F32 | null, out: F32, lse: F32, gOut: F32, gq: F32, gk: F32, gv: F32, g: AttentionGeometry): void;
}

/** The order native/kernels/attention.cc unpacks the geometry in (float64, so the scale travels with it). */
const ATTENTION_GEOM = ['batch', 'heads', 'tq', 'tk', 'd', 'dv', { name: 'causal', value: 'g.causal ? 1 : 0' }, 'maskStrideB', 'maskStrideH', 'scale'];
const Q = 'g.batch * g.heads * g.tq * g.d';
const K = 'g.batch * g.heads * g.tk * g.d';
const V = 'g.batch * g.heads * g.tk * g.dv';
const O = 'g.batch * g.heads * g.tq * g.dv';
const L = 'g.batch * g.heads * g.tq';
/** The last mask block must fit: (batch−1)·strideB + (heads−1)·strideH + tq·tk elements. */
const MASK = '(g.batch - 1) * g.maskStrideB + (g.heads - 1) * g.maskStrideH + g.tq * g.tk';

export const ATTENTION_KERNELS: readonly KernelSpec[] = [
  kernel('attentionForward', 'attention', 'softmax(scale·q·kᵀ + mask)·v and the row log-sum-exp', [
    f32('q', Q),
    f32('k', K),
    f32('v', V),
    f32('mask', MASK, true),
    f32('out', O),
    f32('lse', L),
    geom('g', ATTENTION_GEOM, 'f64'),
  ]),
  kernel('attentionBackward', 'attention', 'gq, gk, gv of attention, probabilities recomputed from lse', [
    f32('q', Q),
    f32('k', K),
    f32('v', V),
    f32('mask', MASK, true),
    f32('out', O),
    f32('lse', L),
    f32('gOut', O),
    f32('gq', Q),
    f32('gk', K),
    f32('gv', V),
    geom('g', ATTENTION_GEOM, 'f64'),
  ]),
];
