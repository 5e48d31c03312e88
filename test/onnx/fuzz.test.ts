/**
 * Fuzzing ONNX import: thousands of byte mutations of small valid models (bit flips, truncation, huge 32/64-bit
 * values, inserted and deleted runs; test/fuzz/harness.ts), and thousands of structural edits re-encoded as valid
 * protobuf so they reach the model checks: missing initializers, cyclic graphs, values produced twice, wrong
 * attribute and data types, huge declared dims, data that does not fill its shape, unknown ops and opsets. Each input
 * is accepted (and then runs) or refused with an OnnxError naming the file, in engine-free words; none hangs, and the
 * peak RSS stays within 256 MB.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.ts';
import { randn } from '../../src/index.ts';
import { Conv2d } from '../../src/nn/layers/conv.ts';
import { Sequential } from '../../src/nn/layers/container.ts';
import { Linear } from '../../src/nn/layers/linear.ts';
import { BatchNorm2d } from '../../src/nn/layers/norm.ts';
import { ReLU } from '../../src/nn/layers/activation.ts';
import { Flatten, MaxPool2d, Upsample } from '../../src/nn/layers/pool.ts';
import { exportOnnx, importOnnx, OnnxError } from '../../src/onnx/index.ts';
import { decodeModel, encodeModel, type OnnxModelProto } from '../../src/onnx/proto.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { ENGINE_WORDING, FuzzRng, MemoryWatch, mutate, newTally, summary, type Tally } from '../fuzz/harness.ts';
import { bytesOf, graph, intInit, node } from './helpers.ts';

const FILE = 'fuzzed.onnx';
const LIMIT = 1 << 20;

function seeds(): Uint8Array[] {
  manualSeed(11);
  const cnn = new Sequential(
    new Conv2d(2, 3, 3, { padding: 1 }),
    new BatchNorm2d(3),
    new ReLU(),
    new MaxPool2d(2),
    new Upsample({ scaleFactor: 2 }),
    new Flatten(),
    new Linear(3 * 4 * 4, 2),
  );
  const shapeOps = graph(
    [
      node('Shape', ['x'], ['s']),
      node('Gather', ['s', 'zero'], ['n'], { axis: 0 }),
      node('Unsqueeze', ['n', 'ax'], ['n1']),
      node('Concat', ['n1', 'rest'], ['shape'], { axis: 0 }),
      node('Reshape', ['x', 'shape'], ['r']),
      node('Slice', ['r', 'st', 'en'], ['sl']),
      node('Pad', ['sl', 'pads'], ['y']),
    ],
    [1, 2, 3],
    [intInit('zero', [0], []), intInit('ax', [0]), intInit('rest', [3, 2]), intInit('st', [0]), intInit('en', [2]), intInit('pads', [0, 1, 1, 0, 0, 1])],
  );
  return [exportOnnx(cnn.eval(), randn([1, 2, 4, 4])), bytesOf(shapeOps)];
}

function judge(label: string, bytes: Uint8Array, tally: Tally): void {
  let model;
  try {
    model = importOnnx(bytes, { source: FILE, maxElements: LIMIT });
  } catch (e) {
    const err = e as Error;
    assert.ok(e instanceof OnnxError, `${label}: refused with a ${err?.name}, not an OnnxError: ${err?.stack ?? String(e)}`);
    assert.ok(err.message.startsWith(`${FILE}: `), `${label}: the message does not name the file: ${err.message}`);
    assert.doesNotMatch(err.message, ENGINE_WORDING, `${label}: engine wording reached the message: ${err.message}`);
    tally.refused++;
    tally.kinds.add(
      err.message
        .split('\n')[0]
        .replace(/'[^']*'/g, "'…'")
        .replace(/[\d,.]+/g, '#')
        .slice(0, 70),
    );
    return;
  }
  // Accepted: the import already ran a zero batch; a real one of the declared shape runs too.
  const shapes = model.inputShapes;
  const out = noGrad(() =>
    model.eval().forward(
      ...shapes.map((s, i) =>
        model.info.inputs[i].dtype === 'float'
          ? randn([2, ...s])
          : randn([2, ...s])
              .abs()
              .to('int32'),
      ),
    ),
  );
  assert.ok(out.shape.length > 0, `${label}: accepted, but the output has no shape`);
  tally.accepted++;
}

test('byte-mutated ONNX files are accepted and run, or refused clearly', () => {
  const rng = new FuzzRng(0x0ffe);
  const tally = newTally();
  const watch = new MemoryWatch();
  const base = seeds();
  for (let i = 0; i < 2000; i++) {
    const seed = base[i % base.length];
    judge(`bytes #${i}`, mutate(rng, seed, seed.length), tally);
  }
  watch.check('byte mutations');
  assert.ok(tally.refused > 500 && tally.kinds.size > 15, summary(tally));
  console.log(`# byte mutations: ${summary(tally)}`);
  if (process.env.SHOW_KINDS) console.log([...tally.kinds].join('\n'));
});

type Edit = (m: OnnxModelProto, rng: FuzzRng) => void;
const HUGE = [2 ** 31, 2 ** 40, 1e9, -1, 0, 2 ** 53];

const EDITS: Edit[] = [
  (m, r) => void m.graph?.initializer?.splice(r.int(m.graph.initializer.length), 1), // a missing initializer
  (m, r) => {
    // A cycle: a node reads the output of a later node.
    const nodes = m.graph?.node ?? [];
    const a = r.int(nodes.length);
    const b = a + r.int(nodes.length - a);
    if (nodes[a].input?.length) nodes[a].input[r.int(nodes[a].input.length)] = nodes[b].output?.[0] ?? 'y';
  },
  (m, r) => {
    const nodes = m.graph?.node ?? [];
    const n = nodes[r.int(nodes.length)];
    n.output = [r.pick(nodes).output?.[0] ?? 'y'];
  },
  (m, r) => {
    const t = r.pick(m.graph?.initializer ?? [{}]);
    t.dims = (t.dims ?? [1]).map(() => r.pick(HUGE));
  },
  (m, r) => {
    const t = r.pick(m.graph?.initializer ?? [{}]);
    t.dataType = r.pick([0, 2, 3, 5, 6, 8, 9, 10, 11, 16, 99]);
  },
  (m, r) => {
    const t = r.pick(m.graph?.initializer ?? [{}]);
    if (t.rawData) t.rawData = t.rawData.subarray(0, r.int(t.rawData.length));
    else if (t.int64Data) t.int64Data = t.int64Data.map((v) => (r.next() < 0.5 ? r.pick(HUGE) : v));
  },
  (m, r) => {
    const n = r.pick(m.graph?.node ?? []);
    const a = r.pick(n.attribute?.length ? n.attribute : [{ name: 'axis' }]);
    a.type = r.pick([1, 2, 3, 4, 6, 7, 8, 99]);
    a.ints = [r.pick(HUGE), -r.int(5)];
    a.i = r.pick(HUGE);
    if (!n.attribute?.length) n.attribute = [a];
  },
  (m, r) => {
    const n = r.pick(m.graph?.node ?? []);
    n.opType = r.pick(['Conv', 'Relu', 'Reshape', 'Gemm', 'Resize', 'Split', 'Concat', 'Slice', 'Einsum', 'Loop', '', 'ConvTranspose', 'Gather', 'Pad']);
  },
  (m, r) => {
    const dims = m.graph?.input?.[0].type?.tensorType?.shape?.dim ?? [];
    dims[r.int(dims.length)] = r.next() < 0.5 ? { dimParam: 'h' } : { dimValue: r.pick(HUGE) };
  },
  (m, r) => void (m.opsetImport = [{ domain: r.pick(['', 'ai.onnx', 'com.microsoft']), version: r.pick([1, 6, 11, 13, 17, 18, 25]) }]),
  (m, r) => void (m.graph?.node ?? []).splice(r.int(m.graph?.node?.length ?? 1), 1),
  (m, r) => {
    const nodes = m.graph?.node ?? [];
    const n = r.pick(nodes);
    n.input = [...(n.input ?? []), ...(r.next() < 0.5 ? [''] : []), r.pick(['x', 'y', 'zz', n.output?.[0] ?? 'q'])];
  },
  (m, r) => void (m.graph!.output = r.next() < 0.5 ? [] : [{ name: r.pick(['zz', 'x', 'y', '']) }]),
];

test('structurally edited ONNX models (cycles, missing initializers, wrong types, huge dims) are refused clearly', () => {
  const rng = new FuzzRng(0x5eed);
  const tally = newTally();
  const watch = new MemoryWatch();
  const base = seeds().map((b) => decodeModel(b));
  for (let i = 0; i < 1500; i++) {
    const m = structuredClone(base[i % base.length]);
    for (let k = 0, n = 1 + rng.int(3); k < n; k++) rng.pick(EDITS)(m, rng);
    let bytes: Uint8Array;
    try {
      bytes = encodeModel(m);
    } catch {
      continue; // an edit protobuf itself cannot write (the file could not exist)
    }
    judge(`structure #${i}`, bytes, tally);
  }
  watch.check('structural edits');
  assert.ok(tally.refused > 800 && tally.kinds.size > 30, summary(tally));
  console.log(`# structural edits: ${summary(tally)}`);
  if (process.env.SHOW_KINDS) console.log([...tally.kinds].join('\n'));
});
