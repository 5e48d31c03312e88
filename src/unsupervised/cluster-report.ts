/**
 * One clustering run as `simmer cluster` and scripts/unsupervised-check.ts do it: optional PCA, k-means (full or
 * mini-batch), then the metrics that labels allow — timed per stage, as one plain-JSON report.
 *
 * @example
 *   const { x, labels } = await datasetMatrix(await loadDataset('fashion-mnist'));
 *   const report = clusterMatrix(x, labels, { k: 10, method: 'kmeans', nInit: 10, seed: 0 });
 *   formatClusterReport(report); // "k-means, k = 10, 60,000 × 784 … accuracy 0.5541 · NMI 0.5123 · ARI 0.3715"
 */
import { kmeans } from './kmeans.ts';
import type { Matrix } from './matrix.ts';
import { adjustedRandIndex, clusteringAccuracy, normalizedMutualInfo, silhouetteScore } from './metrics.ts';
import { miniBatchKMeans } from './minibatch-kmeans.ts';
import { PCA } from './pca.ts';

export type ClusterMethod = 'kmeans' | 'minibatch';
export const CLUSTER_METHODS: readonly ClusterMethod[] = ['kmeans', 'minibatch'];

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
}

export interface ClusterReport {
  method: ClusterMethod;
  k: number;
  samples: number;
  features: number;
  pca: { components: number; explainedVarianceRatio: number; seconds: number } | null;
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
  const t = performance.now();
  const r =
    o.method === 'minibatch'
      ? miniBatchKMeans(data, { k: o.k, seed: o.seed, batchSize: o.batchSize, maxIter: o.maxIter, nInit: o.nInit })
      : kmeans(data, { k: o.k, nInit: o.nInit, seed: o.seed, maxIter: o.maxIter, onStep: o.onStep });
  const seconds = (performance.now() - t) / 1000;
  const metrics = labels
    ? { accuracy: clusteringAccuracy(labels, r.labels).accuracy, nmi: normalizedMutualInfo(labels, r.labels), ari: adjustedRandIndex(labels, r.labels) }
    : null;
  const sampleSize = Math.min(o.silhouetteSample ?? 0, data.rows);
  const silhouette = sampleSize > o.k ? { score: silhouetteScore(data, r.labels, { sampleSize, seed: o.seed }), sampleSize } : null;
  return {
    method: o.method,
    k: o.k,
    samples: x.rows,
    features: x.cols,
    pca,
    inertia: r.inertia,
    nIter: r.nIter,
    restarts: r.restarts.length,
    seconds,
    metrics,
    silhouette,
    labels: r.labels,
  };
}

/** The report in a few human lines. */
export function formatClusterReport(r: ClusterReport): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const lines = [
    `${r.method === 'kmeans' ? `k-means (k-means++, ${r.restarts} restart${r.restarts === 1 ? '' : 's'})` : 'mini-batch k-means'}, k = ${r.k}, ${n(r.samples)} × ${n(r.features)}`,
  ];
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
