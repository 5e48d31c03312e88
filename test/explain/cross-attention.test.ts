/**
 * Cross-attention maps: the recomputed probabilities reproduce the layer's fused forward exactly (softmax·v through
 * the output projection), a planted layer sends the left half of the picture to one word and the right half to
 * another while padding gets nothing, and the maps of a sampled image are non-negative distributions over the tokens
 * at every pixel, of the right shape, for the steps asked, beside the very image model.sample draws.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { labelledTilesPng } from '../../src/data/preview.ts';
import { attentionTiles, crossAttentionMaps, crossAttentionProbabilities } from '../../src/explain/cross-attention.ts';
import { generateImages } from '../../src/models/generative.ts';
import { SpatialCrossAttention } from '../../src/models/unet.ts';
import { add } from '../../src/ops/elementwise.ts';
import { matmul } from '../../src/ops/matmul.ts';
import { permute, reshape, transpose } from '../../src/ops/shape.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { randn } from '../helpers/check.ts';
import { tinyTextModel } from '../models/generative-helpers.ts';

test('cross-attention probabilities: they reproduce the fused forward; a planted layer splits the picture between two words', () => {
  manualSeed(2);
  const block = new SpatialCrossAttention(8, 6, 2);
  block.attn.outProj.weight.f32.set(randn(block.attn.outProj.weight.shape, 3, 0.3).f32);
  const x = randn([2, 8, 3, 3], 4);
  const tokens = randn([2, 4, 6], 5);
  const padding = new Tensor(Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 0]), [2, 4]);
  const p = crossAttentionProbabilities(block, x, tokens, padding);
  assert.deepEqual(p.shape, [2, 2, 9, 4]);
  // softmax · v, heads merged, through the output projection, + x: the layer's own forward (fused attention kernel).
  const v = permute(reshape(block.attn.vProj.forward(tokens), [2, 4, 2, 4]), [0, 2, 1, 3]);
  const merged = reshape(permute(matmul(p, v), [0, 2, 1, 3]), [2, 9, 8]);
  const want = add(x, reshape(transpose(block.attn.outProj.forward(merged), 1, 2), [2, 8, 3, 3])).f32;
  const got = block.forward(x, tokens, padding).f32;
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `element ${i}: ${got[i]} vs ${want[i]}`);
  for (let q = 0; q < 2 * 2 * 9; q++) assert.equal(p.f32[q * 4 + 3] * (q < 18 ? 1 : 0), 0, 'the padded token of image 0 gets nothing');

  // Planted: channel 0 is +1 on the left half, −1 on the right; q = 10·channel 0; token 1's key is +e0, token 2's −e0,
  // and a padded token with a large key would win everywhere if the mask were ignored.
  const planted = new SpatialCrossAttention(2, 2, 1);
  const { qProj, kProj } = planted.attn;
  qProj.weight.f32.set([10, 0, 0, 0]);
  qProj.bias!.f32.fill(0);
  kProj.weight.f32.set([1, 0, 0, 1]);
  kProj.bias!.f32.fill(0);
  const img = new Float32Array(2 * 16).map((_, i) => (i < 16 ? (i % 4 < 2 ? 1 : -1) : 0));
  const ctx = new Tensor(Float32Array.from([0, 0, 1, 0, -1, 0, 5, 0]), [1, 4, 2]);
  const probs = crossAttentionProbabilities(planted, new Tensor(img, [1, 2, 4, 4]), ctx, new Tensor(Uint8Array.from([0, 0, 0, 1]), [1, 4])).f32;
  for (let pix = 0; pix < 16; pix++) {
    const word = pix % 4 < 2 ? 1 : 2;
    assert.ok(probs[pix * 4 + word] > 0.99, `pixel ${pix} attends to token ${word}: ${probs[pix * 4 + word]}`);
    assert.equal(probs[pix * 4 + 3], 0);
  }
});

test('cross-attention maps of a sampled image: per-pixel distributions over the tokens, the steps asked, the same image', async () => {
  const m = tinyTextModel();
  const o = { seed: 3, steps: 4, guidance: 3 };
  const prompt = 'a red circle above a blue square';
  const r = crossAttentionMaps(m, prompt, o);
  assert.deepEqual(r.tokens, ['<start>', 'a', 'red', 'circle', 'above', 'a', 'blue', 'square']);
  assert.equal(r.steps.length, 4);
  assert.deepEqual(
    r.steps.map((s) => s.index),
    [0, 1, 2, 3],
  );
  assert.ok(r.steps.every((s, i) => i === 0 || s.timestep < r.steps[i - 1].timestep, 'timesteps fall'));
  const plane = 64;
  for (const maps of [r.mean, ...r.steps.map((s) => s.maps)]) {
    assert.equal(maps.length, r.tokens.length * plane);
    assert.ok(maps.every((v) => v >= 0));
    for (let pix = 0; pix < plane; pix++) {
      let total = 0;
      for (let k = 0; k < r.tokens.length; k++) total += maps[k * plane + pix];
      assert.ok(Math.abs(total - 1) < 1e-5, `pixel ${pix}: shares sum to ${total}`);
    }
  }
  assert.ok(Math.abs(r.shares.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  // Not uniform: the layers' weights are not zero, so some words draw more than others somewhere.
  assert.ok(r.mean.some((v) => Math.abs(v - 1 / r.tokens.length) > 1e-3));
  // The image is image 0 of a plain sample with the same seed and sampler, and the recording leaves no hook behind.
  const plain = generateImages(m, { n: 2, prompts: [prompt, prompt], ...o });
  assert.deepEqual(Array.from(r.image.f32), Array.from(plain.f32.slice(0, 3 * plane)));
  assert.deepEqual(Array.from(generateImages(m, { n: 2, prompts: [prompt, prompt], ...o }).f32), Array.from(plain.f32));
  // Chosen steps only, and their mean.
  const some = crossAttentionMaps(m, prompt, { ...o, at: [0, 2] });
  assert.deepEqual(
    some.steps.map((s) => s.index),
    [0, 2],
  );
  assert.deepEqual(Array.from(some.steps[1].maps), Array.from(r.steps[2].maps));
  for (const i of [0, 100, 300]) assert.ok(Math.abs(some.mean[i] - (r.steps[0].maps[i] + r.steps[2].maps[i]) / 2) < 1e-6);
  // The picture: the image, then one labelled heat map per token.
  const tiles = attentionTiles(r);
  assert.equal(tiles.length, 1 + r.tokens.length);
  assert.match(tiles[4].label, /^circle \d+%$/);
  const meta = await sharp(await labelledTilesPng(tiles, { tile: 48, columns: 9 })).metadata();
  assert.deepEqual([meta.width, meta.height], [9 * 48, 48 + 18]);
  assert.throws(() => crossAttentionMaps(m, 'a pink circle'), /never saw the word 'pink'/);
});
