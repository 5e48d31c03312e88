import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.ts';
import { confusionCell, mostConfidentlyWrong, type Prediction, predictAll } from '../../src/explain/predictions.ts';
import { colorize, inferno, overlay, tileChannels } from '../../src/explain/render.ts';
import { Sequential } from '../../src/nn/layers/container.ts';
import { Linear } from '../../src/nn/layers/linear.ts';
import { Flatten } from '../../src/nn/layers/pool.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

const p = (index: number, label: number, predicted: number, confidence: number): Prediction => ({ index, label, predicted, confidence, trueProbability: 0 });

test('mostConfidentlyWrong keeps only mistakes, most confident first', () => {
  const preds = [p(0, 0, 0, 0.99), p(1, 0, 1, 0.6), p(2, 1, 0, 0.9), p(3, 2, 1, 0.95), p(4, 1, 1, 0.5)];
  assert.deepEqual(
    mostConfidentlyWrong(preds, 2).map((x) => x.index),
    [3, 2],
  );
  assert.deepEqual(
    confusionCell(preds, 0, 1).map((x) => x.index),
    [1],
  );
});

test('predictAll gives each image its softmax prediction and dataset index', async () => {
  // A linear model with identity weights: the prediction is the largest input value.
  const fc = new Linear(2, 2);
  fc.weight.data.set([1, 0, 0, 1]);
  fc.bias!.data.set([0, 0]);
  const model = new Sequential(new Flatten(), fc);
  const batches = {
    async *epoch() {
      yield { x: new Tensor(Float32Array.from([3, 0, 0, 3]), [2, 1, 1, 2]), y: new Tensor(Int32Array.from([0, 0]), [2]), indices: [10, 11] };
      yield { x: new Tensor(Float32Array.from([0, 1]), [1, 1, 1, 2]), y: new Tensor(Int32Array.from([-1]), [1]), indices: [12] };
    },
  };
  const preds = await predictAll(model, batches);
  assert.deepEqual(
    preds.map((x) => [x.index, x.label, x.predicted]),
    [
      [10, 0, 0],
      [11, 0, 1],
    ],
  );
  const s = 1 / (1 + Math.exp(-3));
  assert.ok(Math.abs(preds[0].confidence - s) < 1e-6);
  assert.ok(Math.abs(preds[1].trueProbability - (1 - s)) < 1e-6);
});

test('colour map runs dark to light; overlay and tiles keep shapes', () => {
  const lum = (v: number) => inferno(v).reduce((a, b) => a + b, 0);
  assert.ok(lum(0) < lum(0.5) && lum(0.5) < lum(1));
  assert.deepEqual(colorize({ data: new Float32Array(6), height: 2, width: 3 }).shape, [3, 2, 3]);
  const o = overlay(new Float32Array(4).fill(1), [1, 2, 2], { data: new Float32Array(4), height: 2, width: 2 }, 0);
  assert.ok(o.image.every((v) => v === 1));
  const t = tileChannels(Float32Array.from([0, 1, 2, 3, 5, 5, 5, 5]), 2, 2, 2, { columns: 2, gap: 1 });
  assert.deepEqual(t.shape, [1, 2, 5]);
  assert.deepEqual(Array.from(t.image), [0, 1 / 3, 1, 0, 0, 2 / 3, 1, 1, 0, 0].map(Math.fround));
});
