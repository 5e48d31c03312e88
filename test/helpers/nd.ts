/**
 * Nd: a tiny float64 n-d array for writing independent reference implementations in tests.
 * Nothing here calls the engine's kernels: references are direct definitions over plain index arithmetic,
 * so a bug in a kernel cannot hide in its own oracle.
 * @example
 *   const a = Nd.of([[1, 2], [3, 4]]);
 *   const s = reduceLists(a, [1], false, (v) => v.reduce((p, q) => p + q, 0)); // row sums [3, 7]
 */

export type Nested = number | Nested[];

export class Nd {
  readonly shape: number[];
  readonly data: Float64Array;
  readonly strides: number[];

  constructor(shape: readonly number[], data?: ArrayLike<number>) {
    this.shape = [...shape];
    const size = this.shape.reduce((p, d) => p * d, 1);
    this.data = new Float64Array(size);
    if (data) {
      if (data.length !== size) throw new Error(`Nd: ${data.length} values for shape [${shape.join(', ')}]`);
      this.data.set(Array.from(data));
    }
    this.strides = new Array<number>(this.shape.length);
    let s = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      this.strides[i] = s;
      s *= this.shape[i];
    }
  }

  /** From nested arrays of numbers. */
  static of(values: Nested): Nd {
    const shape: number[] = [];
    let v: Nested = values;
    while (Array.isArray(v)) {
      shape.push(v.length);
      v = v[0];
    }
    const flat: number[] = [];
    const walk = (x: Nested) => {
      if (Array.isArray(x)) x.forEach(walk);
      else flat.push(x);
    };
    walk(values);
    return new Nd(shape, flat);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  offset(idx: readonly number[]): number {
    let o = 0;
    for (let d = 0; d < idx.length; d++) o += idx[d] * this.strides[d];
    return o;
  }

  get(...idx: number[]): number {
    return this.data[this.offset(idx)];
  }

  set(value: number, ...idx: number[]): void {
    this.data[this.offset(idx)] = value;
  }

  unravel(flat: number): number[] {
    const idx = new Array<number>(this.rank);
    for (let d = 0; d < this.rank; d++) {
      idx[d] = Math.floor(flat / this.strides[d]) % this.shape[d];
    }
    return idx;
  }

  map(f: (v: number, i: number) => number): Nd {
    const out = new Nd(this.shape);
    for (let i = 0; i < this.size; i++) out.data[i] = f(this.data[i], i);
    return out;
  }
}

/** NumPy broadcast shape, written independently of src/tensor/shape.ts. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da !== db && da !== 1 && db !== 1) throw new Error(`reference: cannot broadcast [${a}] and [${b}]`);
    out.push(Math.max(da, db));
  }
  return out;
}

/** The element of `a` that output index `idx` reads under broadcasting. */
export function broadcastGet(a: Nd, idx: readonly number[]): number {
  const lead = idx.length - a.rank;
  let o = 0;
  for (let d = 0; d < a.rank; d++) o += (a.shape[d] === 1 ? 0 : idx[d + lead]) * a.strides[d];
  return a.data[o];
}

/** out[idx] = f(a[idx'], b[idx''], …) with NumPy broadcasting over any number of operands. */
export function zipBroadcast(operands: readonly Nd[], f: (...v: number[]) => number): Nd {
  const shape = operands.reduce<number[]>((s, a) => broadcastShape(s, a.shape), []);
  const out = new Nd(shape);
  for (let i = 0; i < out.size; i++) {
    const idx = out.unravel(i);
    out.data[i] = f(...operands.map((a) => broadcastGet(a, idx)));
  }
  return out;
}

/** Reduces over `axes` by handing each output cell the list of values it covers (in row-major order). */
export function reduceLists(a: Nd, axes: readonly number[], keepdim: boolean, f: (values: number[]) => number): Nd {
  const ax = axes.map((x) => (x < 0 ? x + a.rank : x));
  const kept = a.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const cells = new Nd(kept);
  const lists: number[][] = Array.from({ length: cells.size }, () => []);
  for (let i = 0; i < a.size; i++) {
    const idx = a.unravel(i).map((v, d) => (ax.includes(d) ? 0 : v));
    lists[cells.offset(idx)].push(a.data[i]);
  }
  const shape = keepdim ? kept : a.shape.filter((_, i) => !ax.includes(i));
  return new Nd(
    shape,
    lists.map((l) => f(l)),
  );
}

export const sumOf = (v: readonly number[]) => v.reduce((p, q) => p + q, 0);
export const meanOf = (v: readonly number[]) => sumOf(v) / v.length;

/** Applies f to every 1-D fibre along axis (used for softmax-like references). */
export function alongAxis(a: Nd, axis: number, f: (row: number[]) => number[]): Nd {
  const ax = axis < 0 ? axis + a.rank : axis;
  const out = new Nd(a.shape);
  const n = a.shape[ax];
  for (let i = 0; i < a.size; i++) {
    const idx = a.unravel(i);
    if (idx[ax] !== 0) continue;
    const row: number[] = [];
    for (let j = 0; j < n; j++) row.push(a.data[i + j * a.strides[ax]]);
    const res = f(row);
    for (let j = 0; j < n; j++) out.data[i + j * a.strides[ax]] = res[j];
  }
  return out;
}

/** erf by its Maclaurin series (|x| ≤ 3) or asymptotic expansion, in float64; independent of the kernel's Chebyshev fit. */
export function erf64(x: number): number {
  const z = Math.abs(x);
  let r: number;
  if (z < 3) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 100; n++) {
      term *= (-z * z) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(z) ≈ exp(−z²)/(z√π)·(1 − 1/(2z²) + 3/(4z⁴) − 15/(8z⁶))
    const z2 = z * z;
    r = 1 - (Math.exp(-z2) / (z * Math.sqrt(Math.PI))) * (1 - 1 / (2 * z2) + 3 / (4 * z2 * z2) - 15 / (8 * z2 * z2 * z2));
  }
  return x < 0 ? -r : r;
}
