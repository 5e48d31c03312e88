/**
 * Symmetric eigen-solvers for PCA, in float64: cyclic Jacobi for small dense matrices (the p × p projected matrix of
 * subspace iteration, or a whole covariance of a few dozen features), and subspace iteration with Rayleigh–Ritz for the
 * leading eigenpairs of a large covariance, whose d × d · d × p products go through the engine's SGEMM.
 *
 * @example
 *   const { values, vectors } = jacobiEigen(a, n);         // all eigenpairs, values descending, vectors as rows
 *   const top = leadingEigenpairs(cov, 784, 50, { seed: 0 }); // the 50 largest of a 784 × 784 covariance
 */
import { Generator } from '../tensor/random.ts';
import { gemm } from './matrix.ts';

export interface Eigenpairs {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Eigenvectors as rows (count × n, row-major), in the order of `values`, each of unit length. */
  vectors: Float64Array;
}

/**
 * All eigenpairs of the symmetric n × n matrix a (row-major; only read) by cyclic Jacobi rotations, to machine
 * precision. O(n³) per sweep and about 6–10 sweeps: meant for n up to a few hundred.
 */
export function jacobiEigen(a: ArrayLike<number>, n: number, maxSweeps = 60): Eigenpairs {
  const m = Float64Array.from(a as ArrayLike<number>);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] * m[i * n + i];
      for (let j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const app = m[p * n + p];
        const aqq = m[q * n + q];
        // The rotation that zeroes m[p][q] (Golub & Van Loan, symmetric Schur decomposition), smaller angle.
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((col, r) => {
    values[r] = m[col * n + col];
    for (let k = 0; k < n; k++) vectors[r * n + k] = v[k * n + col];
  });
  return { values, vectors };
}

/**
 * Orthonormalises the p rows of q (p × n, row-major) in place by modified Gram–Schmidt, `passes` times (twice by
 * default, so orthogonality holds to rounding even when rows are nearly dependent). A row that vanishes is replaced by
 * a fresh random direction.
 */
export function orthonormalizeRows(q: Float64Array, p: number, n: number, gen: Generator, passes = 2): void {
  for (let pass = 0; pass < passes; pass++) {
    for (let i = 0; i < p; i++) {
      const row = i * n;
      for (let attempt = 0; ; attempt++) {
        for (let j = 0; j < i; j++) {
          let dot = 0;
          for (let k = 0; k < n; k++) dot += q[row + k] * q[j * n + k];
          for (let k = 0; k < n; k++) q[row + k] -= dot * q[j * n + k];
        }
        let norm = 0;
        for (let k = 0; k < n; k++) norm += q[row + k] * q[row + k];
        norm = Math.sqrt(norm);
        if (norm > 1e-12 || attempt > 3) {
          const inv = norm > 0 ? 1 / norm : 0;
          for (let k = 0; k < n; k++) q[row + k] *= inv;
          break;
        }
        for (let k = 0; k < n; k++) q[row + k] = gen.normal();
      }
    }
  }
}

export interface SubspaceOptions {
  /** Extra directions iterated beside the wanted ones (default max(10, count / 2)); more converges in fewer steps. */
  oversample?: number;
  /**
   * Stop when every wanted Ritz pair has ‖A·v − λ·v‖ ≤ tol · λ₁ (default 1e-5), or when the residual is within 100·tol
   * and has stopped falling for 5 steps (the float32 products' rounding floor).
   */
  tol?: number;
  maxIter?: number;
  seed?: number;
}

export interface SubspaceResult extends Eigenpairs {
  iterations: number;
  /** The largest relative residual ‖A·v − λ·v‖ / λ₁ over the wanted pairs at the end. */
  residual: number;
}

/**
 * The `count` largest eigenpairs of the symmetric positive semi-definite n × n matrix a (float32, row-major), by
 * subspace iteration with Rayleigh–Ritz: Z = A·Q, B = QᵀZ (SGEMMs), B = WΛWᵀ (Jacobi), Q ← orth(ZW) (SGEMM, then
 * Gram–Schmidt in float64). Convergence of
 * eigenvalue i goes as (λ_{p+1}/λ_i)^{2·iteration} with p = count + oversample. Falls back to a full Jacobi when p ≥ n.
 */
export function leadingEigenpairs(a: Float32Array, n: number, count: number, options: SubspaceOptions = {}): SubspaceResult {
  const p = Math.min(n, count + (options.oversample ?? Math.max(10, Math.ceil(count / 2))));
  if (p >= n || n <= 64) {
    const all = jacobiEigen(a, n);
    return { values: all.values.slice(0, count), vectors: all.vectors.slice(0, count * n), iterations: 1, residual: 0 };
  }
  const tol = options.tol ?? 1e-5;
  const maxIter = options.maxIter ?? 500;
  const gen = new Generator(options.seed ?? 0);
  const q = new Float64Array(p * n);
  for (let i = 0; i < q.length; i++) q[i] = gen.normal();
  orthonormalizeRows(q, p, n, gen);
  const q32 = new Float32Array(p * n);
  const z32 = new Float32Array(p * n);
  const b = new Float64Array(p * p);
  const b32 = new Float32Array(p * p);
  const w32 = new Float32Array(p * p);
  const ritz32 = new Float32Array(p * n);
  const image32 = new Float32Array(p * n);
  let values: Float64Array = new Float64Array(p);
  let residual = Number.POSITIVE_INFINITY;
  let iterations = 0;
  let bestResidual = Number.POSITIVE_INFINITY;
  let stalled = 0;
  for (let it = 1; it <= maxIter; it++) {
    iterations = it;
    q32.set(q);
    // Z = Q·A (rows of Q times the symmetric A), p × n: the only O(n²p) product, on the engine.
    gemm(q32, a, z32, { m: p, n, k: n });
    // B = Q·Zᵀ = Q·A·Qᵀ (p × p), symmetrised.
    gemm(q32, z32, b32, { m: p, n: p, k: n, transB: true });
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) b[i * p + j] = 0.5 * (b32[i * p + j] + b32[j * p + i]);
    const eig = jacobiEigen(b, p);
    values = eig.values;
    // Ritz vectors V = W·Q and their images A·V = W·Z (W: eigenvectors of B as rows), both SGEMMs; the residuals
    // ‖A·v − λ·v‖ of the wanted pairs decide convergence.
    w32.set(eig.vectors);
    gemm(w32, q32, ritz32, { m: p, n, k: p });
    gemm(w32, z32, image32, { m: p, n, k: p });
    const lambda1 = Math.max(Math.abs(values[0]), 1e-300);
    residual = 0;
    for (let r = 0; r < count; r++) {
      let res = 0;
      for (let k = 0; k < n; k++) {
        const e = image32[r * n + k] - values[r] * ritz32[r * n + k];
        res += e * e;
      }
      residual = Math.max(residual, Math.sqrt(res) / lambda1);
    }
    if (residual < 0.999 * bestResidual) {
      bestResidual = residual;
      stalled = 0;
    } else stalled++;
    if (residual <= tol || (residual <= 100 * tol && stalled >= 5)) {
      // Return the Ritz vectors of this step (V = WᵀQ), which the residual was measured for.
      const vectors = Float64Array.from(ritz32.subarray(0, count * n));
      orthonormalizeRows(vectors, count, n, gen);
      return { values: values.slice(0, count), vectors, iterations, residual };
    }
    q.set(image32);
    // One pass is enough between steps (the block's condition number is modest); the returned vectors get two.
    orthonormalizeRows(q, p, n, gen, 1);
  }
  throw new Error(
    `leadingEigenpairs: subspace iteration did not converge in ${maxIter} steps (residual ${residual.toExponential(2)} > ${tol}); ` +
      'raise maxIter or oversample, or ask for fewer components',
  );
}
