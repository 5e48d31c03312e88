/**
 * Elementwise kernels: unary functions and their derivatives, broadcast binary ops, comparisons, affine and clamp.
 * The interface is the Backend's contract for this family; ELEMENTWISE_KERNELS is its spec (see ./kernel.ts).
 */
import type { F32, NumericArray } from '../backend.ts';
import { anyBuf, f32, float, kernel, type KernelSpec, opEnum, shape, u8 } from './kernel.ts';

/** Elementwise functions of one input. `alpha` parameterises leakyRelu (slope), elu (alpha) and softplus (beta). */
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'relu' | 'leakyRelu' | 'elu' | 'gelu' | 'silu' | 'sigmoid' | 'tanh' | 'softplus';

/** Every unary op by name. The C codes are looked up by name from the addon (info().ops.unary), never by position. */
export const UNARY_OPS: readonly UnaryOp[] = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'abs',
  'relu',
  'leakyRelu',
  'elu',
  'gelu',
  'silu',
  'sigmoid',
  'tanh',
  'softplus',
];

/** Elementwise functions of two inputs under NumPy broadcasting. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
export const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'];

export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

export interface ElementwiseKernels {
  /** out[i] = f(x[i]). */
  unary(op: UnaryOp, x: F32, out: F32, alpha: number): void;
  /** gx[i] = gy[i] · f'(x[i]); y = f(x) is passed so rules like sigmoid/tanh/exp can reuse it. */
  unaryBackward(op: UnaryOp, x: F32, y: F32, gy: F32, gx: F32, alpha: number): void;
  /**
   * out = a ∘ b with broadcasting; shapes are given right-aligned as in NumPy, outShape is the broadcast shape.
   * out may be a itself when aShape equals outShape (an in-place update such as a bias add).
   */
  binary(op: BinaryOp, a: F32, aShape: readonly number[], b: F32, bShape: readonly number[], out: F32, outShape: readonly number[]): void;
  /** out[i] = 1 if a[i] op b[i] else 0, with broadcasting; any dtypes, compared exactly (int32 never rounds through float32). */
  compare(
    op: CompareOp,
    a: NumericArray,
    aShape: readonly number[],
    b: NumericArray,
    bShape: readonly number[],
    out: Uint8Array,
    outShape: readonly number[],
  ): void;
  /** out[i] = cond[i] ≠ 0 ? a[i] : b[i], all three broadcast to outShape. */
  where(
    cond: Uint8Array,
    condShape: readonly number[],
    a: F32,
    aShape: readonly number[],
    b: F32,
    bShape: readonly number[],
    out: F32,
    outShape: readonly number[],
  ): void;
  /** out = x · scale + shift (scalars); the workhorse of scalar arithmetic. */
  affine(x: F32, scale: number, shift: number, out: F32): void;
  /** out[i] = min(max(x[i], lo), hi). */
  clamp(x: F32, lo: number, hi: number, out: F32): void;
  /** gx[i] = lo ≤ x[i] ≤ hi ? gy[i] : 0. */
  clampBackward(x: F32, lo: number, hi: number, gy: F32, gx: F32): void;
}

const BROADCAST_RANKS = [
  'aShape.length <= outShape.length && bShape.length <= outShape.length',
  'aShape and bShape must not have more axes than outShape',
] as const;

export const ELEMENTWISE_KERNELS: readonly KernelSpec[] = [
  kernel('unary', 'elementwise', 'out = f(x)', [opEnum('op', 'unary', UNARY_OPS), f32('x'), f32('out', 'x.length'), float('alpha')]),
  kernel('unaryBackward', 'elementwise', "gx = gy · f'(x)", [
    opEnum('op', 'unary', UNARY_OPS),
    f32('x'),
    f32('y', 'x.length'),
    f32('gy', 'x.length'),
    f32('gx', 'x.length'),
    float('alpha'),
  ]),
  kernel(
    'binary',
    'elementwise',
    'out = a ∘ b, broadcast',
    [
      opEnum('op', 'binary', BINARY_OPS),
      f32('a', 'product(aShape)'),
      shape('aShape'),
      f32('b', 'product(bShape)'),
      shape('bShape'),
      f32('out', 'product(outShape)'),
      shape('outShape'),
    ],
    { checks: [BROADCAST_RANKS] },
  ),
  kernel(
    'compare',
    'elementwise',
    'out = a op b ? 1 : 0, broadcast',
    [
      opEnum('op', 'compare', COMPARE_OPS),
      anyBuf('a', 'product(aShape)'),
      shape('aShape'),
      anyBuf('b', 'product(bShape)'),
      shape('bShape'),
      u8('out', 'product(outShape)'),
      shape('outShape'),
    ],
    { checks: [BROADCAST_RANKS] },
  ),
  kernel(
    'where',
    'elementwise',
    'out = cond ? a : b, broadcast',
    [
      u8('cond', 'product(condShape)'),
      shape('condShape'),
      f32('a', 'product(aShape)'),
      shape('aShape'),
      f32('b', 'product(bShape)'),
      shape('bShape'),
      f32('out', 'product(outShape)'),
      shape('outShape'),
    ],
    {
      checks: [
        [
          'condShape.length <= outShape.length && aShape.length <= outShape.length && bShape.length <= outShape.length',
          'inputs must not have more axes than outShape',
        ],
      ],
    },
  ),
  kernel('affine', 'elementwise', 'out = x · scale + shift', [f32('x'), float('scale'), float('shift'), f32('out', 'x.length')]),
  kernel('clamp', 'elementwise', 'out = min(max(x, lo), hi)', [f32('x'), float('lo'), float('hi'), f32('out', 'x.length')]),
  kernel('clampBackward', 'elementwise', 'gx = lo ≤ x ≤ hi ? gy : 0', [f32('x'), float('lo'), float('hi'), f32('gy', 'x.length'), f32('gx', 'x.length')]),
];
