/**
 * Activation functions. Each is a backend unary kernel whose derivative kernel is its backward rule.
 * @example const h = relu(linear(x, w, b));
 */
import type { TensorLike } from '../tensor/tensor.ts';
import { unaryOp } from './elementwise.ts';

export const relu = (x: TensorLike) => unaryOp('relu', x);
/** max(x, 0) + slope·min(x, 0); PyTorch's default slope is 0.01. */
export const leakyRelu = (x: TensorLike, negativeSlope = 0.01) => unaryOp('leakyRelu', x, negativeSlope);
/** x for x > 0, alpha·(exp(x) − 1) otherwise. */
export const elu = (x: TensorLike, alpha = 1) => unaryOp('elu', x, alpha);
/** The exact (erf) GELU, PyTorch's default. */
export const gelu = (x: TensorLike) => unaryOp('gelu', x);
/** x·sigmoid(x), also called swish. */
export const silu = (x: TensorLike) => unaryOp('silu', x);
export const sigmoid = (x: TensorLike) => unaryOp('sigmoid', x);
export const tanh = (x: TensorLike) => unaryOp('tanh', x);
/** log(1 + exp(beta·x)) / beta, linear above beta·x > 20 as in PyTorch. */
export const softplus = (x: TensorLike, beta = 1) => unaryOp('softplus', x, beta);
