/** Dcgan and GanTask: shapes, two optimizers in one manual step, seeded sampling, bit-exact resume (both optimizers + RNG). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Dcgan, GanTask } from '../../src/models/dcgan.ts';
import { generateImages, labelTensor, sampleLatents } from '../../src/models/generative.ts';
import { buildGenerativeTraining, GENERATIVE_MODELS, isGenerativeModel, withGenerativeDefaults } from '../../src/models/registry.ts';
import { affine } from '../../src/ops/elementwise.ts';
import { Adam } from '../../src/optim/optimizers.ts';
import { Generator, manualSeed } from '../../src/tensor/random.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { sameState, tinyImages } from './generative-helpers.ts';

const spec = { inputShape: [1, 8, 8] as [number, number, number], numClasses: 4, latentDim: 4, width: 4 };

function ganTrainer(seed: number, conditional: boolean, loss: 'nonsaturating' | 'hinge' = 'nonsaturating') {
  manualSeed(seed);
  const model = new Dcgan({ ...spec, conditional });
  const adam = { lr: 2e-3, beta1: 0.5, beta2: 0.999 };
  return new Trainer({
    model,
    optimizer: new Adam(model.generator.parameters(), adam),
    optimizers: { discriminator: new Adam(model.discriminator.parameters(), adam) },
    task: new GanTask({ loss, labelSmoothing: loss === 'hinge' ? 0 : 0.1 }),
  });
}

test('dcgan: generator and discriminator shapes; images in [0, 1]', () => {
  for (const conditional of [false, true]) {
    manualSeed(1);
    const gan = new Dcgan({ ...spec, conditional });
    const z = sampleLatents(3, 4, new Generator(1));
    const labels = conditional ? labelTensor([0, 3, 1]) : undefined;
    const fake = gan.generator.forward(z, labels);
    assert.deepEqual(fake.shape, [3, 1, 8, 8]);
    assert.ok(
      fake.f32.every((v) => v >= -1 && v <= 1),
      'tanh output',
    );
    assert.deepEqual(gan.discriminator.forward(fake, labels).shape, [3, 1]);
    const images = gan.decodeLatent(z, labels ?? null);
    assert.ok(images.f32.every((v) => v >= 0 && v <= 1));
    assert.deepEqual(Array.from(images.f32), Array.from(affine(fake, 0.5, 0.5).f32));
  }
});

test('dcgan: one manual step updates both networks; the discriminator learns to tell real from fake', async () => {
  for (const loss of ['nonsaturating', 'hinge'] as const) {
    const trainer = ganTrainer(2, true, loss);
    const gan = trainer.model as Dcgan;
    const g0 = Float32Array.from(gan.generator.project.weight.f32);
    const d0 = Float32Array.from(gan.discriminator.head.weight.f32);
    const data = tinyImages(4, 8);
    const history = await trainer.fit(data, { epochs: 4, val: data });
    assert.notDeepEqual(Array.from(gan.generator.project.weight.f32), Array.from(g0), 'generator stepped');
    assert.notDeepEqual(Array.from(gan.discriminator.head.weight.f32), Array.from(d0), 'discriminator stepped');
    const first = history[0].trainMetrics.dLoss;
    const last = history[3].trainMetrics.dLoss;
    assert.ok(Number.isFinite(history[3].trainMetrics.gLoss) && last < first, `${loss}: D loss ${first} → ${last}`);
    assert.ok(history[3].valMetrics && Number.isFinite(history[3].valMetrics.dLoss), "evaluated with the task's evaluate()");
  }
});

test('dcgan: sampling is determined by the seed', () => {
  manualSeed(3);
  const gan = new Dcgan({ ...spec, conditional: true });
  const labels = [0, 1, 2, 3];
  const a = generateImages(gan, { n: 4, labels, seed: 4 });
  assert.deepEqual(Array.from(a.f32), Array.from(generateImages(gan, { n: 4, labels, seed: 4 }).f32));
  assert.notDeepEqual(Array.from(a.f32), Array.from(generateImages(gan, { n: 4, labels, seed: 5 }).f32));
});

test('dcgan: resumed from a mid-epoch checkpoint, both networks, both optimizers and the RNG continue bit-exact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simmer-gan-'));
  try {
    const data = tinyImages(4, 8);
    const full = ganTrainer(5, false);
    await full.fit(data, { epochs: 2 });
    const first = ganTrainer(5, false);
    first.callbacks.push({ onBatchEnd: (t) => void (t.globalStep >= 5 && (t.stopRequested = true)) });
    await first.fit(data, { epochs: 2 });
    const path = join(dir, 'mid.safetensors');
    first.saveCheckpoint(path);
    const resumed = ganTrainer(77, false);
    resumed.restore(loadCheckpoint(path));
    await resumed.fit(data, { epochs: 2 });
    assert.equal(sameState(full.model, resumed.model), null);
    const optD = (t: { optimizers: Trainer['optimizers'] }) => t.optimizers.discriminator.stateDict();
    assert.deepEqual(optD(resumed).scalars ?? null, optD(full).scalars ?? null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('registry: generative names, recipe defaults, and the built training pieces', () => {
  assert.deepEqual([...GENERATIVE_MODELS].sort(), [
    'autoencoder',
    'dcgan',
    'dcgan-cond',
    'dcgan-hinge',
    'ddpm',
    'ddpm-cond',
    'ddpm-cosine',
    'ddpm-small',
    'ddpm-v',
    'pixel-transformer',
    'pixel-transformer-cond',
    'text2img',
    'vae',
    'vae-cond',
  ]);
  assert.ok(isGenerativeModel('vae') && !isGenerativeModel('cnn-small'));
  assert.equal(withGenerativeDefaults({ model: 'dcgan', lr: 0 }).lr, 2e-4);
  assert.equal(withGenerativeDefaults({ model: 'dcgan', lr: 1e-3 }).lr, 1e-3);
  assert.deepEqual(withGenerativeDefaults({ model: 'cnn-small', lr: 0 }), { model: 'cnn-small', lr: 0 });
  const gan = buildGenerativeTraining('dcgan-cond', { inputShape: [1, 8, 8], numClasses: 4 }, { lr: 1e-3 });
  assert.ok(gan.model.conditional && gan.optimizers.discriminator && gan.task.optimization === 'manual');
  const vae = buildGenerativeTraining('vae', { inputShape: [1, 8, 8], numClasses: 4 }, { lr: 1e-3 });
  assert.deepEqual(vae.optimizers, {});
  assert.throws(() => buildGenerativeTraining('cnn-small', { inputShape: [1, 8, 8], numClasses: 4 }, { lr: 1e-3 }), /cannot|not a generative model.*vae/);
});
