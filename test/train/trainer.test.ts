import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { manualSeed, tensor } from '../../src/index.ts';
import { Dropout, Flatten, Linear, ReLU, Sequential } from '../../src/nn/index.ts';
import { Adam, SGD } from '../../src/optim/index.ts';
import { StepLR } from '../../src/optim/schedule.ts';
import { Checkpointer, ConfusionMatrix, EarlyStopping, loadCheckpoint, NonFiniteLossError, Trainer, topKAccuracy } from '../../src/train/index.ts';
import { arraySource, blobs } from '../helpers/blobs.ts';

function makeTrainer(seed: number, lr = 0.05) {
  manualSeed(seed);
  const model = new Sequential(new Flatten(), new Linear(16, 32), new ReLU(), new Dropout(0.1), new Linear(32, 4));
  const optimizer = new SGD(model.parameters(), { lr, momentum: 0.9 });
  const scheduler = new StepLR(optimizer, 2, 0.5);
  return new Trainer({ model, optimizer, scheduler });
}

const train = arraySource(blobs(256, 4, 1), 32, 7);
const val = arraySource(blobs(128, 4, 2), 64, 7, false);

describe('Trainer', () => {
  test('fit lowers the loss and reports train and validation side by side', async () => {
    const t = makeTrainer(1);
    const history = await t.fit(train, { epochs: 3, val });
    assert.equal(history.length, 3);
    assert.ok(history[2].trainLoss < history[0].trainLoss);
    assert.ok((history[2].valAccuracy ?? 0) > 0.9, `val accuracy ${history[2].valAccuracy}`);
    assert.ok(history.every((h) => h.valLoss !== undefined && h.imagesPerSec > 0 && h.dataWaitFraction >= 0));
    assert.equal(history[2].lr, 0.025, 'StepLR(2, 0.5) stepped once per epoch');
  });

  test('a seeded run is reproducible bit for bit', async () => {
    const a = makeTrainer(4);
    await a.fit(train, { epochs: 2 });
    const b = makeTrainer(4);
    await b.fit(train, { epochs: 2 });
    a.model.parameters().forEach((p, i) => assert.deepEqual(p.data, b.model.parameters()[i].data));
  });

  test('resuming from a mid-epoch checkpoint ends with exactly the weights of an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simmer-resume-'));
    const full = makeTrainer(9);
    await full.fit(train, { epochs: 3 });
    const first = makeTrainer(9);
    first.callbacks.push({
      onBatchEnd(t) {
        if (t.globalStep === 13) {
          t.saveCheckpoint(join(dir, 'last.safetensors'));
          t.stopRequested = true;
        }
      },
    });
    await first.fit(train, { epochs: 3 });
    assert.equal(first.globalStep, 13);
    const resumed = makeTrainer(123); // different init: everything must come from the checkpoint
    resumed.restore(loadCheckpoint(join(dir, 'last.safetensors')));
    assert.equal(resumed.epoch, 1);
    assert.equal(resumed.batchInEpoch, 5);
    await resumed.fit(train, { epochs: 3 });
    resumed.model.parameters().forEach((p, i) => assert.deepEqual(p.data, full.model.parameters()[i].data));
    assert.deepEqual(
      resumed.history.map((h) => h.trainLoss),
      full.history.map((h) => h.trainLoss),
    );
  });

  test('a NaN loss stops training with the step named and keeps the last good checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simmer-nan-'));
    const t = makeTrainer(2, 1e6);
    t.callbacks.push(new Checkpointer({ dir }));
    await assert.rejects(t.fit(train, { epochs: 50 }), (e: Error) => {
      assert.ok(e instanceof NonFiniteLossError);
      assert.match(e.message, /the loss became (NaN|Infinity|-Infinity) at epoch \d+, batch \d+ \(step \d+\)\. The last good checkpoint is kept/);
      return true;
    });
  });

  test('early stopping ends the run when validation stops improving', async () => {
    manualSeed(3);
    const model = new Sequential(new Flatten(), new Linear(16, 4));
    const t = new Trainer({ model, optimizer: new Adam(model.parameters(), { lr: 0 }), callbacks: [new EarlyStopping({ patience: 2 })] });
    const warnings: string[] = [];
    t.callbacks.push({ onWarning: (_t, m) => warnings.push(m) });
    const h = await t.fit(train, { epochs: 20, val });
    assert.equal(h.length, 3);
    assert.match(warnings.join('\n'), /early stopping after epoch 3/);
  });

  test('evaluate gives loss, accuracy, top-k and a confusion matrix; predict gives probabilities', async () => {
    const t = makeTrainer(5);
    await t.fit(train, { epochs: 2 });
    const r = await t.evaluate(val);
    assert.equal(r.count, 128);
    assert.equal(r.confusion.total, 128);
    assert.ok(r.topK >= r.accuracy);
    const first = await val.epoch(0)[Symbol.asyncIterator]().next();
    const p = t.predict(first.value.x);
    for (let i = 0; i < p.shape[0]; i++) {
      let s = 0;
      for (let j = 0; j < 4; j++) s += p.f32[i * 4 + j];
      assert.ok(Math.abs(s - 1) < 1e-5);
    }
  });
});

describe('metrics', () => {
  test('confusion matrix, per-class precision/recall/F1 by hand', () => {
    const cm = new ConfusionMatrix(3);
    cm.update(tensor([0, 1, 1, 2, 2, 0], 'int32'), tensor([0, 1, 2, 2, 2, 1], 'int32'));
    assert.deepEqual(cm.toArray(), [
      [1, 0, 0],
      [1, 1, 0],
      [0, 1, 2],
    ]);
    assert.equal(cm.accuracy(), 4 / 6);
    const [c0, c1, c2] = cm.perClass();
    assert.deepEqual([c0.precision, c0.recall], [0.5, 1]);
    assert.deepEqual([c1.precision, c1.recall], [0.5, 0.5]);
    assert.deepEqual([c2.precision, c2.recall], [1, 2 / 3]);
    assert.ok(Math.abs(c2.f1 - 0.8) < 1e-12);
  });
  test('top-k accuracy', () => {
    const logits = tensor([
      [0.1, 0.5, 0.4],
      [0.9, 0.04, 0.06],
    ]);
    const y = tensor([2, 1], 'int32');
    assert.equal(topKAccuracy(logits, y, 1), 0);
    assert.equal(topKAccuracy(logits, y, 2), 0.5);
    assert.equal(topKAccuracy(logits, y, 3), 1);
  });
});
