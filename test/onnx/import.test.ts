/**
 * ONNX import against onnxruntime-node: the three fixture architectures (ResNet-18-, MobileNetV2-, VGG-shaped, made by
 * scripts/make-onnx-fixtures.py with PyTorch) and an operator mix match to max |Δ| ≤ 1e-4; each operator's attribute
 * variants (auto_pad, asymmetric pads, Gemm's transposes, opset-11 Softmax, Resize's coordinate modes, Slice's
 * negative indices, …) match on small graphs; the imported graph trains (gradients reach every parameter and agree
 * with central differences; batch norm updates its running statistics in training mode unless frozen); and every
 * refusal names the node, the op and what is supported.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.ts';
import { randn, sum } from '../../src/index.ts';
import { importOnnx, OnnxError, SUPPORTED_OPS } from '../../src/onnx/index.ts';
import { DT } from '../../src/onnx/proto.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { bytesOf, floatInit, graph, intInit, maxDiff, node, runOrt } from './helpers.ts';

const FIXTURES = new URL('../fixtures/onnx/', import.meta.url);
const fixture = (name: string) => new URL(`${name}.onnx`, FIXTURES).pathname;

test('the fixture nets import and match onnxruntime-node (max |Δ| ≤ 1e-4 on the logits)', async () => {
  manualSeed(5);
  const x = randn([3, 3, 32, 32]);
  for (const name of ['resnet18-small', 'mobilenetv2-small', 'vgg-small', 'ops-mix']) {
    const path = fixture(name);
    const model = importOnnx(path).eval();
    const ours = noGrad(() => model.forward(x));
    const theirs = await runOrt(readFileSync(path), [x]);
    assert.deepEqual(ours.shape, theirs.shape, name);
    const d = maxDiff(ours.f32, theirs.f32);
    assert.ok(d <= 1e-4, `${name}: max |Δ| ${d}`);
    assert.ok(maxDiff(theirs.f32, new Float32Array(theirs.size)) > 1e-2, `${name}: the logits are not trivially zero`);
    console.log(`# ${name}: ${model.info.nodes.length} nodes, ${model.numParameters()} parameters, max |Δ| ${d.toExponential(1)}`);
  }
});

test('initializers keep their names: parameters and batch-norm buffers', () => {
  const model = importOnnx(fixture('resnet18-small'));
  const params = model.namedParameters().map(([n]) => n);
  assert.ok(params.includes('conv1.weight') && params.includes('layer2.0.downsample.0.weight') && params.includes('fc.bias'), params.join(', '));
  const buffers = model.namedBuffers().map(([n]) => n);
  assert.ok(buffers.includes('layer1.0.bn1.running_mean') && buffers.includes('bn1.running_var'), buffers.join(', '));
  assert.ok(!params.some((p) => p.includes('running')), 'running statistics are not learned');
  assert.equal(model.info.batchNorms.length, 20);
});

test('an imported net trains: every parameter gets a gradient, batch norm follows train/eval/frozen', () => {
  manualSeed(6);
  const model = importOnnx(fixture('mobilenetv2-small'));
  const [bnName, bn] = model.namedBuffers()[0];
  const before = Float32Array.from(bn.f32);
  model.train();
  const loss = sum(model.forward(randn([4, 3, 32, 32])));
  loss.backward();
  for (const [name, p] of model.namedParameters()) assert.ok(p.grad && p.grad.f32.every(Number.isFinite), `${name} has no gradient`);
  assert.ok(maxDiff(before, bn.f32) > 0, `training mode updates ${bnName}`);
  const mid = Float32Array.from(bn.f32);
  model.eval();
  noGrad(() => model.forward(randn([2, 3, 32, 32])));
  assert.equal(maxDiff(mid, bn.f32), 0, 'eval mode leaves the running statistics alone');
  model.train();
  for (const b of model.info.batchNorms) model.frozenBatchNorm.add(b.node);
  noGrad(() => model.forward(randn([2, 3, 32, 32])));
  assert.equal(maxDiff(mid, bn.f32), 0, 'frozen batch norms keep their statistics in training mode');
  // The features before the classifier, for a new head.
  const gemm = model.info.nodes.find((n) => n.op === 'Gemm');
  assert.ok(gemm);
  const features = model.withOutput(gemm.inputs[0]).eval();
  assert.deepEqual(noGrad(() => features.forward(randn([2, 3, 32, 32]))).shape, [2, 128]);
});

test('gradients through the imported graph agree with central differences (Erf, Resize, Softmax, Pad, Slice, MatMul)', () => {
  manualSeed(7);
  const w = randn([4, 4], 0, 0.5);
  const m = graph(
    [
      node('Erf', ['x'], ['e']),
      node('Resize', ['e', '', 'scales'], ['r'], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }),
      node('Pad', ['r', 'pads', 'pv'], ['p']),
      node('Slice', ['p', 'starts', 'ends', 'axes', 'steps'], ['s']),
      node('MatMul', ['s', 'w'], ['mm']),
      node('Softmax', ['mm'], ['sm'], { axis: -1 }),
      node('HardSwish', ['sm'], ['y']),
    ],
    [1, 2, 3, 2],
    [
      { name: 'scales', dims: [4], dataType: DT.FLOAT, floatData: [1, 1, 2, 2] },
      intInit('pads', [0, 0, 1, 0, 0, 0, 0, 1]),
      { name: 'pv', dims: [], dataType: DT.FLOAT, floatData: [0.3] },
      intInit('starts', [-5, 0]),
      intInit('ends', [100, 4]),
      intInit('axes', [2, -1]),
      intInit('steps', [2, 1]),
      floatInit('w', w),
    ],
  );
  const model = importOnnx(bytesOf(m));
  const x = randn([1, 2, 3, 2]);
  const r = randn(noGrad(() => model.forward(x)).shape);
  const leaf = x.clone().requiresGrad_();
  sum(model.forward(leaf).mul(r)).backward();
  const grad = leaf.grad as Tensor;
  const loss = (t: Tensor) => noGrad(() => sum(model.forward(t).mul(r)).item());
  for (let i = 0; i < x.size; i++) {
    const plus = x.clone();
    const minus = x.clone();
    plus.f32[i] += 1e-2;
    minus.f32[i] -= 1e-2;
    const numeric = (loss(plus) - loss(minus)) / 2e-2;
    assert.ok(Math.abs(numeric - grad.f32[i]) <= 2e-3 + 1e-2 * Math.abs(numeric), `x[${i}]: analytic ${grad.f32[i]}, numeric ${numeric}`);
  }
});

interface OpCase {
  label: string;
  nodes: ReturnType<typeof node>[];
  shape: number[];
  inits?: Parameters<typeof graph>[2];
  opset?: number;
}

const w33 = randn([4, 3, 3, 3]);
const CASES: OpCase[] = [
  {
    label: 'Conv auto_pad SAME_UPPER stride 2',
    nodes: [node('Conv', ['x', 'w'], ['y'], { auto_pad: 'SAME_UPPER', strides: [2, 2] })],
    shape: [2, 3, 7, 6],
    inits: [floatInit('w', w33)],
  },
  {
    label: 'Conv asymmetric pads, dilation',
    nodes: [node('Conv', ['x', 'w', 'b'], ['y'], { pads: [0, 1, 2, 1], dilations: [2, 1] })],
    shape: [2, 3, 7, 6],
    inits: [floatInit('w', w33), floatInit('b', randn([4]))],
  },
  {
    label: 'Conv groups',
    nodes: [node('Conv', ['x', 'w'], ['y'], { group: 3, pads: [1, 1, 1, 1] })],
    shape: [1, 3, 5, 5],
    inits: [floatInit('w', randn([6, 1, 3, 3]))],
  },
  {
    label: 'ConvTranspose asymmetric pads, output_padding',
    nodes: [node('ConvTranspose', ['x', 'w', 'b'], ['y'], { strides: [2, 2], pads: [1, 0, 0, 1], output_padding: [1, 1] })],
    shape: [1, 3, 4, 5],
    inits: [floatInit('w', randn([3, 2, 3, 3])), floatInit('b', randn([2]))],
  },
  {
    label: 'MaxPool default strides, asymmetric pads',
    nodes: [node('MaxPool', ['x'], ['y'], { kernel_shape: [3, 2], pads: [1, 0, 0, 1] })],
    shape: [2, 2, 5, 6],
  },
  { label: 'MaxPool ceil_mode', nodes: [node('MaxPool', ['x'], ['y'], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 })], shape: [1, 2, 5, 7] },
  {
    label: 'AveragePool count_include_pad=1',
    nodes: [node('AveragePool', ['x'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 })],
    shape: [1, 2, 6, 5],
  },
  { label: 'AveragePool excluding pads', nodes: [node('AveragePool', ['x'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })], shape: [1, 2, 4, 5] },
  {
    label: 'GlobalAveragePool, Flatten, Gemm transA alpha beta',
    nodes: [
      node('GlobalAveragePool', ['x'], ['g']),
      node('Flatten', ['g'], ['f']),
      node('Transpose', ['f'], ['ft']),
      node('Gemm', ['ft', 'b', 'c'], ['y'], { transA: 1, alpha: { f: 0.5 }, beta: { f: 2 } }),
    ],
    shape: [2, 3, 4, 4],
    inits: [floatInit('b', randn([3, 5])), floatInit('c', randn([1, 5]))],
  },
  { label: 'Softmax opset 11 (2-D coercion at axis 1)', nodes: [node('Softmax', ['x'], ['y'], { axis: 1 })], shape: [2, 3, 4], opset: 11 },
  { label: 'LogSoftmax axis -2', nodes: [node('LogSoftmax', ['x'], ['y'], { axis: -2 })], shape: [2, 3, 4] },
  {
    label: 'Resize nearest (ONNX defaults) x2',
    nodes: [node('Resize', ['x', '', 's'], ['y'])],
    shape: [1, 2, 3, 4],
    inits: [{ name: 's', dims: [4], dataType: DT.FLOAT, floatData: [1, 1, 2, 3] }],
  },
  {
    label: 'Resize linear pytorch_half_pixel to sizes',
    nodes: [node('Resize', ['x', '', '', 'sz'], ['y'], { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' })],
    shape: [1, 2, 5, 4],
    inits: [intInit('sz', [1, 2, 3, 7])],
  },
  {
    label: 'Resize linear align_corners',
    nodes: [node('Resize', ['x', '', '', 'sz'], ['y'], { mode: 'linear', coordinate_transformation_mode: 'align_corners' })],
    shape: [1, 2, 3, 4],
    inits: [intInit('sz', [1, 2, 7, 5])],
  },
  {
    label: 'Slice negative indices, steps, omitted axes',
    nodes: [node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])],
    shape: [2, 5, 6],
    inits: [intInit('st', [-4, 1]), intInit('en', [-1, 1000]), intInit('ax', [-1, 1]), intInit('sp', [2, 3])],
  },
  {
    label: 'Split uneven (split input), Concat axis -1',
    nodes: [node('Split', ['x', 'sp'], ['a', 'b'], { axis: 2 }), node('Concat', ['b', 'a'], ['y'], { axis: -1 })],
    shape: [2, 3, 5],
    inits: [intInit('sp', [2, 3])],
  },
  {
    label: 'Split opset 11 (attribute), equal',
    nodes: [node('Split', ['x'], ['a', 'b'], { axis: 1 }), node('Sub', ['a', 'b'], ['y'])],
    shape: [2, 4, 3],
    opset: 11,
  },
  {
    label: 'Squeeze, Unsqueeze negative, Reshape with 0 and -1',
    nodes: [node('Unsqueeze', ['x', 'ax'], ['u']), node('Squeeze', ['u'], ['s']), node('Reshape', ['s', 'shape'], ['y'])],
    shape: [2, 1, 3, 4],
    inits: [intInit('ax', [-1]), intInit('shape', [0, -1, 2])],
  },
  {
    label: 'Pad constant with negative pads (crop)',
    nodes: [node('Pad', ['x', 'p', 'v'], ['y'])],
    shape: [2, 3, 4],
    inits: [intInit('p', [0, 1, -1, 0, 2, 1]), { name: 'v', dims: [], dataType: DT.FLOAT, floatData: [-2] }],
  },
  {
    label: 'Clip opset 11 (min only), opset 6 attributes',
    nodes: [node('Clip', ['x', 'lo'], ['c']), node('Relu', ['c'], ['y'])],
    shape: [2, 6],
    inits: [{ name: 'lo', dims: [], dataType: DT.FLOAT, floatData: [-0.3] }],
  },
  { label: 'Clip opset 6', nodes: [node('Clip', ['x'], ['y'], { min: { f: -0.5 }, max: { f: 0.7 } })], shape: [2, 6], opset: 6 + 1 },
  {
    label: 'HardSigmoid custom alpha beta, LeakyRelu, Tanh, Sigmoid',
    nodes: [
      node('HardSigmoid', ['x'], ['h'], { alpha: { f: 0.3 }, beta: { f: 0.4 } }),
      node('LeakyRelu', ['x'], ['l'], { alpha: { f: 0.2 } }),
      node('Mul', ['h', 'l'], ['m']),
      node('Tanh', ['m'], ['t']),
      node('Sigmoid', ['t'], ['y']),
    ],
    shape: [2, 8],
  },
  {
    label: 'Gelu opset 20 (none, tanh)',
    nodes: [node('Gelu', ['x'], ['a']), node('Gelu', ['x'], ['b'], { approximate: 'tanh' }), node('Add', ['a', 'b'], ['y'])],
    shape: [2, 8],
    opset: 20,
  },
  {
    label: 'Div, Pow, broadcasting, Constant',
    nodes: [
      node('Constant', [], ['c'], { value_floats: { floats: [1.5, 2, 3] } }),
      node('Abs', ['x'], ['ax']),
      node('Pow', ['ax', 'c'], ['p']),
      node('Div', ['p', 'c'], ['y']),
    ],
    shape: [2, 4, 3],
  },
  {
    label: 'Shape/Gather/Unsqueeze/Concat → Reshape (dynamic batch)',
    nodes: [
      node('Shape', ['x'], ['s']),
      node('Gather', ['s', 'zero'], ['n'], { axis: 0 }),
      node('Unsqueeze', ['n', 'ax0'], ['n1']),
      node('Concat', ['n1', 'minus1'], ['shape'], { axis: 0 }),
      node('Reshape', ['x', 'shape'], ['y']),
    ],
    shape: [3, 2, 3, 2],
    inits: [intInit('zero', [0], []), intInit('ax0', [0]), intInit('minus1', [-1])],
  },
  {
    label: 'Gather of float rows (2-D indices), MatMul batched',
    nodes: [node('Gather', ['x', 'idx'], ['g'], { axis: 1 }), node('MatMul', ['g', 'w'], ['y'])],
    shape: [2, 5, 3],
    inits: [intInit('idx', [4, 0, -1, 2], [2, 2]), floatInit('w', randn([3, 2]))],
  },
  {
    label: 'BatchNormalization on [N, C], Identity, Dropout',
    nodes: [
      node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['bn'], { epsilon: { f: 1e-3 } }),
      node('Dropout', ['bn'], ['d']),
      node('Identity', ['d'], ['y']),
    ],
    shape: [3, 4],
    inits: ['s', 'b', 'm'].map((n) => floatInit(n, randn([4]))).concat([floatInit('v', randn([4]).abs().add(0.5))]),
  },
  {
    label: 'ReduceMean keepdims 0, GlobalMaxPool, Cast',
    nodes: [
      node('ReduceMean', ['x'], ['r'], { axes: [2, 3], keepdims: 0 }),
      node('GlobalMaxPool', ['x'], ['g']),
      node('Flatten', ['g'], ['f']),
      node('Add', ['r', 'f'], ['a']),
      node('Cast', ['a'], ['y'], { to: 1 }),
    ],
    shape: [2, 3, 4, 5],
  },
  {
    label: 'InstanceNormalization, LayerNormalization axis 1',
    nodes: [node('InstanceNormalization', ['x', 's', 'b'], ['i']), node('LayerNormalization', ['i', 'ls', 'lb'], ['y'], { axis: 1 })],
    shape: [2, 3, 4, 2],
    inits: [floatInit('s', randn([3])), floatInit('b', randn([3])), floatInit('ls', randn([3, 4, 2])), floatInit('lb', randn([3, 4, 2]))],
  },
];

test('operator variants match onnxruntime-node on small graphs', async () => {
  manualSeed(8);
  for (const c of CASES) {
    const bytes = bytesOf(graph(c.nodes, c.shape, c.inits ?? [], c.opset ?? 17));
    const x = randn(c.shape);
    let ours: Tensor;
    try {
      ours = noGrad(() => importOnnx(bytes, { source: c.label }).eval().forward(x));
    } catch (e) {
      assert.fail(`${c.label}: ${(e as Error).message}`);
    }
    const theirs = await runOrt(bytes, [x]);
    assert.deepEqual(ours.shape, theirs.shape, `${c.label}: shape`);
    const d = maxDiff(ours.f32, theirs.f32);
    assert.ok(d <= 1e-4, `${c.label}: max |Δ| ${d}`);
  }
  console.log(`# ${CASES.length} operator cases match; supported: ${SUPPORTED_OPS.length} ops`);
});

test('refusals name the node, the op and what is supported', () => {
  const refuse = (m: Parameters<typeof bytesOf>[0], pattern: RegExp, options = {}) =>
    assert.throws(
      () => importOnnx(bytesOf(m), { source: 'net.onnx', ...options }),
      (e: unknown) => e instanceof OnnxError && e.message.startsWith('net.onnx: ') && pattern.test(e.message),
    );
  refuse(graph([node('Einsum', ['x'], ['y'], {}, 'my_einsum')], [1, 3]), /node 'my_einsum' uses operator 'Einsum'.*Supported: Abs, Add/);
  refuse(graph([node('Relu', ['x'], ['y'])], [1, 3], [], 99), /opset 99 is not supported/);
  refuse(graph([node('Add', ['x', 'w'], ['y'])], [1, 3]), /reads 'w', which no node, input or initializer provides/);
  refuse(graph([node('Relu', ['b'], ['a']), node('Relu', ['a'], ['b']), node('Add', ['x', 'a'], ['y'])], [1, 3]), /the graph has a cycle/);
  refuse(graph([node('Relu', ['x'], ['y']), node('Relu', ['x'], ['y'])], [1, 3]), /value 'y' is produced twice/);
  refuse(
    graph([node('Add', ['x', 'w'], ['y'])], [1, 3], [{ name: 'w', dims: [3], dataType: DT.FLOAT16, int32Data: [1, 2, 3] }]),
    /initializer 'w' is of type float16/,
  );
  refuse(graph([node('Add', ['x', 'w'], ['y'])], [1, 3], [{ name: 'w', dims: [1e6, 1e6], dataType: DT.FLOAT, floatData: [1] }]), /over \d+ elements/);
  refuse(graph([node('Add', ['x', 'w'], ['y'])], [1, 3], [{ name: 'w', dims: [4], dataType: DT.FLOAT, floatData: [1] }]), /holds 1 values/);
  refuse(
    graph([node('Conv', ['x', 'w'], ['y'], { strides: 'two' as unknown as number[] })], [1, 1, 4, 4], [floatInit('w', randn([1, 1, 3, 3]))]),
    /node 'Conv_y' \(Conv\): attribute 'strides' should be a list of ints, but the file gives string/,
  );
  refuse(graph([node('Conv', ['x', 'w'], ['y'])], [1, 3, 4], [floatInit('w', randn([1, 3, 3]))]), /Conv is supported on 4-D/);
  refuse(graph([node('Pad', ['x', 'p'], ['y'], { mode: 'reflect' })], [1, 3], [intInit('p', [0, 1, 0, 1])]), /mode 'reflect' is not supported \(constant is\)/);
  refuse(
    graph([node('Resize', ['x', '', 's'], ['y'], { mode: 'cubic' })], [1, 1, 2, 2], [{ name: 's', dims: [4], dataType: DT.FLOAT, floatData: [1, 1, 2, 2] }]),
    /mode 'cubic' is not supported \(nearest and linear are\)/,
  );
  refuse(
    graph([node('Resize', ['x', '', 's'], ['y'])], [1, 1, 2, 2], [{ name: 's', dims: [4], dataType: DT.FLOAT, floatData: [1, 1, 1e5, 1e5] }]),
    /would be \[1, 1, 200000, 200000\], over the/,
  );
  // A dynamic spatial dimension: refused with the option that fixes it, which then works.
  const dyn = graph([node('Relu', ['x'], ['y'])], [1, 3, 4]);
  (dyn.graph?.input?.[0].type?.tensorType?.shape?.dim ?? [])[2] = { dimParam: 'width' };
  refuse(dyn, /input 'x' has a dynamic dimension 2 \('width'\); only the batch may be dynamic.*inputShapes/);
  assert.deepEqual(importOnnx(bytesOf(dyn), { inputShapes: { x: [3, 5] } }).forward(randn([2, 3, 5])).shape, [2, 3, 5]);
  assert.throws(() => importOnnx(Uint8Array.from([0x0a, 0xff, 0xff])), /model.onnx: the file ends in the middle of a record/);
  assert.throws(() => importOnnx('/nonexistent/net.onnx'), /\/nonexistent\/net.onnx: cannot read the file \(ENOENT\)/);
});

test('classifierBody cuts the head off for fine-tuning: the features the head read', () => {
  manualSeed(9);
  for (const [name, features] of [
    ['resnet18-small', 64],
    ['mobilenetv2-small', 128],
    ['vgg-small', 64],
  ] as const) {
    const net = importOnnx(fixture(name)).eval();
    const { body, features: f, head } = net.classifierBody();
    assert.equal(f, features, name);
    assert.deepEqual(net.inputShape, [1, 3, 32, 32]);
    const x = randn([2, 3, 32, 32]);
    const feats = noGrad(() => body.eval().forward(x));
    assert.deepEqual(feats.shape, [2, features], name);
    const bodyParams = body.namedParameters().map(([n]) => n);
    assert.ok(!bodyParams.includes(head.weight) && bodyParams.length === net.parameters().length - 2, `${name}: the body holds the head's weights`);
    // The head applied to the features gives the logits back.
    const w = net.stateDict().get(head.weight) as Tensor;
    const b = net.stateDict().get(head.bias as string) as Tensor;
    const logits = noGrad(() => net.forward(x));
    const again = noGrad(() => feats.matmul(w.transpose(0, 1)).add(b));
    assert.ok(maxDiff(logits.f32, again.f32) < 1e-5, name);
  }
});
