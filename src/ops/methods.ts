/**
 * Installs the ops as Tensor methods, so code reads like PyTorch: x.matmul(w).add(b).relu().sum().
 * Each method is the function of the same name in this folder with the tensor as first argument.
 */
import type { DType } from '../tensor/dtype.ts';
import { Tensor, type TensorLike } from '../tensor/tensor.ts';
import * as act from './activation.ts';
import * as ew from './elementwise.ts';
import * as mm from './matmul.ts';
import * as red from './reduce.ts';
import * as sh from './shape.ts';

type Axes = number | readonly number[] | undefined;

declare module '../tensor/tensor.ts' {
  interface Tensor {
    add(other: TensorLike): Tensor;
    sub(other: TensorLike): Tensor;
    mul(other: TensorLike): Tensor;
    div(other: TensorLike): Tensor;
    pow(exponent: TensorLike): Tensor;
    maximum(other: TensorLike): Tensor;
    minimum(other: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    clamp(min?: number, max?: number): Tensor;
    relu(): Tensor;
    leakyRelu(negativeSlope?: number): Tensor;
    elu(alpha?: number): Tensor;
    gelu(): Tensor;
    silu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    softplus(beta?: number): Tensor;
    eq(other: TensorLike): Tensor;
    ne(other: TensorLike): Tensor;
    lt(other: TensorLike): Tensor;
    le(other: TensorLike): Tensor;
    gt(other: TensorLike): Tensor;
    ge(other: TensorLike): Tensor;
    sum(axes?: Axes, keepdim?: boolean): Tensor;
    mean(axes?: Axes, keepdim?: boolean): Tensor;
    max(axes?: Axes, keepdim?: boolean): Tensor;
    min(axes?: Axes, keepdim?: boolean): Tensor;
    argmax(axis?: number, keepdim?: boolean): Tensor;
    argmin(axis?: number, keepdim?: boolean): Tensor;
    var(axes?: Axes, keepdim?: boolean, correction?: number): Tensor;
    std(axes?: Axes, keepdim?: boolean, correction?: number): Tensor;
    logsumexp(axes?: Axes, keepdim?: boolean): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    matmul(other: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor;
    view(shape: readonly number[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    squeeze(axis?: number): Tensor;
    unsqueeze(axis: number): Tensor;
    permute(dims: readonly number[]): Tensor;
    transpose(dim0?: number, dim1?: number): Tensor;
    /** The 2-D transpose. */
    readonly T: Tensor;
    expand(shape: readonly number[]): Tensor;
    slice(axis: number, start?: number, end?: number, step?: number): Tensor;
    narrow(axis: number, start: number, length: number): Tensor;
    split(sizes: number | readonly number[], axis?: number): Tensor[];
    chunk(chunks: number, axis?: number): Tensor[];
    indexSelect(axis: number, index: Tensor): Tensor;
    gather(axis: number, index: Tensor): Tensor;
    pad(pads: readonly number[], value?: number): Tensor;
    /** Differentiable cast to float32 (identity when already float32). */
    float(): Tensor;
    cast(dtype: DType): Tensor;
  }
}

const p = Tensor.prototype;
p.add = function (o) {
  return ew.add(this, o);
};
p.sub = function (o) {
  return ew.sub(this, o);
};
p.mul = function (o) {
  return ew.mul(this, o);
};
p.div = function (o) {
  return ew.div(this, o);
};
p.pow = function (o) {
  return ew.pow(this, o);
};
p.maximum = function (o) {
  return ew.maximum(this, o);
};
p.minimum = function (o) {
  return ew.minimum(this, o);
};
p.neg = function () {
  return ew.neg(this);
};
p.exp = function () {
  return ew.exp(this);
};
p.log = function () {
  return ew.log(this);
};
p.sqrt = function () {
  return ew.sqrt(this);
};
p.rsqrt = function () {
  return ew.rsqrt(this);
};
p.abs = function () {
  return ew.abs(this);
};
p.clamp = function (lo, hi) {
  return ew.clamp(this, lo, hi);
};
p.relu = function () {
  return act.relu(this);
};
p.leakyRelu = function (s) {
  return act.leakyRelu(this, s);
};
p.elu = function (a) {
  return act.elu(this, a);
};
p.gelu = function () {
  return act.gelu(this);
};
p.silu = function () {
  return act.silu(this);
};
p.sigmoid = function () {
  return act.sigmoid(this);
};
p.tanh = function () {
  return act.tanh(this);
};
p.softplus = function (b) {
  return act.softplus(this, b);
};
p.eq = function (o) {
  return ew.eq(this, o);
};
p.ne = function (o) {
  return ew.ne(this, o);
};
p.lt = function (o) {
  return ew.lt(this, o);
};
p.le = function (o) {
  return ew.le(this, o);
};
p.gt = function (o) {
  return ew.gt(this, o);
};
p.ge = function (o) {
  return ew.ge(this, o);
};
p.sum = function (a, k) {
  return red.sum(this, a, k);
};
p.mean = function (a, k) {
  return red.mean(this, a, k);
};
p.max = function (a, k) {
  return red.max(this, a, k);
};
p.min = function (a, k) {
  return red.min(this, a, k);
};
p.argmax = function (a, k) {
  return red.argmax(this, a, k);
};
p.argmin = function (a, k) {
  return red.argmin(this, a, k);
};
p.var = function (a, k, c) {
  return red.variance(this, a, k, c);
};
p.std = function (a, k, c) {
  return red.std(this, a, k, c);
};
p.logsumexp = function (a, k) {
  return red.logsumexp(this, a, k);
};
p.softmax = function (a) {
  return red.softmax(this, a);
};
p.logSoftmax = function (a) {
  return red.logSoftmax(this, a);
};
p.matmul = function (o) {
  return mm.matmul(this, o);
};
p.reshape = function (s) {
  return sh.reshape(this, s);
};
p.view = function (s) {
  return sh.reshape(this, s);
};
p.flatten = function (s, e) {
  return sh.flatten(this, s, e);
};
p.squeeze = function (a) {
  return sh.squeeze(this, a);
};
p.unsqueeze = function (a) {
  return sh.unsqueeze(this, a);
};
p.permute = function (d) {
  return sh.permute(this, d);
};
p.transpose = function (a, b) {
  return sh.transpose(this, a, b);
};
Object.defineProperty(p, 'T', {
  get(this: Tensor) {
    return sh.transpose(this, 0, 1);
  },
});
p.expand = function (s) {
  return sh.expand(this, s);
};
p.slice = function (a, s, e, st) {
  return sh.slice(this, a, s, e, st);
};
p.narrow = function (a, s, l) {
  return sh.narrow(this, a, s, l);
};
p.split = function (s, a) {
  return sh.split(this, s, a);
};
p.chunk = function (c, a) {
  return sh.chunk(this, c, a);
};
p.indexSelect = function (a, i) {
  return sh.indexSelect(this, a, i);
};
p.gather = function (a, i) {
  return sh.gather(this, a, i);
};
p.pad = function (ps, v) {
  return sh.pad(this, ps, v);
};
p.float = function () {
  return this.dtype === 'float32' ? this : this.to('float32');
};
p.cast = function (d) {
  return this.to(d);
};
