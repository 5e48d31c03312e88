/**
 * Clustering quality: accuracy under the best one-to-one cluster→class matching (Hungarian), normalised mutual
 * information (arithmetic normalisation, scikit-learn's default), adjusted Rand index, and the silhouette coefficient.
 * Formulas and edge cases follow scikit-learn 1.2's `sklearn.metrics` so scores agree to rounding.
 *
 * @example
 *   clusteringAccuracy(trueLabels, km.labels).accuracy; // 0.55
 *   normalizedMutualInfo(trueLabels, km.labels);        // 0.51
 *   adjustedRandIndex(trueLabels, km.labels);           // 0.37
 *   silhouetteScore(x, km.labels, { sampleSize: 5000 });
 */
import { backend } from '../backend/index.ts';
import { Generator } from '../tensor/random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { maximumAssignment } from './hungarian.ts';
import { asMatrix, gatherRows, gemm, type Matrix, ROW_CHUNK, rowSquaredNorms, squaredDistancesFrom } from './matrix.ts';

/** Labels renumbered 0..count−1 in order of first value (numpy.unique's sorted order), with the count. */
function compact(labels: ArrayLike<number>): { index: Int32Array; count: number } {
  const values = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const map = new Map(values.map((v, i) => [v, i]));
  const index = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) index[i] = map.get(labels[i])!;
  return { index, count: values.length };
}

function sameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: ${a.length} true labels but ${b.length} predicted; pass one of each per sample`);
}

/** Counts table[i][j] of samples with true label class i and predicted label cluster j (labels compacted first). */
export function contingencyTable(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>): number[][] {
  sameLength(labelsTrue, labelsPred, 'contingencyTable');
  const a = compact(labelsTrue);
  const b = compact(labelsPred);
  const table = Array.from({ length: a.count }, () => new Array<number>(b.count).fill(0));
  for (let i = 0; i < a.index.length; i++) table[a.index[i]][b.index[i]]++;
  return table;
}

export interface ClusteringAccuracy {
  accuracy: number;
  /** For each predicted cluster value (in sorted order), the true label value it was matched to, or null. */
  mapping: Map<number, number | null>;
}

/** Fraction of samples whose cluster, under the best one-to-one matching of clusters to classes, is their class. */
export function clusteringAccuracy(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>): ClusteringAccuracy {
  sameLength(labelsTrue, labelsPred, 'clusteringAccuracy');
  const n = labelsTrue.length;
  if (n === 0) return { accuracy: 0, mapping: new Map() };
  const classes = [...new Set(Array.from(labelsTrue))].sort((x, y) => x - y);
  const clusters = [...new Set(Array.from(labelsPred))].sort((x, y) => x - y);
  const table = contingencyTable(labelsTrue, labelsPred);
  const byCluster = clusters.map((_, j) => classes.map((_, i) => table[i][j]));
  const { assignment, cost } = maximumAssignment(byCluster);
  const mapping = new Map<number, number | null>();
  clusters.forEach((c, j) => mapping.set(c, assignment[j] >= 0 ? classes[assignment[j]] : null));
  return { accuracy: cost / n, mapping };
}

/** Shannon entropy (natural log) of a labelling. */
export function entropy(labels: ArrayLike<number>): number {
  const { index, count } = compact(labels);
  if (index.length === 0) return 1;
  const counts = new Float64Array(count);
  for (const v of index) counts[v]++;
  const logN = Math.log(index.length);
  let h = 0;
  for (const c of counts) h -= (c / index.length) * (Math.log(c) - logN);
  return h;
}

/** Mutual information (natural log) between two labellings, from their contingency table. */
export function mutualInfo(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>): number {
  const table = contingencyTable(labelsTrue, labelsPred);
  const n = labelsTrue.length;
  if (table.length <= 1 || (table[0]?.length ?? 0) <= 1) return 0;
  const rowSums = table.map((r) => r.reduce((s, v) => s + v, 0));
  const colSums = table[0].map((_, j) => table.reduce((s, r) => s + r[j], 0));
  const logN = Math.log(n);
  let mi = 0;
  for (let i = 0; i < table.length; i++) {
    for (let j = 0; j < table[i].length; j++) {
      const nij = table[i][j];
      if (nij === 0) continue;
      const term = (nij / n) * (Math.log(nij) - logN) + (nij / n) * (-Math.log(rowSums[i] * colSums[j]) + 2 * logN);
      if (Math.abs(term) >= Number.EPSILON) mi += term;
    }
  }
  return Math.max(0, mi);
}

/** NMI = MI / ((H(true) + H(pred)) / 2), 1 when neither labelling splits the data. */
export function normalizedMutualInfo(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>): number {
  sameLength(labelsTrue, labelsPred, 'normalizedMutualInfo');
  const a = compact(labelsTrue).count;
  const b = compact(labelsPred).count;
  if ((a === 1 && b === 1) || (a === 0 && b === 0)) return 1;
  const mi = mutualInfo(labelsTrue, labelsPred);
  if (mi === 0) return 0;
  const normaliser = (entropy(labelsTrue) + entropy(labelsPred)) / 2;
  return mi / Math.max(normaliser, Number.EPSILON);
}

/** Adjusted Rand index from the pair confusion matrix (exact integer pair counts; 1 when no pair disagrees). */
export function adjustedRandIndex(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>): number {
  sameLength(labelsTrue, labelsPred, 'adjustedRandIndex');
  const table = contingencyTable(labelsTrue, labelsPred);
  const n = BigInt(labelsTrue.length);
  const rowSums = table.map((r) => BigInt(r.reduce((s, v) => s + v, 0)));
  const colSums = (table[0] ?? []).map((_, j) => BigInt(table.reduce((s, r) => s + r[j], 0)));
  let sumSquares = 0n;
  let rowDotCol = 0n; // Σ_ij n_ij · colSum_j
  let colDotRow = 0n; // Σ_ij n_ij · rowSum_i
  table.forEach((r, i) =>
    r.forEach((v, j) => {
      const b = BigInt(v);
      sumSquares += b * b;
      rowDotCol += b * colSums[j];
      colDotRow += b * rowSums[i];
    }),
  );
  const tp = sumSquares - n;
  const fp = rowDotCol - sumSquares;
  const fn = colDotRow - sumSquares;
  const tn = n * n - fp - fn - sumSquares;
  if (fn === 0n && fp === 0n) return 1;
  const num = 2n * (tp * tn - fn * fp);
  const den = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
  return Number(num) / Number(den);
}

export interface SilhouetteOptions {
  /** Score a random subset of this many samples (distances within the subset only, as scikit-learn's sample_size). */
  sampleSize?: number;
  seed?: number;
  /**
   * 'exact': float64 pairwise distances in TypeScript (for small inputs); 'engine': float32 distances through SGEMM,
   * relative error ~1e-6. Default: exact when samples² × features ≤ 5·10⁷, otherwise engine.
   */
  mode?: 'exact' | 'engine';
}

/** Per-sample distance sums to each cluster (m × k, float64) in float64 TypeScript. */
function clusterDistanceSumsExact(x: Matrix, labels: Int32Array, k: number): Float64Array {
  const { rows: m, cols: d, data } = x;
  const sums = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) {
        const diff = data[i * d + c] - data[j * d + c];
        s += diff * diff;
      }
      const dist = Math.sqrt(s);
      sums[i * k + labels[j]] += dist;
      sums[j * k + labels[i]] += dist;
    }
  }
  return sums;
}

/** The same on the engine: per chunk, G = X_c·Xᵀ (SGEMM), D = √(‖x‖² + ‖y‖² − 2G) (backend sqrt), sums = D·H (SGEMM). */
function clusterDistanceSumsEngine(x: Matrix, labels: Int32Array, k: number): Float64Array {
  const m = x.rows;
  const norms = rowSquaredNorms(x);
  const oneHot = new Float32Array(m * k);
  for (let i = 0; i < m; i++) oneHot[i * k + labels[i]] = 1;
  const chunk = Math.max(1, Math.min(m, Math.floor((ROW_CHUNK * 256) / Math.max(1, m)) || 1));
  const g = new Float32Array(chunk * m);
  const part = new Float32Array(chunk * k);
  const sums = new Float64Array(m * k);
  for (let r0 = 0; r0 < m; r0 += chunk) {
    const rows = Math.min(chunk, m - r0);
    const gg = g.subarray(0, rows * m);
    squaredDistancesFrom(x, norms, r0, rows, gg);
    backend().unary('sqrt', gg, gg, 0);
    gemm(gg, oneHot, part, { m: rows, n: k, k: m });
    for (let i = 0; i < rows * k; i++) sums[r0 * k + i] = part[i];
  }
  return sums;
}

/**
 * Mean silhouette coefficient (b − a) / max(a, b) over samples, with a the mean distance to the sample's own cluster
 * and b the smallest mean distance to another cluster (Euclidean); a sample alone in its cluster scores 0.
 * Needs 2 ≤ clusters ≤ samples − 1. For large n pass sampleSize (e.g. 10,000): the score of a random subset.
 */
export function silhouetteScore(input: Tensor | Matrix, labels: ArrayLike<number>, options: SilhouetteOptions = {}): number {
  let x = asMatrix(input, 'silhouetteScore: data');
  if (labels.length !== x.rows) throw new RangeError(`silhouetteScore: ${labels.length} labels for ${x.rows} samples`);
  let chosen: ArrayLike<number> = labels;
  if (options.sampleSize !== undefined && options.sampleSize < x.rows) {
    const gen = new Generator(options.seed ?? 0);
    const order = Int32Array.from({ length: x.rows }, (_, i) => i);
    for (let i = 0; i < options.sampleSize; i++) {
      const j = gen.int(i, x.rows);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const pick = order.subarray(0, options.sampleSize);
    x = gatherRows(x, pick);
    chosen = Array.from(pick, (i) => labels[i]);
  }
  const { index, count: k } = compact(chosen);
  const m = x.rows;
  if (k < 2 || k > m - 1) throw new RangeError(`silhouetteScore: ${k} clusters among ${m} samples; it needs 2 ≤ clusters ≤ samples − 1`);
  const mode = options.mode ?? (m * m * x.cols <= 5e7 ? 'exact' : 'engine');
  const sums = mode === 'exact' ? clusterDistanceSumsExact(x, index, k) : clusterDistanceSumsEngine(x, index, k);
  const sizes = new Float64Array(k);
  for (const c of index) sizes[c]++;
  let total = 0;
  for (let i = 0; i < m; i++) {
    const own = index[i];
    if (sizes[own] <= 1) continue;
    const a = sums[i * k + own] / (sizes[own] - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) if (c !== own) b = Math.min(b, sums[i * k + c] / sizes[c]);
    const s = (b - a) / Math.max(a, b);
    total += Number.isFinite(s) ? s : 0;
  }
  return total / m;
}

/**
 * Trustworthiness of a low-dimensional layout y of the rows of x (Venna & Kaski; scikit-learn's
 * sklearn.manifold.trustworthiness): 1 − 2 / (n k (2n − 3k − 1)) · Σ_i Σ_{j among i's k nearest in y} max(0, r(i, j) − k),
 * with r(i, j) the rank of j among i's neighbours in x (1 = nearest). 1 when every layout neighbour is a true one.
 * Euclidean in float64, O(n² log n): for up to a few thousand points.
 */
export function trustworthiness(x: Matrix, y: Matrix, k = 5): number {
  const n = x.rows;
  if (y.rows !== n) throw new RangeError(`trustworthiness: ${y.rows} layout rows for ${n} points`);
  if (!(k >= 1 && k < n / 2)) throw new RangeError(`trustworthiness: k must be in [1, n/2), got ${k} for ${n} points`);
  const dist = (m: Matrix, i: number, j: number) => {
    let s = 0;
    for (let c = 0; c < m.cols; c++) s += (m.data[i * m.cols + c] - m.data[j * m.cols + c]) ** 2;
    return s;
  };
  const others = (m: Matrix, i: number) => {
    const d = new Float64Array(n);
    for (let j = 0; j < n; j++) d[j] = j === i ? Number.POSITIVE_INFINITY : dist(m, i, j);
    return Array.from({ length: n }, (_, j) => j).sort((a, b) => d[a] - d[b] || a - b);
  };
  const rank = new Int32Array(n);
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    others(x, i).forEach((j, r) => (rank[j] = r + 1));
    const near = others(y, i);
    for (let t = 0; t < k; t++) penalty += Math.max(0, rank[near[t]] - k);
  }
  return 1 - (penalty * 2) / (n * k * (2 * n - 3 * k - 1));
}
