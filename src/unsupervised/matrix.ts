/**
 * Dense row-major float32 matrices for the unsupervised algorithms, and the few engine calls they are built from:
 * GEMM (the backend's SGEMM), row squared norms, column means and centring (backend elementwise and reductions).
 *
 * The algorithms work on raw buffers with caller-owned scratch space rather than on Tensors, because they loop
 * (Lloyd iterations, power iterations) and a Tensor per step would allocate in the hot path.
 *
 * @example
 *   const x = asMatrix(randn([100, 5]));          // { data, rows: 100, cols: 5 }
 *   const norms = rowSquaredNorms(x);              // Float32Array(100): ‖x_i‖²
 *   gemm(x.data, x.data, gram, { m: 5, n: 5, k: 100, transA: true }); // xᵀx
 */
import type { MatmulParams } from '../backend/backend.ts';
import { backend } from '../backend/index.ts';
import { formatShape } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';

/** A row-major rows × cols float32 matrix. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** Rows per chunk when a pass over the data needs scratch proportional to the rows (keeps scratch at a few MB). */
export const ROW_CHUNK = 4096;

/** A 2-D float32 Tensor or a Matrix, as a Matrix sharing the same buffer. */
export function asMatrix(x: Tensor | Matrix, what = 'data'): Matrix {
  if (x instanceof Tensor) {
    if (x.rank !== 2) throw new RangeError(`${what} must be 2-D [samples, features], got ${formatShape(x.shape)}; reshape images with .reshape([n, -1])`);
    return { data: x.f32, rows: x.shape[0], cols: x.shape[1] };
  }
  if (x.data.length !== x.rows * x.cols) throw new RangeError(`${what}: ${x.data.length} values do not fill ${x.rows} × ${x.cols}`);
  return x;
}

/** A Matrix as a 2-D Tensor over the same buffer. */
export function matrixTensor(m: Matrix): Tensor {
  return new Tensor(m.data, [m.rows, m.cols]);
}

/** C = op(A)·op(B) (+ C when accumulate) through the backend's matmul; A is m×k (k×m when transA), B k×n (n×k when transB). */
export function gemm(a: Float32Array, b: Float32Array, c: Float32Array, p: Pick<MatmulParams, 'm' | 'n' | 'k'> & Partial<MatmulParams>): void {
  backend().matmul(a, b, c, { batch: 1, transA: false, transB: false, strideA: 0, strideB: 0, strideC: p.m * p.n, accumulate: false, ...p });
}

/** ‖x_i‖² for every row, on the engine (elementwise square then a row sum, chunked so scratch stays small). */
export function rowSquaredNorms(x: Matrix, out = new Float32Array(x.rows)): Float32Array {
  const be = backend();
  const chunk = Math.max(1, Math.min(x.rows, ROW_CHUNK));
  const squares = new Float32Array(chunk * x.cols);
  for (let r0 = 0; r0 < x.rows; r0 += chunk) {
    const rows = Math.min(chunk, x.rows - r0);
    const block = x.data.subarray(r0 * x.cols, (r0 + rows) * x.cols);
    const sq = squares.subarray(0, rows * x.cols);
    be.binary('mul', block, [rows, x.cols], block, [rows, x.cols], sq, [rows, x.cols]);
    be.reduce('sum', sq, rows, x.cols, 1, out.subarray(r0, r0 + rows));
  }
  return out;
}

/**
 * Squared Euclidean distances from rows r0..r0+rows−1 of x to every row of x, into out (rows × n): ‖a‖² + ‖b‖² − 2a·b
 * with the products as one SGEMM, clamped at 0, and exactly 0 from a row to itself.
 */
export function squaredDistancesFrom(x: Matrix, norms: Float32Array, r0: number, rows: number, out: Float32Array): Float32Array {
  const { rows: m, cols: d } = x;
  gemm(x.data.subarray(r0 * d, (r0 + rows) * d), x.data, out, { m: rows, n: m, k: d, transB: true });
  for (let i = 0; i < rows; i++) {
    const ni = norms[r0 + i];
    for (let j = 0; j < m; j++) {
      const v = ni + norms[j] - 2 * out[i * m + j];
      out[i * m + j] = v > 0 ? v : 0;
    }
    out[i * m + r0 + i] = 0;
  }
  return out;
}

/** Column means in float64 (sums per chunk on the engine, added up in float64 so 60,000 rows lose no precision). */
export function columnMeans(x: Matrix): Float64Array {
  const be = backend();
  const sums = new Float64Array(x.cols);
  const part = new Float32Array(x.cols);
  for (let r0 = 0; r0 < x.rows; r0 += ROW_CHUNK) {
    const rows = Math.min(ROW_CHUNK, x.rows - r0);
    be.reduce('sum', x.data.subarray(r0 * x.cols, (r0 + rows) * x.cols), 1, rows, x.cols, part);
    for (let j = 0; j < x.cols; j++) sums[j] += part[j];
  }
  for (let j = 0; j < x.cols; j++) sums[j] /= Math.max(1, x.rows);
  return sums;
}

/** out = block − mean (mean broadcast over rows) on the engine; block is rows × mean.length. */
export function subtractRow(block: Float32Array, rows: number, mean: Float32Array, out: Float32Array): void {
  backend().binary('sub', block, [rows, mean.length], mean, [mean.length], out, [rows, mean.length]);
}

/** Copies the listed rows of x into a new rows.length × cols matrix (one contiguous copy per row). */
export function gatherRows(x: Matrix, rows: ArrayLike<number>, out = new Float32Array(rows.length * x.cols)): Matrix {
  for (let i = 0; i < rows.length; i++) out.set(x.data.subarray(rows[i] * x.cols, (rows[i] + 1) * x.cols), i * x.cols);
  return { data: out, rows: rows.length, cols: x.cols };
}

/** Checks a labels array: one integer ≥ 0 per sample. */
export function checkLabels(labels: ArrayLike<number>, n: number, what: string): void {
  if (labels.length !== n) throw new RangeError(`${what}: ${labels.length} labels for ${n} samples; pass one label per sample`);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${what}: label ${i} is ${v}; labels must be integers ≥ 0`);
  }
}
