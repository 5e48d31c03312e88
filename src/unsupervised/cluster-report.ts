/**
 * One clustering run as `simmer cluster` and scripts/unsupervised-check.ts do it: optional PCA, k-means (full or
 * mini-batch), then the metrics that labels allow — timed per stage, as one plain-JSON report.
 *
 * @example
 *   const { x, labels } = await datasetMatrix(await loadDataset('fashion-mnist'));
 *   const report = clusterMatrix(x, labels, { k: 10, method: 'kmeans', nInit: 10, seed: 0 });
 *   formatClusterReport(report); // "k-means, k = 10, 60,000 × 784 … accuracy 0.5541 · NMI 0.5123 · ARI 0.3715"
 */
import { type AeArchitecture, aeKmeans, type AeKmeansOptions, type AeKmeansResult, DEFAULT_UMAP_DIMS } from './ae-cluster.ts';
import { kmeans } from './kmeans.ts';
import type { Matrix } from './matrix.ts';
import { adjustedRandIndex, clusteringAccuracy, normalizedMutualInfo, silhouetteScore } from './metrics.ts';
import { miniBatchKMeans } from './minibatch-kmeans.ts';
import { PCA } from './pca.ts';

export type ClusterMethod = 'kmeans' | 'minibatch' | 'ae-kmeans';
export const CLUSTER_METHODS: readonly ClusterMethod[] = ['kmeans', 'minibatch', 'ae-kmeans'];

export interface ClusterOptions {
  k: number;
  method: ClusterMethod;
  /** Reduce to this many principal components first (0 or absent: cluster the raw features). */
  pca?: number;
  nInit?: number;
  maxIter?: number;
  seed?: number;
  /** Points per mini-batch step. */
  batchSize?: number;
  /** Silhouette on a random subset of this many points (0: skip; it is O(n²)). */
  silhouetteSample?: number;
  onStep?: (info: { step: number; running: number; bestInertia: number }) => void;
  /** ae-kmeans: the autoencoder and UMAP stages (aeKmeans' options; k, nInit and seed come from above). */
  autoencoder?: Omit<AeKmeansOptions, 'k' | 'nInit' | 'seed'>;
}

export interface ClusterReport {
  method: ClusterMethod;
  k: number;
  samples: number;
  features: number;
  pca: { components: number; explainedVarianceRatio: number; seconds: number } | null;
  /** ae-kmeans: the autoencoder's code size, epochs and loss, the UMAP dimensions (0: none), and stage times. */
  autoencoder: {
    architecture: AeArchitecture;
    bottleneck: number;
    epochs: number;
    loss: { first: number; last: number };
    umapDims: number;
    umapSample: number;
    seconds: AeKmeansResult['seconds'];
  } | null;
  inertia: number;
  nIter: number;
  restarts: number;
  seconds: number;
  /** Present when the data had labels. */
  metrics: { accuracy: number; nmi: number; ari: number } | null;
  /** Mean silhouette over a sample, when asked for. */
  silhouette: { score: number; sampleSize: number } | null;
  labels: Int32Array;
}

export function clusterMatrix(x: Matrix, labels: Int32Array | null, o: ClusterOptions): ClusterReport {
  let data = x;
  let pca: ClusterReport['pca'] = null;
  if (o.pca && o.pca > 0) {
    const t = performance.now();
    const model = new PCA({ nComponents: o.pca, seed: o.seed }).fit(x);
    const z = model.transform(x);
    data = { data: z.f32, rows: x.rows, cols: o.pca };
    pca = { components: o.pca, explainedVarianceRatio: model.explainedVarianceRatio.reduce((s, v) => s + v, 0), seconds: (performance.now() - t) / 1000 };
  }
  if (o.method === 'ae-kmeans') throw new RangeError('ae-kmeans trains an autoencoder on images: call clusterImages with their shape');
  const t = performance.now();
  const r =
    o.method === 'minibatch'
      ? miniBatchKMeans(data, { k: o.k, seed: o.seed, batchSize: o.batchSize, maxIter: o.maxIter, nInit: o.nInit })
      : kmeans(data, { k: o.k, nInit: o.nInit, seed: o.seed, maxIter: o.maxIter, onStep: o.onStep });
  const seconds = (performance.now() - t) / 1000;
  return {
    method: o.method,
    k: o.k,
    samples: x.rows,
    features: x.cols,
    pca,
    autoencoder: null,
    inertia: r.inertia,
    nIter: r.nIter,
    restarts: r.restarts.length,
    seconds,
    ...scores(data, labels, r.labels, o),
    labels: r.labels,
  };
}

/**
 * clusterMatrix for images: `ae-kmeans` trains the autoencoder on them first (aeKmeans: codes, UMAP of the codes,
 * k-means); the other methods work on the pixels. The silhouette is taken in the space k-means saw.
 */
export async function clusterImages(x: Matrix, shape: [number, number, number], labels: Int32Array | null, o: ClusterOptions): Promise<ClusterReport> {
  if (o.method !== 'ae-kmeans') return clusterMatrix(x, labels, o);
  if (o.pca) throw new RangeError('ae-kmeans clusters the autoencoder codes; --pca applies to kmeans and minibatch only');
  const t = performance.now();
  const r = await aeKmeans(x, shape, { ...o.autoencoder, k: o.k, nInit: o.nInit, seed: o.seed });
  const umapDims = o.autoencoder?.umapDims ?? DEFAULT_UMAP_DIMS;
  return {
    method: o.method,
    k: o.k,
    samples: x.rows,
    features: x.cols,
    pca: null,
    autoencoder: {
      architecture: r.architecture,
      bottleneck: r.codes.cols,
      epochs: r.epochs,
      loss: r.loss,
      umapDims,
      umapSample: r.umapSample,
      seconds: r.seconds,
    },
    inertia: r.inertia,
    nIter: r.nIter,
    restarts: r.restarts,
    seconds: (performance.now() - t) / 1000,
    ...scores(r.clustered, labels, r.labels, o),
    labels: r.labels,
  };
}

function scores(data: Matrix, labels: Int32Array | null, assigned: Int32Array, o: ClusterOptions): Pick<ClusterReport, 'metrics' | 'silhouette'> {
  const metrics = labels
    ? { accuracy: clusteringAccuracy(labels, assigned).accuracy, nmi: normalizedMutualInfo(labels, assigned), ari: adjustedRandIndex(labels, assigned) }
    : null;
  const sampleSize = Math.min(o.silhouetteSample ?? 0, data.rows);
  const silhouette = sampleSize > o.k ? { score: silhouetteScore(data, assigned, { sampleSize, seed: o.seed }), sampleSize } : null;
  return { metrics, silhouette };
}

/** The report in a few human lines. */
export function formatClusterReport(r: ClusterReport): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const kmeansName = `k-means (k-means++, ${r.restarts} restart${r.restarts === 1 ? '' : 's'})`;
  const name = r.method === 'minibatch' ? 'mini-batch k-means' : r.method === 'ae-kmeans' ? `autoencoder + ${kmeansName}` : kmeansName;
  const lines = [`${name}, k = ${r.k}, ${n(r.samples)} × ${n(r.features)}`];
  const a = r.autoencoder;
  if (a) {
    lines.push(
      `${a.architecture === 'dense' ? 'dense' : 'convolutional'} autoencoder to ${a.bottleneck}-d codes: ${a.epochs} epoch${a.epochs === 1 ? '' : 's'}, loss ${a.loss.first.toFixed(2)} → ${a.loss.last.toFixed(2)}, ${a.seconds.train.toFixed(1)} s (encoding ${a.seconds.encode.toFixed(1)} s)`,
    );
    if (a.umapDims > 0) lines.push(`UMAP of the codes to ${a.umapDims} dimensions, fitted on ${n(a.umapSample)} points: ${a.seconds.umap.toFixed(1)} s`);
  }
  if (r.pca) {
    lines.push(`PCA to ${r.pca.components} components: ${(r.pca.explainedVarianceRatio * 100).toFixed(2)}% of the variance, ${r.pca.seconds.toFixed(2)} s`);
  }
  lines.push(`inertia ${r.inertia.toPrecision(7)} after ${r.nIter} step${r.nIter === 1 ? '' : 's'}, ${r.seconds.toFixed(2)} s`);
  if (r.metrics) lines.push(`accuracy ${r.metrics.accuracy.toFixed(4)} · NMI ${r.metrics.nmi.toFixed(4)} · ARI ${r.metrics.ari.toFixed(4)}`);
  else lines.push('no labels: accuracy, NMI and ARI need a labelled dataset');
  if (r.silhouette) lines.push(`silhouette ${r.silhouette.score.toFixed(4)} (on ${n(r.silhouette.sampleSize)} sampled points)`);
  const sizes = new Array<number>(r.k).fill(0);
  for (const l of r.labels) sizes[l]++;
  lines.push(`cluster sizes: ${sizes.map(n).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
