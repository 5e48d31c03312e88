/**
 * Creating tensors: from nested arrays, constants, ranges and the seeded random generator.
 * @example
 *   const x = tensor([[1, 2], [3, 4]]);          // float32 2×2
 *   const idx = tensor([0, 2, 1], 'int32');
 *   manualSeed(0); const w = randn([3, 4]);
 */
import { allocate, castArray, type DType, type TypedArray } from './dtype.ts';
import { defaultGenerator, type Generator } from './random.ts';
import { formatShape, type Shape, sizeOf } from './shape.ts';
import { type NestedArray, Tensor } from './tensor.ts';

/** A tensor from a number, nested arrays of numbers, or a typed array (copied) with an optional shape. */
export function tensor(values: NestedArray | TypedArray | readonly number[], dtype?: DType, shape?: Shape): Tensor {
  if (ArrayBuffer.isView(values)) {
    const data = castArray(values as TypedArray, dtype ?? 'float32');
    return new Tensor(data, shape ?? [data.length]);
  }
  const inferred: number[] = [];
  let v: NestedArray = values as NestedArray;
  while (Array.isArray(v)) {
    inferred.push(v.length);
    v = v[0] as NestedArray;
    if (v === undefined) break;
  }
  const flat: number[] = [];
  const walk = (node: NestedArray, dim: number) => {
    if (dim === inferred.length) {
      if (typeof node !== 'number') throw new TypeError(`tensor: ragged nested array (expected a number at depth ${dim}); every row must have the same length`);
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== inferred[dim]) {
      throw new TypeError(
        `tensor: ragged nested array at depth ${dim}: expected ${inferred[dim]} elements, got ${Array.isArray(node) ? node.length : typeof node}`,
      );
    }
    for (const child of node) walk(child, dim + 1);
  };
  walk(values as NestedArray, 0);
  const data = castArray(flat, dtype ?? 'float32');
  return new Tensor(data, shape ?? inferred);
}

export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  const data = allocate(dtype, sizeOf(shape));
  data.fill(value);
  return new Tensor(data, shape);
}

export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape);
}

export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, t.dtype);
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, t.dtype);
}

/** Values start, start+step, … below end (like torch.arange). Integer arguments give int32 unless dtype says otherwise. */
export function arange(start: number, end?: number, step = 1, dtype?: DType): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0) throw new RangeError('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const type = dtype ?? (Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step) ? 'int32' : 'float32');
  const data = allocate(type, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n]);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const data = new Float32Array(steps);
  for (let i = 0; i < steps; i++) data[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return new Tensor(data, [steps]);
}

/** n×m identity matrix. */
export function eye(n: number, m = n, dtype: DType = 'float32'): Tensor {
  const data = allocate(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return new Tensor(data, [n, m]);
}

/** Uniform in [low, high). */
export function rand(shape: Shape, low = 0, high = 1, gen: Generator = defaultGenerator): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * gen.uniform();
  return new Tensor(data, shape);
}

/** Normal with the given mean and standard deviation. */
export function randn(shape: Shape, mean = 0, std = 1, gen: Generator = defaultGenerator): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * gen.normal();
  return new Tensor(data, shape);
}

/** Integers uniform in [low, high), int32. */
export function randint(low: number, high: number, shape: Shape, gen: Generator = defaultGenerator): Tensor {
  const data = new Int32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = gen.int(low, high);
  return new Tensor(data, shape);
}

/** A random permutation of 0..n-1 (Fisher–Yates), int32. */
export function randperm(n: number, gen: Generator = defaultGenerator): Tensor {
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = gen.int(0, i + 1);
    const t = data[i];
    data[i] = data[j];
    data[j] = t;
  }
  return new Tensor(data, [n]);
}

/** Checks that a tensor has the given rank, naming the op and the expected layout. */
export function expectRank(t: Tensor, rank: number, op: string, layout: string): void {
  if (t.rank !== rank) throw new RangeError(`${op}: expected a ${rank}-D tensor (${layout}), got shape ${formatShape(t.shape)}`);
}
