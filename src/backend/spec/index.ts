/**
 * Every kernel of the Backend contract, declared once (one file per family). The native adapter, the loader's
 * required-symbol check, the spec tests and the coverage table in docs/ops.md are all derived from this list.
 * A new family adds one import and one spread here, and its interface to `Backend` in ../backend.ts.
 */
import { ATTENTION_KERNELS } from './attention.ts';
import { CLUSTER_KERNELS } from './cluster.ts';
import { CONV_KERNELS } from './conv.ts';
import { ELEMENTWISE_KERNELS } from './elementwise.ts';
import { EMBEDDING_KERNELS } from './embedding.ts';
import type { KernelSpec } from './kernel.ts';
import { LOSS_KERNELS } from './loss.ts';
import { MATMUL_KERNELS } from './matmul.ts';
import { NORM_KERNELS } from './norm.ts';
import { OPTIM_KERNELS } from './optim.ts';
import { POOL_KERNELS } from './pool.ts';
import { REDUCE_KERNELS } from './reduce.ts';
import { SHAPE_KERNELS } from './shape.ts';
import { TSNE_KERNELS } from './tsne.ts';

export type { ArgSpec, KernelSpec } from './kernel.ts';
export { signatureOf } from './kernel.ts';

export const KERNEL_SPECS: readonly KernelSpec[] = [
  ...ELEMENTWISE_KERNELS,
  ...REDUCE_KERNELS,
  ...MATMUL_KERNELS,
  ...CONV_KERNELS,
  ...POOL_KERNELS,
  ...NORM_KERNELS,
  ...OPTIM_KERNELS,
  ...SHAPE_KERNELS,
  ...ATTENTION_KERNELS,
  ...LOSS_KERNELS,
  ...EMBEDDING_KERNELS,
  ...CLUSTER_KERNELS,
  ...TSNE_KERNELS,
];
