/**
 * Embeddings of a trained model: the features its classifier head reads, i.e. the input of the model's last Linear
 * layer (the penultimate layer's output), collected batch by batch under noGrad in eval mode. Then a 2-D projection
 * for looking at them: PCA (ours) or UMAP (the maintained umap-js package).
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
import type { Matrix } from './matrix.ts';
import { PCA } from './pca.ts';

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

export type Projection = 'pca' | 'umap';
export const PROJECTIONS: readonly Projection[] = ['pca', 'umap'];

export interface ProjectOptions {
  seed?: number;
  /** UMAP neighbours (default 15) and optimisation epochs (default: umap-js's choice by size). */
  nNeighbors?: number;
  nEpochs?: number;
}

/** Projects the rows of m to 2-D: PCA's first two components, or UMAP (umap-js, seeded). */
export async function projectEmbedding(m: Matrix, method: Projection, o: ProjectOptions = {}): Promise<Matrix> {
  if (m.rows < 3) throw new RangeError(`projection needs at least 3 rows, got ${m.rows}`);
  if (method === 'pca') {
    const z = new PCA({ nComponents: Math.min(2, m.cols), seed: o.seed }).fitTransform(m);
    return { data: z.f32, rows: m.rows, cols: z.shape[1] };
  }
  const { UMAP } = await import('umap-js');
  const gen = new Generator(o.seed ?? 0);
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(o.nNeighbors ?? 15, m.rows - 1), nEpochs: o.nEpochs, random: () => gen.uniform() });
  const rows = Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  const out = umap.fit(rows);
  const data = new Float32Array(m.rows * 2);
  out.forEach((p, i) => {
    data[2 * i] = p[0];
    data[2 * i + 1] = p[1];
  });
  return { data, rows: m.rows, cols: 2 };
}
