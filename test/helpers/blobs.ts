/** A tiny in-memory classification problem for trainer tests: Gaussian blobs rendered as 1×4×4 "images". */
import { Generator } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import type { Batch, BatchSource } from '../../src/train/types.ts';

/** Samples around fixed class centres (the same for every sampleSeed, so train and validation share a distribution). */
export function blobs(n: number, classes: number, sampleSeed: number): { x: Float32Array; y: Int32Array } {
  const centreGen = new Generator(12345);
  const centers = Array.from({ length: classes }, () => Array.from({ length: 16 }, () => centreGen.normal() * 2));
  const gen = new Generator(sampleSeed);
  const x = new Float32Array(n * 16);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    y[i] = c;
    for (let j = 0; j < 16; j++) x[i * 16 + j] = centers[c][j] + gen.normal();
  }
  return { x, y };
}

/** Batches in an order that depends only on (seed, epoch), and can start part way through an epoch. */
export function arraySource(data: { x: Float32Array; y: Int32Array }, batchSize: number, seed: number, shuffle = true): BatchSource {
  const n = data.y.length;
  const batches = Math.ceil(n / batchSize);
  return {
    batchesPerEpoch: batches,
    async *epoch(epoch: number, options: { startBatch?: number } = {}): AsyncGenerator<Batch> {
      const order = Array.from({ length: n }, (_, i) => i);
      if (shuffle) {
        const gen = new Generator(seed * 1000 + epoch);
        for (let i = n - 1; i > 0; i--) {
          const j = gen.int(0, i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      for (let b = options.startBatch ?? 0; b < batches; b++) {
        const idx = order.slice(b * batchSize, (b + 1) * batchSize);
        const x = new Float32Array(idx.length * 16);
        const y = new Int32Array(idx.length);
        idx.forEach((k, i) => {
          x.set(data.x.subarray(k * 16, (k + 1) * 16), i * 16);
          y[i] = data.y[k];
        });
        yield { x: new Tensor(x, [idx.length, 1, 4, 4]), y: new Tensor(y, [idx.length]), waitMs: 0 };
      }
    },
  };
}
