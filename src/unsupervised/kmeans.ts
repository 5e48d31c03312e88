/**
 * k-means clustering (Lloyd's algorithm) with k-means++ initialisation and `nInit` restarts, keeping the restart with
 * the lowest inertia — scikit-learn's `KMeans` algorithm, on the engine.
 *
 * All restarts iterate together: each Lloyd step is one assignment pass (src/unsupervised/assign.ts) over the data
 * for every restart still running, so the data is read once per step however many restarts there are, and the GEMMs
 * are nInit·k wide instead of k. A restart stops as scikit-learn's does: when no label changes (strict convergence),
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
import { assignPass, type CentreSet, nearestCentres } from './assign.ts';
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
function relocateEmpty(x: Matrix, set: CentreSet, sums: Float32Array, counts: Int32Array, k: number): void {
  const empty: number[] = [];
  for (let j = 0; j < k; j++) if (counts[j] === 0) empty.push(j);
  if (empty.length === 0) return;
  const d = x.cols;
  const order = Array.from({ length: x.rows }, (_, i) => i).sort((a, b) => set.distances[b] - set.distances[a]);
  let next = 0;
  for (const target of empty) {
    // The farthest point whose cluster keeps at least one other point.
    while (next < order.length && counts[set.labels[order[next]]] <= 1) next++;
    if (next >= order.length) return;
    const p = order[next++];
    const from = set.labels[p];
    const row = x.data.subarray(p * d, (p + 1) * d);
    for (let c = 0; c < d; c++) sums[from * d + c] -= row[c];
    counts[from]--;
    sums.set(row, target * d);
    counts[target] = 1;
    set.labels[p] = target;
  }
}

/** Lloyd steps between full recomputations of the cluster sums (in between they follow the changed points). */
const FULL_SUMS_EVERY = 10;

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
  }));

  const d = x.cols;
  for (let step = 1; ; step++) {
    const active = restarts.filter((r) => r.phase !== 'done');
    if (active.length === 0) break;
    const pass = assignPass(
      x,
      xNorms,
      active,
      k,
      active.map((r) => (r.phase !== 'running' ? 'none' : r.nIter % FULL_SUMS_EVERY === 0 ? 'full' : 'delta')),
    );
    active.forEach((r, s) => {
      r.inertia = pass.inertia[s];
      if (r.phase === 'finishing') {
        r.phase = 'done';
        return;
      }
      r.nIter++;
      const sums = r.sums!;
      const counts = r.counts!;
      relocateEmpty(x, r, sums, counts, k);
      let shift = 0;
      for (let j = 0; j < k; j++) {
        const inv = 1 / counts[j];
        for (let c = 0; c < d; c++) {
          const v = sums[j * d + c] * inv;
          const delta = v - r.centres[j * d + c];
          shift += delta * delta;
          r.centres[j * d + c] = v;
        }
      }
      if (pass.changed[s] === 0) {
        // Same labels as the step before: the new means are the old centres, and this pass's inertia is final.
        r.phase = 'done';
        r.converged = true;
      } else if (shift <= tolAbs) {
        r.phase = 'finishing';
        r.converged = true;
      } else if (r.nIter >= maxIter) r.phase = 'finishing';
    });
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
