/**
 * Tensor: an n-dimensional array of float32, int32 or uint8, always contiguous and row-major.
 *
 * A Tensor is only data, shape and autograd bookkeeping. The differentiable operations (add, matmul, conv2d, …)
 * live in src/ops and are installed as methods by src/ops/methods.ts; backward() is installed by src/autograd.
 * Memory belongs to a typed array and the garbage collector: nothing ever needs to be disposed.
 */
import { allocate, castArray, type DType, dtypeOf, type TypedArray } from './dtype.ts';
import { formatShape, type Shape, sizeOf, stridesOf } from './shape.ts';

/** Counts in-place changes to a buffer; shared by tensors that share the buffer so saved-tensor checks see every change. */
export interface VersionCounter {
  value: number;
}

/** The autograd node that produced a tensor (defined in src/autograd; opaque here). */
export interface GradFn {
  readonly op: string;
}

export class Tensor {
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Whether gradients flow to (leaf) or through (non-leaf) this tensor. */
  requiresGrad = false;
  /** Accumulated gradient after backward(); a leaf's gradient adds up over calls until zeroed. */
  grad: Tensor | null = null;
  /** The node that made this tensor, or null for a leaf. */
  gradFn: GradFn | null = null;
  /** Keep .grad on a non-leaf tensor too (like torch's retain_grad()). */
  retainsGrad = false;
  /** Shared with views of the same buffer (reshape), bumped by in-place ops. */
  readonly version: VersionCounter;

  constructor(data: TypedArray, shape: Shape, version?: VersionCounter) {
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new RangeError(`Tensor: data has ${data.length} elements but shape ${formatShape(shape)} needs ${size}`);
    }
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`Tensor: invalid dimension ${d} in shape ${formatShape(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    this.version = version ?? { value: 0 };
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  get strides(): number[] {
    return stridesOf(this.shape);
  }

  /** A leaf is a tensor the user made (not the output of a recorded op). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Float32 data, or a clear error when the tensor holds another dtype. */
  get f32(): Float32Array {
    if (!(this.data instanceof Float32Array)) {
      throw new TypeError(`expected a float32 tensor, got ${this.dtype} with shape ${formatShape(this.shape)}; cast it with .float()`);
    }
    return this.data;
  }

  /** Sets requiresGrad on a leaf and returns it, so `randn([3]).requiresGrad_()` reads like PyTorch. */
  requiresGrad_(value = true): this {
    if (!this.isLeaf) throw new Error('requiresGrad_: only leaf tensors can change requiresGrad; use .detach() to make a new leaf');
    if (value && this.dtype !== 'float32') throw new TypeError(`requiresGrad_: only float32 tensors can require gradients, this one is ${this.dtype}`);
    this.requiresGrad = value;
    return this;
  }

  /** Keeps the gradient of a non-leaf tensor after backward(). */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item: only one-element tensors can be converted to a number, got shape ${formatShape(this.shape)}`);
    return this.data[0];
  }

  /** Nested arrays of numbers (a number for a 0-d tensor). */
  toArray(): NestedArray {
    if (this.rank === 0) return this.data[0];
    const build = (dim: number, offset: number): NestedArray[] | number[] => {
      const n = this.shape[dim];
      const stride = this.strides[dim];
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(dim === this.rank - 1 ? this.data[offset + i] : (build(dim + 1, offset + i * stride) as NestedArray));
      return out as NestedArray[];
    };
    return build(0, 0) as NestedArray;
  }

  /** A copy with its own buffer, detached from the graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** The same data as a new leaf that does not require grad (shares the buffer, like torch). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, this.version);
  }

  /** A copy converted to dtype (detached from the graph for non-float targets). */
  to(dtype: DType): Tensor {
    if (dtype === this.dtype) return this;
    return new Tensor(castArray(this.data, dtype), this.shape);
  }

  int(): Tensor {
    return this.to('int32');
  }

  byte(): Tensor {
    return this.to('uint8');
  }

  /** Marks an in-place change of the buffer (optimizer steps, fills) so stale saved tensors are caught. */
  bumpVersion(): void {
    this.version.value++;
  }

  toString(): string {
    const head = `Tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''}${this.gradFn ? `, gradFn=${this.gradFn.op}` : ''})`;
    return `${head}\n${formatValues(this)}`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

export type NestedArray = number | NestedArray[];

/** Prints values like NumPy, eliding the middle of long dimensions. */
function formatValues(t: Tensor, edge = 3): string {
  const fmt = (v: number) => (t.dtype === 'float32' ? formatFloat(v) : String(v));
  if (t.rank === 0) return fmt(t.data[0]);
  const strides = t.strides;
  const rec = (dim: number, offset: number, indent: string): string => {
    const n = t.shape[dim];
    const idx: (number | null)[] = n > 2 * edge ? [...range(edge), null, ...range(edge).map((i) => n - edge + i)] : range(n);
    if (dim === t.rank - 1) return `[${idx.map((i) => (i === null ? '...' : fmt(t.data[offset + i]))).join(', ')}]`;
    const parts = idx.map((i) => (i === null ? '...' : rec(dim + 1, offset + i * strides[dim], `${indent} `)));
    return `[${parts.join(`,\n${indent} `)}]`;
  };
  return rec(0, 0, '');
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function formatFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return `${v}.`;
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(4) : v.toFixed(4);
}

/** Anything an op accepts where a tensor is expected: a Tensor or a plain number (a 0-d float32 constant). */
export type TensorLike = Tensor | number;

/** Allocates a zero-filled tensor; the low-level constructor ops use for outputs. */
export function empty(shape: Shape, dtype: DType = 'float32'): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape);
}
