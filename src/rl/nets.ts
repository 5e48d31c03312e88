/**
 * The networks agents use, built from a small JSON spec (so a checkpoint can rebuild them): an MLP over a flat
 * observation, or a conv net over an image observation; seeded initialisation from the agent's own generator
 * (orthogonal, as PPO implementations use, or PyTorch's default); and the categorical-policy helpers (sampling,
 * greedy actions, log-probabilities and entropy of chosen actions, on tensors).
 */
import { logSoftmax, softmax } from '../ops/reduce.ts';
import { gather } from '../ops/shape.ts';
import { defaultLayerInit, uniform_ } from '../nn/init.ts';
import { Tanh, ReLU } from '../nn/layers/activation.ts';
import { Sequential } from '../nn/layers/container.ts';
import { Conv2d } from '../nn/layers/conv.ts';
import { Linear } from '../nn/layers/linear.ts';
import { Flatten } from '../nn/layers/pool.ts';
import type { Module } from '../nn/module.ts';
import type { Generator } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';

export type NetSpec =
  | { kind: 'mlp'; inputs: number; hidden: number[]; outputs: number; activation: 'tanh' | 'relu' }
  /** A 3×3 conv (padding 1; stride 1 for the first, 2 after) + ReLU per entry of `channels`, then Linear–ReLU–Linear. */
  | { kind: 'conv'; inputShape: [number, number, number]; channels: number[]; hidden: number; outputs: number };

export interface InitOptions {
  /** 'orthogonal' (gain √2 on hidden layers, `outputGain` on the last) or 'default' (PyTorch's). */
  scheme: 'orthogonal' | 'default';
  outputGain?: number;
}

/** Builds the network of a spec with its weights drawn from `gen`. */
export function buildNet(spec: NetSpec, gen: Generator, init: InitOptions = { scheme: 'default' }): Sequential {
  const layers: Module[] = [];
  if (spec.kind === 'mlp') {
    let width = spec.inputs;
    for (const h of spec.hidden) {
      layers.push(new Linear(width, h), spec.activation === 'tanh' ? new Tanh() : new ReLU());
      width = h;
    }
    layers.push(new Linear(width, spec.outputs));
  } else {
    let [c, h, w] = spec.inputShape;
    spec.channels.forEach((out, i) => {
      const stride = i === 0 ? 1 : 2;
      layers.push(new Conv2d(c, out, 3, { padding: 1, stride }), new ReLU());
      c = out;
      h = Math.floor((h + 2 - 3) / stride) + 1;
      w = Math.floor((w + 2 - 3) / stride) + 1;
    });
    layers.push(new Flatten(), new Linear(c * h * w, spec.hidden), new ReLU(), new Linear(spec.hidden, spec.outputs));
  }
  const net = new Sequential(...layers);
  initialize(net, gen, init);
  return net;
}

/** Re-draws every Linear and Conv2d weight of `net` from `gen` (biases to 0 for orthogonal). */
export function initialize(net: Module, gen: Generator, init: InitOptions): void {
  const layers = net
    .namedModules()
    .map(([, m]) => m)
    .filter((m): m is Linear | Conv2d => m instanceof Linear || m instanceof Conv2d);
  layers.forEach((layer, i) => {
    if (init.scheme === 'default') defaultLayerInit(layer.weight, layer.bias, gen);
    else {
      const last = i === layers.length - 1;
      orthogonal_(layer.weight, last ? (init.outputGain ?? 1) : Math.SQRT2, gen);
      if (layer.bias) uniform_(layer.bias, 0, 0, gen);
    }
  });
}

/**
 * Fills a weight [out, …] with a (semi-)orthogonal matrix times gain (Saxe et al. 2014; torch.nn.init.orthogonal_):
 * Gram–Schmidt on Gaussian rows or columns, whichever are fewer.
 */
export function orthogonal_(weight: Tensor, gain: number, gen: Generator): void {
  const rows = weight.shape[0];
  const cols = weight.size / rows;
  const transpose = rows < cols; // orthonormalise the shorter side's vectors
  const count = transpose ? rows : cols;
  const length = transpose ? cols : rows;
  const vectors: Float64Array[] = [];
  for (let k = 0; k < count; k++) {
    const v = new Float64Array(length);
    for (;;) {
      for (let j = 0; j < length; j++) v[j] = gen.normal();
      for (const u of vectors) {
        let dot = 0;
        for (let j = 0; j < length; j++) dot += u[j] * v[j];
        for (let j = 0; j < length; j++) v[j] -= dot * u[j];
      }
      let norm = 0;
      for (let j = 0; j < length; j++) norm += v[j] * v[j];
      norm = Math.sqrt(norm);
      if (norm > 1e-6) {
        for (let j = 0; j < length; j++) v[j] /= norm;
        break;
      }
    }
    vectors.push(v);
  }
  const w = weight.f32;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[r * cols + c] = gain * (transpose ? vectors[r][c] : vectors[c][r]);
  weight.bumpVersion();
}

/** A batch tensor [N, …shape] over a flat float32 buffer of N observations. */
export function observationBatch(data: Float32Array, shape: readonly number[]): Tensor {
  const per = shape.reduce((a, b) => a * b, 1);
  return new Tensor(data, [data.length / per, ...shape]);
}

/** One action per row of logits [N, A], sampled from softmax(logits) with `gen`. */
export function sampleActions(logits: Tensor, gen: Generator): Int32Array {
  const [n, a] = logits.shape;
  const p = softmax(logits.detach(), -1).f32;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = gen.uniform();
    let acc = 0;
    let choice = a - 1;
    for (let j = 0; j < a; j++) {
      acc += p[i * a + j];
      if (u < acc) {
        choice = j;
        break;
      }
    }
    out[i] = choice;
  }
  return out;
}

/** argmax per row of [N, A] scores (ties to the lowest index). */
export function greedyActions(scores: Tensor): Int32Array {
  const [n, a] = scores.shape;
  const s = scores.f32;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < a; j++) if (s[i * a + j] > s[i * a + best]) best = j;
    out[i] = best;
  }
  return out;
}

/** log π(a | s) of the chosen actions [N] and the entropy of each row's distribution [N], differentiable. */
export function categoricalLogProbAndEntropy(logits: Tensor, actions: Int32Array): { logProb: Tensor; entropy: Tensor } {
  const n = logits.shape[0];
  const logp = logSoftmax(logits, -1);
  const logProb = gather(logp, 1, new Tensor(actions, [n, 1])).reshape([n]);
  const entropy = logp.exp().mul(logp).sum(1).neg();
  return { logProb, entropy };
}
