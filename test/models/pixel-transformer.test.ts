/**
 * The pixel transformer: the tokenizer's exact round trip, the loss's gradients against central differences, the
 * causal structure (logits at t ignore tokens after t), the KV-cache sampler against a full-forward greedy decode,
 * seeded sampling (same seed, same images, whatever the batch size), top-k / temperature against their definitions,
 * that a tiny model learns to follow its class token, and bit-exact resume through the Trainer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.ts';
import { drawToken, PixelTransformer, pixelTransformerLoss, PixelTransformerTask } from '../../src/models/pixel-transformer.ts';
import { dequantise, PixelTokenizer, quantise } from '../../src/models/pixel-transformer-tokens.ts';
import { Adam } from '../../src/optim/optimizers.ts';
import { Generator, manualSeed } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import type { TaskSource } from '../../src/train/task.ts';
import { Trainer } from '../../src/train/trainer.ts';
import type { Batch } from '../../src/train/types.ts';
import { makeRng } from '../helpers/check.ts';
import { resumeMismatch, tinyImages } from './generative-helpers.ts';

const tiny = (o: { conditional?: boolean; seed?: number } = {}) => {
  manualSeed(o.seed ?? 1);
  // 8x8 images pooled to 4x4, 2 levels, 2x2 patches: 4 tokens of 16 values.
  return new PixelTransformer({
    inputShape: [1, 8, 8],
    numClasses: 4,
    conditional: o.conditional ?? true,
    grid: 4,
    levels: 2,
    patch: 2,
    dim: 8,
    depth: 1,
    heads: 2,
  });
};

test('quantise / dequantise round trip; the tokenizer decodes and re-encodes every token exactly', () => {
  for (const levels of [2, 4, 16]) for (let q = 0; q < levels; q++) assert.equal(quantise(dequantise(q, levels), levels), q);
  assert.equal(quantise(-0.3, 4), 0);
  assert.equal(quantise(1.7, 4), 3);
  const tok = new PixelTokenizer({ imageShape: [2, 12, 12], grid: 6, levels: 3, patch: 3 });
  assert.equal(tok.vocabSize, 3 ** 9);
  assert.equal(tok.length, 2 * 2 * 2);
  const r = makeRng(5);
  const tokens = Int32Array.from({ length: 3 * tok.length }, () => r.int(0, tok.vocabSize));
  // Grid-size images are the dequantised grid itself; the 12x12 ones are it upsampled with nearest (2x2 blocks), which
  // average pooling maps back to the grid exactly.
  const grid = tok.decodeGrid(tokens, 3);
  const big = new Float32Array(3 * 2 * 144);
  for (let i = 0; i < big.length; i++) {
    const x = i % 12;
    const y = Math.floor(i / 12) % 12;
    const plane = Math.floor(i / 144);
    big[i] = grid.f32[plane * 36 + Math.floor(y / 2) * 6 + Math.floor(x / 2)];
  }
  assert.deepEqual([...tok.encode(new Tensor(big, [3, 2, 12, 12])).data], [...tokens]);
  assert.deepEqual([...tok.decode(new Tensor(tokens, [3, tok.length])).shape], [3, 2, 12, 12]);
  assert.throws(() => new PixelTokenizer({ imageShape: [1, 8, 8], grid: 5, patch: 2 }), /the patch \(2\) must divide the grid \(5\)/);
  assert.throws(
    () => new PixelTokenizer({ imageShape: [1, 12, 12], levels: 4, patch: 3, grid: 6 }),
    /4 levels in 3x3 patches make 262144 tokens; at most 65536/,
  );
  assert.throws(() => tok.encode(new Tensor(new Float32Array(144), [1, 1, 12, 12])), /expected images \[N, 2, 12, 12\], got \[1, 1, 12, 12\]/);
});

/** The batches of one epoch of a source. */
async function batchesOf(source: TaskSource<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of source.epoch(0)) out.push(b);
  return out;
}

test('gradients of the next-token loss match central differences', async () => {
  const m = tiny();
  const [{ x, y }] = await batchesOf(tinyImages(1, 6));
  const loss = () => pixelTransformerLoss(m, x, y);
  m.zeroGrad();
  loss().backward();
  const r = makeRng(2);
  let checked = 0;
  for (const [name, p] of m.namedParameters()) {
    const g = p.grad;
    assert.ok(g, `${name} got no gradient`);
    for (let s = 0; s < 3; s++) {
      const j = r.int(0, p.size);
      const x0 = p.data[j];
      const eps = 1e-3; // the embeddings start at N(0, 0.02): a larger step leaves the linear range of the LayerNorm
      p.data[j] = x0 + eps;
      const lp = noGrad(loss).item();
      p.data[j] = x0 - eps;
      const lm = noGrad(loss).item();
      p.data[j] = x0;
      const numeric = (lp - lm) / (2 * eps);
      // Rows of the embedding table that no token in the batch uses have exactly zero gradient either way.
      assert.ok(Math.abs(numeric - g.data[j]) <= 2e-3 + 2e-2 * Math.abs(numeric), `${name}[${j}]: analytic ${g.data[j]}, numeric ${numeric}`);
      checked++;
    }
  }
  assert.ok(checked >= 3 * 10);
});

test('causal: the logits at position t do not depend on the tokens after t', () => {
  const m = tiny();
  m.eval();
  const a = new Tensor(Int32Array.from([16, 3, 7, 9]), [1, 4]);
  const b = new Tensor(Int32Array.from([16, 3, 12, 0]), [1, 4]);
  const la = noGrad(() => m.forward(a)).f32;
  const lb = noGrad(() => m.forward(b)).f32;
  const v = 16;
  assert.deepEqual([...la.subarray(0, 2 * v)], [...lb.subarray(0, 2 * v)], 'positions 0 and 1 see the same prefix');
  assert.notDeepEqual([...la.subarray(2 * v, 3 * v)], [...lb.subarray(2 * v, 3 * v)], 'position 2 sees the changed token');
});

test('greedy sampling through the KV cache equals a greedy decode with the full forward', () => {
  const m = tiny();
  m.eval();
  noGrad(() => {
    for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] += 0.3 * Math.sin(i * 1.7 + p.size);
  });
  const labels = [0, 1, 2, 3];
  const sampled = m.sample({ n: 4, labels, seed: 1, topK: 1 });
  const len = m.tokenizer.length;
  const seq = labels.map((l) => [m.prefixToken(l)]);
  for (let t = 0; t < len; t++) {
    const input = new Tensor(Int32Array.from(seq.flat()), [4, t + 1]);
    const logits = noGrad(() => m.forward(input)).f32;
    seq.forEach((s, i) => {
      const row = logits.subarray((i * (t + 1) + t) * 16, (i * (t + 1) + t + 1) * 16);
      s.push(row.indexOf(Math.max(...row)));
    });
  }
  const expected = m.tokenizer.decode(new Tensor(Int32Array.from(seq.flatMap((s) => s.slice(1))), [4, len]));
  assert.deepEqual([...sampled.f32], [...expected.f32]);
});

test('sampling is seeded: same seed same images (whatever the batch size), another seed other images; onStep counts tokens', () => {
  const m = tiny();
  m.eval();
  const labels = [0, 1, 2, 3, 0, 1, 2];
  const steps: number[] = [];
  const a = m.sample({ n: 7, labels, seed: 5, onStep: (s, total) => steps.push(s, total) });
  const b = m.sample({ n: 7, labels, seed: 5, batchSize: 3 });
  const c = m.sample({ n: 7, labels, seed: 6 });
  assert.deepEqual([...a.shape], [7, 1, 8, 8]);
  assert.deepEqual([...a.f32], [...b.f32]);
  assert.notDeepEqual([...a.f32], [...c.f32]);
  assert.deepEqual(steps, [1, 4, 2, 4, 3, 4, 4, 4]);
  assert.ok(a.f32.every((v) => v >= 0 && v <= 1));
  assert.throws(() => m.sample({ n: 2, labels: [0], seed: 1 }), /needs one label per image \(2\), got 1/);
  assert.throws(() => m.sample({ n: 1, labels: [7], seed: 1 }), /class 7 is out of range \(0\.\.3\)/);
});

test('drawToken: k = 1 and temperature 0 are greedy; top-k keeps the k largest; frequencies follow softmax(logits / T)', () => {
  const logits = Float32Array.from([0.5, 2, -1, 1.5, 0]);
  const gen = new Generator(3);
  for (let i = 0; i < 50; i++) {
    assert.equal(drawToken(logits, 1, 1, gen), 1);
    assert.equal(drawToken(logits, 0, 0, gen), 1);
  }
  const draws = 20000;
  for (const [temperature, topK] of [
    [1, 0],
    [0.5, 0],
    [2, 3],
  ]) {
    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < draws; i++) counts[drawToken(logits, temperature, topK, gen)]++;
    const kept = topK ? [...logits].sort((x, y) => y - x).slice(0, topK) : [...logits];
    const z = kept.reduce((s, l) => s + Math.exp(l / temperature), 0);
    logits.forEach((l, j) => {
      const p = kept.includes(l) ? Math.exp(l / temperature) / z : 0;
      const tol = 4 * Math.sqrt((p * (1 - p)) / draws) + 1e-9;
      assert.ok(Math.abs(counts[j] / draws - p) <= tol, `T=${temperature} k=${topK} token ${j}: ${counts[j] / draws} vs ${p}`);
    });
  }
});

test('a tiny model learns to follow its class token', async () => {
  const m = tiny({ seed: 4 });
  const opt = new Adam(m.parameters(), { lr: 1e-2 });
  const batches = await batchesOf(tinyImages(4, 16));
  for (let step = 0; step < 120; step++) {
    const b = batches[step % batches.length];
    m.zeroGrad();
    pixelTransformerLoss(m, b.x, b.y).backward();
    opt.step();
  }
  m.eval();
  const images = m.sample({ n: 4, labels: [0, 1, 2, 3], seed: 1, topK: 1 });
  // Class k lights up quadrant k: the brightest quadrant of sample k must be k.
  for (let k = 0; k < 4; k++) {
    const q = [0, 0, 0, 0];
    for (let i = 0; i < 64; i++) q[(i < 32 ? 0 : 2) + (i % 8 < 4 ? 0 : 1)] += images.f32[k * 64 + i];
    assert.equal(q.indexOf(Math.max(...q)), k, `class ${k}: quadrant sums ${q.join(', ')}`);
  }
});

test('a run resumed from a mid-epoch checkpoint ends bit-identical to an uninterrupted one', async () => {
  const make = (seed: number) => {
    const model = tiny({ seed });
    return new Trainer({ model, optimizer: new Adam(model.parameters(), { lr: 1e-2 }), task: new PixelTransformerTask() });
  };
  assert.equal(await resumeMismatch(make, 1), null);
});
