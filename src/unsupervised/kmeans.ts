/**
 * k-means clustering (Lloyd's algorithm) with k-means++ initialisation and `nInit` restarts, keeping the restart with
 * the lowest inertia — scikit-learn's `KMeans` algorithm, on the engine.
 *
 * All restarts iterate together. The first step (and every FULL_PASS_EVERY-th, and the last) is one assignment pass
 * (src/unsupervised/assign.ts) over the data for every restart that needs it, so the GEMMs are nInit·k wide; in
 * between, Hamerly's bounds (src/unsupervised/kmeans-bounds.ts) leave only the points that may have changed centre
 * to measure, which after the first few steps is a small fraction of them. The labels are those of plain Lloyd. A restart stops as scikit-learn's does: when no label changes (strict convergence),
 * or when the squared centre shift falls to tol × the mean feature variance (then one more assignment pass gives the
 * labels and inertia of the final centres), or after maxIter steps.
 *
 * @example
 *   const km = new KMeans({ k: 10, nInit: 10, seed: 0 }).fit(x); // x: Tensor [n, d]
 *   km.labels;        // Int32Array(n)
 *   km.inertia;       // Σ squared distance to the nearest centre
 *   km.predict(xNew); // nearest centre of new points
 */
import { Generator } from '../tensor/random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { assignPass, type CentreSet, nearestCentres, type SumsMode } from './assign.ts';
import { type Bounds, boundedPass, boundsFromPass } from './kmeans-bounds.ts';
import { kmeansPlusPlus, randomRows } from './kmeans-init.ts';
import { asMatrix, columnMeans, type Matrix, matrixTensor, rowSquaredNorms } from './matrix.ts';

export type KMeansInit = 'k-means++' | 'random';

export interface KMeansOptions {
  /** Number of clusters. */
  k: number;
  /** Restarts from different initial centres; the lowest inertia wins (default 10, like scikit-learn before 1.4). */
  nInit?: number;
  /** Lloyd steps per restart at most (default 300). */
  maxIter?: number;
  /** Convergence when the squared centre shift ≤ tol × mean feature variance (default 1e-4, scikit-learn's). */
  tol?: number;
  /** 'k-means++' (default), 'random' rows, or explicit k × d initial centres (then nInit is 1). */
  init?: KMeansInit | Float32Array;
  /** Seed of the initialisation (default 0). */
  seed?: number;
  /** Skip points by Hamerly's bounds between full passes (default true; false measures every point every step). */
  bounds?: boolean;
  /** Called after every Lloyd step with how many restarts are still running. */
  onStep?: (info: { step: number; running: number; bestInertia: number }) => void;
}

/** What one restart ended with. */
export interface RestartSummary {
  inertia: number;
  nIter: number;
  converged: boolean;
}

export interface KMeansResult {
  /** k × d centres of the best restart. */
  centres: Float32Array;
  labels: Int32Array;
  /** Squared distance of each point to its centre. */
  distances: Float32Array;
  inertia: number;
  nIter: number;
  restarts: RestartSummary[];
}

interface Restart extends CentreSet {
  phase: 'running' | 'finishing' | 'done';
  /** Hamerly bounds, valid for the centres of the last assignment (null before the first full pass). */
  bounds: Bounds | null;
  /** How far each centre moved in the last update (distance units). */
  shift: Float64Array | null;
  inertia: number;
  nIter: number;
  converged: boolean;
}

/** Generators for each restart, derived from one seed so restart r is the same whatever nInit is. */
export function restartGenerators(seed: number, count: number): Generator[] {
  const master = new Generator(seed);
  return Array.from({ length: count }, () => new Generator(master.nextUint32()));
}

/** Mean over features of the per-feature variance (scikit-learn scales tol by it), from the row norms and column means. */
export function meanFeatureVariance(x: Matrix, xNorms: Float32Array): number {
  let total = 0;
  for (let i = 0; i < x.rows; i++) total += xNorms[i];
  const mean = columnMeans(x);
  let meanNorm = 0;
  for (let j = 0; j < x.cols; j++) meanNorm += mean[j] * mean[j];
  return Math.max(0, total / x.rows - meanNorm) / x.cols;
}

/**
 * Moves each empty cluster onto the point farthest from its current centre (scikit-learn's relocation), taking that
 * point out of its old cluster's sum and relabelling it, so sums, counts and labels stay consistent for 'delta' passes.
 */
function relocateEmpty(x: Matrix, set: CentreSet, sums: Float32Array, counts: Int32Array, k: number): number[] {
  const empty: number[] = [];
  const moved: number[] = [];
  for (let j = 0; j < k; j++) if (counts[j] === 0) empty.push(j);
  if (empty.length === 0) return moved;
  const d = x.cols;
  const order = Array.from({ length: x.rows }, (_, i) => i).sort((a, b) => set.distances[b] - set.distances[a]);
  let next = 0;
  for (const target of empty) {
    // The farthest point whose cluster keeps at least one other point.
    while (next < order.length && counts[set.labels[order[next]]] <= 1) next++;
    if (next >= order.length) return moved;
    const p = order[next++];
    moved.push(p);
    const from = set.labels[p];
    const row = x.data.subarray(p * d, (p + 1) * d);
    for (let c = 0; c < d; c++) sums[from * d + c] -= row[c];
    counts[from]--;
    sums.set(row, target * d);
    counts[target] = 1;
    set.labels[p] = target;
  }
  return moved;
}

/**
 * Lloyd steps between full passes (fresh cluster sums, exact bounds); in between, Hamerly's bounds skip the points that
 * cannot have moved and the sums follow the changed points.
 */
const FULL_PASS_EVERY = 20;

/**
 * Runs k-means on the rows of x. See the file header for the algorithm and KMeansOptions for the defaults.
 * @example
 *   const { labels, centres, inertia } = kmeans(x, { k: 10, nInit: 10, seed: 0 });
 */
export function kmeans(input: Tensor | Matrix, options: KMeansOptions): KMeansResult {
  const x = asMatrix(input, 'kmeans: data');
  const { k } = options;
  const explicit = options.init instanceof Float32Array ? options.init : null;
  const nInit = explicit ? 1 : (options.nInit ?? 10);
  const maxIter = options.maxIter ?? 300;
  const tol = options.tol ?? 1e-4;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`kmeans: k must be a positive integer, got ${k}`);
  if (x.rows < k) throw new RangeError(`kmeans: ${x.rows} samples cannot form ${k} clusters; use k ≤ ${x.rows}`);
  if (!Number.isInteger(nInit) || nInit < 1) throw new RangeError(`kmeans: nInit must be a positive integer, got ${nInit}`);
  if (explicit && explicit.length !== k * x.cols) throw new RangeError(`kmeans: init has ${explicit.length} values, expected k × d = ${k * x.cols}`);

  const xNorms = rowSquaredNorms(x);
  const tolAbs = tol * meanFeatureVariance(x, xNorms);
  const gens = restartGenerators(options.seed ?? 0, nInit);
  const starts = explicit ? [explicit.slice()] : options.init === 'random' ? randomRows(x, k, gens) : kmeansPlusPlus(x, xNorms, k, gens);
  const restarts: Restart[] = starts.map((centres) => ({
    centres,
    labels: new Int32Array(x.rows).fill(-1),
    distances: new Float32Array(x.rows),
    phase: maxIter > 0 ? 'running' : 'finishing',
    inertia: Number.POSITIVE_INFINITY,
    nIter: 0,
    converged: false,
    bounds: null,
    shift: null,
  }));

  const d = x.cols;
  const n = x.rows;
  const useBounds = options.bounds ?? true;
  for (let step = 1; ; step++) {
    const active = restarts.filter((r) => r.phase !== 'done');
    if (active.length === 0) break;
    // A full pass (all restarts that need one stacked into one SGEMM) on the first step, every FULL_PASS_EVERY steps
    // (fresh sums and tight bounds) and to finish; in between, each restart measures only what its bounds cannot rule out.
    const full = active.filter((r) => r.phase === 'finishing' || !r.bounds || !useBounds || r.nIter % FULL_PASS_EVERY === 0);
    const modes: SumsMode[] = full.map((r) => (r.phase === 'running' ? 'full' : 'none'));
    for (const r of full) if (r.phase === 'running') r.second ??= new Float32Array(n);
    const pass = full.length > 0 ? assignPass(x, xNorms, full, k, modes) : null;
    const changed = new Map<Restart, number>();
    full.forEach((r, s) => {
      r.inertia = pass!.inertia[s];
      changed.set(r, pass!.changed[s]);
      if (r.phase === 'running') r.bounds = boundsFromPass(xNorms, r.distances, r.second!, r.centres, k, d, r.bounds ?? undefined);
    });
    for (const r of active) {
      if (full.includes(r)) continue;
      const b = boundedPass(x, xNorms, r, r.bounds!, r.shift!, k);
      changed.set(r, b.changed);
    }
    for (const r of active) {
      if (r.phase === 'finishing') {
        r.phase = 'done';
        continue;
      }
      r.nIter++;
      const sums = r.sums!;
      const counts = r.counts!;
      if (counts.some((c) => c === 0)) {
        // Relocation wants each point's distance; between full passes the upper bounds stand in for it.
        if (!full.includes(r)) for (let i = 0; i < n; i++) r.distances[i] = r.bounds!.upper[i] * r.bounds!.upper[i];
        for (const p of relocateEmpty(x, r, sums, counts, k)) r.bounds!.upper[p] = Number.POSITIVE_INFINITY;
      }
      const shift = (r.shift ??= new Float64Array(k));
      let total = 0;
      for (let j = 0; j < k; j++) {
        const inv = 1 / counts[j];
        let moved = 0;
        for (let c = 0; c < d; c++) {
          const v = sums[j * d + c] * inv;
          const delta = v - r.centres[j * d + c];
          moved += delta * delta;
          r.centres[j * d + c] = v;
        }
        // Widened by a float32 ulp of the centre so the bounds stay safe.
        shift[j] = Math.sqrt(moved) * (1 + 1e-6) + 1e-7;
        total += moved;
      }
      const same = changed.get(r) === 0;
      if (same) {
        // Same labels as the step before: the new means are the old centres. A full pass's inertia is final.
        r.phase = full.includes(r) ? 'done' : 'finishing';
        r.converged = true;
      } else if (total <= tolAbs) {
        r.phase = 'finishing';
        r.converged = true;
      } else if (r.nIter >= maxIter) r.phase = 'finishing';
    }
    const best = Math.min(...restarts.map((r) => r.inertia));
    options.onStep?.({ step, running: restarts.filter((r) => r.phase !== 'done').length, bestInertia: best });
  }

  let best = restarts[0];
  for (const r of restarts) if (r.inertia < best.inertia) best = r;
  return {
    centres: best.centres,
    labels: best.labels,
    distances: best.distances,
    inertia: best.inertia,
    nIter: best.nIter,
    restarts: restarts.map((r) => ({ inertia: r.inertia, nIter: r.nIter, converged: r.converged })),
  };
}

/** scikit-learn-style estimator around kmeans(): fit, then labels / centres / inertia / predict. */
export class KMeans {
  readonly options: KMeansOptions;
  private result: KMeansResult | null = null;
  private dims = 0;

  constructor(options: KMeansOptions) {
    this.options = { ...options };
  }

  fit(x: Tensor | Matrix): this {
    const m = asMatrix(x, 'KMeans.fit: data');
    this.result = kmeans(m, this.options);
    this.dims = m.cols;
    return this;
  }

  private fitted(what: string): KMeansResult {
    if (!this.result) throw new Error(`KMeans.${what}: call fit(x) first`);
    return this.result;
  }

  /** k × d centres as a Tensor. */
  get clusterCenters(): Tensor {
    return matrixTensor({ data: this.fitted('clusterCenters').centres, rows: this.options.k, cols: this.dims });
  }

  get labels(): Int32Array {
    return this.fitted('labels').labels;
  }

  get inertia(): number {
    return this.fitted('inertia').inertia;
  }

  get nIter(): number {
    return this.fitted('nIter').nIter;
  }

  get restarts(): RestartSummary[] {
    return this.fitted('restarts').restarts;
  }

  /** Nearest centre of each row of x. */
  predict(x: Tensor | Matrix): Int32Array {
    const m = asMatrix(x, 'KMeans.predict: data');
    if (m.cols !== this.dims) throw new RangeError(`KMeans.predict: data has ${m.cols} features, the model was fitted on ${this.dims}`);
    return nearestCentres(m, this.fitted('predict').centres, this.options.k).labels;
  }
}
