/**
 * The Backend contract: every kernel the engine needs, as plain functions over raw float32 buffers and integers.
 *
 * A backend knows nothing about tensors, graphs or gradients (those live in src/tensor, src/autograd, src/ops).
 * Inputs are read-only; outputs are caller-allocated buffers that the kernel overwrites completely
 * unless a flag says it accumulates. Layout is always contiguous row-major (NCHW for images).
 *
 * `js/` implements every entry in plain TypeScript and is the reference each faster backend is tested against.
 * A faster backend may implement any subset; the rest is served by the reference (native/: kernels whose spec says
 * `native: false`). Each kernel is declared once, in spec/<family>.ts (its interface and its spec side by side);
 * this file assembles them.
 */

export type F32 = Float32Array;

/** A buffer of any tensor dtype (float32, int32, uint8): the copy, index and compare kernels work on all of them. */
export type NumericArray = Float32Array | Int32Array | Uint8Array;

export * from './spec/attention.ts';
export * from './spec/cluster.ts';
export * from './spec/tsne.ts';
export * from './spec/conv.ts';
export * from './spec/elementwise.ts';
export * from './spec/embedding.ts';
export * from './spec/loss.ts';
export * from './spec/matmul.ts';
export * from './spec/norm.ts';
export * from './spec/optim.ts';
export * from './spec/pool.ts';
export * from './spec/reduce.ts';
export * from './spec/shape.ts';

import type { AttentionKernels } from './spec/attention.ts';
import type { ClusterKernels } from './spec/cluster.ts';
import type { TsneKernels } from './spec/tsne.ts';
import type { ConvKernels } from './spec/conv.ts';
import type { ElementwiseKernels } from './spec/elementwise.ts';
import type { EmbeddingKernels } from './spec/embedding.ts';
import type { LossKernels } from './spec/loss.ts';
import type { MatmulKernels } from './spec/matmul.ts';
import type { NormKernels } from './spec/norm.ts';
import type { OptimKernels } from './spec/optim.ts';
import type { PoolKernels } from './spec/pool.ts';
import type { ReduceKernels } from './spec/reduce.ts';
import type { ShapeKernels } from './spec/shape.ts';

/** Every kernel, family by family: each family's interface sits beside its spec in spec/<family>.ts (one line each). */
// prettier-ignore
export interface Backend extends
  ElementwiseKernels,
  ReduceKernels,
  MatmulKernels,
  ConvKernels,
  PoolKernels,
  NormKernels,
  OptimKernels,
  ShapeKernels,
  AttentionKernels,
  LossKernels,
  EmbeddingKernels,
  ClusterKernels,
    TsneKernels {
  readonly name: string;
}
