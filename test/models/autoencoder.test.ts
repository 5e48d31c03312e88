/**
 * ConvAutoencoder, DenseAutoencoder and AutoencoderTask: code and reconstruction shapes, the loss against a hand-computed
 * BCE, the dense autoencoder's gradient against central differences, the loss falls, exact resume.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.ts';
import { AutoencoderTask, autoencoderLoss, ConvAutoencoder, DenseAutoencoder, encodeImages } from '../../src/models/autoencoder.ts';
import { Adam } from '../../src/optim/optimizers.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Trainer } from '../../src/train/trainer.ts';
import type { Batch } from '../../src/train/types.ts';
import { checkGradient, uniform } from '../helpers/check.ts';
import { parameterCopies, resumeMismatch, tinyImages, withParameters } from './generative-helpers.ts';

const inputShape: [number, number, number] = [1, 8, 8];

async function firstBatch(): Promise<Batch> {
  const { value } = await tinyImages(1, 6).epoch(0)[Symbol.asyncIterator]().next();
  return value!;
}

test('autoencoder: the code has the bottleneck size, the reconstruction the image shape, in [0, 1]', async () => {
  const { x } = await firstBatch();
  for (const bottleneck of [1, 3, 7]) {
    manualSeed(1);
    const ae = new ConvAutoencoder({ inputShape, bottleneck, width: 4 });
    assert.equal(ae.latentDim, bottleneck);
    noGrad(() => {
      assert.deepEqual(ae.encode(x).shape, [6, bottleneck]);
      const out = ae.forward(x);
      assert.deepEqual(out.shape, [6, 1, 8, 8]);
      assert.ok(out.f32.every((v) => v >= 0 && v <= 1));
      // encodeImages batches the same encoder: the same codes whatever the batch size.
      const codes = encodeImages(ae, x.f32, 6, 4);
      assert.equal(codes.length, 6 * bottleneck);
      const direct = ae.encode(x).f32;
      codes.forEach((v, i) => assert.ok(Math.abs(v - direct[i]) < 1e-5, `code ${i}: ${v} vs ${direct[i]}`));
    });
  }
  assert.throws(() => new ConvAutoencoder({ inputShape: [1, 10, 10] }), /divisible by 4/);
  assert.throws(() => new ConvAutoencoder({ inputShape, bottleneck: 0 }), /positive integer/);
});

test('autoencoder: the loss is the Bernoulli cross-entropy summed over pixels, averaged over images', async () => {
  manualSeed(2);
  const ae = new ConvAutoencoder({ inputShape, bottleneck: 3, width: 4 });
  const { x } = await firstBatch();
  noGrad(() => {
    const p = ae.forward(x).f32;
    let want = 0;
    x.f32.forEach((t, i) => (want -= t * Math.log(p[i]) + (1 - t) * Math.log(1 - p[i])));
    want /= 6;
    const got = autoencoderLoss(ae, x).item();
    assert.ok(Math.abs(got - want) < 1e-3 * want, `bce ${got} vs hand ${want}`);
    let sq = 0;
    x.f32.forEach((t, i) => (sq += (p[i] - t) ** 2));
    const mse = autoencoderLoss(ae, x, 'mse').item();
    assert.ok(Math.abs(mse - sq / 6) < 1e-3 * (sq / 6), `mse ${mse} vs hand ${sq / 6}`);
  });
});

test('autoencoder: a few Adam steps through the Trainer reduce the reconstruction loss', async () => {
  manualSeed(3);
  const ae = new ConvAutoencoder({ inputShape, bottleneck: 4, width: 4 });
  const data = tinyImages(4, 8);
  const trainer = new Trainer({ model: ae, optimizer: new Adam(ae.parameters(), { lr: 1e-2 }), task: new AutoencoderTask() });
  const history = await trainer.fit(data, { epochs: 6, val: data });
  assert.ok(history[5].trainLoss < history[0].trainLoss * 0.9, `loss ${history[0].trainLoss} → ${history[5].trainLoss}`);
  assert.ok(history[5].valLoss! < history[0].valLoss!, `val loss ${history[0].valLoss} → ${history[5].valLoss}`);
});

test('autoencoder: a run resumed from a mid-epoch checkpoint ends bit-identical to an uninterrupted one', async () => {
  const make = (seed: number) => {
    manualSeed(seed);
    const model = new ConvAutoencoder({ inputShape, bottleneck: 3, width: 4 });
    return new Trainer({ model, optimizer: new Adam(model.parameters(), { lr: 1e-2 }), task: new AutoencoderTask() });
  };
  assert.equal(await resumeMismatch(make, 5), null);
});

test("dense autoencoder: N2D's layer widths, the code and reconstruction shapes, codes the same in any batch size", async () => {
  const { x } = await firstBatch();
  manualSeed(4);
  const full = new DenseAutoencoder({ inputShape: [1, 28, 28] });
  const widths = (s: typeof full.encoder) => [...s.namedParameters()].filter(([n]) => n.endsWith('weight')).map(([, w]) => w.shape);
  assert.deepEqual(widths(full.encoder), [
    [500, 784],
    [500, 500],
    [2000, 500],
    [10, 2000],
  ]);
  assert.deepEqual(widths(full.decoder), [
    [2000, 10],
    [500, 2000],
    [500, 500],
    [784, 500],
  ]);
  const ae = new DenseAutoencoder({ inputShape, bottleneck: 3, hidden: [16, 12] });
  assert.equal(ae.latentDim, 3);
  noGrad(() => {
    const z = ae.encode(x);
    assert.deepEqual(z.shape, [6, 3]);
    // The code is linear (no ReLU after the last encoder layer): some codes are negative.
    assert.ok(
      z.f32.some((v) => v < 0),
      'a linear code takes negative values',
    );
    const out = ae.forward(x);
    assert.deepEqual(out.shape, [6, 1, 8, 8]);
    assert.ok(out.f32.every((v) => v >= 0 && v <= 1));
    const codes = encodeImages(ae, x.f32, 6, 4);
    codes.forEach((v, i) => assert.ok(Math.abs(v - z.f32[i]) < 1e-5, `code ${i}: ${v} vs ${z.f32[i]}`));
  });
  assert.throws(() => new DenseAutoencoder({ inputShape, hidden: [8, 0] }), /hidden widths must be positive/);
  assert.throws(() => new DenseAutoencoder({ inputShape, bottleneck: 1.5 }), /positive integer/);
});

test("dense autoencoder: the MSE reconstruction loss's gradient (input and every layer) matches central differences", () => {
  manualSeed(5);
  const ae = new DenseAutoencoder({ inputShape: [1, 2, 3], bottleneck: 2, hidden: [5, 4] });
  const names = [...ae.namedParameters()].map(([n]) => n).filter((n) => n.endsWith('weight'));
  assert.equal(names.length, 6);
  checkGradient({
    name: 'linear',
    label: 'dense autoencoder: Linear + ReLU stack to a linear code and back, MSE of the sigmoid reconstruction',
    fn: (x, ...p) => withParameters(ae, names, p, () => autoencoderLoss(ae, x, 'mse')),
    inputs: [uniform([3, 1, 2, 3], 7, 0, 1), ...parameterCopies(ae, names)],
    eps: 1e-2,
    gradAtol: 2e-3,
    gradRtol: 2e-2,
    maxGradSamples: 24,
  });
});
