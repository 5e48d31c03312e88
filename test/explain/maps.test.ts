/**
 * Explanations checked against independent truth: Grad-CAM of a hand-built network whose answer is worked out on
 * paper, saliency against central finite differences, feature maps against the conv layer run on its own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/index.ts';
import { noGrad } from '../../src/autograd/grad-mode.ts';
import { featureMaps, firstLayerFilters, gradCam, resizeBilinear, saliency } from '../../src/explain/maps.ts';
import { ReLU } from '../../src/nn/layers/activation.ts';
import { Sequential } from '../../src/nn/layers/container.ts';
import { Conv2d } from '../../src/nn/layers/conv.ts';
import { Linear } from '../../src/nn/layers/linear.ts';
import { AdaptiveAvgPool2d, Flatten, MaxPool2d } from '../../src/nn/layers/pool.ts';
import { randn } from '../../src/tensor/creation.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

/**
 * conv 1x1 (1 → 2 channels): A0 = 2x + 1, A1 = -x; global average pool; linear 2 → 2 with W = [[1, -2], [0.5, 3]].
 * score_c = Σ_k W[c,k] · mean(A_k), so ∂score_c/∂A_k(i,j) = W[c,k] / (H·W) everywhere and α_k = W[c,k] / (H·W).
 */
function handBuilt(): Sequential {
  const conv = new Conv2d(1, 2, 1);
  conv.weight.data.set([2, -1]);
  conv.bias!.data.set([1, 0]);
  const fc = new Linear(2, 2);
  fc.weight.data.set([1, -2, 0.5, 3]);
  fc.bias!.data.set([0, 0]);
  return new Sequential(conv, new AdaptiveAvgPool2d(1), new Flatten(), fc);
}

test('Grad-CAM of a hand-built network matches the map worked out by hand', () => {
  const model = handBuilt();
  const x = [0, 1, 2, -1, 0.5, 3, -2, 1, 0];
  const input = new Tensor(Float32Array.from(x), [1, 1, 3, 3]);
  for (const [cls, W] of [
    [0, [1, -2]],
    [1, [0.5, 3]],
  ] as [number, number[]][]) {
    const cam = gradCam(model, input, { classIndex: cls });
    assert.equal(cam.layer, '0');
    const alpha = W.map((v) => v / 9);
    cam.weights.forEach((a, k) => assert.ok(Math.abs(a - alpha[k]) < 1e-6, `α_${k} = ${a}, expected ${alpha[k]}`));
    // By hand: cam(i,j) = ReLU(α0 (2x + 1) + α1 (−x)).
    const expected = x.map((v) => Math.max(0, alpha[0] * (2 * v + 1) + alpha[1] * -v));
    expected.forEach((e, i) => assert.ok(Math.abs(cam.raw.data[i] - e) < 1e-6, `raw[${i}] = ${cam.raw.data[i]}, expected ${e}`));
    const max = Math.max(...expected);
    expected.forEach((e, i) => assert.ok(Math.abs(cam.map.data[i] - e / max) < 1e-6));
  }
  // The model's parameters are untouched: no gradient is left behind.
  for (const p of model.parameters()) assert.equal(p.grad, null);
});

test('Grad-CAM picks the last conv layer by default and upsamples to the input size', () => {
  manualSeed(3);
  const model = new Sequential(
    new Conv2d(3, 4, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(4, 5, 3, { padding: 1 }),
    new ReLU(),
    new Flatten(),
    new Linear(5 * 4 * 4, 3),
  );
  const cam = gradCam(model, randn([1, 3, 8, 8]));
  assert.equal(cam.layer, '3');
  assert.deepEqual([cam.raw.height, cam.raw.width, cam.map.height, cam.map.width], [4, 4, 8, 8]);
  const max = Math.max(...cam.map.data);
  assert.ok(max === 0 || Math.abs(max - 1) < 1e-6);
  assert.ok(cam.map.data.every((v) => v >= 0 && v <= 1));
});

test('saliency equals the largest |finite-difference gradient| over channels', () => {
  manualSeed(7);
  const model = new Sequential(new Conv2d(2, 3, 3, { padding: 1 }), new ReLU(), new Flatten(), new Linear(3 * 4 * 4, 3));
  const x = randn([1, 2, 4, 4]);
  const cls = 1;
  const { map, classIndex } = saliency(model, x, cls);
  assert.equal(classIndex, cls);
  const score = (data: Float32Array) => noGrad(() => model.forward(new Tensor(data, [1, 2, 4, 4])).f32[cls]);
  const eps = 1e-2;
  for (let i = 0; i < 16; i++) {
    let best = 0;
    for (let c = 0; c < 2; c++) {
      const plus = Float32Array.from(x.f32);
      const minus = Float32Array.from(x.f32);
      plus[c * 16 + i] += eps;
      minus[c * 16 + i] -= eps;
      best = Math.max(best, Math.abs((score(plus) - score(minus)) / (2 * eps)));
    }
    assert.ok(Math.abs(map.data[i] - best) < 2e-3, `pixel ${i}: saliency ${map.data[i]}, finite difference ${best}`);
  }
});

test('featureMaps returns every conv layer output, equal to running the layer on its own', () => {
  manualSeed(1);
  const conv1 = new Conv2d(1, 2, 3, { padding: 1 });
  const conv2 = new Conv2d(2, 3, 3);
  const model = new Sequential(conv1, new ReLU(), conv2, new Flatten(), new Linear(3 * 3 * 3, 2));
  const x = randn([1, 1, 5, 5]);
  const maps = featureMaps(model, x);
  assert.deepEqual(
    maps.map((m) => [m.name, m.shape]),
    [
      ['0', [1, 2, 5, 5]],
      ['2', [1, 3, 3, 3]],
    ],
  );
  const direct = noGrad(() => conv1.forward(x)).f32;
  direct.forEach((v, i) => assert.ok(Math.abs(maps[0].data[i] - v) < 1e-6));
});

test('firstLayerFilters scales every filter to [0, 1] on its own', () => {
  const conv = new Conv2d(3, 2, 2);
  conv.weight.data.set([...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], ...Array(12).fill(-1)]);
  const f = firstLayerFilters(new Sequential(conv, new Flatten()));
  assert.deepEqual(f.shape, [2, 3, 2, 2]);
  assert.deepEqual(f.images[0].shape, [3, 2, 2]);
  assert.deepEqual(
    Array.from(f.images[0].image),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((v) => Math.fround(v / 11)),
  );
  assert.ok(f.images[1].image.every((v) => v === 0.5)); // a constant filter has no contrast to show
});

test('resizeBilinear keeps a constant map constant and interpolates half-pixel centres', () => {
  assert.deepEqual(Array.from(resizeBilinear(Float32Array.from([2, 2, 2, 2]), 2, 2, 4, 4)), Array(16).fill(2));
  // 1x2 → 1x4 with half-pixel centres: [0, 1] → [0, 0.25, 0.75, 1].
  assert.deepEqual(Array.from(resizeBilinear(Float32Array.from([0, 1]), 1, 2, 1, 4)), [0, 0.25, 0.75, 1]);
});
