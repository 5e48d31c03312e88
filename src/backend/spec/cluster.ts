/**
 * Nearest-centre assignment for k-means (src/unsupervised/): for listed rows of x, the squared Euclidean distance to
 * each of k centres, computed as Σ (x − c)² (no cancellation, unlike the GEMM form ‖x‖² − 2x·c + ‖c‖²), and the nearest
 * and second-nearest of them. One pass streams each row once against centres that stay in cache, which is what a
 * k = 10 pass needs (an SGEMM only 10 wide spends its time packing). Reference: js/cluster.ts; native:
 * native/kernels/cluster.cc.
 */
import type { F32 } from '../backend.ts';
import { f32, i32, int, kernel, type KernelSpec } from './kernel.ts';

export interface ClusterKernels {
  /**
   * For t < rows.length, with i = rows[t] (must be in 0..n−1): labels[t] = argmin_j ‖x_i − c_j‖² (the lowest j on
   * ties), nearest[t] = that squared distance, second[t] = the second smallest (+∞ when k = 1). x is n×d, centres k×d.
   * Each distance sums (x − c)² in 16 interleaved float32 partial sums (element p into sum p mod 16, fused
   * multiply-add), then adds the partial sums pairwise (8, 4, 2, 1 apart), so every path rounds the same way.
   */
  kmeansAssign(x: F32, n: number, d: number, centres: F32, k: number, rows: Int32Array, labels: Int32Array, nearest: F32, second: F32): void;
}

export const CLUSTER_KERNELS: readonly KernelSpec[] = [
  kernel(
    'kmeansAssign',
    'cluster',
    'nearest and second-nearest of k centres for listed rows (k-means assignment)',
    [
      f32('x', 'n * d'),
      int('n'),
      int('d'),
      f32('centres', 'k * d'),
      int('k'),
      i32('rows'),
      i32('labels', 'rows.length'),
      f32('nearest', 'rows.length'),
      f32('second', 'rows.length'),
    ],
    { checks: [['k >= 1', 'kmeansAssign: k must be at least 1']] },
  ),
];
