import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { backward, manualSeed, mse, randn, type Tensor, tensor } from '../../src/index.ts';
import { Dropout, Flatten, Linear, ReLU, Sequential } from '../../src/nn/index.ts';
import { Adam, SGD } from '../../src/optim/index.ts';
import { StepLR } from '../../src/optim/schedule.ts';
import {
  Checkpointer,
  ConfusionMatrix,
  DivergenceError,
  EarlyStopping,
  loadCheckpoint,
  NonFiniteLossError,
  type Task,
  Trainer,
  topKAccuracy,
} from '../../src/train/index.ts';
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

describe('Task', () => {
  /** Batches of x only (no labels), for tasks that are not classification. */
  function xOnly(n: number, batches: number): { batchesPerEpoch: number; epoch(e: number, o?: { startBatch?: number }): AsyncIterable<{ x: Tensor }> } {
    manualSeed(77);
    const data = Array.from({ length: batches }, () => ({ x: randn([n, 4]) }));
    return {
      batchesPerEpoch: batches,
      async *epoch(_e, o = {}) {
        yield* data.slice(o.startBatch ?? 0);
      },
    };
  }

  test('a custom automatic task reports its metrics as train<Name>/val<Name>, and early stopping can monitor them', async () => {
    manualSeed(1);
    const model = new Linear(4, 4);
    const task: Task<{ x: Tensor }> = {
      name: 'identity',
      step: (m, b) => {
        const loss = mse(m.forward(b.x), b.x);
        return { loss, metrics: { error: loss.item() * 2 } };
      },
    };
    const stop = new EarlyStopping({ monitor: 'valError', patience: 1, minDelta: 10 });
    const dir = mkdtempSync(join(tmpdir(), 'simmer-monitor-'));
    const callbacks = [stop, new Checkpointer({ dir, monitor: 'valError' })];
    const t = new Trainer({ model, optimizer: new Adam(model.parameters(), { lr: 0.05 }), task, callbacks });
    const src = xOnly(8, 3);
    const h = await t.fit(src, { epochs: 10, val: src });
    assert.equal(h.length, 2, 'monitor valError with a huge minDelta stops after patience 1');
    assert.ok(Math.abs((h[0].trainError as number) - 2 * h[0].trainLoss) < 1e-6, 'metric means are count-weighted like the loss');
    assert.ok(Math.abs((h[0].valError as number) - 2 * (h[0].valLoss ?? 0)) < 1e-6);
    assert.deepEqual(Object.keys(h[0].valMetrics ?? {}), ['error']);
    assert.equal(h[0].trainAccuracy, undefined);
    const best = loadCheckpoint(join(dir, 'best.safetensors')).state.best;
    assert.equal(best?.metric, 'valError', 'the Checkpointer monitors a task metric by its report key');
    assert.equal(best?.value, Math.min(h[0].valError as number, h[1].valError as number));
  });

  test('a manual task steps two optimizers itself; both optimizers and the task state survive a checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simmer-task-'));
    const make = (seed: number) => {
      manualSeed(seed);
      const model = new Sequential(new Linear(4, 4), new Linear(4, 4));
      const [g, d] = model.children() as Linear[];
      const optG = new SGD(g.parameters(), { lr: 0.1, momentum: 0.9 });
      const optD = new Adam(d.parameters(), { lr: 0.01 });
      let steps = 0;
      const task: Task<{ x: Tensor }> = {
        name: 'two-player',
        optimization: 'manual',
        step: (m, b, ctx) => {
          // Two updates per batch, each with its own optimizer (the shape of a GAN step).
          ctx.optimizers.critic.zeroGrad();
          const lossD = mse(d.forward(b.x), b.x);
          backward(lossD);
          ctx.optimizers.critic.step();
          ctx.optimizer.zeroGrad();
          const lossG = mse(m.forward(b.x), b.x);
          backward(lossG);
          ctx.optimizer.step();
          steps++;
          return { loss: lossG.item(), metrics: { critic: lossD.item() } };
        },
        evaluate: async () => ({ loss: 0, metrics: {}, count: 1 }),
        stateDict: () => ({ json: { steps }, tensors: new Map([['ema', tensor([steps, 2 * steps])]]) }),
        loadStateDict: (s) => {
          steps = Number(s.json?.steps);
          assert.deepEqual(Array.from(s.tensors?.get('ema')?.data ?? []), [steps, 2 * steps]);
        },
      };
      return { trainer: new Trainer({ model, optimizer: optG, optimizers: { critic: optD }, task }), steps: () => steps };
    };
    const src = xOnly(8, 4);
    const full = make(5);
    await full.trainer.fit(src, { epochs: 3 });
    const first = make(5);
    first.trainer.callbacks.push({
      onBatchEnd(t) {
        if (t.globalStep === 6) {
          t.saveCheckpoint(join(dir, 'last.safetensors'));
          t.stopRequested = true;
        }
      },
    });
    await first.trainer.fit(src, { epochs: 3 });
    const resumed = make(99);
    resumed.trainer.restore(loadCheckpoint(join(dir, 'last.safetensors')));
    assert.equal(resumed.steps(), 6, 'the task state came back');
    await resumed.trainer.fit(src, { epochs: 3 });
    resumed.trainer.model.parameters().forEach((p, i) => assert.deepEqual(p.data, full.trainer.model.parameters()[i].data));
    assert.deepEqual(
      resumed.trainer.history.map((h) => h.trainCritic),
      full.trainer.history.map((h) => h.trainCritic),
    );
    // A checkpoint restored into a different task is refused by name.
    const other = new Trainer({ model: new Sequential(new Linear(4, 4), new Linear(4, 4)), optimizer: new SGD(new Linear(4, 4).parameters(), { lr: 1 }) });
    assert.throws(
      () => other.restore(loadCheckpoint(join(dir, 'last.safetensors'))),
      /written by task 'two-player' but this Trainer runs task 'classification'/,
    );
  });

  test('an automatic task that returns a number is told to return the Tensor or go manual', async () => {
    const model = new Linear(4, 4);
    const task: Task<{ x: Tensor }> = { name: 'bad', step: (m, b) => ({ loss: mse(m.forward(b.x), b.x).item() }) };
    const t = new Trainer({ model, optimizer: new SGD(model.parameters(), { lr: 0.1 }), task });
    await assert.rejects(t.fit(xOnly(4, 1), { epochs: 1 }), /returned the loss as a number; return the loss Tensor, or set optimization: 'manual'/);
  });
});

describe('divergence', () => {
  test('a NaN validation loss stops the run before any checkpoint of it is written (issue 12 item 3)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simmer-diverge-'));
    manualSeed(1);
    const model = new Linear(4, 4);
    let epoch = 0;
    // Training loss stays finite; validation turns NaN in the second epoch (what a huge lr did to a BN model).
    const task: Task<{ x: Tensor }> = {
      name: 'diverging',
      step: (m, b) => ({ loss: mse(m.forward(b.x), b.x) }),
      evaluate: async () => ({ loss: epoch++ === 0 ? 1 : Number.NaN, metrics: {}, count: 1 }),
    };
    const t = new Trainer({ model, optimizer: new SGD(model.parameters(), { lr: 0.01 }), task, callbacks: [new Checkpointer({ dir })] });
    const src = {
      batchesPerEpoch: 1,
      async *epoch() {
        yield { x: randn([4, 4]) };
      },
    };
    await assert.rejects(t.fit(src, { epochs: 3, val: src }), (e: Error) => {
      assert.ok(e instanceof DivergenceError);
      assert.match(e.message, /the validation loss is NaN after epoch 2; the model diverged and no checkpoint of it was written/);
      return true;
    });
    const last = loadCheckpoint(join(dir, 'last.safetensors'));
    assert.equal(last.state.epoch, 1, 'last.safetensors is still the epoch-1 checkpoint');
    assert.equal(loadCheckpoint(join(dir, 'best.safetensors')).state.best?.value, 1);
  });

  test('NaN weights after an epoch are divergence too, named by the first bad tensor', async () => {
    manualSeed(1);
    const model = new Linear(4, 4);
    const task: Task<{ x: Tensor }> = {
      name: 'poison',
      optimization: 'manual',
      step: (m) => {
        (m.parameters()[0].data as Float32Array)[0] = Number.NaN;
        return { loss: 1 };
      },
    };
    const t = new Trainer({ model, optimizer: new SGD(model.parameters(), { lr: 0.01 }), task });
    const src = {
      batchesPerEpoch: 1,
      async *epoch() {
        yield { x: randn([4, 4]) };
      },
    };
    await assert.rejects(t.fit(src, { epochs: 1 }), /the weights hold NaN or Infinity \(first in 'weight'\)/);
  });

  test('no overfitting warning in the first two epochs, even with a wide train/validation gap (issue 12 item 14)', async () => {
    manualSeed(1);
    const model = new Linear(4, 2);
    const warnings: string[] = [];
    let call = 0;
    const task: Task<{ x: Tensor }> = {
      name: 'gap',
      step: (m, b) => ({ loss: mse(m.forward(b.x), b.x.narrow(1, 0, 2)), metrics: { accuracy: 0.9 } }),
      // Validation accuracy far below training and flat from epoch 3 on.
      evaluate: async () => ({ loss: 1, metrics: { accuracy: call++ < 2 ? 0.1 + call * 0.1 : 0.3 }, count: 1 }),
    };
    const t = new Trainer({ model, optimizer: new SGD(model.parameters(), { lr: 0.01 }), task, callbacks: [{ onWarning: (_t, m) => warnings.push(m) }] });
    const src = {
      batchesPerEpoch: 1,
      async *epoch() {
        yield { x: randn([4, 4]) };
      },
    };
    await t.fit(src, { epochs: 3, val: src });
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /^epoch 3: train accuracy 90\.0% is 60\.0 points above validation/);
  });

  test('a rising validation loss is called overfitting, except for a task whose loss does not track fit (a GAN)', async () => {
    const warningsFor = async (lossTracksFit: boolean | undefined): Promise<string[]> => {
      manualSeed(1);
      const model = new Linear(4, 2);
      const warnings: string[] = [];
      let call = 0;
      const x = randn([4, 4]); // one fixed batch, so the training loss falls every epoch
      const task: Task<{ x: Tensor }> = {
        name: 'rising',
        lossTracksFit,
        step: (m, b) => ({ loss: mse(m.forward(b.x), b.x.narrow(1, 0, 2)) }),
        evaluate: async () => ({ loss: 1 + call++, metrics: {}, count: 1 }), // validation loss 1, 2, 3, 4
      };
      const t = new Trainer({ model, optimizer: new SGD(model.parameters(), { lr: 0.01 }), task, callbacks: [{ onWarning: (_t, m) => warnings.push(m) }] });
      const src = {
        batchesPerEpoch: 1,
        async *epoch() {
          yield { x };
        },
      };
      await t.fit(src, { epochs: 4, val: src });
      return warnings;
    };
    const plain = await warningsFor(undefined);
    assert.ok(plain.length > 0 && plain.every((w) => /validation loss rose/.test(w)), plain.join('\n'));
    assert.deepEqual(await warningsFor(false), []);
  });
});
