/**
 * Sequential runs Conv2d → ReLU → MaxPool2d(2) as one fused kernel (inference, and training with the argmax kept),
 * and Linear → ReLU as one op (linearRelu):
 * the outputs and gradients equal those of the modules run one by one (forced here by hooks, which turn fusion off),
 * on both backends. The profiler's timing wrappers are not hooks: a profiled model runs the same fused kernels.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, manualSeed, noGrad, randint, randn, withBackend } from '../../src/index.ts';
import { jsBackend } from '../../src/backend/index.ts';
import { loadNativeBackend } from '../../src/backend/native/load.ts';
import { buildClassifier } from '../../src/models/classifiers.ts';
import { crossEntropy } from '../../src/ops/loss.ts';
import { SGD } from '../../src/optim/index.ts';
import { PROFILE, profileModules, startProfile, stopProfile } from '../../src/profile/index.ts';
import { skipUnless } from '../helpers/requirements.ts';

const native = loadNativeBackend();
for (const [name, b, skip] of [
  ['js', jsBackend, false],
  ['native', native.backend, skipUnless('native', native.backend !== null, native.error)],
] as const) {
  test(`fused Conv2d → ReLU → MaxPool2d equals the unfused modules (${name})`, { skip }, () => {
    withBackend(b!, () => {
      manualSeed(1);
      const m = buildClassifier('cnn-small', { inputShape: [1, 28, 28], numClasses: 10 });
      const x = randn([3, 1, 28, 28]);
      const y = randint(0, 10, [3]);
      startProfile();
      const fused = noGrad(() => m.forward(x)).f32;
      const l1 = crossEntropy(m.forward(x), y);
      backward(l1);
      const kernels = stopProfile().rows.map((r) => r.name);
      assert.ok(kernels.includes('conv2dReluMaxPool2') && kernels.includes('conv2dReluMaxPool2Argmax'), kernels.join(', '));
      const g1 = m.parameters().map((p) => p.grad!.f32.slice());
      for (const p of m.parameters()) p.grad = null;
      const unwrap = profileModules(m);
      startProfile();
      backward(crossEntropy(m.forward(x), y));
      const profiled = stopProfile().rows.map((r) => r.name);
      unwrap();
      assert.ok(profiled.includes('conv2dReluMaxPool2Argmax') && profiled.includes('Conv2d+ReLU+MaxPool2d.forward'), profiled.join(', '));
      for (const p of m.parameters()) p.grad = null;
      const hooks = m.children().map((c) => c.registerForwardHook(() => undefined));
      const plain = noGrad(() => m.forward(x)).f32;
      const l2 = crossEntropy(m.forward(x), y);
      backward(l2);
      hooks.forEach((h) => h.remove());
      assert.equal(PROFILE.on, false);
      assert.deepEqual(Array.from(fused), Array.from(plain));
      assert.equal(l1.item(), l2.item());
      m.parameters().forEach((p, i) => assert.deepEqual(Array.from(p.grad!.f32), Array.from(g1[i])));
    });
  });
  test(`fused Linear → ReLU equals the unfused modules, gradients and SGD steps included (${name})`, { skip }, () => {
    withBackend(b!, () => {
      manualSeed(2);
      const m = buildClassifier('mlp', { inputShape: [1, 28, 28], numClasses: 10 });
      const x = randn([5, 1, 28, 28]);
      const y = randint(0, 10, [5]);
      const initial = m.parameters().map((p) => p.f32.slice());
      const run = (): { loss: number[]; grads: number[][]; weights: number[][] } => {
        m.parameters().forEach((p, i) => p.f32.set(initial[i]));
        const opt = new SGD(m.parameters(), { lr: 0.1, momentum: 0.9 });
        const loss: number[] = [];
        let grads: number[][] = [];
        for (let s = 0; s < 3; s++) {
          opt.zeroGrad();
          const l = crossEntropy(m.forward(x), y);
          backward(l);
          loss.push(l.item());
          grads = m.parameters().map((p) => Array.from(p.grad!.f32));
          opt.step();
        }
        return { loss, grads, weights: m.parameters().map((p) => Array.from(p.f32)) };
      };
      startProfile();
      const fused = run();
      const rows = stopProfile().rows.map((r) => r.name);
      assert.ok(rows.includes('linearRelu.backward') && !rows.includes('relu.backward'), rows.join(', '));
      const hooks = m.children().map((c) => c.registerForwardHook(() => undefined));
      const plain = run();
      hooks.forEach((h) => h.remove());
      assert.deepEqual(fused, plain);
    });
  });
}
