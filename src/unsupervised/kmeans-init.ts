/**
 * Initial centres for k-means: greedy k-means++ (scikit-learn's variant: at each step 2 + ⌊ln k⌋ candidates are drawn
 * with probability ∝ D(x)², and the one that lowers the potential most is kept) and uniform random points.
 *
 * Every restart gets its own seeded Generator, so restart r's centres do not depend on how many restarts run beside
 * it; the candidates of all restarts are scored together, one SGEMM per step.
 */
import type { Generator } from '../tensor/random.ts';
import { gatherRows, gemm, type Matrix, rowSquaredNorms } from './matrix.ts';

/** Squared distances from every row of x to each candidate row: out is rows × candidates.rows, clipped at 0. */
function distancesTo(x: Matrix, xNorms: Float32Array, candidates: Matrix, out: Float32Array): void {
  const w = candidates.rows;
  gemm(x.data, candidates.data, out, { m: x.rows, n: w, k: x.cols, transB: true });
  const cNorms = rowSquaredNorms(candidates);
  for (let i = 0; i < x.rows; i++) {
    const base = i * w;
    for (let j = 0; j < w; j++) {
      const v = xNorms[i] - 2 * out[base + j] + cNorms[j];
      out[base + j] = v > 0 ? v : 0;
    }
  }
}

/** First index whose cumulative sum reaches v (numpy.searchsorted, side 'left'), clipped to the last index. */
function searchSorted(cumulative: Float64Array, v: number): number {
  let lo = 0;
  let hi = cumulative.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, cumulative.length - 1);
}

/**
 * k-means++ centres (k × d each) for every generator in `gens` (one restart each).
 * @example
 *   const [centres] = kmeansPlusPlus(x, rowSquaredNorms(x), 10, [new Generator(0)]);
 */
export function kmeansPlusPlus(x: Matrix, xNorms: Float32Array, k: number, gens: Generator[]): Float32Array[] {
  const n = x.rows;
  const d = x.cols;
  const restarts = gens.length;
  const trials = 2 + Math.floor(Math.log(k));
  const centres = gens.map(() => new Float32Array(k * d));
  const closest = gens.map(() => new Float32Array(n));
  const potential = new Float64Array(restarts);

  const first = gens.map((g) => g.int(0, n));
  const firstD = new Float32Array(n * restarts);
  distancesTo(x, xNorms, gatherRows(x, first), firstD);
  for (let r = 0; r < restarts; r++) {
    centres[r].set(x.data.subarray(first[r] * d, (first[r] + 1) * d), 0);
    let pot = 0;
    for (let i = 0; i < n; i++) {
      closest[r][i] = firstD[i * restarts + r];
      pot += closest[r][i];
    }
    potential[r] = pot;
  }

  const width = restarts * trials;
  const candD = new Float32Array(n * width);
  const cumulative = new Float64Array(n);
  const ids = new Int32Array(width);
  for (let c = 1; c < k; c++) {
    for (let r = 0; r < restarts; r++) {
      let acc = 0;
      for (let i = 0; i < n; i++) cumulative[i] = acc += closest[r][i];
      for (let t = 0; t < trials; t++) ids[r * trials + t] = searchSorted(cumulative, gens[r].uniform() * potential[r]);
    }
    distancesTo(x, xNorms, gatherRows(x, ids), candD);
    for (let r = 0; r < restarts; r++) {
      const near = closest[r];
      let bestT = 0;
      let bestPot = Number.POSITIVE_INFINITY;
      for (let t = 0; t < trials; t++) {
        const col = r * trials + t;
        let pot = 0;
        for (let i = 0; i < n; i++) {
          const v = candD[i * width + col];
          pot += v < near[i] ? v : near[i];
        }
        if (pot < bestPot) {
          bestPot = pot;
          bestT = t;
        }
      }
      const col = r * trials + bestT;
      for (let i = 0; i < n; i++) {
        const v = candD[i * width + col];
        if (v < near[i]) near[i] = v;
      }
      potential[r] = bestPot;
      const id = ids[col];
      centres[r].set(x.data.subarray(id * d, (id + 1) * d), c * d);
    }
  }
  return centres;
}

/** k distinct rows chosen uniformly (a partial Fisher–Yates shuffle), as centres for each generator. */
export function randomRows(x: Matrix, k: number, gens: Generator[]): Float32Array[] {
  return gens.map((g) => {
    const order = Int32Array.from({ length: x.rows }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = g.int(i, x.rows);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return gatherRows(x, order.subarray(0, k)).data;
  });
}
