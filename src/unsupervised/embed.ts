/**
 * Embeddings of a trained model: the features its classifier head reads, i.e. the input of the model's last Linear
 * layer (the penultimate layer's output), collected batch by batch under noGrad in eval mode. Then a 2-D projection
 * for looking at them: PCA or exact t-SNE (ours), or UMAP (the maintained umap-js package).
 *
 * @example
 *   const { embedding, labels } = await penultimateEmbeddings(opened.model, loader.epoch(0));
 *   const xy = await projectEmbedding(embedding, 'umap', { seed: 0 }); // n × 2
 */
import { noGrad } from '../autograd/grad-mode.ts';
import { Linear } from '../nn/layers/linear.ts';
import { type Module, withMode } from '../nn/module.ts';
import { Generator } from '../tensor/random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { nearestCentres } from './assign.ts';
import { gatherRows, type Matrix } from './matrix.ts';
import { PCA } from './pca.ts';
import { tsne } from './tsne.ts';

export interface EmbeddingBatch {
  x: Tensor;
  y?: Tensor | Int32Array | number[];
}

export interface Embeddings {
  /** n × features: one row per input. */
  embedding: Matrix;
  /** Labels from the batches (−1 where a batch had none). */
  labels: Int32Array;
  /** Name of the module whose input was taken (e.g. '9' for the last Linear of a Sequential). */
  layer: string;
}

/** The name and module of the last Linear in the model (its input is the embedding). */
export function headLayer(model: Module): { name: string; module: Module } {
  let found: { name: string; module: Module } | null = null;
  for (const [name, m] of model.namedModules()) if (m instanceof Linear) found = { name, module: m };
  if (!found) throw new Error('embed: the model has no Linear layer, so it has no classifier head whose input to take; pass a classifier checkpoint');
  return found;
}

/** Runs every batch through the model and keeps the input of its last Linear layer, up to `limit` rows (0: all). */
export async function penultimateEmbeddings(model: Module, batches: AsyncIterable<EmbeddingBatch> | Iterable<EmbeddingBatch>, limit = 0): Promise<Embeddings> {
  const head = headLayer(model);
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  let width = -1;
  let count = 0;
  let captured: Tensor | null = null;
  const handle = head.module.registerForwardHook((_m, inputs) => {
    captured = inputs[0] as Tensor;
  });
  try {
    for await (const batch of batches) {
      captured = null;
      withMode(model, 'eval', () => noGrad(() => model.forward(batch.x)));
      const feats = captured as Tensor | null;
      if (!feats) throw new Error(`embed: layer '${head.name}' did not run in forward(); the model's head is not its last Linear`);
      const n = batch.x.shape[0];
      const w = feats.size / n;
      if (width >= 0 && w !== width) throw new Error(`embed: layer '${head.name}' got ${w} features for one batch and ${width} for another`);
      width = w;
      const take = limit > 0 ? Math.min(n, limit - count) : n;
      rows.push(feats.f32.slice(0, take * w));
      const y = batch.y;
      for (let i = 0; i < take; i++) labels.push(y === undefined ? -1 : Number(y instanceof Object && 'data' in y ? y.data[i] : (y as ArrayLike<number>)[i]));
      count += take;
      if (limit > 0 && count >= limit) break;
    }
  } finally {
    handle.remove();
  }
  const data = new Float32Array(count * Math.max(width, 0));
  let off = 0;
  for (const r of rows) {
    data.set(r, off);
    off += r.length;
  }
  return { embedding: { data, rows: count, cols: Math.max(width, 0) }, labels: Int32Array.from(labels), layer: head.name };
}

export type Projection = 'pca' | 'umap' | 'tsne';
export const PROJECTIONS: readonly Projection[] = ['pca', 'umap', 'tsne'];

export interface ProjectOptions {
  seed?: number;
  /** UMAP neighbours (default 15) and optimisation epochs (default: umap-js's choice by size). */
  nNeighbors?: number;
  nEpochs?: number;
}

/**
 * Projects the rows of m to 2-D: PCA's first two components, UMAP (umap-js, seeded), or exact t-SNE (ours, at most
 * TSNE_MAX_ROWS rows; perplexity 30, or less for small sets).
 */
export async function projectEmbedding(m: Matrix, method: Projection, o: ProjectOptions = {}): Promise<Matrix> {
  if (m.rows < 3) throw new RangeError(`projection needs at least 3 rows, got ${m.rows}`);
  if (method === 'pca') {
    const z = new PCA({ nComponents: Math.min(2, m.cols), seed: o.seed }).fitTransform(m);
    return { data: z.f32, rows: m.rows, cols: z.shape[1] };
  }
  if (method === 'tsne') return tsne(m, { perplexity: Math.min(30, (m.rows - 1) / 3), seed: o.seed }).embedding;
  return umapReduce(m, { nComponents: 2, nNeighbors: o.nNeighbors, nEpochs: o.nEpochs, seed: o.seed });
}

export interface UmapOptions {
  nComponents: number;
  /** Neighbours of the k-NN graph (default 15; at most n − 1). */
  nNeighbors?: number;
  /** How tightly points may pack (umap-js default 0.1; 0 suits clustering, as in N2D). */
  minDist?: number;
  /** Optimisation epochs (default: umap-js's choice by size). */
  nEpochs?: number;
  /** Fit on this many evenly spaced rows and place each other row at its nearest fitted row (0 or ≥ n: fit on all). */
  fitSample?: number;
  seed?: number;
}

/** UMAP (the umap-js package, its randomness seeded) of the rows of m to nComponents dimensions. */
export async function umapReduce(m: Matrix, o: UmapOptions): Promise<Matrix> {
  const { UMAP } = await import('umap-js');
  const gen = new Generator(o.seed ?? 0);
  const row = (i: number) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols));
  const sample = o.fitSample && o.fitSample < m.rows ? o.fitSample : m.rows;
  // Every stride-th row is fitted: an even spread over the data, whatever order it comes in.
  const stride = m.rows / sample;
  const fitted = Array.from({ length: sample }, (_, j) => Math.floor(j * stride));
  const umap = new UMAP({
    nComponents: o.nComponents,
    nNeighbors: Math.min(o.nNeighbors ?? 15, sample - 1),
    minDist: o.minDist ?? 0.1,
    nEpochs: o.nEpochs,
    random: () => gen.uniform(),
  });
  const fitRows = fitted.map(row);
  const fitOut = umap.fit(fitRows);
  const data = new Float32Array(m.rows * o.nComponents);
  const put = (i: number, p: number[]) => data.set(p, i * o.nComponents);
  fitted.forEach((i, j) => put(i, fitOut[j]));
  if (sample < m.rows) {
    // Every other row goes where its nearest fitted row went (one SGEMM pass): umap-js's transform() costs more than
    // the fit itself, and for clustering the nearest fitted neighbour is what matters.
    const isFitted = new Uint8Array(m.rows);
    for (const i of fitted) isFitted[i] = 1;
    const rest: number[] = [];
    for (let i = 0; i < m.rows; i++) if (!isFitted[i]) rest.push(i);
    const { labels: nearest } = nearestCentres(gatherRows(m, rest), gatherRows(m, fitted).data, sample);
    rest.forEach((i, j) => put(i, fitOut[nearest[j]]));
  }
  return { data, rows: m.rows, cols: o.nComponents };
}
