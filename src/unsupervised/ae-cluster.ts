/**
 * Clustering through an autoencoder, after N2D (McConville et al., 2020): train the convolutional autoencoder on the
 * images themselves (no labels), encode every image to its code, optionally let UMAP find the manifold of the codes
 * (a few dimensions, min_dist 0, fitted on an evenly spaced subsample; every other point takes the place of its
 * nearest fitted one), then k-means. N2D ends with a Gaussian mixture; this ends with k-means.
 * Each stage is timed; labels, when present, only score the result.
 *
 * @example
 *   const { x, labels, shape } = await datasetMatrix(await loadDataset('fashion-mnist'));
 *   const r = await aeKmeans(x, shape, { k: 10, architecture: 'dense', epochs: 10, umapDims: 10 });
 *   r.labels; // cluster per image
 */
import { generatorFor, permutation } from '../data/seed.ts';
import { type Autoencoder, AutoencoderTask, ConvAutoencoder, DenseAutoencoder, encodeImages, type ImageBatch } from '../models/autoencoder.ts';
import { Adam } from '../optim/optimizers.ts';
import { manualSeed } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { EvalReport, TaskSource } from '../train/task.ts';
import { Trainer } from '../train/trainer.ts';
import type { EpochReport } from '../train/types.ts';
import { umapReduce } from './embed.ts';
import { kmeans } from './kmeans.ts';
import type { Matrix } from './matrix.ts';

export const DEFAULT_UMAP_DIMS = 10;
/** Codes UMAP is fitted on by default (on Fashion-MNIST 20,000 scored above 10,000 and 30,000: README, Learning without labels). */
export const DEFAULT_UMAP_SAMPLE = 20_000;

/** Which autoencoder learns the codes: the small convolutional one, or N2D's dense 500-500-2000 one. */
export type AeArchitecture = 'conv' | 'dense';
export const AE_ARCHITECTURES: readonly AeArchitecture[] = ['conv', 'dense'];
export const DEFAULT_AE_ARCHITECTURE: AeArchitecture = 'dense';
/** Epochs by architecture: the dense autoencoder's codes keep improving for longer (README, Learning without labels). */
export const DEFAULT_AE_EPOCHS: Readonly<Record<AeArchitecture, number>> = { conv: 3, dense: 10 };

export interface AeKmeansOptions {
  k: number;
  /** The autoencoder (default DEFAULT_AE_ARCHITECTURE). */
  architecture?: AeArchitecture;
  /** Reconstruction loss (default: 'bce' for conv, 'mse' for dense, as N2D trains it). */
  reconstruction?: 'bce' | 'mse';
  /** Code size of the autoencoder (default 10, as N2D and DEC use for ten classes). */
  bottleneck?: number;
  /** Hidden widths of the dense autoencoder, from the pixels inwards (default 500, 500, 2000). */
  hidden?: readonly number[];
  /** Channels of the conv autoencoder's first conv (default 32). */
  width?: number;
  /** Passes over the data (default DEFAULT_AE_EPOCHS of the architecture). */
  epochs?: number;
  batchSize?: number;
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  /** UMAP the codes to this many dimensions before k-means (0: k-means on the codes themselves; default 10). */
  umapDims?: number;
  /** Points UMAP is fitted on; each other point joins its nearest fitted one (0: fit on all; default DEFAULT_UMAP_SAMPLE). */
  umapSample?: number;
  /** UMAP neighbours (default 20, N2D's choice; at most n − 1). */
  umapNeighbors?: number;
  nInit?: number;
  seed?: number;
  onEpoch?: (report: EpochReport) => void;
  onStage?: (stage: string) => void;
}

export interface AeKmeansResult {
  /** The trained autoencoder and its architecture. */
  model: Autoencoder;
  architecture: AeArchitecture;
  labels: Int32Array;
  /** n × bottleneck codes of the trained autoencoder. */
  codes: Matrix;
  /** What k-means clustered: the UMAP of the codes, or the codes. */
  clustered: Matrix;
  inertia: number;
  nIter: number;
  restarts: number;
  /** Epochs the autoencoder trained, and the points UMAP was fitted on (all of them when fewer). */
  epochs: number;
  umapSample: number;
  /** Reconstruction loss (BCE summed over pixels, mean over images) of the first and last epochs. */
  loss: { first: number; last: number };
  seconds: { train: number; encode: number; umap: number; kmeans: number };
}

/** Shuffled batches of the rows of a matrix as [B, C, H, W] images, the order fixed by (seed, epoch). */
export function matrixImageSource(x: Matrix, shape: [number, number, number], batchSize: number, seed = 0): TaskSource<ImageBatch> {
  const d = shape[0] * shape[1] * shape[2];
  if (x.cols !== d) throw new RangeError(`autoencoder: rows of ${x.cols} values are not ${shape.join('×')} images`);
  const batches = Math.ceil(x.rows / batchSize);
  return {
    batchesPerEpoch: batches,
    async *epoch(epoch, o = {}) {
      const order = permutation(x.rows, generatorFor(seed, epoch, 0xae));
      for (let b = o.startBatch ?? 0; b < batches; b++) {
        const idx = order.subarray(b * batchSize, Math.min(x.rows, (b + 1) * batchSize));
        const out = new Float32Array(idx.length * d);
        idx.forEach((row, j) => out.set(x.data.subarray(row * d, (row + 1) * d), j * d));
        yield { x: new Tensor(out, [idx.length, ...shape]) };
      }
    },
  };
}

/** The autoencoder aeKmeans trains, by architecture. */
export function buildAutoencoder(shape: [number, number, number], o: Pick<AeKmeansOptions, 'architecture' | 'bottleneck' | 'width' | 'hidden'>): Autoencoder {
  if ((o.architecture ?? DEFAULT_AE_ARCHITECTURE) === 'dense') return new DenseAutoencoder({ inputShape: shape, bottleneck: o.bottleneck, hidden: o.hidden });
  return new ConvAutoencoder({ inputShape: shape, bottleneck: o.bottleneck, width: o.width });
}

/** Trains an autoencoder on the images, encodes them, (optionally) UMAPs the codes, and k-means them. */
export async function aeKmeans(x: Matrix, shape: [number, number, number], o: AeKmeansOptions): Promise<AeKmeansResult> {
  const seed = o.seed ?? 0;
  const stage = o.onStage ?? (() => {});
  manualSeed(seed);
  const architecture = o.architecture ?? DEFAULT_AE_ARCHITECTURE;
  const model = buildAutoencoder(shape, { ...o, architecture });
  const reconstruction = o.reconstruction ?? (architecture === 'dense' ? 'mse' : 'bce');
  const source = matrixImageSource(x, shape, o.batchSize ?? 256, seed);
  const trainer = new Trainer<ImageBatch, EvalReport>({
    model,
    optimizer: new Adam(model.parameters(), { lr: o.lr ?? 1e-3 }),
    task: new AutoencoderTask({ reconstruction }),
    callbacks: o.onEpoch ? [{ onEpochEnd: (_t, r) => o.onEpoch!(r) }] : [],
  });
  let t = performance.now();
  stage('training the autoencoder');
  const epochs = o.epochs ?? DEFAULT_AE_EPOCHS[architecture];
  const history = await trainer.fit(source, { epochs });
  const train = (performance.now() - t) / 1000;
  t = performance.now();
  stage('encoding');
  const codes: Matrix = { data: encodeImages(model, x.data, x.rows), rows: x.rows, cols: model.latentDim };
  const encode = (performance.now() - t) / 1000;
  t = performance.now();
  let clustered = codes;
  const dims = o.umapDims ?? DEFAULT_UMAP_DIMS;
  const fitSample = o.umapSample ?? DEFAULT_UMAP_SAMPLE; // 0: every point
  if (dims > 0) {
    stage('UMAP of the codes');
    clustered = await umapReduce(codes, {
      nComponents: dims,
      minDist: 0,
      nNeighbors: o.umapNeighbors ?? 20,
      fitSample,
      seed,
    });
  }
  const umap = (performance.now() - t) / 1000;
  t = performance.now();
  stage('k-means');
  const km = kmeans(clustered, { k: o.k, nInit: o.nInit ?? 10, seed });
  return {
    model,
    architecture,
    labels: km.labels,
    codes,
    clustered,
    inertia: km.inertia,
    nIter: km.nIter,
    restarts: km.restarts.length,
    epochs,
    umapSample: Math.min(x.rows, fitSample === 0 ? x.rows : fitSample),
    loss: { first: history[0].trainLoss, last: history[history.length - 1].trainLoss },
    seconds: { train, encode, umap, kmeans: (performance.now() - t) / 1000 },
  };
}
