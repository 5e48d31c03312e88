import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crossEntropy, manualSeed, randint, randn, type Tensor, tensor } from '../../src/index.ts';
import { Linear, Parameter, ReLU, Sequential } from '../../src/nn/index.ts';
import {
  Adam,
  AdamW,
  CosineAnnealingLR,
  clipGradNorm,
  clipGradValue,
  ExponentialLR,
  MultiStepLR,
  OneCycleLR,
  ReduceLROnPlateau,
  RMSprop,
  SGD,
  StepLR,
} from '../../src/optim/index.ts';
import { lrFind } from '../../src/train/lr-finder.ts';

/** A parameter p with a fixed gradient g (the optimizer only reads .grad). */
function withGrad(p: number[], g: number[]): Parameter {
  const t = new Parameter(tensor(p));
  t.grad = tensor(g);
  return t;
}

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++)
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])), `element ${i}: ${actual[i]} vs ${expected[i]}`);
}

describe('optimizers take the steps PyTorch documents (hand-computed)', () => {
  test('plain SGD with weight decay', () => {
    const p = withGrad([1, -2], [0.5, 0.25]);
    new SGD([p], { lr: 0.1, weightDecay: 0.01 }).step();
    // g' = g + wd·p = [0.51, 0.23]; p -= 0.1·g'
    close(p.f32, [1 - 0.051, -2 - 0.023]);
  });

  test('SGD momentum: buf = g on step 1, then μ·buf + g', () => {
    const p = withGrad([1], [1]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    opt.step(); // buf = 1, p = 0.9
    p.grad = tensor([2]);
    opt.step(); // buf = 0.9 + 2 = 2.9, p = 0.9 - 0.29
    close(p.f32, [0.61]);
  });

  test('SGD Nesterov and dampening', () => {
    const p = withGrad([0], [1]);
    const opt = new SGD([p], { lr: 1, momentum: 0.5, nesterov: true });
    opt.step(); // buf = 1, update g + μ·buf = 1.5
    close(p.f32, [-1.5]);
    p.grad = tensor([1]);
    opt.step(); // buf = 0.5 + 1 = 1.5, update 1 + 0.75
    close(p.f32, [-1.5 - 1.75]);
    const q = withGrad([0], [1]);
    const damp = new SGD([q], { lr: 1, momentum: 0.5, dampening: 0.5 });
    damp.step(); // first step: buf = g
    q.grad = tensor([1]);
    damp.step(); // buf = 0.5 + 0.5·1 = 1
    close(q.f32, [-2]);
    assert.throws(() => new SGD([q], { lr: 1, nesterov: true }), /Nesterov momentum needs momentum > 0/);
  });

  test('Adam: two steps by hand', () => {
    const p = withGrad([1], [0.5]);
    const opt = new Adam([p], { lr: 0.1 });
    opt.step();
    // m = 0.05, v = 0.00025; m̂ = 0.5, v̂ = 0.25 → step 0.1·0.5/(0.5+1e-8)
    close(p.f32, [0.9], 1e-6);
    p.grad = tensor([-1]);
    opt.step();
    const m = 0.9 * 0.05 + 0.1 * -1;
    const v = 0.999 * 0.00025 + 0.001 * 1;
    const mh = m / (1 - 0.9 ** 2);
    const vh = v / (1 - 0.999 ** 2);
    close(p.f32, [0.9 - (0.1 * mh) / (Math.sqrt(vh) + 1e-8)], 1e-5);
  });

  test('Adam L2 decay vs AdamW decoupled decay', () => {
    const a = withGrad([2], [0]);
    new Adam([a], { lr: 0.1, weightDecay: 0.5 }).step();
    // g = 0 + 0.5·2 = 1 → normalised step of exactly lr
    close(a.f32, [1.9], 1e-6);
    const w = withGrad([2], [0]);
    new AdamW([w], { lr: 0.1, weightDecay: 0.5 }).step();
    // p -= lr·wd·p = 0.1 → 1.9; m = 0 so no Adam step
    close(w.f32, [1.9], 1e-6);
  });

  test('RMSprop', () => {
    const p = withGrad([1], [2]);
    new RMSprop([p], { lr: 0.01, alpha: 0.9 }).step();
    // sq = 0.1·4 = 0.4 → p -= 0.01·2/(sqrt(0.4)+1e-8)
    close(p.f32, [1 - 0.02 / Math.sqrt(0.4)], 1e-6);
  });

  test('RMSprop centered, with momentum and weight decay, over two steps (torch.optim.RMSprop)', () => {
    const p = withGrad([1, -0.5], [2, 0.25]);
    const o = { lr: 0.01, alpha: 0.9, eps: 1e-8, weightDecay: 0.1, momentum: 0.5, centered: true };
    const opt = new RMSprop([p], o);
    // float64 replay of the documented rule
    const w = [1, -0.5];
    const grads = [
      [2, 0.25],
      [-1, 0.5],
    ];
    const sq = [0, 0];
    const ga = [0, 0];
    const buf = [0, 0];
    for (const g0 of grads) {
      p.grad = tensor(g0);
      opt.step();
      for (let i = 0; i < 2; i++) {
        const g = g0[i] + o.weightDecay * w[i];
        sq[i] = o.alpha * sq[i] + (1 - o.alpha) * g * g;
        ga[i] = o.alpha * ga[i] + (1 - o.alpha) * g;
        buf[i] = o.momentum * buf[i] + g / (Math.sqrt(sq[i] - ga[i] * ga[i]) + o.eps);
        w[i] -= o.lr * buf[i];
      }
    }
    close(p.f32, w, 1e-5);
  });

  test('parameter groups keep their own options, state round trips', () => {
    const a = withGrad([1], [1]);
    const b = withGrad([1], [1]);
    const opt = new SGD([{ params: [a] }, { params: [b], options: { lr: 0.5 } }], { lr: 0.1, momentum: 0.9 });
    opt.step();
    close(a.f32, [0.9]);
    close(b.f32, [0.5]);
    const saved = opt.stateDict();
    const c = withGrad([1], [1]);
    const d = withGrad([1], [1]);
    const opt2 = new SGD([{ params: [c] }, { params: [d], options: { lr: 0.5 } }], { lr: 0.1, momentum: 0.9 });
    opt2.loadStateDict(saved);
    a.grad = tensor([1]);
    c.grad = tensor([1]);
    c.f32[0] = a.f32[0];
    opt.step();
    opt2.step();
    close(c.f32, [a.f32[0]]);
    assert.throws(() => new Adam([c]).loadStateDict(saved), /saved by SGD/);
  });

  test('zeroGrad clears gradients; empty or frozen parameters are refused', () => {
    const p = withGrad([1], [1]);
    const opt = new SGD([p], { lr: 0.1 });
    opt.zeroGrad();
    assert.equal(p.grad, null);
    assert.throws(() => new SGD([], { lr: 0.1 }), /empty parameter list/);
    assert.throws(() => new SGD([tensor([1])], { lr: 0.1 }), /does not require grad/);
  });
});

describe('gradient clipping', () => {
  test('clipGradNorm scales to the max norm and returns the original norm', () => {
    const a = withGrad([0, 0], [3, 0]);
    const b = withGrad([0], [4]);
    const norm = clipGradNorm([a, b], 1);
    assert.ok(Math.abs(norm - 5) < 1e-6);
    close(a.grad!.f32, [0.6, 0], 1e-5);
    close(b.grad!.f32, [0.8], 1e-5);
  });
  test('clipGradValue clamps elementwise', () => {
    const a = withGrad([0, 0, 0], [3, -5, 0.5]);
    clipGradValue([a], 1);
    close(a.grad!.f32, [1, -1, 0.5]);
  });
});

describe('learning-rate schedules', () => {
  const opt = () => new SGD([withGrad([0], [0])], { lr: 1 });
  const run = (s: { step(m?: number): void; lastLr: number[] }, n: number, metric?: (i: number) => number) => {
    const lrs = [s.lastLr[0]];
    for (let i = 0; i < n; i++) {
      s.step(metric?.(i));
      lrs.push(s.lastLr[0]);
    }
    return lrs;
  };
  test('step, multistep, exponential', () => {
    close(run(new StepLR(opt(), 2, 0.5), 5), [1, 1, 0.5, 0.5, 0.25, 0.25]);
    close(run(new MultiStepLR(opt(), [1, 3], 0.1), 4), [1, 0.1, 0.1, 0.01, 0.01]);
    close(run(new ExponentialLR(opt(), 0.5), 3), [1, 0.5, 0.25, 0.125]);
  });
  test('cosine with warm-up', () => {
    const lrs = run(new CosineAnnealingLR(opt(), { tMax: 4, warmup: 2, etaMin: 0 }), 6);
    close(lrs, [0.5, 1, 1, (1 + Math.cos(Math.PI / 4)) / 2, 0.5, (1 + Math.cos((3 * Math.PI) / 4)) / 2, 0]);
  });
  test('one-cycle: starts at max/div, peaks at max, ends near max/(div·finalDiv)', () => {
    const s = new OneCycleLR(opt(), { maxLr: 1, totalSteps: 10, pctStart: 0.3 });
    const lrs = run(s, 9);
    close([lrs[0]], [1 / 25]);
    const peak = Math.max(...lrs);
    close([peak], [1], 1e-6);
    assert.equal(lrs.indexOf(peak), 2); // warm-up ends at step 0.3·10 − 1 = 2, as in PyTorch
    close([lrs[9]], [1 / 25 / 1e4], 1e-6);
  });
  test('reduce on plateau waits `patience` epochs without improvement', () => {
    const s = new ReduceLROnPlateau(opt(), { patience: 1, factor: 0.5 });
    const lrs = run(s, 5, (i) => [1, 0.9, 0.95, 0.95, 0.95][i]);
    close(lrs, [1, 1, 1, 1, 0.5, 0.5]);
    assert.throws(() => s.step(), /pass the validation metric/);
  });
  test('schedule state round trips', () => {
    const o = opt();
    const s = new StepLR(o, 2, 0.5);
    s.step();
    s.step();
    const o2 = opt();
    const s2 = new StepLR(o2, 2, 0.5);
    s2.loadStateDict(s.stateDict());
    assert.equal(o2.lr, 0.5);
  });
});

test('lrFind returns a rising-lr curve, suggests a rate and restores the model', async () => {
  manualSeed(5);
  const model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
  const before = model.parameters().map((p) => p.f32.slice());
  const opt = new SGD(model.parameters(), { lr: 0.1 });
  const batches: { x: Tensor; y: Tensor }[] = [];
  for (let i = 0; i < 60; i++) batches.push({ x: randn([16, 4]), y: randint(0, 3, [16]) });
  const r = await lrFind({ model, optimizer: opt, batches, loss: (o, y) => crossEntropy(o, y), numIter: 60, startLr: 1e-4, endLr: 100 });
  assert.ok(r.lrs.length >= 10);
  for (let i = 1; i < r.lrs.length; i++) assert.ok(r.lrs[i] > r.lrs[i - 1]);
  assert.ok(r.suggestion > 1e-4 && r.suggestion < 100);
  model.parameters().forEach((p, i) => assert.deepEqual(p.f32, before[i]));
  assert.equal(opt.lr, 0.1);
});
