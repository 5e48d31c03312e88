/** `simmer generate`'s pieces: class resolution, checkpoint opening (a classifier is refused, naming what can generate). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveClasses } from '../../src/cli/commands/generate.ts';
import { buildClassifier } from '../../src/models/classifiers.ts';
import { generateImages } from '../../src/models/generative.ts';
import { buildGenerativeTraining, isGenerativeCheckpointFile, openGenerativeCheckpoint } from '../../src/models/registry.ts';
import { Adam } from '../../src/optim/optimizers.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Trainer } from '../../src/train/trainer.ts';

const classes = ['circle', 'square', 'triangle'];

test('resolveClasses: names, indices and all; an unknown class lists the classes', () => {
  assert.deepEqual(resolveClasses(['square', '2'], classes), [1, 2]);
  assert.deepEqual(resolveClasses([], classes), [0, 1, 2]);
  assert.deepEqual(resolveClasses(['all'], classes), [0, 1, 2]);
  assert.throws(() => resolveClasses(['hexagon'], classes), /unknown class 'hexagon'; the classes are: 0 circle, 1 square, 2 triangle/);
  assert.throws(() => resolveClasses(['7'], classes), /unknown class '7'/);
});

test('openGenerativeCheckpoint: a VAE checkpoint reopens and samples the same images; a classifier checkpoint is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simmer-gen-'));
  try {
    manualSeed(1);
    const built = buildGenerativeTraining('vae-cond', { inputShape: [1, 8, 8], numClasses: 3 }, { lr: 1e-3 });
    const config = { recipe: { model: 'vae-cond', dataset: 'shapes' }, classes, inputShape: [1, 8, 8] };
    const vaePath = join(dir, 'vae.safetensors');
    new Trainer({ model: built.model, optimizer: built.optimizer, task: built.task, config }).saveCheckpoint(vaePath);
    assert.ok(isGenerativeCheckpointFile(vaePath));
    const opened = openGenerativeCheckpoint(vaePath);
    assert.equal(opened.name, 'vae-cond');
    assert.deepEqual(opened.classes, classes);
    const a = generateImages(built.model, { n: 3, labels: [0, 1, 2], seed: 4 });
    const b = generateImages(opened.model, { n: 3, labels: [0, 1, 2], seed: 4 });
    assert.deepEqual(Array.from(a.f32), Array.from(b.f32));

    const clf = buildClassifier('mlp', { inputShape: [1, 8, 8], numClasses: 3 });
    const clfPath = join(dir, 'clf.safetensors');
    new Trainer({ model: clf, optimizer: new Adam(clf.parameters()), config: { recipe: { model: 'mlp' }, classes, inputShape: [1, 8, 8] } }).saveCheckpoint(
      clfPath,
    );
    assert.equal(isGenerativeCheckpointFile(clfPath), false);
    assert.throws(() => openGenerativeCheckpoint(clfPath), /model 'mlp', which cannot generate images; the models that can are: vae, vae-cond, dcgan/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
