/**
 * Text to image: the caption tokenizer (round trips, unknown words and their suggestions), the U-Net's
 * cross-attention and the text encoder gradient-checked by central differences, the guidance arithmetic with
 * negative prompts against separate forward passes, the held-out split of the shapes captions, the prompt suite, and
 * one tiny train → checkpoint → generate run through runTraining and `simmer generate`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generate } from '../../src/cli/commands/generate.ts';
import { captionFor, PARAPHRASE_TEMPLATES, templateCaptions, TRAINING_TEMPLATES } from '../../src/data/captions.ts';
import { loadDataset } from '../../src/data/load.ts';
import { HELD_OUT_PAIRS, isHeldOutCombination } from '../../src/data/shapes.ts';
import { CaptionTokenizer, editDistance, splitWords } from '../../src/data/tokenizer.ts';
import { generateImages } from '../../src/models/generative.ts';
import { openGenerativeCheckpoint } from '../../src/models/registry.ts';
import { TextEncoder } from '../../src/models/text-encoder.ts';
import { Text2ImgModel, UnknownWordError } from '../../src/models/text2img.ts';
import { SpatialCrossAttention } from '../../src/models/unet.ts';
import { formatPromptSuite, scoreClassPrompts, scorePromptSuite, shapesPromptSuite } from '../../src/quality/prompt-suite.ts';
import { parseShapesCaption } from '../../src/quality/scene-verifier.ts';
import { runTraining } from '../../src/runs/run.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { checkGradient, randn } from '../helpers/check.ts';
import { parameterCopies, TINY_CAPTIONS as CAPTIONS, tinyTextModel as tinyModel, withParameters } from './generative-helpers.ts';

test('tokenizer: words and punctuation, reserved ids, round trips, unknown words and the closest known ones', () => {
  assert.deepEqual(splitWords('A red circle, left of a T-shirt!'), ['a', 'red', 'circle', ',', 'left', 'of', 'a', 't-shirt', '!']);
  const tok = CaptionTokenizer.fromCaptions(CAPTIONS);
  assert.deepEqual(tok.vocabulary.slice(0, 3), ['<pad>', '<unk>', '<start>']);
  assert.equal(tok.maxLength, 9 + 1 + 4); // longest caption (9 tokens) + start + slack
  for (const c of CAPTIONS) {
    const e = tok.encode(c);
    assert.equal(e.ids[0], 2);
    assert.equal(e.length, splitWords(c).length + 1);
    assert.ok(
      Array.from(e.ids.slice(e.length)).every((id) => id === 0),
      'padding after the words',
    );
    assert.deepEqual(splitWords(tok.decode(e.ids)), splitWords(c));
    assert.deepEqual(Array.from(tok.encode(tok.decode(e.ids)).ids), Array.from(e.ids));
  }
  // The vocabulary survives the checkpoint's JSON.
  const back = CaptionTokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
  assert.deepEqual(Array.from(back.encode(CAPTIONS[2]).ids), Array.from(tok.encode(CAPTIONS[2]).ids));
  // Unknown words: reported once each, encoded as <unk> (id 1), and the nearest known words suggested.
  assert.deepEqual(tok.unknownWords('a pink circle above a pink squre'), ['pink', 'squre']);
  assert.equal(tok.encode('a pink circle').ids[2], 1);
  assert.equal(tok.closestWords('squre')[0], 'square');
  assert.equal(tok.closestWords('abov')[0], 'above');
  assert.equal(editDistance('kitten', 'sitting'), 3);
  // The empty prompt is the start token alone.
  assert.equal(tok.encode('').length, 1);
  assert.throws(() => tok.encode('a '.repeat(20)), /20 words.*at most 13/);
  assert.throws(() => new CaptionTokenizer(['a', 'b', 'c'], 5), /must begin with <pad>, <unk>, <start>/);
});

test('captions: Fashion-MNIST templates; paraphrases use only training words, in arrangements training never shows', () => {
  assert.equal(captionFor('Ankle boot', TRAINING_TEMPLATES[1]), 'an ankle boot, black and white');
  assert.equal(captionFor('Sneaker', TRAINING_TEMPLATES[0]), 'a photo of a sneaker');
  const classes = ['T-shirt/top', 'Trouser', 'Ankle boot', 'Bag'];
  const tok = CaptionTokenizer.fromCaptions(templateCaptions(classes));
  const train = new Set(templateCaptions(classes));
  for (const p of templateCaptions(classes, PARAPHRASE_TEMPLATES)) {
    assert.deepEqual(tok.unknownWords(p), [], p);
    assert.ok(!train.has(p), `${p} is a training caption`);
  }
});

test('shapes text2img: held-out combinations never appear in training captions; the second object is at least 4 px', async () => {
  const ds = await loadDataset('shapes', { count: 600, size: 32, text2img: true });
  let pairs = 0;
  for (let i = 0; i < ds.length; i++) {
    const scene = (ds as unknown as { scene(i: number): { objects: { r: number }[]; caption: string } }).scene(i);
    const parsed = parseShapesCaption(scene.caption);
    assert.ok(!isHeldOutCombination(parsed.objects, parsed.relation), scene.caption);
    if (scene.objects.length === 2) {
      pairs++;
      assert.ok(scene.objects[1].r >= 0.12 * 32 - 1e-9, `second object r ${scene.objects[1].r}`);
    }
  }
  assert.ok(pairs > 200, `${pairs} two-object scenes`);
  // Without the flag the same seed draws held-out pairs too (the classifier dataset is unchanged).
  const plain = await loadDataset('shapes', { count: 600, size: 32 });
  const held = Array.from({ length: plain.length }, (_, i) => parseShapesCaption(plain.captionOf!(i)!)).filter((p) =>
    isHeldOutCombination(p.objects, p.relation),
  );
  assert.ok(held.length > 30);
  // The suite: 36 prompts the verifier can read, the seen groups free of held-out combinations, the held-out ones not.
  const suite = shapesPromptSuite();
  assert.equal(suite.length, 36);
  for (const p of suite) {
    const c = parseShapesCaption(p.prompt);
    assert.equal(isHeldOutCombination(c.objects, c.relation), p.group.endsWith('held-out'), p.prompt);
  }
  assert.equal(suite.filter((p) => p.group === 'single, held-out').length, HELD_OUT_PAIRS.length);
});

test('cross-attention block and text encoder: gradients match central differences; padding tokens are ignored', () => {
  manualSeed(11);
  const block = new SpatialCrossAttention(8, 6, 2);
  // The output projection starts at zero (identity block): give it weights so every path carries gradient.
  block.attn.outProj.weight.f32.set(randn(block.attn.outProj.weight.shape, 3, 0.3).f32);
  const names = ['attn.qProj.weight', 'attn.kProj.weight', 'attn.vProj.weight', 'attn.outProj.weight', 'norm.weight'];
  const params = parameterCopies(block, names);
  const padding = new Tensor(Uint8Array.from([0, 0, 0, 1, 0, 0, 1, 1]), [2, 4]);
  checkGradient({
    name: 'scaledDotProductAttention',
    label: 'U-Net cross-attention from a 3x3 map to 4 text tokens (padded), 2 heads',
    fn: (x, tokens, ...p) => withParameters(block, names, p, () => block.forward(x, tokens, padding)),
    inputs: [randn([2, 8, 3, 3], 7), randn([2, 4, 6], 8), ...params],
    eps: 1e-2,
    gradAtol: 2e-2,
    gradRtol: 2e-2,
    maxGradSamples: 24,
  });
  // A padded token's features do not change the output.
  const x = randn([2, 8, 3, 3], 9);
  const tokens = randn([2, 4, 6], 10);
  const changed = tokens.clone();
  changed.f32.fill(5, 3 * 6, 4 * 6); // batch 0, token 3 (padding)
  assert.deepEqual(Array.from(block.forward(x, changed, padding).f32), Array.from(block.forward(x, tokens, padding).f32));

  const enc = new TextEncoder({ vocabSize: 7, maxLength: 5, dim: 8, layers: 2, heads: 2 });
  const ids = new Tensor(Int32Array.from([2, 3, 4, 0, 0, 2, 5, 6, 1, 0]), [2, 5]);
  const pad = new Tensor(Uint8Array.from([0, 0, 0, 1, 1, 0, 0, 0, 0, 1]), [2, 5]);
  const encNames = ['tokenEmbedding.weight', 'positionEmbedding.weight', 'blocks.0.attn.qProj.weight', 'blocks.1.fc1.weight'];
  const encParams = parameterCopies(enc, encNames);
  checkGradient({
    name: 'scaledDotProductAttention',
    label: 'text encoder: embeddings, 2 pre-norm blocks with padding masks, final LayerNorm',
    fn: (...p) => withParameters(enc, encNames, p, () => enc.forward(ids, pad)),
    inputs: encParams,
    eps: 1e-2,
    gradAtol: 2e-2,
    gradRtol: 2e-2,
    maxGradSamples: 16,
  });
  // The pooled vector is the mean of the real tokens' features.
  const tok = CaptionTokenizer.fromCaptions(['x y', 'x']);
  const small = new TextEncoder({ vocabSize: tok.size, maxLength: tok.maxLength, dim: 4, heads: 2 });
  const ctx = small.encode([tok.encode('x y'), tok.encode('')]);
  const t = ctx.tokens.f32;
  for (let d = 0; d < 4; d++) {
    assert.ok(Math.abs(ctx.pooled.f32[d] - (t[d] + t[4 + d] + t[8 + d]) / 3) < 1e-6);
    assert.ok(Math.abs(ctx.pooled.f32[4 + d] - t[tok.maxLength * 4 + d]) < 1e-6);
  }
});

test('prompt suites: the scene verifier table and intended-label accuracy per template set, on known answers', () => {
  // Plain gray pictures show no object: every attribute is wrong, every group has its samples.
  const blank = scorePromptSuite((prompts) => new Tensor(new Float32Array(prompts.length * 3 * 32 * 32).fill(0.41), [prompts.length, 3, 32, 32]), {
    samples: 2,
  });
  assert.deepEqual(
    blank.rows.map((r) => [r.group, r.samples, r.colourAndShape, r.all]),
    [
      ['single, seen', 24, 0, 0],
      ['single, held-out', 8, 0, 0],
      ['pair, seen', 24, 0, 0],
      ['pair, held-out', 16, 0, 0],
    ],
  );
  assert.match(formatPromptSuite(blank), /^group\s+prompts\s+samples\s+colour/);
  // A stand-in model draws the class index as the pixel value, except for one class under paraphrases.
  const classes = ['Sneaker', 'Bag', 'Ankle boot'];
  const labelOf = (p: string) => classes.findIndex((c) => p.includes(c.toLowerCase()));
  const draw = (prompts: string[]) =>
    new Tensor(Float32Array.from(prompts.flatMap((p) => [PARAPHRASE_TEMPLATES.some((t) => captionFor('Bag', t) === p) ? 0 : labelOf(p)])), [
      prompts.length,
      1,
      1,
      1,
    ]);
  const rows = scoreClassPrompts(draw, (images) => Int32Array.from(images.f32), classes, { samples: 2 });
  assert.deepEqual(rows, [
    { templates: 'training', prompts: 12, samples: 24, accuracy: 1 },
    { templates: 'paraphrase', prompts: 9, samples: 18, accuracy: 2 / 3 },
  ]);
});

test('guidance: ε̂_neg + w·(ε̂_c − ε̂_neg) against separate forward passes; the negative prompt replaces the empty one', () => {
  const m = tinyModel();
  const x = randn([2, 3, 8, 8], 4);
  const at = new Tensor(Int32Array.from([20, 20]), [2]);
  const cond = m.encodeText(['a small red circle above a blue square', 'a large green star on a gray background']);
  const neg = m.encodeText(['a white triangle', 'a white triangle']);
  const empty = m.encodeText(['', '']);
  const c = m.forwardText(x, at, cond).f32;
  const n = m.forwardText(x, at, neg).f32;
  const u = m.forwardText(x, at, empty).f32;
  assert.ok(
    c.some((v, i) => Math.abs(v - u[i]) > 1e-4),
    'the prompt changes the prediction',
  );
  for (const w of [0, 1, 3]) {
    const g = m.predictText(x, 20, cond, neg, w).f32;
    for (const i of [0, 77, 300]) assert.ok(Math.abs(g[i] - (n[i] + w * (c[i] - n[i]))) < 1e-5, `w ${w}, element ${i}`);
  }
  // Sampling: a negative prompt changes the images; the same seed gives the same images; an unknown word is refused.
  const o = { n: 2, prompts: ['a red circle', 'a blue square'], seed: 5, steps: 3, guidance: 3 };
  const a = generateImages(m, o);
  assert.deepEqual(Array.from(generateImages(m, { ...o, batchSize: 1 }).f32), Array.from(a.f32));
  assert.notDeepEqual(Array.from(generateImages(m, { ...o, negativePrompt: 'a white triangle' }).f32), Array.from(a.f32));
  assert.throws(
    () => generateImages(m, { ...o, prompts: ['a pink circle', 'a red square'] }),
    (e: Error) => e instanceof UnknownWordError && /^the model never saw the word 'pink' \(closest known: [a-z]+, [a-z]+, [a-z]+\)/.test(e.message),
  );
  assert.throws(
    () => m.encodePrompt('a pink sqare'),
    (e: Error) => e instanceof UnknownWordError && /the words 'pink' \(closest known: .*\); 'sqare' \(closest known: square/.test(e.message),
  );
  // The empty prompt is unconditional: with it as the prompt, guidance has nothing to mix.
  const u1 = generateImages(m, { ...o, prompts: ['', ''], guidance: 1 });
  assert.deepEqual(Array.from(generateImages(m, { ...o, prompts: ['', ''], guidance: 5 }).f32), Array.from(u1.f32));
});

test('image to image: SDEdit keeps more of the picture at low strength; a mask keeps everything outside it', () => {
  const m = tinyModel();
  const init = new Tensor(
    Float32Array.from({ length: 2 * 3 * 64 }, (_, i) => 0.2 + 0.6 * ((i >> 3) % 2)),
    [2, 3, 8, 8],
  );
  const o = { n: 2, prompts: ['a red circle', 'a blue square'], seed: 5, steps: 10, guidance: 3, init };
  const gap = (t: Tensor) => t.f32.reduce((a, v, i) => a + Math.abs(v - init.f32[i]), 0) / t.size;
  const low = gap(generateImages(m, { ...o, strength: 0.1 }));
  const high = gap(generateImages(m, { ...o, strength: 1 }));
  assert.ok(low < high, `strength 0.1 changes less (${low}) than strength 1 (${high})`);
  // Keep the left half: it comes back as it was (up to float rounding); the right half is redrawn.
  const mask = new Tensor(
    Float32Array.from({ length: 2 * 64 }, (_, i) => (i % 8 >= 4 ? 1 : 0)),
    [2, 1, 8, 8],
  );
  const out = generateImages(m, { ...o, mask }).f32;
  for (let i = 0; i < out.length; i++) if (i % 8 < 4) assert.ok(Math.abs(out[i] - init.f32[i]) < 1e-5, `kept pixel ${i}`);
  assert.ok(
    out.some((v, i) => i % 8 >= 4 && Math.abs(v - init.f32[i]) > 1e-3),
    'the masked half is redrawn',
  );
  assert.throws(() => generateImages(m, { ...o, strength: 0 }), /strength must be in \(0, 1\]/);
  assert.throws(() => generateImages(m, { ...o, init: new Tensor(new Float32Array(64), [1, 1, 8, 8]) }), /init images must be \[2, 3, 8, 8\]/);
  assert.throws(() => generateImages(m, { n: 2, prompts: o.prompts, seed: 1, mask }), /a mask needs the image/);
});

test('text2img end to end: train on shapes for a few steps, reopen the checkpoint, generate from a prompt', async () => {
  const root = mkdtempSync(join(tmpdir(), 'simmer-t2i-'));
  try {
    const { run } = await runTraining(
      { dataset: 'shapes', model: 'text2img', epochs: 1, limit: 32, batchSize: 16, imageSize: 16, seed: 2 },
      { root, quiet: true },
    );
    const ckpt = join(run.checkpoints, 'last.safetensors');
    const opened = openGenerativeCheckpoint(ckpt);
    assert.equal(opened.name, 'text2img');
    const model = opened.model as unknown as Text2ImgModel;
    assert.ok(model.tokenizer.vocabulary.includes('circle') && model.tokenizer.vocabulary.includes('above'));
    const o = { n: 2, prompts: ['a red circle above a blue square', 'a red circle above a blue square'], seed: 7, steps: 2 };
    const a = generateImages(model, o);
    assert.deepEqual(a.shape, [2, 3, 16, 16]);
    assert.deepEqual(Array.from(generateImages(openGenerativeCheckpoint(ckpt).model, o).f32), Array.from(a.f32), 'same seed, same images');
    const out = join(root, 'out');
    const flags = { class: [], n: 2, seed: 1, steps: 2, runs: root, out, grid: join(root, 'grid.png') };
    await generate(run.id, flags, 'a red circle above a blue square');
    assert.equal(readdirSync(out).length, 2);
    assert.ok(existsSync(join(root, 'grid.png')));
    await generate(run.id, { ...flags, out: join(root, 'empty') }, '');
    assert.equal(readdirSync(join(root, 'empty')).length, 2);
    await assert.rejects(generate(run.id, flags, 'a red hexagon'), /never saw the word 'hexagon' \(closest known: /);
    await assert.rejects(generate(run.id, flags), /draws what a prompt says/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
