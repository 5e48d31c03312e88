/**
 * The quality score itself, on a planted case: four classes of 8×8 images (a bright quadrant per class, plus noise),
 * a reference classifier trained on them for a few steps, and planted "generators": one returning real held-out
 * images must score near the floor with high intended-label accuracy; one returning noise must score badly; one that
 * always draws the same class must show low entropy; one that returns training images must show a zero
 * nearest-neighbour distance (memorisation).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classEntropy, meanNearestDistance, scoreGenerator, takeRows } from '../../src/quality/scores.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { balanced, CLASSES, planted, SIZE, trainedReference } from './planted.ts';

test('quality scores on planted generators: real images score near the floor, noise scores badly', () => {
  const reference = trainedReference();
  const realTrain = planted(balanced(200), 1);
  const realTest = planted(balanced(200), 2);
  const common = { reference, numClasses: CLASSES, realTrain, realTest, perClass: 50, neighbourSamples: 30 };
  const real = scoreGenerator({ ...common, conditional: true, sampler: (labels, seed) => planted(labels, 1000 + seed) });
  const noise = scoreGenerator({
    ...common,
    conditional: true,
    sampler: (labels) =>
      new Tensor(
        Float32Array.from({ length: labels.length * SIZE * SIZE }, (_, i) => ((Math.sin(i * 12.9898) * 43758.5453) % 1 > 0 ? 0.9 : 0.05)),
        [labels.length, 1, SIZE, SIZE],
      ),
  });
  assert.ok(real.intendedAccuracy! > 0.95, `real images are classified as asked: ${real.intendedAccuracy}`);
  assert.ok(noise.intendedAccuracy! < 0.6, `noise is not: ${noise.intendedAccuracy}`);
  assert.ok(real.fd < 3 * real.fdFloor + 0.5, `real images score near the floor: FD ${real.fd} vs floor ${real.fdFloor}`);
  assert.ok(noise.fd > 10 * Math.max(real.fd, real.fdFloor, 0.01), `noise scores far above it: FD ${noise.fd} vs real ${real.fd}`);
  assert.ok(real.entropy > 0.95 * Math.log(CLASSES), `balanced real samples have near-uniform entropy: ${real.entropy}`);
  assert.ok(
    Math.abs(real.nnDistance - real.nnBaseline) < 0.5 * real.nnBaseline,
    `fresh real images are as far from the training set as test images: ${real.nnDistance} vs ${real.nnBaseline}`,
  );
  // An unconditional model gets no intended-label accuracy.
  assert.equal(scoreGenerator({ ...common, conditional: false, sampler: (labels, seed) => planted(labels, seed) }).intendedAccuracy, null);
});

test('quality scores: a collapsed generator shows low entropy, a memorising one a zero nearest-neighbour distance', () => {
  const reference = trainedReference();
  const realTrain = planted(balanced(200), 1);
  const realTest = planted(balanced(200), 2);
  const common = { reference, numClasses: CLASSES, realTrain, realTest, perClass: 25, neighbourSamples: 20, conditional: false };
  const collapsed = scoreGenerator({
    ...common,
    sampler: (labels, seed) =>
      planted(
        labels.map(() => 2),
        seed,
      ),
  });
  assert.ok(collapsed.entropy < 0.2, `one class only: entropy ${collapsed.entropy}`);
  assert.ok(collapsed.histogram[2] > 0.95);
  const memorising = scoreGenerator({ ...common, sampler: (labels) => takeRows(realTrain, 0, labels.length) });
  assert.ok(
    memorising.nnDistance < 1e-3 && memorising.nnBaseline > 0.5,
    `copies of training images: ${memorising.nnDistance} vs test ${memorising.nnBaseline}`,
  );
});

test('classEntropy and meanNearestDistance against hand values', () => {
  const { entropy, histogram } = classEntropy(Int32Array.from([0, 0, 1, 1]), 4);
  assert.ok(Math.abs(entropy - Math.log(2)) < 1e-12);
  assert.deepEqual(histogram, [0.5, 0.5, 0, 0]);
  const q = new Tensor(Float32Array.from([0, 0, 3, 4]), [2, 1, 1, 2]);
  const pool = new Tensor(Float32Array.from([0, 1, 3, 4]), [2, 1, 1, 2]);
  // query (0,0): nearest (0,1) at 1; query (3,4): itself at 0 → mean 0.5
  assert.ok(Math.abs(meanNearestDistance(q, pool) - 0.5) < 1e-6);
});
