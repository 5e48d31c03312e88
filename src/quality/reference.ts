/**
 * The reference classifier the quality scores are measured with: a small batch-normed CNN (architecture and seed
 * unlike any generative model of the zoo) that Simmer trains once on the real training set and caches, so every
 * score of every generative run is measured by the same judge. Its 128-d penultimate activations are the features
 * of FD-clf. The recipe is fixed (REFERENCE_RECIPE) and the cached copy records its own test accuracy.
 * @example
 *   const ref = await referenceClassifier({ dataset: 'fashion-mnist', cacheDir: 'runs/.reference' });
 *   ref.testAccuracy; // ≥ 0.90 on Fashion-MNIST
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../autograd/grad-mode.ts';
import { loadDataset } from '../data/load.ts';
import { DataLoader } from '../data/loader.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { ReLU } from '../nn/layers/activation.ts';
import { Sequential } from '../nn/layers/container.ts';
import { Conv2d } from '../nn/layers/conv.ts';
import { Linear } from '../nn/layers/linear.ts';
import { BatchNorm2d } from '../nn/layers/norm.ts';
import { Flatten, MaxPool2d } from '../nn/layers/pool.ts';
import { Module, withMode } from '../nn/module.ts';
import { argmax } from '../ops/reduce.ts';
import { CosineAnnealingLR } from '../optim/schedule.ts';
import { Adam } from '../optim/optimizers.ts';
import { manualSeed } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';
import { loadWeights, saveWeights } from '../train/checkpoint.ts';
import { evaluateClassifier } from '../train/classification.ts';
import { Trainer } from '../train/trainer.ts';
import type { Callback } from '../train/types.ts';

/** How the reference classifier is trained (recorded in its cache file). */
export const REFERENCE_RECIPE = {
  architecture: 'ref-cnn-bn (conv32-bn-pool, conv64-bn-pool, fc128, fc)',
  seed: 4242,
  epochs: 3,
  batchSize: 128,
  optimizer: 'adam',
  lr: 2e-3,
  schedule: 'cosine per step',
} as const;

/** Width of the penultimate features. */
export const REFERENCE_FEATURES = 128;

export class ReferenceClassifier extends Module {
  readonly body: Sequential;
  readonly head: Linear;

  constructor(inputShape: [number, number, number], numClasses: number) {
    super();
    const [c, h, w] = inputShape;
    const flat = 64 * Math.floor(h / 4) * Math.floor(w / 4);
    this.body = new Sequential(
      new Conv2d(c, 32, 3, { padding: 1, bias: false }),
      new BatchNorm2d(32),
      new ReLU(),
      new MaxPool2d(2),
      new Conv2d(32, 64, 3, { padding: 1, bias: false }),
      new BatchNorm2d(64),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(flat, REFERENCE_FEATURES),
      new ReLU(),
    );
    this.head = new Linear(REFERENCE_FEATURES, numClasses);
  }

  /** Penultimate features [N, 128]. */
  features(x: Tensor): Tensor {
    return this.body.forward(x);
  }

  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }
}

/** Features and predicted classes of a batch of images, in eval mode without a graph, in chunks of 256. */
export function describeImages(model: ReferenceClassifier, images: Tensor): { features: Float32Array; predictions: Int32Array } {
  const n = images.shape[0];
  const features = new Float32Array(n * REFERENCE_FEATURES);
  const predictions = new Int32Array(n);
  const [, c, h, w] = images.shape;
  const size = c * h * w;
  withMode(model, 'eval', () =>
    noGrad(() => {
      for (let start = 0; start < n; start += 256) {
        const end = Math.min(n, start + 256);
        const chunk = images.f32.subarray(start * size, end * size);
        const x = new Tensor(Float32Array.from(chunk), [end - start, c, h, w]);
        const f = model.features(x);
        features.set(f.f32, start * REFERENCE_FEATURES);
        predictions.set(argmax(model.head.forward(f), 1).data as Int32Array, start);
      }
    }),
  );
  return { features, predictions };
}

export interface ReferenceOptions {
  dataset: string;
  /** Folder of the dataset files when not in the default place. */
  data?: string;
  /** Where the trained reference is cached (e.g. <runs>/.reference). */
  cacheDir: string;
  /** Progress and per-epoch lines while training (a progress bar). */
  callbacks?: Callback[];
  /** Called with a line of text when something worth saying happens (training starts, accuracy). */
  log?: (line: string) => void;
}

export interface Reference {
  model: ReferenceClassifier;
  classes: string[];
  inputShape: [number, number, number];
  testAccuracy: number;
  path: string;
  /** Whether it was trained just now (false: read from the cache). */
  trained: boolean;
}

interface CacheInfo {
  dataset: string;
  classes: string[];
  inputShape: [number, number, number];
  testAccuracy: number;
  recipe: typeof REFERENCE_RECIPE;
}

function cacheName(dataset: string): string {
  return dataset.replace(/[^a-zA-Z0-9._-]+/g, '_').replace(/^_+/, '');
}

/** The cached reference classifier for a dataset, trained first (with REFERENCE_RECIPE) when there is none. */
export async function referenceClassifier(o: ReferenceOptions): Promise<Reference> {
  const base = join(o.cacheDir, `reference-${cacheName(o.dataset)}`);
  const weights = `${base}.safetensors`;
  const infoPath = `${base}.json`;
  if (existsSync(weights) && existsSync(infoPath)) {
    const info = JSON.parse(readFileSync(infoPath, 'utf8')) as CacheInfo;
    if (JSON.stringify(info.recipe) === JSON.stringify(REFERENCE_RECIPE)) {
      const model = new ReferenceClassifier(info.inputShape, info.classes.length);
      loadWeights(weights, model);
      model.eval();
      return { model, classes: info.classes, inputShape: info.inputShape, testAccuracy: info.testAccuracy, path: weights, trained: false };
    }
  }
  o.log?.(
    `training the reference classifier for ${o.dataset} once (${REFERENCE_RECIPE.architecture}, ${REFERENCE_RECIPE.epochs} epochs); it is cached in ${o.cacheDir}`,
  );
  const train = await loadDataset(o.dataset, { split: 'train', data: o.data });
  const test = await loadDataset(o.dataset, { split: 'test', data: o.data });
  const inputShape: [number, number, number] = [train.channels, train.height, train.width];
  manualSeed(REFERENCE_RECIPE.seed);
  const model = new ReferenceClassifier(inputShape, train.classes.length);
  const trainLoader = new DataLoader(train, { batchSize: REFERENCE_RECIPE.batchSize, shuffle: true, seed: REFERENCE_RECIPE.seed });
  const testLoader = new DataLoader(test, { batchSize: 256 });
  const optimizer = new Adam(model.parameters(), { lr: REFERENCE_RECIPE.lr });
  const steps = REFERENCE_RECIPE.epochs * trainLoader.batchesPerEpoch;
  const scheduler = new CosineAnnealingLR(optimizer, { tMax: steps, interval: 'step' });
  const trainer = new Trainer({ model, optimizer, scheduler, callbacks: o.callbacks ?? [] });
  try {
    await trainer.fit(trainLoader, { epochs: REFERENCE_RECIPE.epochs });
    const report = await evaluateClassifier(model, testLoader);
    model.eval();
    mkdirSync(o.cacheDir, { recursive: true });
    saveWeights(weights, model);
    const info: CacheInfo = { dataset: o.dataset, classes: train.classes, inputShape, testAccuracy: report.accuracy, recipe: REFERENCE_RECIPE };
    writeFileAtomic(infoPath, JSON.stringify(info, null, 2));
    o.log?.(`reference classifier: ${(report.accuracy * 100).toFixed(2)}% on the ${o.dataset} test split`);
    return { model, classes: train.classes, inputShape, testAccuracy: report.accuracy, path: weights, trained: true };
  } finally {
    await Promise.all([trainLoader.close(), testLoader.close()]);
  }
}

/** The first `limit` images of a dataset split as one [N, C, H, W] tensor, with their labels. */
export async function loadImages(dataset: string, split: 'train' | 'test', limit: number, data?: string): Promise<{ images: Tensor; labels: Int32Array }> {
  const ds = await loadDataset(dataset, { split, data });
  const loader = new DataLoader(ds, { batchSize: 500 });
  const want = Math.min(limit, ds.length);
  const [c, h, w] = [ds.channels, ds.height, ds.width];
  const size = c * h * w;
  const pixels = new Float32Array(want * size);
  const labels = new Int32Array(want);
  let got = 0;
  try {
    for await (const batch of loader.epoch(0)) {
      const take = Math.min(batch.x.shape[0], want - got);
      pixels.set(batch.x.f32.subarray(0, take * size), got * size);
      labels.set((batch.y.data as Int32Array).subarray(0, take), got);
      got += take;
      if (got >= want) break;
    }
  } finally {
    await loader.close();
  }
  return { images: new Tensor(pixels, [want, c, h, w]), labels };
}
