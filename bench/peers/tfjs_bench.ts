/**
 * TensorFlow.js peer of the Simmer benchmark, on its pure-JS `cpu` backend or its `wasm` backend (XNNPACK, SIMD;
 * single-threaded in Node: the threaded build needs cross-origin isolation). Same data, models, PyTorch-style
 * initialisation (uniform ±1/√fan_in for weights and biases, which is what PyTorch's defaults amount to), batch size,
 * optimizer and hyper-parameters as bench/workloads/ and bench/peers/torch_bench.py. NHWC layout (TF.js' conv kernels).
 *
 * Usage (bench/run.ts does this): node --import tsx bench/peers/tfjs_bench.ts cpu|wasm '<job spec JSON>'
 * A kernel a backend lacks (wasm has no Conv2DBackpropFilter, so it cannot train the CNN) is reported as unsupported.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { emitResult, FASHION_MNIST_DIR, type JobResult, type JobSpec, parseSpec, rssMB, TEST_SIZE, TRAIN_SIZE } from '../protocol.ts';

type Figures = Omit<JobResult, 'rssMB' | 'threads'>;

function readIdx(name: string): Uint8Array {
  const b = gunzipSync(readFileSync(join(FASHION_MNIST_DIR, `${name}.gz`)));
  return b.subarray(4 + 4 * b[3]);
}

function load(split: 'train' | 'test'): { x: Float32Array; y: Int32Array } {
  const prefix = split === 'train' ? 'train' : 't10k';
  const px = readIdx(`${prefix}-images-idx3-ubyte`);
  const x = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) x[i] = px[i] / 255;
  return { x, y: Int32Array.from(readIdx(`${prefix}-labels-idx1-ubyte`)) };
}

function permutation(n: number, seed: number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  let s = seed * 2654435761 + 1;
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

function batchOf(data: { x: Float32Array; y: Int32Array }, order: Int32Array, start: number, size: number): { x: Float32Array; y: Int32Array } {
  const n = Math.min(size, order.length - start);
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = order[start + i];
    x.set(data.x.subarray(k * 784, (k + 1) * 784), i * 784);
    y[i] = data.y[k];
  }
  return { x, y };
}

/** PyTorch's default init for Linear/Conv2d: kaiming_uniform(a=√5) on weights = U(±1/√fan_in), bias U(±1/√fan_in). */
function param(shape: number[], fanIn: number, seed: number): tf.Variable {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', seed));
}

interface Net {
  vars: tf.Variable[];
  forward(x: tf.Tensor): tf.Tensor2D;
  optimizer: tf.Optimizer;
}

function mlp(seed: number): Net {
  const dims = [784, 256, 128, 10];
  const vars: tf.Variable[] = [];
  for (let l = 0; l < 3; l++) vars.push(param([dims[l], dims[l + 1]], dims[l], seed + 2 * l), param([dims[l + 1]], dims[l], seed + 2 * l + 1));
  return {
    vars,
    optimizer: tf.train.momentum(0.1, 0.9),
    forward(x) {
      let h = x.reshape([-1, 784]) as tf.Tensor2D;
      for (let l = 0; l < 3; l++) {
        h = tf.add(tf.matMul(h, vars[2 * l] as tf.Tensor2D), vars[2 * l + 1]) as tf.Tensor2D;
        if (l < 2) h = tf.relu(h);
      }
      return h;
    },
  };
}

function cnnSmall(seed: number): Net {
  const vars = [
    param([3, 3, 1, 32], 9, seed),
    param([32], 9, seed + 1),
    param([3, 3, 32, 64], 288, seed + 2),
    param([64], 288, seed + 3),
    param([3136, 128], 3136, seed + 4),
    param([128], 3136, seed + 5),
    param([128, 10], 128, seed + 6),
    param([10], 128, seed + 7),
  ];
  const [w1, b1, w2, b2, w3, b3, w4, b4] = vars;
  return {
    vars,
    optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-8),
    forward(x) {
      let h = x.reshape([-1, 28, 28, 1]) as tf.Tensor4D;
      h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, w1 as tf.Tensor4D, 1, 'same'), b1)) as tf.Tensor4D, 2, 2, 'valid');
      h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, w2 as tf.Tensor4D, 1, 'same'), b2)) as tf.Tensor4D, 2, 2, 'valid');
      const f = tf.relu(tf.add(tf.matMul(h.reshape([-1, 3136]) as tf.Tensor2D, w3 as tf.Tensor2D), b3)) as tf.Tensor2D;
      return tf.add(tf.matMul(f, w4 as tf.Tensor2D), b4) as tf.Tensor2D;
    },
  };
}

function step(net: Net, b: { x: Float32Array; y: Int32Array }): void {
  tf.tidy(() => {
    const x = tf.tensor(b.x, [b.y.length, 784]);
    const y = tf.oneHot(tf.tensor1d(b.y, 'int32'), 10);
    const loss = net.optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, net.forward(x)) as tf.Scalar, true, net.vars);
    loss?.dataSync();
  });
}

function accuracy(net: Net, data: { x: Float32Array; y: Int32Array }): number {
  let correct = 0;
  for (let i = 0; i < data.y.length; i += 256) {
    const n = Math.min(256, data.y.length - i);
    const pred = tf.tidy(() =>
      net
        .forward(tf.tensor(data.x.subarray(i * 784, (i + n) * 784), [n, 784]))
        .argMax(1)
        .dataSync(),
    );
    for (let k = 0; k < n; k++) if (pred[k] === data.y[i + k]) correct++;
  }
  return correct / data.y.length;
}

const elapsed = (t0: number) => (performance.now() - t0) / 1000;
const keepGoing = (done: number, t0: number, lo: number, hi: number, budget: number) => done < hi && (done < lo || elapsed(t0) < budget);

function sgemm(spec: JobSpec): Figures {
  const figures: Record<string, number[]> = {};
  const notes: string[] = [];
  for (const [m, n, k] of spec.shapes ?? []) {
    const a = tf.randomUniform([m, k], -1, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomUniform([k, n], -1, 1, 'float32', 2) as tf.Tensor2D;
    for (let w = 0; w < (spec.warmupSteps ?? 2); w++) tf.tidy(() => tf.matMul(a, b).dataSync());
    const samples: number[] = [];
    const t0 = performance.now();
    while (keepGoing(samples.length, t0, spec.minCalls ?? 10, spec.maxCalls ?? 10, spec.budgetS)) {
      const t = performance.now();
      tf.tidy(() => tf.matMul(a, b).dataSync());
      samples.push((2 * m * n * k) / elapsed(t) / 1e9);
    }
    figures[`${m}x${n}x${k}`] = samples;
    if (samples.length < 10) notes.push(`${m}x${n}x${k}: ${samples.length} calls (time budget)`);
  }
  return { ok: true, figures, notes };
}

function train(spec: JobSpec, model: 'mlp' | 'cnn-small'): Figures {
  const batch = spec.batch ?? (model === 'mlp' ? 128 : 64);
  const epochSteps = Math.ceil(TRAIN_SIZE / batch);
  const data = load('train');
  const order = permutation(TRAIN_SIZE, spec.seed ?? 0);
  const net = model === 'mlp' ? mlp(spec.seed ?? 0) : cnnSmall(spec.seed ?? 0);
  let s = 0;
  const warm = model === 'mlp' ? 0 : (spec.warmupSteps ?? 1);
  for (let w = 0; w < warm; w++) step(net, batchOf(data, order, (s++ % epochSteps) * batch, batch));
  let steps = 0;
  let images = 0;
  const maxSteps = spec.maxSteps || epochSteps;
  const t0 = performance.now();
  while (keepGoing(steps, t0, spec.minSteps ?? 1, maxSteps, spec.budgetS)) {
    const b = batchOf(data, order, (s++ % epochSteps) * batch, batch);
    step(net, b);
    steps++;
    images += b.y.length;
  }
  const figures: Record<string, number[]> = { 'images/s': [images / elapsed(t0)] };
  const notes: string[] = [];
  if (model === 'mlp' && steps === epochSteps) figures.accuracy = [accuracy(net, load('test'))];
  else if (steps < maxSteps) notes.push(`extrapolated from ${steps} steps (time budget)`);
  return { ok: true, figures, notes };
}

function infer(spec: JobSpec): Figures {
  const batch = spec.batch ?? 256;
  const test = load('test');
  const net = cnnSmall(spec.seed ?? 0);
  const forward = (i: number, n: number) => tf.tidy(() => net.forward(tf.tensor(test.x.subarray(i * 784, (i + n) * 784), [n, 784])).dataSync());
  forward(0, batch);
  let images = 0;
  const t0 = performance.now();
  for (let i = 0; i < TEST_SIZE; i += batch) {
    const n = Math.min(batch, TEST_SIZE - i);
    forward(i, n);
    images += n;
    if (elapsed(t0) > spec.budgetS) break;
  }
  const notes = images < TEST_SIZE ? [`extrapolated from ${images} of ${TEST_SIZE} images`] : [];
  return { ok: true, figures: { 'images/s': [images / elapsed(t0)] }, notes };
}

const backendName = process.argv[process.argv.length - 2];
const spec = parseSpec(process.argv);
let result: Figures;
try {
  if (backendName === 'wasm') {
    const require = createRequire(import.meta.url);
    setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
  }
  if (!(await tf.setBackend(backendName))) throw new Error(`TF.js backend '${backendName}' did not initialise`);
  await tf.ready();
  switch (spec.kind) {
    case 'sgemm':
      result = sgemm(spec);
      break;
    case 'mlp-train':
      result = train(spec, 'mlp');
      break;
    case 'cnn-train':
      result = train(spec, 'cnn-small');
      break;
    case 'cnn-infer':
      result = infer(spec);
      break;
    default:
      result = { ok: false, unsupported: true, error: `${spec.kind} is not run on TF.js (too slow for a full training run)`, figures: {}, notes: [] };
  }
} catch (e) {
  const message = (e as Error).message ?? String(e);
  result = { ok: false, unsupported: /not registered for backend/.test(message), error: message, figures: {}, notes: [] };
}
emitResult({ ...result, threads: 1, rssMB: rssMB(), info: { tfjs: tf.version.tfjs, backend: backendName } });
process.exit(0);
