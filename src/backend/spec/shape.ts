/**
 * Data movement for every dtype: strided copy (permute, expand, narrow, slice, pad, cat), indexed copy and add along
 * an axis (indexSelect and its gradient, embedding), and torch.gather / scatter_add. The interface is the Backend's
 * contract for this family; SHAPE_KERNELS is its spec (see ./kernel.ts).
 *
 * The index kernels validate the indices as they go and return the position of the first one out of range (or -1),
 * so the op can name it in its error without a separate pass.
 */
import type { F32, NumericArray } from '../backend.ts';
import { anyBuf, f32, i32, int, kernel, type KernelSpec, shape } from './kernel.ts';

export interface ShapeKernels {
  /**
   * For every index i of `shape`: out[outOffset + Σ i_d·outStrides[d]] = x[xOffset + Σ i_d·xStrides[d]].
   * x and out have the same dtype; strides are in elements and may be 0 (broadcast).
   */
  stridedCopy(
    x: NumericArray,
    xOffset: number,
    xStrides: readonly number[],
    out: NumericArray,
    outOffset: number,
    outStrides: readonly number[],
    shape: readonly number[],
  ): void;
  /** x viewed as outer × n × inner: out[o, i, :] = x[o, index[i], :]. Returns the first bad index position, or -1. */
  indexSelect(x: NumericArray, outer: number, n: number, inner: number, index: Int32Array, out: NumericArray): number;
  /** The adjoint: gx[o, index[i], :] += g[o, i, :] (accumulates; repeated indices add up in order). First bad position or -1. */
  indexAdd(g: F32, outer: number, n: number, inner: number, index: Int32Array, gx: F32): number;
  /** torch.gather: out[p] = x[p with its axis coordinate replaced by index[p]]; index has x's rank. First bad position or -1. */
  gather(x: NumericArray, xShape: readonly number[], index: Int32Array, indexShape: readonly number[], axis: number, out: NumericArray): number;
  /** torch.scatter_add into out (accumulating): out[p with axis coordinate index[p]] += src[p]. First bad position or -1. */
  scatterAdd(src: F32, index: Int32Array, indexShape: readonly number[], axis: number, out: F32, outShape: readonly number[]): number;
}

const SAME_DTYPE = ['x.constructor === out.constructor', 'x and out must have the same dtype'] as const;

export const SHAPE_KERNELS: readonly KernelSpec[] = [
  kernel(
    'stridedCopy',
    'shape',
    'strided copy of any dtype (permute, expand, narrow, pad, cat)',
    [
      anyBuf('x', 'span(xOffset, xStrides, shape)'),
      int('xOffset'),
      shape('xStrides'),
      anyBuf('out', 'span(outOffset, outStrides, shape)'),
      int('outOffset'),
      shape('outStrides'),
      shape('shape'),
    ],
    {
      checks: [
        SAME_DTYPE,
        ['xStrides.length === shape.length && outStrides.length === shape.length', 'xStrides and outStrides need one entry per axis of shape'],
      ],
    },
  ),
  kernel(
    'indexSelect',
    'shape',
    'out[o, i, :] = x[o, index[i], :]',
    [anyBuf('x', 'outer * n * inner'), int('outer'), int('n'), int('inner'), i32('index'), anyBuf('out', 'outer * index.length * inner')],
    { checks: [SAME_DTYPE] },
  ),
  kernel('indexAdd', 'shape', 'gx[o, index[i], :] += g[o, i, :]', [
    f32('g', 'outer * index.length * inner'),
    int('outer'),
    int('n'),
    int('inner'),
    i32('index'),
    f32('gx', 'outer * n * inner'),
  ]),
  kernel(
    'gather',
    'shape',
    'torch.gather along an axis',
    [
      anyBuf('x', 'product(xShape)'),
      shape('xShape'),
      i32('index', 'product(indexShape)'),
      shape('indexShape'),
      int('axis'),
      anyBuf('out', 'product(indexShape)'),
    ],
    { checks: [SAME_DTYPE, ['fits(indexShape, xShape, axis)', 'index must have the rank of x and fit inside it off the axis']] },
  ),
  kernel(
    'scatterAdd',
    'shape',
    'torch.scatter_add along an axis (accumulating)',
    [
      f32('src', 'product(indexShape)'),
      i32('index', 'product(indexShape)'),
      shape('indexShape'),
      int('axis'),
      f32('out', 'product(outShape)'),
      shape('outShape'),
    ],
    { checks: [['fits(indexShape, outShape, axis)', 'index must have the rank of out and fit inside it off the axis']] },
  ),
];
