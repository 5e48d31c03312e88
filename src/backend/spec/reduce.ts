/**
 * Reductions over the middle axis of an outer × size × inner view, and softmax. The interface is the Backend's
 * contract for this family; REDUCE_KERNELS is its spec (see ./kernel.ts).
 */
import type { F32 } from '../backend.ts';
import { bool, f32, i32, int, kernel, type KernelSpec, opEnum } from './kernel.ts';

export type ReduceOp = 'sum' | 'max' | 'min';
export const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'max', 'min'];

export type ArgReduceOp = 'argmax' | 'argmin';
export const ARG_REDUCE_OPS: readonly ArgReduceOp[] = ['argmax', 'argmin'];

export interface ReduceKernels {
  /** x viewed as outer × size × inner, reduced over the middle axis into outer × inner. */
  reduce(op: ReduceOp, x: F32, outer: number, size: number, inner: number, out: F32): void;
  /** Softmax (or log-softmax) of each contiguous row of length cols. */
  softmax(x: F32, rows: number, cols: number, out: F32, log: boolean): void;
  /** Backward of softmax rows from the forward output y: gx = y·(gy − Σgy·y), or gx = gy − softmax·Σgy for log. */
  softmaxBackward(y: F32, gy: F32, rows: number, cols: number, gx: F32, log: boolean): void;
  /** Index (along the middle axis) of the first largest / smallest value, into outer × inner. */
  argReduce(op: ArgReduceOp, x: F32, outer: number, size: number, inner: number, out: Int32Array): void;
  /** Softmax (or log-softmax) along the middle axis of outer × size × inner (any axis of a tensor). */
  softmaxAxis(x: F32, outer: number, size: number, inner: number, out: F32, log: boolean): void;
  softmaxAxisBackward(y: F32, gy: F32, outer: number, size: number, inner: number, gx: F32, log: boolean): void;
}

export const REDUCE_KERNELS: readonly KernelSpec[] = [
  kernel('reduce', 'reduce', 'sum / max / min over the middle axis', [
    opEnum('op', 'reduce', REDUCE_OPS),
    f32('x', 'outer * size * inner'),
    int('outer'),
    int('size'),
    int('inner'),
    f32('out', 'outer * inner'),
  ]),
  kernel('softmax', 'reduce', 'softmax or log-softmax of rows', [f32('x', 'rows * cols'), int('rows'), int('cols'), f32('out', 'rows * cols'), bool('log')]),
  kernel('softmaxBackward', 'reduce', 'gradient of softmax rows', [
    f32('y', 'rows * cols'),
    f32('gy', 'rows * cols'),
    int('rows'),
    int('cols'),
    f32('gx', 'rows * cols'),
    bool('log'),
  ]),
  kernel(
    'argReduce',
    'reduce',
    'argmax / argmin over the middle axis',
    [opEnum('op', 'argReduce', ARG_REDUCE_OPS), f32('x', 'outer * size * inner'), int('outer'), int('size'), int('inner'), i32('out', 'outer * inner')],
    { checks: [['size > 0', 'size must be at least 1']] },
  ),
  kernel('softmaxAxis', 'reduce', 'softmax or log-softmax along the middle axis', [
    f32('x', 'outer * size * inner'),
    int('outer'),
    int('size'),
    int('inner'),
    f32('out', 'outer * size * inner'),
    bool('log'),
  ]),
  kernel('softmaxAxisBackward', 'reduce', 'gradient of softmax along the middle axis', [
    f32('y', 'outer * size * inner'),
    f32('gy', 'outer * size * inner'),
    int('outer'),
    int('size'),
    int('inner'),
    f32('gx', 'outer * size * inner'),
    bool('log'),
  ]),
];
