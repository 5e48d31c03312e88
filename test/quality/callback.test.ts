/**
 * The quality scores during training (QualityCallback) on the planted case of planted.ts: a "generator" that returns
 * real images of the class it is asked for puts a high intended-label accuracy and an FD-clf near its floor into the
 * epoch report; one that returns noise a low accuracy and a far larger FD-clf. The sample is drawn through
 * withWeights (the EMA hook) with the callback's seed; and a run with --quality-per-class records them.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GenerativeModule, SampleOptions } from '../../src/models/generative.ts';
import { Module } from '../../src/nn/module.ts';
import { QualityCallback } from '../../src/quality/callback.ts';
import { REFERENCE_RECIPE, ReferenceClassifier } from '../../src/quality/reference.ts';
import { runTraining } from '../../src/runs/run.ts';
import { saveWeights } from '../../src/train/checkpoint.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import type { EpochReport, TrainerView } from '../../src/train/types.ts';
import { balanced, CLASSES, planted, SIZE, trainedReference } from './planted.ts';

/** A sequential "generator" over the planted classes: real-looking images of each asked label, or uniform noise. */
class PlantedGenerator extends Module implements GenerativeModule {
  readonly family = 'planted';
  readonly conditional = true;
  readonly numClasses = CLASSES;
  readonly imageShape: [number, number, number] = [1, SIZE, SIZE];
  readonly latentDim = 0;
  asked: SampleOptions[] = [];
  constructor(readonly noise: boolean) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x;
  }
  sample(o: SampleOptions): Tensor {
    this.asked.push(o);
    if (!this.noise) return planted(o.labels ?? [], 1000 + o.seed);
    let s = o.seed;
    const data = Float32Array.from({ length: o.n * SIZE * SIZE }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    return new Tensor(data, [o.n, 1, SIZE, SIZE]);
  }
}

async function epochScores(noise: boolean) {
  const model = new PlantedGenerator(noise);
  const judge = { reference: trainedReference(), classes: ['a', 'b', 'c', 'd'], realTrain: planted(balanced(120), 1), realTest: planted(balanced(120), 2) };
  let swaps = 0;
  const cb = new QualityCallback({
    perClass: 30,
    seed: 9,
    sample: { steps: 3 },
    load: async () => judge,
    withWeights: (_m, fn) => {
      swaps++;
      return fn();
    },
  });
  await cb.onFitStart();
  const report = { epoch: 0, trainLoss: 1, trainMetrics: {}, valLoss: 0.5, valMetrics: { loss: 0.5 } } as unknown as EpochReport;
  await cb.onEpochEnd({ model } as unknown as TrainerView, report);
  return { report, model, swaps };
}

test('QualityCallback: real images of the asked class score well, noise scores badly; both land in the epoch report', async () => {
  const good = await epochScores(false);
  const bad = await epochScores(true);
  const g = good.report.valMetrics as Record<string, number>;
  const b = bad.report.valMetrics as Record<string, number>;
  assert.equal(g.loss, 0.5, 'the validation metrics already there are kept');
  assert.ok(g.intendedAccuracy > 0.9, `planted accuracy ${g.intendedAccuracy}`);
  assert.ok(b.intendedAccuracy < 0.5, `noise accuracy ${b.intendedAccuracy}`);
  assert.ok(g.fdClf < 3 * g.fdClfFloor + 1, `planted FD ${g.fdClf} vs floor ${g.fdClfFloor}`);
  assert.ok(b.fdClf > 10 * g.fdClf, `noise FD ${b.fdClf} vs planted ${g.fdClf}`);
  assert.ok(g.classEntropy > 0.95 * Math.log(CLASSES), `entropy ${g.classEntropy}`);
  // Flattened like the Trainer's own metrics, so the progress line, metrics.jsonl and the dashboard see them.
  assert.equal(good.report.valIntendedAccuracy, g.intendedAccuracy);
  assert.equal(good.report.valFdClf, g.fdClf);
  // One draw of perClass × classes images, through the EMA hook, with the sampler settings and the seed asked for.
  assert.equal(good.swaps, 1);
  assert.equal(good.model.asked.length, 1);
  assert.equal(good.model.asked[0].n, 30 * CLASSES);
  assert.equal(good.model.asked[0].steps, 3);
  assert.equal(good.model.asked[0].seed, 9);
});

test('QualityCallback refuses a sample size below one per class (the recipe flag is off at 0; its range is checked with every recipe field)', () => {
  assert.throws(() => new QualityCallback({ perClass: 0, load: async () => Promise.reject(new Error('unused')) }), /perClass must be an integer ≥ 1/);
});

test('--quality-per-class on a run: the scores are in the epoch records of metrics.jsonl (reference read from the run store cache)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'simmer-quality-'));
  try {
    // A cached (untrained) reference for shapes, so the run does not spend minutes training one: the wiring is under test.
    const cache = join(root, '.reference');
    mkdirSync(cache, { recursive: true });
    const classes = ['circle', 'square', 'triangle', 'star'];
    saveWeights(join(cache, 'reference-shapes.safetensors'), new ReferenceClassifier([3, 32, 32], classes.length));
    const info = { dataset: 'shapes', classes, inputShape: [3, 32, 32], testAccuracy: 0.25, recipe: REFERENCE_RECIPE };
    writeFileSync(join(cache, 'reference-shapes.json'), JSON.stringify(info));
    const r = await runTraining(
      { dataset: 'shapes', model: 'vae-cond', epochs: 1, limit: 32, batchSize: 32, qualityPerClass: 3 },
      { root, quiet: true, progress: false },
    );
    const epochs = readFileSync(r.run.metrics, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((rec) => rec.type === 'epoch');
    assert.equal(epochs.length, 1);
    const e = epochs[0];
    for (const k of ['valIntendedAccuracy', 'valFdClf', 'valFdClfFloor', 'valClassEntropy'])
      assert.equal(typeof e[k], 'number', `${k} in ${Object.keys(e).join(', ')}`);
    assert.ok((e.valIntendedAccuracy as number) >= 0 && (e.valIntendedAccuracy as number) <= 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
