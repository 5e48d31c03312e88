/**
 * Exact t-SNE (van der Maaten & Hinton, 2008) with scikit-learn's defaults: perplexity 30, early exaggeration 12 for
 * the first 250 steps (momentum 0.5, then 0.8), learning rate 'auto' = max(n / 12 / 4, 50), delta-bar-delta gains,
 * PCA initialisation scaled to a standard deviation of 1e-4. The O(n²) work — distances (SGEMM), the per-row
 * perplexity search and the gradient — runs in backend kernels (spec/tsne.ts), so it is meant for n up to a few
 * thousand (the projector's samples); for more, use UMAP.
 *
 * @example
 *   const { embedding, kl } = tsne(x, { perplexity: 30, seed: 0 }); // embedding: n × 2
 */
import { backend } from '../backend/index.ts';
import { add, affine } from '../ops/elementwise.ts';
import { transpose } from '../ops/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import { type Matrix, rowSquaredNorms, squaredDistancesFrom } from './matrix.ts';
import { PCA } from './pca.ts';

/** Above this many rows the n × n matrices (two of them, float32) outgrow what exact t-SNE should hold. */
export const TSNE_MAX_ROWS = 5000;

export interface TsneOptions {
  nComponents?: number;
  /** Effective number of neighbours (default 30); must be below n. */
  perplexity?: number;
  earlyExaggeration?: number;
  /** Step size (default: max(n / earlyExaggeration / 4, 50), scikit-learn's 'auto'). */
  learningRate?: number;
  /** Total optimisation steps, the 250 exaggerated ones included (default 1000). */
  maxIter?: number;
  /** Reduce the input to this many principal components first when it has more columns and rows (default 50; 0: never). */
  pcaDims?: number;
  seed?: number;
  /** Called every 50 steps with the KL divergence of that step (under exaggeration during the first 250). */
  onProgress?: (info: { iter: number; kl: number }) => void;
}

export interface TsneResult {
  embedding: Matrix;
  /** KL(P ‖ Q) of the final embedding. */
  kl: number;
  nIter: number;
}

const EXAGGERATED_STEPS = 250;
const CHECK_EVERY = 50;
const MIN_GAIN = 0.01;
const MIN_GRAD_NORM = 1e-7;

/** The joint affinities P (n × n, symmetric, summing to 1) of the rows of x at a perplexity. */
export function tsneJointAffinities(x: Matrix, perplexity: number): Float32Array {
  const n = x.rows;
  if (!(perplexity > 0 && perplexity < n)) throw new RangeError(`t-SNE: the perplexity must be between 0 and the number of points (${n}), got ${perplexity}`);
  const d2 = squaredDistancesFrom(x, rowSquaredNorms(x), 0, n, new Float32Array(n * n));
  const conditional = new Float32Array(n * n);
  backend().tsneAffinities(d2, n, perplexity, conditional);
  const c = new Tensor(conditional, [n, n]);
  // Each conditional row sums to 1, so P = (C + Cᵀ) / 2n sums to 1.
  return affine(add(c, transpose(c)), 1 / (2 * n), 0).f32;
}

/** Embeds the rows of x in nComponents dimensions by exact t-SNE. */
export function tsne(x: Matrix, o: TsneOptions = {}): TsneResult {
  const n = x.rows;
  const dims = o.nComponents ?? 2;
  if (n < 4) throw new RangeError(`t-SNE needs at least 4 points, got ${n}`);
  if (n > TSNE_MAX_ROWS) throw new RangeError(`exact t-SNE holds two ${n} × ${n} matrices; use at most ${TSNE_MAX_ROWS} points (a sample), or UMAP`);
  // With no more points than components PCA has nothing to drop (and its trailing components are ill-determined).
  const pcaDims = o.pcaDims ?? 50;
  const input = pcaDims > 0 && x.cols > pcaDims && n > pcaDims ? reduce(x, pcaDims, o.seed) : x;
  const p = tsneJointAffinities(input, o.perplexity ?? 30);
  const exaggeration = o.earlyExaggeration ?? 12;
  const lr = o.learningRate ?? Math.max(n / exaggeration / 4, 50);
  const maxIter = o.maxIter ?? 1000;

  const y = initialLayout(input, dims, o.seed);
  const grad = new Float32Array(n * dims);
  const update = new Float32Array(n * dims);
  const gains = new Float32Array(n * dims).fill(1);
  const loss = new Float32Array(1);
  const be = backend();
  const exaggerated = affine(new Tensor(p, [n, n]), exaggeration, 0).f32;
  let kl = Number.NaN;
  let iter = 0;
  for (; iter < maxIter; iter++) {
    const early = iter < EXAGGERATED_STEPS;
    if (iter === EXAGGERATED_STEPS) {
      // scikit-learn runs the two phases as two calls of its optimiser, each starting from zero momentum and unit gains.
      update.fill(0);
      gains.fill(1);
    }
    const check = (iter + 1) % CHECK_EVERY === 0 || iter === maxIter - 1;
    be.tsneGradient(early ? exaggerated : p, y, n, dims, grad, check, loss);
    const momentum = early ? 0.5 : 0.8;
    let norm = 0;
    // O(n) per step beside the O(n²) kernel: scikit-learn's delta-bar-delta update, element by element.
    for (let i = 0; i < grad.length; i++) {
      const g = grad[i];
      gains[i] = update[i] * g < 0 ? gains[i] + 0.2 : Math.max(MIN_GAIN, gains[i] * 0.8);
      update[i] = momentum * update[i] - lr * gains[i] * g;
      y[i] += update[i];
      norm += g * g;
    }
    if (check) {
      kl = loss[0];
      o.onProgress?.({ iter: iter + 1, kl });
      if (!early && Math.sqrt(norm) < MIN_GRAD_NORM) {
        iter++;
        break;
      }
    }
  }
  // The divergence of the layout returned, under the real P.
  be.tsneGradient(p, y, n, dims, grad, true, loss);
  kl = loss[0];
  return { embedding: { data: y, rows: n, cols: dims }, kl, nIter: iter };
}

function reduce(x: Matrix, components: number, seed?: number): Matrix {
  const z = new PCA({ nComponents: components, seed }).fitTransform(x);
  return { data: z.f32, rows: x.rows, cols: components };
}

/** scikit-learn's init='pca': the first principal components, scaled so the first has standard deviation 1e-4. */
function initialLayout(x: Matrix, dims: number, seed?: number): Float32Array {
  const cols = Math.min(dims, x.cols);
  const z = new PCA({ nComponents: cols, seed }).fitTransform(x).f32;
  const y = new Float32Array(x.rows * dims);
  let mean = 0;
  for (let i = 0; i < x.rows; i++) mean += z[i * cols];
  mean /= x.rows;
  let v = 0;
  for (let i = 0; i < x.rows; i++) v += (z[i * cols] - mean) ** 2;
  const scale = 1e-4 / Math.max(Math.sqrt(v / x.rows), 1e-12);
  for (let i = 0; i < x.rows; i++) for (let c = 0; c < cols; c++) y[i * dims + c] = z[i * cols + c] * scale;
  return y;
}
