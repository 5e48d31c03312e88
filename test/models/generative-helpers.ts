/** Shared fixtures for the generative-model tests: a tiny labelled image source and a bit-exact state comparison. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Text2ImgModel } from '../../src/models/text2img.ts';
import type { SpatialCrossAttention } from '../../src/models/unet.ts';
import type { Module } from '../../src/nn/module.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import type { AnyBatch, EvalReport, TaskSource } from '../../src/train/task.ts';
import type { Trainer } from '../../src/train/trainer.ts';
import type { Batch } from '../../src/train/types.ts';

/** `batches` fixed batches of `size` 1×8×8 images in [0, 1]: class k lights up quadrant k (4 classes). */
export function tinyImages(batches = 4, size = 8, seed = 3): TaskSource<Batch> {
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const data = Array.from({ length: batches }, () => {
    const labels = Int32Array.from({ length: size }, () => Math.floor(rnd() * 4));
    const x = new Float32Array(size * 64);
    labels.forEach((label, n) => {
      for (let i = 0; i < 64; i++) {
        const quadrant = (i < 32 ? 0 : 2) + (i % 8 < 4 ? 0 : 1);
        x[n * 64 + i] = Math.min(1, Math.max(0, (quadrant === label ? 0.85 : 0.1) + (rnd() - 0.5) * 0.2));
      }
    });
    return { x: new Tensor(x, [size, 1, 8, 8]), y: new Tensor(labels, [size]) };
  });
  return {
    batchesPerEpoch: batches,
    async *epoch(_e, o = {}) {
      yield* data.slice(o.startBatch ?? 0);
    },
  };
}

/** Whether two modules hold bit-identical parameters and buffers. */
export function sameState(a: Module, b: Module): string | null {
  const sa = a.stateDict();
  const sb = b.stateDict();
  for (const [name, t] of sa) {
    const u = sb.get(name);
    if (!u) return `missing ${name}`;
    const x = t.data;
    const y = u.data;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return `${name}[${i}]: ${x[i]} vs ${y[i]}`;
  }
  return null;
}

/** Detached copies of the module's parameters `names`, the inputs checkGradient perturbs (see withParameters). */
export function parameterCopies(module: Module, names: readonly string[]): Tensor[] {
  const all = new Map(module.namedParameters());
  return names.map((n) => all.get(n)!.detach().clone());
}

/** Runs fn with `tensors` standing in for the module's parameters `names` (so checkGradient can perturb them). */
export function withParameters(module: Module, names: readonly string[], tensors: readonly Tensor[], fn: () => Tensor): Tensor {
  const slots = names.map((name) => {
    const path = name.split('.');
    const owner = path.slice(0, -1).reduce<Record<string, unknown>>((m, k) => m[k] as Record<string, unknown>, module as unknown as Record<string, unknown>);
    return { owner, key: path[path.length - 1], saved: owner[path[path.length - 1]] };
  });
  slots.forEach((s, i) => (s.owner[s.key] = tensors[i]));
  try {
    return fn();
  } finally {
    slots.forEach((s) => (s.owner[s.key] = s.saved));
  }
}

/**
 * Trains make(seed) for two epochs on tinyImages straight through, and again stopping after 6 steps, checkpointing,
 * restoring into make(99) (a different init: everything must come from the checkpoint) and finishing. Returns null
 * when both end bit-identical at the same step, else what differs.
 */
export async function resumeMismatch<B extends AnyBatch, R extends EvalReport>(make: (seed: number) => Trainer<B, R>, seed: number): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), 'simmer-resume-'));
  try {
    // Labelled image batches: what every generative task here reads (some ignore the labels).
    const data = tinyImages(4, 8) as unknown as TaskSource<B>;
    const full = make(seed);
    await full.fit(data, { epochs: 2 });
    const first = make(seed);
    first.callbacks.push({ onBatchEnd: (t) => void (t.globalStep >= 6 && (t.stopRequested = true)) });
    await first.fit(data, { epochs: 2 });
    const path = join(dir, 'mid.safetensors');
    first.saveCheckpoint(path);
    const resumed = make(99);
    resumed.restore(loadCheckpoint(path));
    await resumed.fit(data, { epochs: 2 });
    if (resumed.globalStep !== full.globalStep) return `resumed at step ${resumed.globalStep}, uninterrupted at ${full.globalStep}`;
    return sameState(full.model, resumed.model);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Captions of the tiny text-to-image models: the vocabulary of tinyTextModel. */
export const TINY_CAPTIONS = ['a small red circle above a blue square', 'a large green star on a gray background', 'a white triangle, left of a red star'];

/** A tiny text-to-image model (3x8x8) whose U-Net output layer is not zero (so prompts change the prediction). */
export function tinyTextModel(seed = 3): Text2ImgModel {
  manualSeed(seed);
  const m = new Text2ImgModel({
    imageShape: [3, 8, 8],
    classes: ['a', 'b'],
    captions: TINY_CAPTIONS,
    base: 8,
    mults: [1, 2],
    timesteps: 50,
    textDim: 8,
    textHeads: 2,
  });
  m.unet.outConv.weight.f32.forEach((_, i, a) => (a[i] = 0.05 * Math.sin(i)));
  for (const list of [m.unet.downCross!, m.unet.upCross!])
    for (let i = 0; i < list.length; i++) (list.at(i) as SpatialCrossAttention).attn.outProj.weight.f32.forEach((_, k, a) => (a[k] = 0.1 * Math.cos(k)));
  return m;
}
