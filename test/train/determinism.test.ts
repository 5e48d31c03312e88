/**
 * Seeded runs are bit-reproducible at the default thread count (issue 12, item 2): every threaded reduction in the
 * native kernels sums in a fixed order (fixed partition by index, partial sums combined in index order), so two runs
 * of the same seeded training end with identical bytes, not merely close values.
 *
 * The model is a small CNN (conv → relu → maxpool → linear) whose batch is large enough that conv2dBackwardWeight
 * takes its batch-parallel path (per-chunk partial gradients summed at the end), which is where timing used to leak
 * into the result. SIMMER_THREADS is left as it is (unset = all cores).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Conv2dGeometry } from '../../src/backend/backend.ts';
import { backend, crossEntropy, manualSeed, randint, randn } from '../../src/index.ts';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/index.ts';
import { Adam } from '../../src/optim/index.ts';

/** The first index where two buffers differ bitwise, or -1. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  assert.equal(ua.length, ub.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

/** Trains the CNN for `steps` Adam steps from `seed` on synthetic data and returns copies of every parameter. */
function trainSeeded(seed: number, steps: number): Float32Array[] {
  manualSeed(seed);
  const model = new Sequential(
    new Conv2d(1, 8, 3, { padding: 1 }),
    new ReLU(),
    new Conv2d(8, 16, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(16 * 8 * 8, 10),
  );
  const images = randn([32, 1, 16, 16]);
  const labels = randint(0, 10, [32]);
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  for (let step = 0; step < steps; step++) {
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(images), labels);
    loss.backward();
    opt.step();
  }
  return model.parameters().map((p) => p.f32.slice());
}

test(`two seeded CNN trainings end bit-identical (${backend().name} backend, default threads)`, () => {
  const first = trainSeeded(7, 30);
  const second = trainSeeded(7, 30);
  assert.equal(first.length, second.length);
  for (let i = 0; i < first.length; i++) {
    const at = firstBitDifference(first[i], second[i]);
    assert.equal(at, -1, `parameter ${i} differs between the two runs at element ${at}: ${first[i][at]} vs ${second[i][at]}`);
  }
  // The runs did train (otherwise identical results would prove nothing).
  const third = trainSeeded(8, 30);
  assert.notEqual(firstBitDifference(first[0], third[0]), -1, 'a different seed should give different weights');
});

test(`conv2dBackwardWeight on a batch that uses every thread gives the same bits on every call (${backend().name})`, () => {
  const g: Conv2dGeometry = {
    n: 24,
    c: 32,
    h: 14,
    w: 14,
    k: 64,
    r: 3,
    s: 3,
    oh: 14,
    ow: 14,
    strideH: 1,
    strideW: 1,
    padH: 1,
    padW: 1,
    dilationH: 1,
    dilationW: 1,
    groups: 1,
  };
  manualSeed(3);
  const x = randn([g.n, g.c, g.h, g.w]).f32;
  const gy = randn([g.n, g.k, g.oh, g.ow]).f32;
  const want = new Float32Array(g.k * g.c * g.r * g.s);
  backend().conv2dBackwardWeight(x, gy, want, g);
  for (let call = 0; call < 20; call++) {
    const got = new Float32Array(want.length);
    backend().conv2dBackwardWeight(x, gy, got, g);
    const at = firstBitDifference(got, want);
    assert.equal(at, -1, `call ${call} differs at element ${at}: ${got[at]} vs ${want[at]}`);
  }
});
