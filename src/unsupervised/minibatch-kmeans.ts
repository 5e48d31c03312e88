/**
 * Mini-batch k-means (Sculley 2010, as scikit-learn's MiniBatchKMeans): each step assigns a random batch to its nearest
 * centres and moves every centre to the running mean of all points it has been given so far (per-centre learning rate
 * 1/count). Initialisation: k-means++ on `nInit` random subsets of `initSize` points, keeping the one with the lowest
 * inertia on another subset. Stops after maxIter passes' worth of steps, or when the smoothed batch inertia has not
 * improved for maxNoImprovement steps. Unlike scikit-learn, centres with few points are not randomly reassigned.
 *
 * @example
 *   const r = miniBatchKMeans(x, { k: 10, batchSize: 1024, seed: 0 }); // r.labels, r.inertia over all of x
 */
import { Generator } from '../tensor/random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { assignPass, type CentreSet, nearestCentres } from './assign.ts';
import { kmeansPlusPlus } from './kmeans-init.ts';
import type { KMeansResult } from './kmeans.ts';
import { restartGenerators } from './kmeans.ts';
import { asMatrix, gatherRows, type Matrix, rowSquaredNorms } from './matrix.ts';

export interface MiniBatchKMeansOptions {
  k: number;
  /** Points per step (default 1024). */
  batchSize?: number;
  /** Passes over the data at most, counted in steps of batchSize (default 100). */
  maxIter?: number;
  /** Initialisations tried (default 3). */
  nInit?: number;
  /** Points per initialisation subset (default 3 × batchSize, at least k). */
  initSize?: number;
  /** Steps without improvement of the smoothed inertia before stopping (default 10). */
  maxNoImprovement?: number;
  seed?: number;
}

function sampleIndices(gen: Generator, n: number, count: number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = gen.int(0, n);
  return out;
}

export function miniBatchKMeans(input: Tensor | Matrix, options: MiniBatchKMeansOptions): KMeansResult {
  const x = asMatrix(input, 'miniBatchKMeans: data');
  const { k } = options;
  const n = x.rows;
  const d = x.cols;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`miniBatchKMeans: k must be a positive integer, got ${k}`);
  if (n < k) throw new RangeError(`miniBatchKMeans: ${n} samples cannot form ${k} clusters`);
  const batchSize = Math.min(n, options.batchSize ?? 1024);
  const initSize = Math.min(n, Math.max(k, options.initSize ?? 3 * batchSize));
  const nInit = options.nInit ?? 3;
  const maxSteps = Math.ceil(((options.maxIter ?? 100) * n) / batchSize);
  const maxNoImprovement = options.maxNoImprovement ?? 10;
  const gen = new Generator(options.seed ?? 0);

  // Initialisation: k-means++ on random subsets, scored on one validation subset.
  const validation = gatherRows(x, sampleIndices(gen, n, initSize));
  const validationNorms = rowSquaredNorms(validation);
  let centres: Float32Array = new Float32Array(0);
  let bestInit = Number.POSITIVE_INFINITY;
  const initGens = restartGenerators(gen.nextUint32(), nInit);
  for (let r = 0; r < nInit; r++) {
    const subset = gatherRows(x, sampleIndices(gen, n, initSize));
    const [c] = kmeansPlusPlus(subset, rowSquaredNorms(subset), k, [initGens[r]]);
    const score = nearestCentres(validation, c, k, validationNorms).inertia;
    if (score < bestInit) {
      bestInit = score;
      centres = c;
    }
  }

  const counts = new Float64Array(k);
  const batch = new Float32Array(batchSize * d);
  const set: CentreSet = { centres, labels: new Int32Array(batchSize), distances: new Float32Array(batchSize) };
  const alpha = Math.min(1, (2 * batchSize) / (n + 1));
  let ewa = Number.NaN;
  let ewaBest = Number.POSITIVE_INFINITY;
  let noImprovement = 0;
  let step = 0;
  for (; step < maxSteps; step++) {
    const m = gatherRows(x, sampleIndices(gen, n, batchSize), batch);
    set.labels.fill(-1);
    const pass = assignPass(m, rowSquaredNorms(m), [set], k, ['full']);
    const sums = set.sums!;
    const got = set.counts!;
    for (let j = 0; j < k; j++) {
      if (got[j] === 0) continue;
      const total = counts[j] + got[j];
      const keep = counts[j] / total;
      for (let c = 0; c < d; c++) centres[j * d + c] = centres[j * d + c] * keep + sums[j * d + c] / total;
      counts[j] = total;
    }
    const batchInertia = pass.inertia[0] / batchSize;
    ewa = Number.isNaN(ewa) ? batchInertia : ewa * (1 - alpha) + batchInertia * alpha;
    if (ewa < ewaBest) {
      ewaBest = ewa;
      noImprovement = 0;
    } else if (++noImprovement >= maxNoImprovement) {
      step++;
      break;
    }
  }
  const final = nearestCentres(x, centres, k);
  return {
    centres,
    labels: final.labels,
    distances: final.distances,
    inertia: final.inertia,
    nIter: step,
    restarts: [{ inertia: final.inertia, nIter: step, converged: step < maxSteps }],
  };
}
