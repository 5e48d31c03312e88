/**
 * Principal component analysis: the covariance of the centred data as one SGEMM (XcᵀXc, accumulated over row chunks so
 * the centred copy never exists whole), then its leading eigenpairs (src/unsupervised/eigen.ts). Matches
 * scikit-learn's PCA: explainedVariance uses n − 1, explainedVarianceRatio divides by the total variance (the trace),
 * whiten scales the projections to unit variance, and each component's sign makes its largest-magnitude entry
 * positive (deterministic; scikit-learn ≥ 1.5 does the same, older versions decide the sign on U instead).
 *
 * @example
 *   const pca = new PCA({ nComponents: 50 }).fit(x);     // x: Tensor [n, d]
 *   pca.explainedVarianceRatio;                         // Float64Array(50)
 *   const z = pca.transform(x);                         // Tensor [n, 50]
 *   const back = pca.inverseTransform(z);               // Tensor [n, d]
 */
import type { Tensor } from '../tensor/tensor.ts';
import { leadingEigenpairs } from './eigen.ts';
import { asMatrix, columnMeans, gemm, type Matrix, matrixTensor, ROW_CHUNK, subtractRow } from './matrix.ts';

export interface PCAOptions {
  /** Components to keep (default: all, min(n, d)). */
  nComponents?: number;
  /** Scale the projections to unit variance (default false). */
  whiten?: boolean;
  /** Seed of the subspace iteration's starting block (default 0). */
  seed?: number;
  /** Relative residual at which the eigen-solver stops (default 1e-5, see leadingEigenpairs). */
  tol?: number;
}

/** X_centredᵀ · X_centred (d × d), centring each chunk of rows on the engine into a small scratch buffer. */
export function centredGram(x: Matrix, mean: Float32Array): Float32Array {
  const d = x.cols;
  const gram = new Float32Array(d * d);
  const chunk = Math.max(1, Math.min(x.rows, ROW_CHUNK));
  const scratch = new Float32Array(chunk * d);
  for (let r0 = 0; r0 < x.rows; r0 += chunk) {
    const rows = Math.min(chunk, x.rows - r0);
    const c = scratch.subarray(0, rows * d);
    subtractRow(x.data.subarray(r0 * d, (r0 + rows) * d), rows, mean, c);
    gemm(c, c, gram, { m: d, n: d, k: rows, transA: true, accumulate: r0 > 0 });
  }
  return gram;
}

export class PCA {
  readonly options: PCAOptions;
  /** Per-feature mean (d). */
  mean = new Float32Array(0);
  /** nComponents × d, orthonormal rows, by decreasing variance. */
  components = new Float32Array(0);
  /** Variance along each component (eigenvalues of the n − 1 covariance). */
  explainedVariance = new Float64Array(0);
  /** explainedVariance / total variance. */
  explainedVarianceRatio = new Float64Array(0);
  /** √(explainedVariance · (n − 1)): the singular values of the centred data. */
  singularValues = new Float64Array(0);
  /** Sum of all feature variances (the covariance trace). */
  totalVariance = 0;
  nComponents = 0;
  nFeatures = 0;
  nSamples = 0;
  /** Eigen-solver steps and final residual, for the curious. */
  solver = { iterations: 0, residual: 0 };

  constructor(options: PCAOptions = {}) {
    this.options = { ...options };
  }

  fit(input: Tensor | Matrix): this {
    const x = asMatrix(input, 'PCA.fit: data');
    const n = x.rows;
    const d = x.cols;
    if (n < 2) throw new RangeError(`PCA.fit: needs at least 2 samples, got ${n}`);
    const count = this.options.nComponents ?? Math.min(n, d);
    if (!Number.isInteger(count) || count < 1 || count > Math.min(n, d)) {
      throw new RangeError(`PCA: nComponents must be an integer in 1..min(samples, features) = ${Math.min(n, d)}, got ${count}`);
    }
    this.mean = Float32Array.from(columnMeans(x));
    const cov = centredGram(x, this.mean);
    const scale = 1 / (n - 1);
    let trace = 0;
    for (let i = 0; i < d * d; i++) cov[i] *= scale;
    for (let i = 0; i < d; i++) trace += cov[i * d + i];
    const eig = leadingEigenpairs(cov, d, count, { seed: this.options.seed ?? 0, tol: this.options.tol });
    this.solver = { iterations: eig.iterations, residual: eig.residual };
    this.components = new Float32Array(count * d);
    for (let r = 0; r < count; r++) {
      const row = eig.vectors.subarray(r * d, (r + 1) * d);
      let big = 0;
      for (let k = 1; k < d; k++) if (Math.abs(row[k]) > Math.abs(row[big])) big = k;
      const sign = row[big] < 0 ? -1 : 1;
      for (let k = 0; k < d; k++) this.components[r * d + k] = sign * row[k];
    }
    this.explainedVariance = eig.values.map((v) => Math.max(0, v));
    this.totalVariance = trace;
    this.explainedVarianceRatio = this.explainedVariance.map((v) => v / trace);
    this.singularValues = this.explainedVariance.map((v) => Math.sqrt(v * (n - 1)));
    this.nComponents = count;
    this.nFeatures = d;
    this.nSamples = n;
    return this;
  }

  private check(x: Matrix, cols: number, what: string): void {
    if (this.nComponents === 0) throw new Error(`PCA.${what}: call fit(x) first`);
    if (x.cols !== cols) throw new RangeError(`PCA.${what}: data has ${x.cols} columns, expected ${cols}`);
  }

  /** (x − mean) · componentsᵀ, divided by √explainedVariance when whitening: n × nComponents. */
  transform(input: Tensor | Matrix): Tensor {
    const x = asMatrix(input, 'PCA.transform: data');
    this.check(x, this.nFeatures, 'transform');
    const d = this.nFeatures;
    const p = this.nComponents;
    const out = new Float32Array(x.rows * p);
    const chunk = Math.max(1, Math.min(x.rows, ROW_CHUNK));
    const scratch = new Float32Array(chunk * d);
    const proj = this.options.whiten ? this.scaledComponents(-0.5) : this.components;
    for (let r0 = 0; r0 < x.rows; r0 += chunk) {
      const rows = Math.min(chunk, x.rows - r0);
      const c = scratch.subarray(0, rows * d);
      subtractRow(x.data.subarray(r0 * d, (r0 + rows) * d), rows, this.mean, c);
      gemm(c, proj, out.subarray(r0 * p, (r0 + rows) * p), { m: rows, n: p, k: d, transB: true });
    }
    return matrixTensor({ data: out, rows: x.rows, cols: p });
  }

  /** fit(x) then transform(x). */
  fitTransform(x: Tensor | Matrix): Tensor {
    return this.fit(x).transform(x);
  }

  /** z · components (times √explainedVariance when whitening) + mean: back to n × d. */
  inverseTransform(input: Tensor | Matrix): Tensor {
    const z = asMatrix(input, 'PCA.inverseTransform: data');
    this.check(z, this.nComponents, 'inverseTransform');
    const d = this.nFeatures;
    const out = new Float32Array(z.rows * d);
    for (let i = 0; i < z.rows; i++) out.set(this.mean, i * d);
    const back = this.options.whiten ? this.scaledComponents(0.5) : this.components;
    gemm(z.data, back, out, { m: z.rows, n: d, k: this.nComponents, accumulate: true });
    return matrixTensor({ data: out, rows: z.rows, cols: d });
  }

  /** Each component row times explainedVariance^power (whitening and its inverse). */
  private scaledComponents(power: number): Float32Array {
    const d = this.nFeatures;
    const out = new Float32Array(this.components.length);
    for (let r = 0; r < this.nComponents; r++) {
      const s = this.explainedVariance[r] > 0 ? this.explainedVariance[r] ** power : 0;
      for (let k = 0; k < d; k++) out[r * d + k] = this.components[r * d + k] * s;
    }
    return out;
  }
}
