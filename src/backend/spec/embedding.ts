/**
 * Embedding lookup (rows of a table picked by int32 indices) and its backward, a scatter-add of rows. The interface is
 * the Backend's contract for this family; EMBEDDING_KERNELS is its spec (see ./kernel.ts). Reference:
 * js/embedding.ts; native: native/kernels/embedding.cc.
 */
import type { F32 } from '../backend.ts';
import { f32, i32, int, kernel, type KernelSpec } from './kernel.ts';

export interface EmbeddingKernels {
  /**
   * out[i] = weight[indices[i]] (rows of dim values) for each of indices.length indices; weight is num×dim.
   * status[0] = the position of the first index outside 0..num−1 (nothing is written then), or −1.
   */
  embeddingForward(weight: F32, num: number, dim: number, indices: Int32Array, out: F32, status: Int32Array): void;
  /** gw (num×dim, overwritten) = Σ over i with indices[i] = r of gOut[i], rows added in index order. Indices must be valid. */
  embeddingBackward(gOut: F32, indices: Int32Array, num: number, dim: number, gw: F32): void;
}

export const EMBEDDING_KERNELS: readonly KernelSpec[] = [
  kernel('embeddingForward', 'embedding', 'rows of a table picked by indices', [
    f32('weight', 'num * dim'),
    int('num'),
    int('dim'),
    i32('indices'),
    f32('out', 'indices.length * dim'),
    i32('status', '1'),
  ]),
  kernel('embeddingBackward', 'embedding', 'scatter-add of rows into the table gradient', [
    f32('gOut', 'indices.length * dim'),
    i32('indices'),
    int('num'),
    int('dim'),
    f32('gw', 'num * dim'),
  ]),
];
