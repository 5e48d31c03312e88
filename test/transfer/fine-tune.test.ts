/**
 * Transfer learning (issue 15): freezing keeps the body bit-identical (weights and batch-norm statistics) while the
 * head learns, and unfreezing lets it learn; a new head for a new class count on a shipped backbone (its weights as
 * the safetensors file holds them) and on a zoo classifier's body; discriminative learning-rate groups and the
 * fine_tune schedule at the one-cycle landmarks; a transfer run stopped inside the frozen epoch and after the
 * unfreeze resumes to exactly the weights of an uninterrupted run; an ONNX classifier cut before its head and given
 * back its own Gemm weights reproduces onnxruntime-node's logits; a body cut at a lower layer gives that layer's
 * output as features and rebuilds from its record.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.ts';
import { ShapesDataset } from '../../src/data/shapes.ts';
import { decodeSafetensors } from '../../src/io/safetensors.ts';
import { buildClassifier } from '../../src/models/classifiers.ts';
import { Linear } from '../../src/nn/layers/linear.ts';
import { BatchNorm2d } from '../../src/nn/layers/norm.ts';
import type { Module } from '../../src/nn/module.ts';
import { importOnnx } from '../../src/onnx/import.ts';
import { SGD } from '../../src/optim/optimizers.ts';
import { runTraining } from '../../src/runs/run.ts';
import { openTransferSource, rebuildTransferModel } from '../../src/runs/transfer.ts';
import { randn } from '../../src/tensor/creation.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { simmerCnn, TransferNet } from '../../src/transfer/backbone.ts';
import {
  bodyOfClassifier,
  cutBody,
  discriminativeGroups,
  FineTuneSchedule,
  fineTune,
  groupedOptimizer,
  type TransferRecord,
} from '../../src/transfer/fine-tune.ts';
import { loadPretrained, pretrainedDir } from '../../src/transfer/pretrained.ts';
import { maxDiff, runOrt } from '../onnx/helpers.ts';

const FIXTURE = (name: string) => join(import.meta.dirname, '..', 'fixtures', 'onnx', `${name}.onnx`);
const shapes = (count: number, seed: number) => new ShapesDataset({ kind: 'shapes', count, size: 16, seed });
const small = () => simmerCnn({ inputShape: [3, 16, 16], widths: [4, 8, 8] });

/** Every entry of a state dict (parameters and buffers) as bytes, to compare bit for bit. */
function snapshot(m: Module): Map<string, Buffer> {
  return new Map([...m.stateDict()].map(([k, t]) => [k, Buffer.from((t.data as Float32Array).slice().buffer)]));
}
function changed(before: Map<string, Buffer>, after: Map<string, Buffer>): string[] {
  return [...before.keys()].filter((k) => !before.get(k)!.equals(after.get(k)!));
}

describe('freezing', () => {
  test('a frozen body gets no update: weights and batch-norm statistics bit-identical, the head learns', async () => {
    const body = small();
    const before = snapshot(body);
    const r = await fineTune({
      source: { body, features: 8, inputShape: [3, 16, 16] },
      train: shapes(64, 1),
      epochs: 2,
      freezeEpochs: 2,
      batchSize: 16,
      seed: 1,
    });
    assert.deepEqual(changed(before, snapshot(r.model.body)), [], 'the frozen body changed');
    assert.ok(body.stateDict().has('1.runningMean'), 'the body has batch-norm statistics to keep');
    assert.ok(r.model.body.parameters().every((p) => !p.requiresGrad && p.grad === null));
    const head = r.model.head.weight.f32;
    assert.ok(head.some((v) => v !== 0) && r.history[1].trainLoss < r.history[0].trainLoss, 'the head learned');
  });

  test('after freezeEpochs the body unfreezes: it trains, its batch norms in training mode', async () => {
    const body = small();
    const initial = snapshot(body);
    const atEpochEnd: Map<string, Buffer>[] = [];
    const bnTraining: boolean[] = [];
    const r = await fineTune({
      source: { body, features: 8, inputShape: [3, 16, 16] },
      train: shapes(64, 2),
      epochs: 2,
      freezeEpochs: 1,
      batchSize: 16,
      seed: 2,
      callbacks: [
        {
          onEpochEnd: () => {
            atEpochEnd.push(snapshot(body));
            bnTraining.push((body.children()[1] as BatchNorm2d).training);
          },
        },
      ],
    });
    assert.deepEqual(changed(initial, atEpochEnd[0]), [], 'epoch 1 (frozen) changed the body');
    assert.deepEqual(bnTraining, [false, true]);
    const moved = changed(atEpochEnd[0], atEpochEnd[1]);
    for (const key of ['0.weight', '1.weight', '1.runningMean', '4.weight', '8.weight'])
      assert.ok(moved.includes(key), `${key} did not learn after unfreezing`);
    assert.ok(r.model.body.parameters().every((p) => p.requiresGrad));
  });

  test('eval mode on a frozen model is eval everywhere; train() afterwards keeps the frozen body in eval mode', () => {
    const net = new TransferNet(small(), 8, 3);
    net.freezeBody();
    net.eval();
    net.train();
    assert.equal(net.head.training, true);
    assert.ok(net.body.namedModules().every(([, m]) => !m.training));
    net.unfreezeBody();
    assert.ok(net.body.namedModules().every(([, m]) => m.training));
  });
});

describe('a new head', () => {
  test('on a shipped backbone: the body holds the file’s weights exactly, the head has the new class count', () => {
    const { body, features, entry } = loadPretrained('fmnist-0-4');
    const { tensors } = decodeSafetensors(readFileSync(join(pretrainedDir(), entry.file)));
    for (const [k, t] of body.stateDict()) assert.deepEqual(t.data, tensors.get(k)!.data, `${k} is not the shipped weight`);
    const net = new TransferNet(body, features, 3);
    net.eval();
    const y = noGrad(() => net.forward(randn([2, 1, 28, 28])));
    assert.deepEqual(y.shape, [2, 3]);
    assert.deepEqual(net.head.weight.shape, [3, features]);
  });

  test("on a zoo classifier: the body is every layer but the last Linear, so the old head on it gives the classifier's logits", () => {
    manualSeed(4);
    const clf = buildClassifier('cnn-small', { inputShape: [1, 28, 28], numClasses: 10 });
    clf.eval();
    const { body, features } = bodyOfClassifier(clf, 'cnn-small');
    const oldHead = clf.children().at(-1) as Linear;
    const x = randn([3, 1, 28, 28]);
    const [full, parts] = noGrad(() => [clf.forward(x), oldHead.forward(body.forward(x))]);
    assert.deepEqual(parts.f32, full.f32);
    assert.equal(new TransferNet(body, features, 4).forward(x).shape[1], 4);
    assert.throws(() => bodyOfClassifier(body, 'a body'), /no head to replace/);
  });
});

describe('features of a lower layer (--cut)', () => {
  test('cutBody keeps the layers up to the named one (same weights), flattens an image output, and counts its features', () => {
    manualSeed(4);
    const body = small(); // 0 conv 1 bn 2 relu 3 pool 4 conv 5 bn 6 relu 7 pool 8 conv 9 bn 10 relu 11 gap 12 flatten
    body.train(false);
    const x = randn([2, 3, 16, 16]);
    // The truth: the original body's first seven layers applied one by one, then flattened by hand.
    const children = body.children();
    const direct = noGrad(() => children.slice(0, 7).reduce((h, m) => m.forward(h) as Tensor, x));
    assert.deepEqual(direct.shape, [2, 8, 8, 8]);
    const { body: cut, features } = cutBody(body, 'body.6', [3, 16, 16]);
    assert.equal(features, 8 * 8 * 8);
    cut.train(false);
    const y = noGrad(() => cut.forward(x));
    assert.deepEqual(y.shape, [2, 512]);
    assert.deepEqual(y.data, direct.data, 'the same numbers, flattened in NCHW order');
    assert.equal(cut.parameters()[0], body.parameters()[0], 'the pretrained weights themselves, not copies');
    assert.equal(cutBody(body, '12', [3, 16, 16]).features, 8, 'a flat output is kept as it is');
    assert.throws(() => cutBody(body, 'body.13', [3, 16, 16], 'the source'), /the source has no layer 'body\.13'; cut at one of: body\.0, body\.1, .*body\.12/);
    const net = new TransferNet(body, 8, 3);
    assert.throws(() => cutBody(net, 'body.1', [3, 16, 16], 'the source'), /the source is not a plain stack of layers, so it cannot be cut/);
  });

  test('a record with a cut rebuilds the same model: same state-dict keys and shapes, so its checkpoint loads', () => {
    const cfg = { inputShape: [3, 16, 16] as [number, number, number], widths: [4, 8, 8] };
    const record: TransferRecord = {
      from: 'test',
      description: 'test',
      backbone: { kind: 'simmer-cnn', config: cfg },
      features: 512,
      backboneInput: cfg.inputShape,
      dataInput: cfg.inputShape,
      freezeEpochs: 1,
      cut: 'body.6',
    };
    const first = new TransferNet(cutBody(simmerCnn(cfg), 'body.6', cfg.inputShape).body, 512, 4);
    const rebuilt = rebuildTransferModel(record, cfg.inputShape, 4);
    const keys = (m: Module) => [...m.stateDict()].map(([k, t]) => `${k} ${t.shape.join('×')}`);
    assert.deepEqual(keys(rebuilt), keys(first));
    assert.deepEqual(rebuilt.head.weight.shape, [4, 512]);
  });
});

describe('discriminative learning rates', () => {
  test('groups earliest first (each conv with its batch norm), rates geometric from 1/lrMult to the head; each parameter once', () => {
    const net = new TransferNet(small(), 8, 3);
    const groups = discriminativeGroups(net, { lrMult: 100 });
    assert.deepEqual(
      groups.map((g) => g.name),
      ['body.0', 'body.4–body.8', 'head'],
    );
    const scales = groups.map((g) => g.lrScale);
    [0.01, 0.1, 1].forEach((want, i) => assert.ok(Math.abs(scales[i] - want) < 1e-12, `group ${i}: ${scales[i]}`));
    const all = groups.flatMap((g) => g.params);
    assert.equal(new Set(all).size, all.length);
    assert.deepEqual(new Set(all), new Set(net.parameters()));
    assert.ok(groups[0].params.includes(net.body.children()[1].parameters()[0]), 'the first batch norm learns with the first conv');
  });

  test('the schedule: head-only one cycle while frozen (body at 0), then every group one cycle to lr/2 × its scale', () => {
    const net = new TransferNet(small(), 8, 3);
    const groups = discriminativeGroups(net, { lrMult: 100 });
    const opt = groupedOptimizer(groups, { optimizer: 'adamw', lr: 1e-2 });
    const freezeSteps = 10;
    const totalSteps = 30;
    const sched = new FineTuneSchedule(opt, { freezeSteps, totalSteps, lr: 1e-2, lrScales: groups.map((g) => g.lrScale) });
    // Optimizer groups are head first, so optimizer.lr (the progress line) is the head's.
    assert.equal(opt.paramGroups[0].params[0], net.head.weight);
    const lrs: number[][] = [];
    for (let t = 0; t < totalSteps; t++) {
      lrs.push(opt.paramGroups.map((g) => g.options.lr));
      sched.step();
    }
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b), `${what}: ${a} vs ${b}`);
    // Frozen phase: torch OneCycleLR(max_lr=1e-2, pct_start=0.99, div_factor=25) over 10 steps starts at max/25 and
    // peaks at step round(0.99·10) − 1 = 8.9 → the last warm-up step; the body's groups stay at 0.
    close(lrs[0][0], 1e-2 / 25, 'head at step 0');
    for (let t = 0; t < freezeSteps; t++) assert.deepEqual(lrs[t].slice(1), [0, 0]);
    assert.ok(lrs[8][0] > lrs[4][0] && lrs[4][0] > lrs[0][0], 'warm-up rises');
    // Unfrozen: one cycle to lr/2 × scale with div 5 and pct 0.3: starts at max/5, peaks at step 0.3·20 − 1 = 5,
    // ends at max/5/1e4; the groups keep the ratios of their scales.
    const peak = [5e-3, 5e-4, 5e-5];
    peak.forEach((p, i) => {
      close(lrs[freezeSteps][i], p / 5, `group ${i} at unfreeze`);
      close(lrs[freezeSteps + 5][i], p, `group ${i} at peak`);
      close(lrs[totalSteps - 1][i], p / 5 / 1e4, `group ${i} at the end`);
    });
  });

  test('groupedOptimizer hands each group its scaled rate to the optimizer (plain SGD step checks it)', () => {
    const net = new TransferNet(small(), 8, 3);
    const groups = discriminativeGroups(net, { lrMult: 100 });
    const opt = groupedOptimizer(groups, { optimizer: 'sgd', lr: 0.5, momentum: 0 });
    assert.ok(opt instanceof SGD);
    for (const p of net.parameters()) p.grad = new Tensor(new Float32Array(p.size).fill(1), p.shape);
    const before = net.body.children()[0].parameters()[0].f32.slice();
    opt.step();
    const after = net.body.children()[0].parameters()[0].f32;
    for (let i = 0; i < before.length; i++) assert.ok(Math.abs(before[i] - after[i] - 0.5 * 0.01) < 1e-6);
  });
});

describe('resume', () => {
  const recipe = { dataset: 'shapes', from: 'pretrained:procedural', limit: 64, batchSize: 32, epochs: 3, freezeEpochs: 1, checkpointEvery: 1, seed: 7 };
  const weights = (dir: string) => loadCheckpoint(join(dir, 'checkpoints', 'last.safetensors')).model;

  test('a transfer run stopped in the frozen epoch, and one stopped after the unfreeze, resume to the uninterrupted weights', async () => {
    const root = mkdtempSync(join(tmpdir(), 'simmer-transfer-resume-'));
    const full = await runTraining(recipe, { root, quiet: true });
    const record = (loadCheckpoint(join(full.run.dir, 'checkpoints', 'last.safetensors')).state.config as { transfer: TransferRecord }).transfer;
    assert.equal(record.from, 'pretrained:procedural');
    assert.deepEqual(
      [record.dataInput, record.backboneInput],
      [
        [3, 32, 32],
        [1, 28, 28],
      ],
    );
    const want = weights(full.run.dir);
    for (const stopAt of [1, 3]) {
      const cut = await runTraining(recipe, { root, quiet: true, maxSteps: stopAt });
      await runTraining({}, { root, quiet: true, resume: cut.run.id });
      const got = weights(cut.run.dir);
      assert.deepEqual([...got.keys()], [...want.keys()]);
      for (const [k, t] of want) assert.deepEqual(got.get(k)!.data, t.data, `stopped after step ${stopAt}: ${k} differs after resume`);
    }
  });
});

describe('an ONNX body', () => {
  test('the fixture cut before its head, given its own Gemm back as the head, matches onnxruntime-node', async () => {
    for (const name of ['vgg-small', 'resnet18-small']) {
      const src = await openTransferSource(FIXTURE(name));
      assert.deepEqual(src.inputShape, [3, 32, 32]);
      assert.equal(src.backbone.kind, 'onnx');
      const full = importOnnx(FIXTURE(name));
      const { head } = full.classifierBody();
      const values = new Map(full.namedParameters());
      const w = values.get(head.weight)!;
      // Gemm with transB holds [classes, features] like Linear; without it, [features, classes].
      const asLinear = w.shape[1] === src.features;
      const net = new TransferNet(src.body, src.features, asLinear ? w.shape[0] : w.shape[1]);
      const wData = asLinear ? w.f32 : transpose(w);
      net.head.weight.f32.set(wData);
      if (head.bias) net.head.bias!.f32.set(values.get(head.bias)!.f32);
      net.eval();
      manualSeed(9);
      const x = randn([2, 3, 32, 32]);
      const ours = noGrad(() => net.forward(x));
      const theirs = await runOrt(readFileSync(FIXTURE(name)), [x]);
      assert.ok(maxDiff(ours.f32, theirs.f32) <= 1e-4, `${name}: max |Δ| ${maxDiff(ours.f32, theirs.f32)}`);
    }
  });

  test('frozen, the imported body (its batch norms included) gets no update; the run record rebuilds the same model', async () => {
    const src = await openTransferSource(FIXTURE('resnet18-small'));
    const before = snapshot(src.body);
    const r = await fineTune({ source: src, train: shapes(32, 3), epochs: 1, freezeEpochs: 1, batchSize: 16, seed: 3 });
    assert.deepEqual(changed(before, snapshot(r.model.body)), []);
    const record: TransferRecord = {
      from: FIXTURE('resnet18-small'),
      description: '',
      backbone: src.backbone,
      features: src.features,
      backboneInput: src.inputShape,
      dataInput: [3, 16, 16],
      freezeEpochs: 1,
    };
    const rebuilt = rebuildTransferModel(record, [3, 16, 16], 4);
    assert.deepEqual([...rebuilt.stateDict().keys()].sort(), [...r.model.stateDict().keys()].sort());
  });

  test('resetParameters (the scratch twin of an imported graph): fresh U(±1/√fanIn) weights, batch norms at identity', () => {
    const net = importOnnx(FIXTURE('resnet18-small'));
    const imported = snapshot(net);
    manualSeed(5);
    net.resetParameters();
    const conv = net.info.nodes.find((n) => n.op === 'Conv')!;
    const bn = net.info.batchNorms[0];
    const values = new Map([...net.namedParameters(), ...net.namedBuffers()]);
    const w = values.get(conv.inputs[1])!;
    const bound = 1 / Math.sqrt(w.shape[1] * w.shape[2] * w.shape[3]);
    assert.ok(w.f32.every((v) => Math.abs(v) <= bound) && w.f32.some((v) => Math.abs(v) > bound / 2), 'conv weight not in U(±1/√fanIn)');
    assert.ok(changed(imported, snapshot(net)).length > 0);
    const [scale, shift, mean, variance] = bn.params.map((n) => values.get(n)!);
    assert.ok(scale.f32.every((v) => v === 1) && shift.f32.every((v) => v === 0) && mean.f32.every((v) => v === 0) && variance.f32.every((v) => v === 1));
  });
});

function transpose(t: Tensor): Float32Array {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.f32[i * c + j];
  return out;
}
