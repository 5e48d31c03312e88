/**
 * An imported ONNX network fine-tunes: the VGG-style fixture (PyTorch-made, random weights) cut before its head by
 * classifierBody, a new 4-class head, Adam over every layer through the imported graph's autograd, on the built-in
 * `shapes` dataset; validation accuracy must reach 90%. Behind SIMMER_LONG=1 (under a minute on 2 cores).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../../src/autograd/backward.ts';
import { noGrad } from '../../src/autograd/grad-mode.ts';
import { ShapesDataset } from '../../src/data/shapes.ts';
import { Linear } from '../../src/nn/layers/linear.ts';
import { crossEntropy } from '../../src/ops/loss.ts';
import { argmax } from '../../src/ops/reduce.ts';
import { importOnnx } from '../../src/onnx/index.ts';
import { Adam } from '../../src/optim/optimizers.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

const LONG = !['', '0', undefined].includes(process.env.SIMMER_LONG);

function batch(ds: ShapesDataset, indices: number[]): { x: Tensor; y: Tensor } {
  const size = 3 * 32 * 32;
  const x = new Float32Array(indices.length * size);
  const y = new Int32Array(indices.length);
  indices.forEach((i, k) => (y[k] = ds.readInto(i, x, k * size)));
  return { x: new Tensor(x, [indices.length, 3, 32, 32]), y: new Tensor(y, [indices.length]) };
}

test('the imported VGG-style net fine-tunes on shapes to ≥ 90% validation accuracy', { skip: LONG ? false : 'set SIMMER_LONG=1' }, () => {
  manualSeed(21);
  const train = new ShapesDataset({ kind: 'shapes', count: 3000, size: 32, seed: 1 });
  const val = new ShapesDataset({ kind: 'shapes', count: 500, size: 32, seed: 2 });
  const { body, features } = importOnnx(new URL('../fixtures/onnx/vgg-small.onnx', import.meta.url).pathname).classifierBody();
  const head = new Linear(features, 4);
  const params = [...body.parameters(), ...head.parameters()];
  const opt = new Adam(params, { lr: 1e-3 });
  const started = Date.now();
  const epochs = 8;
  let accuracy = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    body.train();
    opt.lr = epoch < epochs - 2 ? 1e-3 : 2e-4; // a step down for the last two epochs
    let s = 1234 + epoch;
    const order = Array.from({ length: train.length }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const j = s % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let b = 0; b + 32 <= order.length; b += 32) {
      const { x, y } = batch(train, order.slice(b, b + 32));
      opt.zeroGrad();
      backward(crossEntropy(head.forward(body.forward(x)), y));
      opt.step();
    }
    body.eval();
    let right = 0;
    for (let b = 0; b < val.length; b += 100) {
      const { x, y } = batch(
        val,
        Array.from({ length: Math.min(100, val.length - b) }, (_, i) => b + i),
      );
      const pred = noGrad(() => argmax(head.forward(body.forward(x)), 1));
      for (let i = 0; i < y.size; i++) if (pred.data[i] === y.data[i]) right++;
    }
    accuracy = right / val.length;
    console.log(`# epoch ${epoch + 1}: validation accuracy ${(accuracy * 100).toFixed(1)}% after ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  assert.ok(accuracy >= 0.9, `validation accuracy ${accuracy}`);
});
