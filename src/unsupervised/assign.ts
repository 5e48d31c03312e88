/**
 * The k-means assignment pass shared by Lloyd, mini-batch k-means and predict: for several centre sets at once
 * (one per restart), the nearest centre of every point, and optionally the per-cluster sums of the points.
 *
 * Squared distances are ‖x‖² − 2·x·c + ‖c‖²: the x·c term for every point and every centre of every restart is one
 * SGEMM per chunk of rows (X_chunk · Cᵀ, width restarts × k), so the 784-d work runs in the native kernel and stays
 * compute-bound even for k = 10. The argmin over k per point is a short TypeScript loop over that product; the
 * cluster sums are a second SGEMM (Hᵀ · X_chunk with H the one-hot assignment), accumulated over chunks.
 */
import { gemm, type Matrix, ROW_CHUNK, rowSquaredNorms } from './matrix.ts';

/** One centre set in a pass: its centres (k × d), and the per-point outputs the pass writes. */
export interface CentreSet {
  centres: Float32Array;
  /** Nearest centre per point (written). */
  labels: Int32Array;
  /** Squared distance to that centre, clipped at 0 (written). */
  distances: Float32Array;
}

export interface PassResult {
  /** Σ of the squared distances per set (float64). */
  inertia: Float64Array;
  /** How many labels differ from what `labels` held before the pass, per set. */
  changed: Int32Array;
  /** Per set: Σ of the points assigned to each cluster (k × d), when sums were asked for. */
  sums: Float32Array[];
  /** Per set: points per cluster. */
  counts: Int32Array[];
}

/**
 * Assigns every row of x to its nearest centre in each set. `withSums[s]` asks for set s's cluster sums and counts.
 * xNorms are the rows' squared norms (rowSquaredNorms(x)), computed once by the caller.
 */
export function assignPass(x: Matrix, xNorms: Float32Array, sets: CentreSet[], k: number, withSums: boolean[]): PassResult {
  const d = x.cols;
  const nSets = sets.length;
  const width = nSets * k;
  const stacked = new Float32Array(width * d);
  for (let s = 0; s < nSets; s++) stacked.set(sets[s].centres, s * k * d);
  const cNorms = rowSquaredNorms({ data: stacked, rows: width, cols: d });
  const anySums = withSums.some(Boolean);
  const sumsStacked = anySums ? new Float32Array(width * d) : null;
  const counts = sets.map(() => new Int32Array(k));
  const inertia = new Float64Array(nSets);
  const changed = new Int32Array(nSets);
  const chunk = Math.max(1, Math.min(x.rows, ROW_CHUNK));
  const products = new Float32Array(chunk * width);
  const oneHot = anySums ? new Float32Array(chunk * width) : null;
  for (let r0 = 0; r0 < x.rows; r0 += chunk) {
    const rows = Math.min(chunk, x.rows - r0);
    const block = x.data.subarray(r0 * d, (r0 + rows) * d);
    gemm(block, stacked, products, { m: rows, n: width, k: d, transB: true });
    if (oneHot) oneHot.fill(0, 0, rows * width);
    for (let s = 0; s < nSets; s++) {
      const { labels, distances } = sets[s];
      const off = s * k;
      const count = counts[s];
      const sums = withSums[s];
      let acc = 0;
      let moved = 0;
      for (let i = 0; i < rows; i++) {
        const g = i * width + off;
        let best = 0;
        let bestValue = cNorms[off] - 2 * products[g];
        for (let j = 1; j < k; j++) {
          const v = cNorms[off + j] - 2 * products[g + j];
          if (v < bestValue) {
            bestValue = v;
            best = j;
          }
        }
        const p = r0 + i;
        const dist = Math.max(0, xNorms[p] + bestValue);
        distances[p] = dist;
        acc += dist;
        if (labels[p] !== best) moved++;
        labels[p] = best;
        if (sums) {
          oneHot![g + best] = 1;
          count[best]++;
        }
      }
      inertia[s] += acc;
      changed[s] += moved;
    }
    if (oneHot && sumsStacked) gemm(oneHot, block, sumsStacked, { m: width, n: d, k: rows, transA: true, accumulate: true });
  }
  const sums = sets.map((_, s) => (sumsStacked && withSums[s] ? sumsStacked.subarray(s * k * d, (s + 1) * k * d) : new Float32Array(0)));
  return { inertia, changed, sums, counts };
}

/** Nearest centre of every row of x (and the squared distance), for one centre set. */
export function nearestCentres(
  x: Matrix,
  centres: Float32Array,
  k: number,
  xNorms = rowSquaredNorms(x),
): { labels: Int32Array; distances: Float32Array; inertia: number } {
  const set = { centres, labels: new Int32Array(x.rows).fill(-1), distances: new Float32Array(x.rows) };
  const r = assignPass(x, xNorms, [set], k, [false]);
  return { labels: set.labels, distances: set.distances, inertia: r.inertia[0] };
}
