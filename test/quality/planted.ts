/**
 * A planted case for the quality scores: four classes of 8×8 images (a bright quadrant per class, plus noise) and a
 * reference classifier trained on them for a few steps (the planted classes are easy), shared by the score tests.
 */
import { backward } from '../../src/autograd/backward.ts';
import { crossEntropy } from '../../src/ops/loss.ts';
import { Adam } from '../../src/optim/optimizers.ts';
import { ReferenceClassifier } from '../../src/quality/reference.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

export const CLASSES = 4;
export const SIZE = 8;

/** Images of the given classes: the class's quadrant at ~0.8, the rest ~0.1, each pixel jittered by `rnd`. */
export function planted(labels: readonly number[], seed: number): Tensor {
  let s = seed >>> 0 || 1;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const out = new Float32Array(labels.length * SIZE * SIZE);
  labels.forEach((label, n) => {
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) {
        const quadrant = (y < SIZE / 2 ? 0 : 2) + (x < SIZE / 2 ? 0 : 1);
        out[n * SIZE * SIZE + y * SIZE + x] = (quadrant === label ? 0.8 : 0.1) + (rnd() - 0.5) * 0.3;
      }
  });
  return new Tensor(out, [labels.length, 1, SIZE, SIZE]);
}

export const balanced = (n: number) => Array.from({ length: n }, (_, i) => i % CLASSES);

let cached: ReferenceClassifier | null = null;
/** Trained once for all tests of this file (a few steps: the planted classes are easy). */
export function trainedReference(): ReferenceClassifier {
  if (cached) return cached;
  manualSeed(11);
  const model = new ReferenceClassifier([1, SIZE, SIZE], CLASSES);
  const opt = new Adam(model.parameters(), { lr: 3e-3 });
  for (let step = 0; step < 25; step++) {
    const labels = balanced(16);
    opt.zeroGrad();
    backward(crossEntropy(model.forward(planted(labels, 100 + step)), new Tensor(Int32Array.from(labels), [16])));
    opt.step();
  }
  model.eval();
  cached = model;
  return model;
}
