/**
 * Generative quality scores measured against the reference classifier (reference.ts), none of which a generator can
 * fake by construction:
 * - intended-label accuracy: ask for N images of each class, classify them, count the matches;
 * - FD-clf: the Fréchet distance between Gaussians fitted to the reference's penultimate features of generated and
 *   of real test images, printed beside its floor (the same distance between real train and real test images);
 * - class-histogram entropy of samples (ln(classes) is uniform; mode collapse shows as a low value);
 * - nearest-neighbour distance (pixel L2) from each sample to the training images, beside the same for real test
 *   images: a generator that memorises its training set scores far below that baseline.
 * The generator is any function from labels and a seed to images, so the scores are tested on planted generators.
 */
import { Tensor } from '../tensor/tensor.ts';
import { frechetDistance, meanAndCovariance } from './linalg.ts';
import { describeImages, REFERENCE_FEATURES, type ReferenceClassifier } from './reference.ts';

/** Draws images [N, C, H, W] in [0, 1]; `labels` says which class each one should be (conditional generators). */
export type ImageSampler = (labels: readonly number[], seed: number) => Tensor;

export interface QualityOptions {
  sampler: ImageSampler;
  /** Whether the sampler follows its labels (intended-label accuracy is only meaningful then). */
  conditional: boolean;
  reference: ReferenceClassifier;
  numClasses: number;
  /** Real training images (for the FD floor and the nearest-neighbour search). */
  realTrain: Tensor;
  /** Real held-out images. */
  realTest: Tensor;
  /** Generated images per class (default 100: 1,000 for ten classes). */
  perClass?: number;
  /** Images compared in the nearest-neighbour check (default 200). */
  neighbourSamples?: number;
  seed?: number;
  /** Called as work progresses (done, total), for a progress bar. */
  onProgress?: (done: number, total: number) => void;
}

export interface QualityReport {
  samples: number;
  /** Fraction of conditional samples the reference classifies as the class asked for (null: unconditional). */
  intendedAccuracy: number | null;
  /** FD-clf of generated vs real test images. */
  fd: number;
  /** FD-clf of real train vs real test images (same sample sizes): the best a generator can hope for. */
  fdFloor: number;
  /** Entropy (nats) of the reference's predicted-class histogram of the samples, and its maximum ln(classes). */
  entropy: number;
  entropyMax: number;
  /** Mean pixel-L2 distance from samples to their nearest training image, and the same for real test images. */
  nnDistance: number;
  nnBaseline: number;
  /** Fraction of samples per predicted class. */
  histogram: number[];
}

/** Rows [from, from + count) of a batch tensor as their own tensor. */
export function takeRows(images: Tensor, from: number, count: number): Tensor {
  const [n, c, h, w] = images.shape;
  const k = Math.max(0, Math.min(count, n - from));
  const size = c * h * w;
  return new Tensor(Float32Array.from(images.f32.subarray(from * size, (from + k) * size)), [k, c, h, w]);
}

/** Fréchet distance between the reference features of two image sets. */
export function fdBetween(a: Float32Array, na: number, b: Float32Array, nb: number, d = REFERENCE_FEATURES): number {
  const x = meanAndCovariance(a, na, d);
  const y = meanAndCovariance(b, nb, d);
  return frechetDistance(x.mean, x.cov, y.mean, y.cov, d);
}

/** Entropy (nats) of the histogram of predicted classes, and the histogram as fractions. */
export function classEntropy(predictions: Int32Array, numClasses: number): { entropy: number; histogram: number[] } {
  const counts = new Array<number>(numClasses).fill(0);
  for (const p of predictions) counts[p]++;
  const n = Math.max(1, predictions.length);
  const histogram = counts.map((c) => c / n);
  let entropy = 0;
  for (const p of histogram) if (p > 0) entropy -= p * Math.log(p);
  return { entropy, histogram };
}

/** Mean over `queries` of the L2 distance to the nearest image of `pool` (pixels). */
export function meanNearestDistance(queries: Tensor, pool: Tensor): number {
  const [nq, c, h, w] = queries.shape;
  const np = pool.shape[0];
  const d = c * h * w;
  const q = queries.f32;
  const p = pool.f32;
  const poolNorms = new Float64Array(np);
  for (let j = 0; j < np; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += p[j * d + k] * p[j * d + k];
    poolNorms[j] = s;
  }
  let total = 0;
  for (let i = 0; i < nq; i++) {
    let qn = 0;
    for (let k = 0; k < d; k++) qn += q[i * d + k] * q[i * d + k];
    let best = Number.POSITIVE_INFINITY;
    for (let j = 0; j < np; j++) {
      let dot = 0;
      const off = j * d;
      const qoff = i * d;
      for (let k = 0; k < d; k++) dot += q[qoff + k] * p[off + k];
      const dist = qn + poolNorms[j] - 2 * dot;
      if (dist < best) best = dist;
    }
    total += Math.sqrt(Math.max(0, best));
  }
  return total / Math.max(1, nq);
}

/** All four scores for one generator. */
export function scoreGenerator(o: QualityOptions): QualityReport {
  const perClass = o.perClass ?? 100;
  const labels = Array.from({ length: o.numClasses * perClass }, (_, i) => i % o.numClasses);
  const n = labels.length;
  const total = 5;
  o.onProgress?.(0, total);
  const generated = o.sampler(labels, o.seed ?? 1);
  if (generated.shape[0] !== n) throw new RangeError(`the sampler returned ${generated.shape[0]} images for ${n} labels`);
  o.onProgress?.(1, total);
  const gen = describeImages(o.reference, generated);
  const test = takeRows(o.realTest, 0, n);
  const train = takeRows(o.realTrain, 0, n);
  const testDesc = describeImages(o.reference, test);
  const trainDesc = describeImages(o.reference, train);
  o.onProgress?.(2, total);
  let matches = 0;
  for (let i = 0; i < n; i++) if (gen.predictions[i] === labels[i]) matches++;
  const fd = fdBetween(gen.features, n, testDesc.features, test.shape[0]);
  const fdFloor = fdBetween(trainDesc.features, train.shape[0], testDesc.features, test.shape[0]);
  o.onProgress?.(3, total);
  const { entropy, histogram } = classEntropy(gen.predictions, o.numClasses);
  const k = o.neighbourSamples ?? 200;
  // Pool of training images for the search: the real-train sample minus nothing — the baseline queries are test images.
  const pool = takeRows(o.realTrain, 0, o.realTrain.shape[0]);
  const nnDistance = meanNearestDistance(takeRows(generated, 0, k), pool);
  o.onProgress?.(4, total);
  const nnBaseline = meanNearestDistance(takeRows(o.realTest, 0, k), pool);
  o.onProgress?.(5, total);
  return {
    samples: n,
    intendedAccuracy: o.conditional ? matches / n : null,
    fd,
    fdFloor,
    entropy,
    entropyMax: Math.log(o.numClasses),
    nnDistance,
    nnBaseline,
    histogram,
  };
}

/** The report as the lines `simmer eval` prints. */
export function formatQuality(r: QualityReport, classes: readonly string[]): string {
  const lines = [
    `samples: ${r.samples} (reference classifier's judgement)`,
    r.intendedAccuracy === null ? 'intended-label accuracy: n/a (unconditional model)' : `intended-label accuracy: ${(r.intendedAccuracy * 100).toFixed(1)}%`,
    `FD-clf: ${r.fd.toFixed(2)}   (floor, real train vs real test: ${r.fdFloor.toFixed(2)})`,
    `class-histogram entropy: ${r.entropy.toFixed(3)} nats of ${r.entropyMax.toFixed(3)} (${((r.entropy / r.entropyMax) * 100).toFixed(1)}% of uniform)`,
    `nearest training image: ${r.nnDistance.toFixed(3)} mean L2 (real test images: ${r.nnBaseline.toFixed(3)}; far below it means memorisation)`,
    `predicted classes: ${r.histogram.map((p, i) => `${classes[i] ?? i} ${(p * 100).toFixed(0)}%`).join(', ')}`,
  ];
  return lines.join('\n');
}
