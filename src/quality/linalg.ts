/**
 * The float64 linear algebra the Fréchet distance needs, in plain TypeScript: mean and covariance of feature rows,
 * the eigen-decomposition of a symmetric matrix (the cyclic Jacobi solver of src/unsupervised/eigen.ts), the
 * square root of a symmetric positive semi-definite matrix, and the Fréchet distance between two Gaussians.
 * Matrices are row-major Float64Arrays of n×n.
 */
import { jacobiEigen } from '../unsupervised/eigen.ts';

/** Mean [d] and covariance [d×d] (divided by n − 1) of n rows of d features. */
export function meanAndCovariance(rows: Float32Array | Float64Array, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  if (n < 2) throw new RangeError(`covariance needs at least 2 samples, got ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += rows[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) centred[j] = rows[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ca = centred[a];
      if (ca === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) cov[row + b] += ca * centred[b];
    }
  }
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b] / (n - 1);
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  return { mean, cov };
}

/**
 * Eigenvalues and eigenvectors of a symmetric n×n matrix: A = V·diag(values)·Vᵀ, the eigenvectors are the columns of
 * V. The cyclic Jacobi solver is the one PCA uses (src/unsupervised/eigen.ts), which returns vectors as rows.
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const { values, vectors: rows } = jacobiEigen(matrix, n);
  const columns = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let k = 0; k < n; k++) columns[k * n + r] = rows[r * n + k];
  return { values, vectors: columns };
}

/** The symmetric square root of a symmetric positive semi-definite matrix (negative eigenvalues from rounding → 0). */
export function sqrtPsd(matrix: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const s = Math.sqrt(Math.max(0, values[k]));
    if (s === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k] * s;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += vik * vectors[j * n + k];
    }
  }
  return out;
}

/** C = A·B for n×n matrices. */
export function matmulSquare(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  return c;
}

/**
 * Fréchet distance between N(μ1, Σ1) and N(μ2, Σ2): |μ1 − μ2|² + Tr(Σ1 + Σ2 − 2(Σ1Σ2)^½). The trace of (Σ1Σ2)^½
 * equals that of the symmetric (Σ1^½ Σ2 Σ1^½)^½, so only symmetric square roots are needed.
 */
export function frechetDistance(mu1: Float64Array, cov1: Float64Array, mu2: Float64Array, cov2: Float64Array, d: number): number {
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (mu1[i] - mu2[i]) ** 2;
  const root1 = sqrtPsd(cov1, d);
  const middle = matmulSquare(matmulSquare(root1, cov2, d), root1, d);
  // Symmetrise against rounding before the eigen-solver.
  for (let i = 0; i < d; i++)
    for (let j = i + 1; j < d; j++) {
      const m = (middle[i * d + j] + middle[j * d + i]) / 2;
      middle[i * d + j] = m;
      middle[j * d + i] = m;
    }
  const { values } = symmetricEigen(middle, d);
  let traceRoot = 0;
  for (const v of values) traceRoot += Math.sqrt(Math.max(0, v));
  let trace = 0;
  for (let i = 0; i < d; i++) trace += cov1[i * d + i] + cov2[i * d + i];
  return Math.max(0, meanTerm + trace - 2 * traceRoot);
}
