/**
 * ONNX export of every zoo model, checked by running the file in onnxruntime-node (the independent truth) on a batch
 * of a different size than the sample (dynamic batch), max |Δ| ≤ 1e-4 against Simmer's own forward; the file is
 * opset 17 and its initializers carry the state-dict names; importing it back gives the same outputs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { noGrad } from '../../src/autograd/grad-mode.ts';
import { randint, randn } from '../../src/index.ts';
import { buildClassifier, CLASSIFIERS } from '../../src/models/classifiers.ts';
import type { GenerativeModule } from '../../src/models/generative.ts';
import { buildGenerativeModel, GENERATIVE_MODELS } from '../../src/models/registry.ts';
import { Linear } from '../../src/nn/layers/linear.ts';
import { LayerNorm } from '../../src/nn/layers/norm.ts';
import { GELU, SiLU, Softplus } from '../../src/nn/layers/activation.ts';
import { Sequential } from '../../src/nn/layers/container.ts';
import { GroupNorm } from '../../src/nn/layers/norm.ts';
import { Conv2d } from '../../src/nn/layers/conv.ts';
import { Upsample } from '../../src/nn/layers/pool.ts';
import { Module } from '../../src/nn/module.ts';
import { decodeModel, exportOnnx, importOnnx } from '../../src/onnx/index.ts';
import { InputAdapter } from '../../src/transfer/adapter.ts';
import { TransferNet } from '../../src/transfer/backbone.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

const TOL = 1e-4;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'output sizes differ');
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

const ortTensor = (t: Tensor) => (t.dtype === 'int32' ? new ort.Tensor('int32', t.data as Int32Array, t.shape) : new ort.Tensor('float32', t.f32, t.shape));

/** Runs `bytes` in onnxruntime on `inputs` (named input, labels, …) and returns the output. */
async function runOrt(bytes: Uint8Array, inputs: Tensor[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  session.inputNames.forEach((name, i) => (feeds[name] = ortTensor(inputs[i])));
  const out = await session.run(feeds);
  const first = out[session.outputNames[0]];
  return { data: first.data as Float32Array, dims: first.dims };
}

/** Exports with a batch of 2, runs a batch of 3 in onnxruntime and Simmer, and compares; also imports it back. */
async function checkExport(label: string, model: Module, sample: Tensor[], batch: Tensor[], reference: (...x: Tensor[]) => Tensor): Promise<number> {
  model.eval();
  const bytes = exportOnnx(model, sample);
  const proto = decodeModel(bytes);
  assert.equal(proto.opsetImport?.[0].version, 17, `${label}: opset`);
  assert.equal(proto.graph?.input?.[0].type?.tensorType?.shape?.dim?.[0].dimParam, 'batch', `${label}: dynamic batch`);
  // Every weight the graph uses is an initializer under its state-dict key (the rest are shape constants).
  const keys = new Set(model.stateDict().keys());
  for (const t of proto.graph?.initializer ?? [])
    if ((t.dims?.length ?? 0) >= 2 && !/^(timestep_table|luma|const)_\d+$/.test(t.name as string))
      assert.ok(keys.has(t.name as string), `${label}: initializer '${t.name}' is not a state-dict key`);
  const expected = noGrad(() => reference(...batch));
  const got = await runOrt(bytes, batch);
  assert.deepEqual([...got.dims], expected.shape, `${label}: output shape`);
  const d = maxDiff(expected.f32, got.data);
  assert.ok(d <= TOL, `${label}: onnxruntime differs from Simmer by ${d}`);
  const back = importOnnx(bytes, { source: label }).eval();
  const again = noGrad(() => back.forward(...batch));
  assert.ok(maxDiff(expected.f32, again.f32) <= TOL, `${label}: the re-imported model differs`);
  return d;
}

test('every classifier of the zoo exports and runs in onnxruntime-node (max |Δ| ≤ 1e-4, any batch size)', async () => {
  manualSeed(1);
  const report: string[] = [];
  for (const name of CLASSIFIERS) {
    // Every model on grayscale 28x28; the convolutional ones with pooling arithmetic on colour 32x32 too.
    const shapes: [number, number, number][] =
      name === 'lenet5' || name === 'resnet-mini'
        ? [
            [1, 28, 28],
            [3, 32, 32],
          ]
        : [[1, 28, 28]];
    for (const inputShape of shapes) {
      const model = buildClassifier(name, { inputShape, numClasses: 7 });
      const d = await checkExport(`${name} ${inputShape.join('x')}`, model, [randn([2, ...inputShape])], [randn([3, ...inputShape])], (x) => model.forward(x));
      report.push(`${name} ${inputShape.join('x')}: ${d.toExponential(1)}`);
    }
  }
  // Initializer names are the state-dict keys, so an exported file maps back onto the model.
  const model = buildClassifier('resnet-mini', { inputShape: [1, 28, 28], numClasses: 10 });
  const proto = decodeModel(exportOnnx(model, randn([1, 1, 28, 28])));
  assert.deepEqual(new Set(proto.graph?.initializer?.map((t) => t.name)), new Set(model.stateDict().keys()));
  console.log(`# classifiers, max |Δ| vs onnxruntime: ${report.join('; ')}`);
});

/** The generative models whose sampling network has an ONNX form; the rest are listed so a new one is noticed. */
const EXPORTED_FAMILIES = new Set(['vae', 'dcgan', 'autoencoder', 'ddpm']);

test('the generative zoo exports its decoders and generators (latents [, labels] → images)', async () => {
  manualSeed(2);
  const skipped: string[] = [];
  for (const name of GENERATIVE_MODELS) {
    const model = buildGenerativeModel(name, { inputShape: [1, 28, 28], numClasses: 4 }) as GenerativeModule;
    if (!EXPORTED_FAMILIES.has(model.family)) {
      skipped.push(`${name} (${model.family})`);
      continue;
    }
    if (model.family === 'ddpm') {
      // The denoiser: x_t, integer timesteps and (conditional) labels, the null label included.
      const ddpm = model as unknown as Module & { forward(x: Tensor, t: Tensor, y?: Tensor): Tensor };
      // The last conv and the attention projections start at zero (identity blocks): give them weights to test.
      for (const p of ddpm.parameters()) if (p.f32.every((v) => v === 0)) p.f32.set(randn(p.shape).f32.map((v) => 0.1 * v));
      const ins = (n: number) => [
        randn([n, 1, 28, 28]),
        new Tensor(
          Int32Array.from({ length: n }, (_, i) => [0, 999, 417][i % 3]),
          [n],
        ),
        ...(model.conditional
          ? [
              new Tensor(
                Int32Array.from({ length: n }, (_, i) => i % 5),
                [n],
              ),
            ]
          : []),
      ];
      const d = await checkExport(name, ddpm, ins(2), ins(3), (x, t, y) => ddpm.forward(x, t, y));
      console.log(`# ${name} (U-Net): max |Δ| vs onnxruntime ${d.toExponential(1)}`);
      assert.ok(
        noGrad(() => ddpm.forward(...ins(2))).f32.some((v) => Math.abs(v) > 1e-3),
        `${name}: the output is trivially zero`,
      );
      continue;
    }
    const inputs = (n: number) => [randn([n, model.latentDim]), ...(model.conditional ? [randint(0, 4, [n]).to('int32')] : [])];
    const d = await checkExport(name, model, inputs(2), inputs(3), (z, y) =>
      (model.decodeLatent as NonNullable<typeof model.decodeLatent>).call(model, z, y ?? null),
    );
    console.log(`# ${name}: max |Δ| vs onnxruntime ${d.toExponential(1)}`);
  }
  console.log(`# not exported yet: ${skipped.join(', ') || 'none'}`);
});

test('layers beyond the zoo: LayerNorm, GroupNorm, GELU, SiLU, Softplus, Upsample, Linear on [N, T, F]', async () => {
  manualSeed(3);
  const conv = new Sequential(
    new Conv2d(3, 8, 3, { padding: 1 }),
    new GroupNorm(2, 8),
    new SiLU(),
    new Upsample({ scaleFactor: 2, mode: 'bilinear' }),
    new Upsample({ size: [20, 12], mode: 'nearest' }),
    new Softplus(2),
  );
  await checkExport('conv stack', conv, [randn([2, 3, 5, 6])], [randn([3, 3, 5, 6])], (x) => conv.forward(x));
  const seq = new Sequential(new Linear(6, 8), new GELU(), new LayerNorm(8), new Linear(8, 3));
  await checkExport('token stack', seq, [randn([2, 4, 6])], [randn([3, 4, 6])], (x) => seq.forward(x));
});

test('a module without an emitter is refused by name, with the fix', () => {
  class Custom extends Module {
    forward(x: Tensor): Tensor {
      return x;
    }
  }
  assert.throws(() => exportOnnx(new Sequential(new Custom()), randn([1, 2])), /no ONNX emitter for Custom \(at '0'\).*registerOnnxEmitter/);
});

test('a fine-tuned model exports: input adapter, an imported ONNX body with a new head', async () => {
  manualSeed(4);
  const source = importOnnx(new URL('../fixtures/onnx/vgg-small.onnx', import.meta.url).pathname);
  const { body, features } = source.classifierBody();
  for (const from of [
    [1, 28, 28],
    [3, 24, 40],
  ] as [number, number, number][]) {
    const net = new TransferNet(body, features, 4, InputAdapter.between(from, [3, 32, 32]));
    const d = await checkExport(`transfer from ${from.join('x')}`, net, [randn([2, ...from])], [randn([3, ...from])], (x) => net.forward(x));
    console.log(`# fine-tuned vgg-small on ${from.join('x')} images: max |Δ| vs onnxruntime ${d.toExponential(1)}`);
  }
});
