/**
 * Hamerly's bounds for Lloyd's k-means (Hamerly 2010, "Making k-means even faster"): the same assignments as a full
 * pass, while most points are never measured again once the centres settle.
 *
 * Per point: an upper bound u on the distance to its centre and a lower bound l on the distance to every other
 * centre. After the centres move by δ_j, u += δ_own and l −= max_{j ≠ own} δ_j. A point whose u ≤ max(l, s_own)
 * (s_j = half the distance from centre j to its nearest other centre) cannot have changed centre, so only the others
 * are measured, by the backend's kmeansAssign kernel (Σ (x − c)² against the k centres, nearest and second-nearest),
 * which also gives their new bounds. The cluster sums move by two scatter-adds of the changed rows (embeddingBackward).
 *
 * Distances carry float32 rounding (the GEMM form of a full pass an absolute error of a few ulps of ‖x‖² + ‖c‖²), so
 * the bounds are widened by that much: a point that is a near-tie is measured again rather than trusted.
 */
import type { CentreSet } from './assign.ts';
import { backend } from '../backend/index.ts';
import type { Matrix } from './matrix.ts';

/** Per-point bounds of one restart, in distance units (not squared). */
export interface Bounds {
  upper: Float32Array;
  lower: Float32Array;
}

/** Relative slack on squared distances for float32 rounding in the GEMM form (≈ 64 ulps). */
const SLACK = 64 * 2 ** -23;
/** Widening of the kernel's directly summed distances (a few hundred ulps of relative error at d = 784). */
const UP = 1 + 1e-5;
const DOWN = 1 - 1e-5;

/** Bounds from a full pass's squared distances to the nearest and the second-nearest centre. */
export function boundsFromPass(
  xNorms: Float32Array,
  nearest: Float32Array,
  second: Float32Array,
  centres: Float32Array,
  k: number,
  d: number,
  out?: Bounds,
): Bounds {
  const n = xNorms.length;
  const b = out ?? { upper: new Float32Array(n), lower: new Float32Array(n) };
  const cMax = maxNorm(centres, k, d);
  for (let i = 0; i < n; i++) {
    const e = SLACK * (xNorms[i] + cMax);
    b.upper[i] = Math.sqrt(nearest[i] + e);
    b.lower[i] = Math.sqrt(Math.max(0, second[i] - e));
  }
  return b;
}

function maxNorm(centres: Float32Array, k: number, d: number): number {
  let m = 0;
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += centres[j * d + c] * centres[j * d + c];
    if (s > m) m = s;
  }
  return m;
}

/** Half the distance from each centre to its nearest other centre (Hamerly's s). */
function halfGaps(centres: Float32Array, k: number, d: number): Float64Array {
  const s = new Float64Array(k).fill(Number.POSITIVE_INFINITY);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      let acc = 0;
      for (let c = 0; c < d; c++) {
        const v = centres[a * d + c] - centres[b * d + c];
        acc += v * v;
      }
      const h = Math.sqrt(acc) / 2;
      if (h < s[a]) s[a] = h;
      if (h < s[b]) s[b] = h;
    }
  }
  return s;
}

export interface BoundedPassResult {
  /** Labels that changed in this pass. */
  changed: number;
  /** Points measured (the rest were skipped by their bounds). */
  measured: number;
}

/**
 * One Lloyd assignment for one restart whose centres moved by `shift` (per centre, distance units) since the bounds
 * were last valid: loosens the bounds, measures the points that fail the test, relabels them and moves the cluster
 * sums and counts by their changes. `set.sums` and `set.counts` must hold the sums of the previous labels.
 */
export function boundedPass(x: Matrix, xNorms: Float32Array, set: CentreSet, bounds: Bounds, shift: Float64Array, k: number): BoundedPassResult {
  const d = x.cols;
  const n = x.rows;
  const { labels, centres } = set;
  const sums = set.sums!;
  const counts = set.counts!;
  let top = 0;
  let topIndex = -1;
  let nextTop = 0;
  for (let j = 0; j < k; j++) {
    if (shift[j] > top) {
      nextTop = top;
      top = shift[j];
      topIndex = j;
    } else if (shift[j] > nextTop) nextTop = shift[j];
  }
  const gaps = halfGaps(centres, k, d);
  const { upper, lower } = bounds;
  const candidates = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const own = labels[i];
    const u = (upper[i] += shift[own]);
    const l = (lower[i] -= own === topIndex ? nextTop : top);
    if (u > (l > gaps[own] ? l : gaps[own])) candidates[m++] = i;
  }
  if (m === 0) return { changed: 0, measured: 0 };

  const be = backend();
  const rows = candidates.subarray(0, m);
  const fresh = new Int32Array(m);
  const nearest = new Float32Array(m);
  const second = new Float32Array(m);
  be.kmeansAssign(x.data, n, d, centres, k, rows, fresh, nearest, second);
  const moved: number[] = [];
  for (let t = 0; t < m; t++) {
    const p = rows[t];
    upper[p] = Math.sqrt(nearest[t]) * UP;
    lower[p] = Math.sqrt(second[t]) * DOWN;
    if (fresh[t] !== labels[p]) moved.push(t);
  }
  if (moved.length > 0) {
    // Sums follow the changes: + the rows under their new labels, − under their old (scatter-adds on the engine).
    const block = new Float32Array(moved.length * d);
    const to = new Int32Array(moved.length);
    const from = new Int32Array(moved.length);
    moved.forEach((t, r) => {
      const p = rows[t];
      block.set(x.data.subarray(p * d, (p + 1) * d), r * d);
      to[r] = fresh[t];
      from[r] = labels[p];
      counts[fresh[t]]++;
      counts[labels[p]]--;
      labels[p] = fresh[t];
    });
    const added = new Float32Array(k * d);
    const removed = new Float32Array(k * d);
    be.embeddingBackward(block, to, k, d, added);
    be.embeddingBackward(block, from, k, d, removed);
    for (let i = 0; i < k * d; i++) sums[i] += added[i] - removed[i];
  }
  const changed = moved.length;
  return { changed, measured: m };
}
