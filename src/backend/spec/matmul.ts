/** Batched matrix multiply. The interface is the Backend's contract for this family; MATMUL_KERNELS is its spec (see ./kernel.ts). */
import type { F32 } from '../backend.ts';
import { f32, kernel, type KernelSpec, spread } from './kernel.ts';

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

export interface MatmulKernels {
  matmul(a: F32, b: F32, c: F32, p: MatmulParams): void;
}

export const MATMUL_KERNELS: readonly KernelSpec[] = [
  kernel(
    'matmul',
    'matmul',
    'C[b] (+)= op(A[b]) · op(B[b])',
    [
      f32('a', '(p.batch - 1) * p.strideA + p.m * p.k'),
      f32('b', '(p.batch - 1) * p.strideB + p.k * p.n'),
      f32('c', '(p.batch - 1) * p.strideC + p.m * p.n'),
      spread('p', ['batch', 'm', 'n', 'k', 'transA', 'transB', 'strideA', 'strideB', 'strideC', 'accumulate']),
    ],
    { fallbackWhen: 'p.batch <= 0 || p.m <= 0 || p.n <= 0' },
  ),
];
