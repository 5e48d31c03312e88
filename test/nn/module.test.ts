import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as F from '../../src/index.ts';
import { buildClassifier } from '../../src/models/index.ts';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  Dropout,
  ELU,
  Embedding,
  Flatten,
  GELU,
  GroupNorm,
  LayerNorm,
  LeakyReLU,
  Linear,
  LogSoftmax,
  MaxPool2d,
  Module,
  ModuleList,
  ReLU,
  ResidualBlock,
  Sequential,
  Sigmoid,
  SiLU,
  Softmax,
  Softplus,
  summary,
  Tanh,
  Upsample,
} from '../../src/nn/index.ts';

const { randn, tensor, manualSeed, allClose } = F;

function same(a: F.Tensor, b: F.Tensor, tol = 1e-6): void {
  assert.deepEqual(a.shape, b.shape);
  assert.ok(allClose(a, b, tol, tol), 'layer output differs from the functional op');
}

describe('layers match their functional ops', () => {
  manualSeed(3);
  const img = randn([2, 4, 9, 9]);
  test('Linear', () => {
    const l = new Linear(5, 3);
    const x = randn([4, 5]);
    same(l.forward(x), F.linear(x, l.weight, l.bias));
    assert.equal(new Linear(5, 3, { bias: false }).bias, null);
  });
  test('Conv2d and ConvTranspose2d', () => {
    const c = new Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2 });
    same(c.forward(img), F.conv2d(img, c.weight, c.bias, { stride: 2, padding: 1, groups: 2 }));
    assert.deepEqual(c.weight.shape, [6, 2, 3, 3]);
    const t = new ConvTranspose2d(4, 3, 4, { stride: 2, padding: 1 });
    same(t.forward(img), F.convTranspose2d(img, t.weight, t.bias, { stride: 2, padding: 1 }));
    assert.deepEqual(t.forward(img).shape, [2, 3, 18, 18]);
  });
  test('pooling, upsample, flatten', () => {
    same(new MaxPool2d(2).forward(img), F.maxPool2d(img, 2));
    same(new AvgPool2d(3, { stride: 2, padding: 1 }).forward(img), F.avgPool2d(img, 3, { stride: 2, padding: 1 }));
    same(new AdaptiveAvgPool2d(2).forward(img), F.adaptiveAvgPool2d(img, 2));
    same(new Upsample({ scaleFactor: 2, mode: 'bilinear' }).forward(img), F.upsample(img, { scaleFactor: 2, mode: 'bilinear' }));
    assert.deepEqual(new Flatten().forward(img).shape, [2, 324]);
  });
  test('activations', () => {
    const x = randn([3, 7]);
    same(new ReLU().forward(x), F.relu(x));
    same(new LeakyReLU(0.2).forward(x), F.leakyRelu(x, 0.2));
    same(new ELU(0.5).forward(x), F.elu(x, 0.5));
    same(new GELU().forward(x), F.gelu(x));
    same(new SiLU().forward(x), F.silu(x));
    same(new Sigmoid().forward(x), F.sigmoid(x));
    same(new Tanh().forward(x), F.tanh(x));
    same(new Softplus(2).forward(x), F.softplus(x, 2));
    same(new Softmax(1).forward(x), F.softmax(x, 1));
    same(new LogSoftmax(1).forward(x), F.logSoftmax(x, 1));
  });
  test('norms and dropout', () => {
    const bn = new BatchNorm2d(4);
    const rm = F.zeros([4]);
    const rv = F.ones([4]);
    same(bn.forward(img), F.batchNorm(img, rm, rv, bn.weight, bn.bias, { training: true }));
    same(bn.runningMean as F.Tensor, rm);
    same(bn.runningVar as F.Tensor, rv);
    bn.eval();
    same(bn.forward(img), F.batchNorm(img, rm, rv, bn.weight, bn.bias, { training: false }));
    const bn1 = new BatchNorm1d(5);
    assert.deepEqual(bn1.forward(randn([8, 5])).shape, [8, 5]);
    assert.throws(() => bn1.forward(randn([8, 4])), /BatchNorm1d\(5\).*\[8, 4\]/);
    const ln = new LayerNorm([9]);
    same(ln.forward(img), F.layerNorm(img, [9], ln.weight, ln.bias));
    const gn = new GroupNorm(2, 4);
    same(gn.forward(img), F.groupNorm(img, 2, gn.weight, gn.bias));
    const d = new Dropout(0.5);
    d.eval();
    same(d.forward(img), img);
  });
  test('Embedding', () => {
    const e = new Embedding(10, 4);
    const idx = tensor([1, 7, 7], 'int32');
    same(e.forward(idx), F.embedding(idx, e.weight));
  });
});

describe('Module', () => {
  class Net extends Module {
    features = new Sequential(new Conv2d(1, 4, 3), new ReLU());
    head = new Linear(4, 2);
    blocks = new ModuleList([new Linear(2, 2), new Linear(2, 2)]);
    forward(x: F.Tensor): F.Tensor {
      return this.head.forward(F.mean(this.features.forward(x), [2, 3]));
    }
  }

  test('registers parameters and buffers with dotted names', () => {
    const net = new Net();
    const names = net.namedParameters().map(([n]) => n);
    assert.deepEqual(names, [
      'features.0.weight',
      'features.0.bias',
      'head.weight',
      'head.bias',
      'blocks.0.weight',
      'blocks.0.bias',
      'blocks.1.weight',
      'blocks.1.bias',
    ]);
    const bn = new Sequential(new BatchNorm2d(3));
    assert.deepEqual([...bn.stateDict().keys()], ['0.weight', '0.bias', '0.runningMean', '0.runningVar']);
  });

  test('train() and eval() reach every descendant', () => {
    const net = new Net().eval();
    assert.ok(net.namedModules().every(([, m]) => !m.training));
    net.train();
    assert.ok(net.namedModules().every(([, m]) => m.training));
  });

  test('stateDict round trip and clear errors', () => {
    const a = new Net();
    const b = new Net();
    b.loadStateDict(a.stateDict());
    for (const [[, pa], [, pb]] of a.namedParameters().map((p, i) => [p, b.namedParameters()[i]])) assert.deepEqual(pa.data, pb.data);
    const bad = new Map(a.stateDict());
    bad.set('head.weight', randn([3, 4]));
    assert.throws(() => b.loadStateDict(bad), /'head.weight' has shape \[3, 4\] in the checkpoint but \[2, 4\] in the model/);
    const missing = new Map(a.stateDict());
    missing.delete('head.bias');
    missing.set('extra', randn([1]));
    assert.throws(() => b.loadStateDict(missing), /missing keys: head.bias; unexpected keys: extra/);
    assert.deepEqual(b.loadStateDict(missing, false), { missing: ['head.bias'], unexpected: ['extra'] });
  });

  test('summary shows output shapes and parameter counts (cnn-small is the W3 model)', () => {
    const model = buildClassifier('cnn-small', { inputShape: [1, 28, 28], numClasses: 10 });
    const s = summary(model, [1, 28, 28]);
    assert.equal(s.totalParams, 320 + 18496 + 401536 + 1290);
    assert.deepEqual(
      s.layers.map((l) => l.outputShape),
      [
        [1, 32, 28, 28],
        [1, 32, 28, 28],
        [1, 32, 14, 14],
        [1, 64, 14, 14],
        [1, 64, 14, 14],
        [1, 64, 7, 7],
        [1, 3136],
        [1, 128],
        [1, 128],
        [1, 10],
      ],
    );
    assert.equal(Object.hasOwn((model as Sequential).at(0), 'forward'), false, 'summary must not leave wrappers behind');
  });

  test('every zoo model builds and runs on 28x28 and 32x32 RGB', () => {
    for (const name of ['mlp', 'cnn-small', 'lenet5', 'resnet-mini']) {
      for (const shape of [
        [1, 28, 28],
        [3, 32, 32],
      ] as [number, number, number][]) {
        const m = buildClassifier(name, { inputShape: shape, numClasses: 7 });
        assert.deepEqual(F.noGrad(() => m.forward(randn([2, ...shape]))).shape, [2, 7], `${name} on ${shape}`);
      }
    }
    assert.throws(() => buildClassifier('vgg', { inputShape: [1, 28, 28], numClasses: 10 }), /unknown model 'vgg'; choose one of: mlp, cnn-small/);
  });

  test('residual block keeps or changes shape and trains', () => {
    const block = new ResidualBlock(4, 8, 2);
    const y = block.forward(randn([2, 4, 8, 8]));
    assert.deepEqual(y.shape, [2, 8, 4, 4]);
    F.sum(y).backward();
    assert.ok(block.parameters().every((p) => p.grad !== null));
  });
});

describe('initialisation matches PyTorch defaults', () => {
  test('Linear and Conv2d weights and biases are U(±1/sqrt(fanIn))', () => {
    manualSeed(0);
    const l = new Linear(400, 300);
    const bound = 1 / Math.sqrt(400);
    const w = l.weight.f32;
    let max = 0;
    let sq = 0;
    for (const v of w) {
      max = Math.max(max, Math.abs(v));
      sq += v * v;
    }
    assert.ok(max <= bound && max > 0.99 * bound);
    // variance of U(-b, b) is b²/3
    assert.ok(Math.abs(sq / w.length - (bound * bound) / 3) < 0.03 * (bound * bound));
    const c = new Conv2d(8, 16, 3);
    const cb = 1 / Math.sqrt(8 * 9);
    assert.ok(c.bias?.f32.every((v) => Math.abs(v) <= cb));
  });
  test('kaiming and xavier scale', async () => {
    const { kaimingNormal_, xavierUniform_ } = await import('../../src/nn/index.ts');
    manualSeed(1);
    const t = F.zeros([256, 512]);
    kaimingNormal_(t, { nonlinearity: 'relu' });
    const std = Math.sqrt(F.variance(t).item());
    assert.ok(Math.abs(std - Math.sqrt(2 / 512)) < 0.02 * Math.sqrt(2 / 512));
    xavierUniform_(t);
    const bound = Math.sqrt(6 / (256 + 512));
    assert.ok(t.f32.every((v) => Math.abs(v) <= bound));
  });
});
