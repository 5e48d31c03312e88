/** ConvVae and VaeTask: shapes, the loss falls, seeded sampling, and bit-exact resume through the Trainer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateImages, labelTensor, sampleLatents } from '../../src/models/generative.ts';
import { ConvVae, VaeTask, vaeLoss } from '../../src/models/vae.ts';
import { reshape } from '../../src/ops/shape.ts';
import { Adam } from '../../src/optim/optimizers.ts';
import { Generator, manualSeed } from '../../src/tensor/random.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { resumeMismatch, tinyImages } from './generative-helpers.ts';

const spec = { inputShape: [1, 8, 8] as [number, number, number], numClasses: 4, latentDim: 3, width: 4 };

test('vae: encoder, decoder and forward shapes, conditional and not', () => {
  for (const conditional of [false, true]) {
    manualSeed(1);
    const vae = new ConvVae({ ...spec, conditional });
    const x = sampleLatents(5, 64, new Generator(2));
    const images = reshape(x, [5, 1, 8, 8]);
    const labels = conditional ? labelTensor([0, 1, 2, 3, 0]) : null;
    const { mu, logVar } = vae.encode(images, labels);
    assert.deepEqual(mu.shape, [5, 3]);
    assert.deepEqual(logVar.shape, [5, 3]);
    assert.deepEqual(vae.decodeLogits(mu, labels).shape, [5, 1, 8, 8]);
    const out = vae.decodeLatent(mu, labels);
    assert.ok(
      out.f32.every((v) => v >= 0 && v <= 1),
      'decoded images are probabilities',
    );
  }
  assert.throws(() => new ConvVae({ ...spec, inputShape: [1, 10, 10] }), /divisible by 4/);
});

test('vae: the KL term is 0 for μ = 0, log σ² = 0, and the loss falls over a few Adam steps', async () => {
  manualSeed(2);
  const vae = new ConvVae({ ...spec, conditional: true });
  const task = new VaeTask({ beta: 1 });
  const data = tinyImages(4, 8);
  const trainer = new Trainer({ model: vae, optimizer: new Adam(vae.parameters(), { lr: 1e-2 }), task });
  const history = await trainer.fit(data, { epochs: 6, val: data });
  assert.ok(history[5].trainLoss < history[0].trainLoss * 0.9, `loss ${history[0].trainLoss} → ${history[5].trainLoss}`);
  assert.ok(history[5].trainMetrics.recon > 0 && history[5].trainMetrics.kl >= 0);
  assert.ok(history[5].valLoss !== undefined && Number.isFinite(history[5].valLoss));
  // KL(N(0,1) ‖ N(0,1)) = 0: zero the stats layer so μ = log σ² = 0.
  vae.toStats.weight.f32.fill(0);
  vae.toStats.bias!.f32.fill(0);
  const { value } = await data.epoch(0)[Symbol.asyncIterator]().next();
  const r = vaeLoss(vae, value.x, value.y, {}, new Generator(1));
  assert.ok(Math.abs(r.kl.item()) < 1e-6, `kl ${r.kl.item()}`);
});

test('vae: sampling is determined by the seed', () => {
  manualSeed(3);
  const vae = new ConvVae({ ...spec, conditional: true });
  const labels = [0, 1, 2, 3];
  const a = generateImages(vae, { n: 4, labels, seed: 9 });
  const b = generateImages(vae, { n: 4, labels, seed: 9 });
  const c = generateImages(vae, { n: 4, labels, seed: 10 });
  assert.deepEqual(Array.from(a.f32), Array.from(b.f32));
  assert.notDeepEqual(Array.from(a.f32), Array.from(c.f32));
  assert.throws(() => generateImages(vae, { n: 4, seed: 1 }), /one label per image/);
});

test('vae: a run resumed from a mid-epoch checkpoint ends bit-identical to an uninterrupted one', async () => {
  const make = (seed: number) => {
    manualSeed(seed);
    const model = new ConvVae({ ...spec, conditional: true });
    return new Trainer({ model, optimizer: new Adam(model.parameters(), { lr: 1e-2 }), task: new VaeTask() });
  };
  assert.equal(await resumeMismatch(make, 5), null);
});
