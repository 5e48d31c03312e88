/**
 * Simmer: tensors, autograd, differentiable ops and their kernels, in TypeScript.
 * @example
 *   import { tensor, randn, matmul, manualSeed } from 'simmer-ml';
 *   manualSeed(0);
 *   const w = randn([3, 1]).requiresGrad_();
 *   const loss = matmul(tensor([[1, 2, 3]]), w).pow(2).sum();
 *   loss.backward();
 *   console.log(w.grad?.toString());
 */
import './autograd/index.ts';
import './ops/index.ts';

export * from './autograd/index.ts';
export type { Backend } from './backend/backend.ts';
export { backend, setBackend, withBackend } from './backend/index.ts';
export * from './ops/index.ts';
export * from './tensor/creation.ts';
export type { DType, TypedArray } from './tensor/dtype.ts';
export { defaultGenerator, Generator, getRngState, manualSeed, type RngState, setRngState } from './tensor/random.ts';
export { type NestedArray, Tensor, type TensorLike } from './tensor/tensor.ts';
