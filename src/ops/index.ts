/** Every differentiable op, by family. Importing this also installs them as Tensor methods. */
import './methods.ts';

export * from './activation.ts';
export * from './attention.ts';
export * from './conv.ts';
export * from './elementwise.ts';
export * from './embedding.ts';
export * from './loss.ts';
export * from './matmul.ts';
export * from './norm.ts';
export * from './pool.ts';
export * from './reduce.ts';
export * from './regularize.ts';
export * from './shape.ts';
export type { Reduction } from './util.ts';
