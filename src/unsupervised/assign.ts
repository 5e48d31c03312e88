/**
 * The k-means assignment pass shared by Lloyd, mini-batch k-means and predict: for several centre sets at once
 * (one per restart), the nearest centre of every point, and optionally the per-cluster sums of the points.
 *
 * Squared distances are ‖x‖² − 2·x·c + ‖c‖²: the x·c term for every point and every centre of every restart is one
 * SGEMM per chunk of rows (X_chunk · Cᵀ, width restarts × k), so the 784-d work runs in the native kernel and stays
 * compute-bound even for k = 10. The argmin over k per point is a short TypeScript loop over that product; the
 * cluster sums are a second SGEMM (Uᵀ · X_rows with U the ±1 one-hot change of assignment), accumulated over chunks.
 */
import { gemm, type Matrix, ROW_CHUNK, rowSquaredNorms } from './matrix.ts';

/**
 * How a pass maintains a set's cluster sums: 'none' leaves them; 'full' recomputes them from every point; 'delta'
 * updates them from the points whose label changed (+x to the new cluster, −x from the old), which after the first
 * few Lloyd steps is a small fraction of the data, so the second GEMM shrinks with it.
 */
export type SumsMode = 'none' | 'full' | 'delta';

/** One centre set in a pass: its centres (k × d), and the per-point state the pass reads and writes. */
export interface CentreSet {
  centres: Float32Array;
  /** Nearest centre per point (read as the previous labels, then written; −1 = none yet). */
  labels: Int32Array;
  /** Squared distance to that centre, clipped at 0 (written). */
  distances: Float32Array;
  /** Σ of the points of each cluster (k × d), kept across passes in 'delta' mode. */
  sums?: Float32Array;
  /** Points per cluster, kept with sums. */
  counts?: Int32Array;
  /** When present, written with the squared distance to the second-nearest centre (the Hamerly lower bound). */
  second?: Float32Array;
}

export interface PassResult {
  /** Σ of the squared distances per set (float64). */
  inertia: Float64Array;
  /** How many labels differ from what `labels` held before the pass, per set. */
  changed: Int32Array;
}

/**
 * Assigns every row of x to its nearest centre in each set, and maintains each set's sums and counts as `modes` says.
 * xNorms are the rows' squared norms (rowSquaredNorms(x)), computed once by the caller.
 */
export function assignPass(x: Matrix, xNorms: Float32Array, sets: CentreSet[], k: number, modes: SumsMode[]): PassResult {
  const d = x.cols;
  const nSets = sets.length;
  const width = nSets * k;
  const stacked = new Float32Array(width * d);
  for (let s = 0; s < nSets; s++) stacked.set(sets[s].centres, s * k * d);
  const cNorms = rowSquaredNorms({ data: stacked, rows: width, cols: d });
  const anySums = modes.some((m) => m !== 'none');
  const sumsStacked = anySums ? new Float32Array(width * d) : null;
  for (let s = 0; s < nSets; s++) {
    const set = sets[s];
    if (modes[s] === 'none') continue;
    if (modes[s] === 'full' || !set.sums || !set.counts) {
      modes[s] = 'full';
      set.sums = new Float32Array(k * d);
      set.counts = new Int32Array(k);
    } else sumsStacked!.set(set.sums, s * k * d);
  }
  const inertia = new Float64Array(nSets);
  const changed = new Int32Array(nSets);
  const chunk = Math.max(1, Math.min(x.rows, ROW_CHUNK));
  const products = new Float32Array(chunk * width);
  // The ±1 entries of this chunk's sum update: (row in chunk, column of the stacked sums, value).
  const maxEntries = anySums ? chunk * nSets * 2 : 0;
  const entryRow = new Int32Array(maxEntries);
  const entryCol = new Int32Array(maxEntries);
  const entryVal = new Float32Array(maxEntries);
  const rowSlot = anySums ? new Int32Array(chunk) : null;
  const update = anySums ? new Float32Array(chunk * width) : null;
  const gathered = anySums ? new Float32Array(chunk * d) : null;
  for (let r0 = 0; r0 < x.rows; r0 += chunk) {
    const rows = Math.min(chunk, x.rows - r0);
    const block = x.data.subarray(r0 * d, (r0 + rows) * d);
    gemm(block, stacked, products, { m: rows, n: width, k: d, transB: true });
    let entries = 0;
    for (let s = 0; s < nSets; s++) {
      const { labels, distances } = sets[s];
      const off = s * k;
      const mode = modes[s];
      const counts = sets[s].counts;
      const second = sets[s].second;
      let acc = 0;
      let moved = 0;
      for (let i = 0; i < rows; i++) {
        const g = i * width + off;
        let best = 0;
        let bestValue = cNorms[off] - 2 * products[g];
        let nextValue = Number.POSITIVE_INFINITY;
        for (let j = 1; j < k; j++) {
          const v = cNorms[off + j] - 2 * products[g + j];
          if (v < bestValue) {
            nextValue = bestValue;
            bestValue = v;
            best = j;
          } else if (v < nextValue) nextValue = v;
        }
        const p = r0 + i;
        if (second) second[p] = Math.max(0, xNorms[p] + nextValue);
        const dist = Math.max(0, xNorms[p] + bestValue);
        distances[p] = dist;
        acc += dist;
        const old = labels[p];
        if (old !== best) moved++;
        labels[p] = best;
        if (mode === 'none' || (mode === 'delta' && old === best)) continue;
        entryRow[entries] = i;
        entryCol[entries] = off + best;
        entryVal[entries++] = 1;
        counts![best]++;
        if (mode === 'delta' && old >= 0) {
          entryRow[entries] = i;
          entryCol[entries] = off + old;
          entryVal[entries++] = -1;
          counts![old]--;
        }
      }
      inertia[s] += acc;
      changed[s] += moved;
    }
    if (entries === 0 || !sumsStacked || !rowSlot || !update || !gathered) continue;
    // The rows that contribute, gathered when they are few; the whole block when most rows do.
    rowSlot.fill(-1, 0, rows);
    let touched = 0;
    for (let e = 0; e < entries; e++) if (rowSlot[entryRow[e]] < 0) rowSlot[entryRow[e]] = touched++;
    const direct = touched * 2 > rows;
    const m = direct ? rows : touched;
    update.fill(0, 0, m * width);
    for (let e = 0; e < entries; e++) update[(direct ? entryRow[e] : rowSlot[entryRow[e]]) * width + entryCol[e]] += entryVal[e];
    let source = block;
    if (!direct) {
      for (let i = 0; i < rows; i++) if (rowSlot[i] >= 0) gathered.set(block.subarray(i * d, (i + 1) * d), rowSlot[i] * d);
      source = gathered.subarray(0, touched * d);
    }
    gemm(update, source, sumsStacked, { m: width, n: d, k: m, transA: true, accumulate: true });
  }
  for (let s = 0; s < nSets; s++) if (modes[s] !== 'none' && sumsStacked) sets[s].sums!.set(sumsStacked.subarray(s * k * d, (s + 1) * k * d));
  return { inertia, changed };
}

/** Nearest centre of every row of x (and the squared distance), for one centre set. */
export function nearestCentres(
  x: Matrix,
  centres: Float32Array,
  k: number,
  xNorms = rowSquaredNorms(x),
): { labels: Int32Array; distances: Float32Array; inertia: number } {
  const set = { centres, labels: new Int32Array(x.rows).fill(-1), distances: new Float32Array(x.rows) };
  const r = assignPass(x, xNorms, [set], k, ['none']);
  return { labels: set.labels, distances: set.distances, inertia: r.inertia[0] };
}
