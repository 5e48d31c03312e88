/**
 * Concept adapters (LoRA + a new token row): the LoRA and extra-row layers gradient-checked by central differences,
 * step 0 equal to the base model bit for bit, training that changes only the adapter's tensors, the adapter file's
 * round trip and size (≤ 5% of the text2img model), the clear refusals (known word, another model's adapter, no
 * images), and the novel shapes the concept check renders.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generate } from '../../src/cli/commands/generate.ts';
import { Command } from 'commander';
import { register as registerTrain } from '../../src/cli/commands/train.ts';
import { encodePng } from '../../src/data/image-file.ts';
import { backgroundName, conceptCaptionTemplates } from '../../src/data/captions.ts';
import { NOVEL_SHAPES, novelShapeScene, renderScene } from '../../src/data/shapes.ts';
import { encodeSafetensors } from '../../src/io/safetensors.ts';
import { AdapterError, ConceptAdapter, conceptCaptions, modelFingerprint, trainConcept } from '../../src/models/concept.ts';
import { generateImages, imageAt } from '../../src/models/generative.ts';
import { buildGenerativeModel, buildGenerativeTraining } from '../../src/models/registry.ts';
import { Text2ImgModel } from '../../src/models/text2img.ts';
import { Embedding, Linear } from '../../src/nn/layers/linear.ts';
import { EmbeddingRows, LoRA } from '../../src/nn/layers/lora.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { checkGradient, randn } from '../helpers/check.ts';
import { parameterCopies, sameState, TINY_CAPTIONS as CAPTIONS, tinyTextModel as tinyModel, withParameters } from './generative-helpers.ts';

/** n rendered hearts at the model's size, [n, 3, size, size] in [0, 1]. */
function hearts(n: number, size: number): Tensor {
  const out = new Float32Array(n * 3 * size * size);
  for (let i = 0; i < n; i++) renderScene(novelShapeScene('heart', 1, i, size), size, out, i * 3 * size * size);
  return new Tensor(out, [n, 3, size, size]);
}

test('LoRA and EmbeddingRows: gradients match central differences; B = 0 leaves the layer exactly as it was', () => {
  manualSeed(5);
  const fc = new Linear(6, 5);
  const x = randn([2, 3, 6], 1);
  const before = Array.from(fc.forward(x).f32);
  const lora = new LoRA(fc, { rank: 2, alpha: 6 }).attach();
  assert.equal(lora.scale, 3);
  assert.deepEqual(Array.from(fc.forward(x).f32), before, 'B is zero: bit for bit the base layer');
  lora.B.f32.set(randn(lora.B.shape, 2, 0.5).f32);
  // y = W·x + b + 3·B·A·x, against a float64 evaluation.
  const y = fc.forward(x).f32;
  const [w, b, A, B] = [fc.weight.f32, fc.bias!.f32, lora.A.f32, lora.B.f32];
  for (const [row, o] of [
    [0, 0],
    [4, 3],
  ]) {
    let want = b[o];
    for (let i = 0; i < 6; i++) want += w[o * 6 + i] * x.f32[row * 6 + i];
    for (let r = 0; r < 2; r++) {
      let ax = 0;
      for (let i = 0; i < 6; i++) ax += A[r * 6 + i] * x.f32[row * 6 + i];
      want += 3 * B[o * 2 + r] * ax;
    }
    assert.ok(Math.abs(y[row * 5 + o] - want) < 1e-5, `y[${row}, ${o}] ${y[row * 5 + o]} vs ${want}`);
  }
  const names = ['A', 'B'];
  checkGradient({
    name: 'linear',
    label: 'LoRA rank 2 on a 6 → 5 Linear, alpha/r = 3',
    fn: (input, ...p) => withParameters(lora, names, p, () => fc.forward(input)),
    inputs: [x, ...parameterCopies(lora, names)],
  });
  lora.detach();
  assert.deepEqual(Array.from(fc.forward(x).f32), before, 'detached: the base layer again');

  const table = new Embedding(4, 3);
  const rows = new EmbeddingRows(table, 2).attach();
  const ids = new Tensor(Int32Array.from([0, 4, 5, 3, 4]), [5]);
  const out = table.forward(ids).f32;
  assert.deepEqual(Array.from(out.slice(3, 6)), Array.from(rows.weight.f32.slice(0, 3)), 'id 4 reads the first new row');
  assert.deepEqual(Array.from(out.slice(0, 3)), Array.from(table.weight.f32.slice(0, 3)), 'old ids read the table');
  checkGradient({
    name: 'embedding',
    label: '2 rows after a 4-row table',
    fn: (r) => withParameters(rows, ['weight'], [r], () => table.forward(ids)),
    inputs: parameterCopies(rows, ['weight']),
  });
  rows.detach();
  assert.throws(() => table.forward(ids), /index 4 is out of range for 4 embeddings/);
  assert.throws(() => new LoRA(fc, { rank: 6 }), /rank must be an integer from 1 to 5/);
});

test('concept adapter: step 0 is the base model bit for bit; training changes only the adapter; the file round-trips', () => {
  const m = tinyModel();
  const base = tinyModel();
  const o = { n: 2, prompts: ['a red circle', 'a blue square above a white star'], seed: 4, steps: 3, guidance: 3 };
  const before = Array.from(generateImages(m, o).f32);
  const adapter = ConceptAdapter.create(m, { concept: 'zorb', rank: 2 });
  assert.equal(m.tokenizer.size, base.tokenizer.size + 1);
  assert.deepEqual(Array.from(generateImages(m, o).f32), before, 'a fresh adapter (B = 0) does not change a single pixel');
  // The new word's image differs from the <unk> word's only through its own row (not yet trained: a random row).
  const zorb = Array.from(generateImages(m, { ...o, prompts: ['a zorb', 'a zorb on a gray background'] }).f32);
  assert.equal(zorb.length, before.length);
  // Targets: q, k, v, out of every cross-attention (3 in the 2-level U-Net) and of the text encoder's 2 blocks.
  assert.equal(adapter.loras.size, 4 * (3 + 2));
  assert.ok([...adapter.loras.keys()].includes('unet.midCross.attn.qProj') && [...adapter.loras.keys()].includes('textEncoder.blocks.1.attn.outProj'));

  const captions = conceptCaptions(m, 'zorb', 'gray');
  assert.deepEqual(captions, ['a zorb on a gray background', 'a zorb on a gray background', 'a zorb']);
  const adapterBefore = adapter.parameters().map((p) => Array.from(p.f32));
  const losses = trainConcept(m, adapter, hearts(6, 8), { captions, steps: 4, batchSize: 3, lr: 1e-2, seed: 2 });
  assert.equal(losses.length, 4);
  assert.ok(losses.every(Number.isFinite));
  assert.equal(sameState(m, base), null, 'every base parameter is unchanged');
  assert.ok(
    m.parameters().every((p) => p.requiresGrad),
    'the base parameters are trainable again after',
  );
  const moved = adapter.parameters().filter((p, i) => p.f32.some((v, k) => v !== adapterBefore[i][k]));
  assert.equal(moved.length, adapter.parameters().length, 'every adapter tensor learned');
  const trained = Array.from(generateImages(m, o).f32);
  assert.notDeepEqual(trained, before, 'the trained adapter changes the drawings');

  // Round trip: the file loaded into a fresh copy of the base model draws exactly what the trained one draws.
  const file = adapter.encode();
  const copy = tinyModel();
  const loaded = ConceptAdapter.load(file, copy, 'zorb.safetensors');
  assert.equal(loaded.concept, 'zorb');
  const p = { ...o, prompts: ['a zorb', 'a zorb on a gray background'] };
  assert.deepEqual(Array.from(generateImages(copy, p).f32), Array.from(generateImages(m, p).f32));
  assert.deepEqual(Array.from(generateImages(copy, o).f32), trained);
  loaded.detach();
  assert.deepEqual(Array.from(generateImages(copy, o).f32), before, 'detached: the base model again');
  assert.throws(() => copy.encodePrompt('a zorb'), /never saw the word 'zorb'/);
});

test('concept adapter: clear refusals (known word, a phrase, another model, no images, not an adapter)', () => {
  const m = tinyModel();
  assert.throws(() => ConceptAdapter.create(m, { concept: 'circle' }), /'circle' is already a word of this model's vocabulary/);
  assert.throws(() => ConceptAdapter.create(m, { concept: 'my logo' }), /'my logo' is not one lower-case word/);
  const adapter = ConceptAdapter.create(m, { concept: 'zorb' });
  assert.throws(() => trainConcept(m, adapter, new Tensor(new Float32Array(0), [0, 3, 8, 8]), { captions: ['a zorb'] }), /no images to learn the concept from/);
  assert.throws(() => trainConcept(m, adapter, hearts(2, 16), { captions: ['a zorb'] }), /the concept images are 3x16x16; the model draws 3x8x8/);
  const file = adapter.encode();
  const other = tinyModel(4);
  assert.throws(
    () => ConceptAdapter.load(file, other, 'zorb.safetensors'),
    (e: Error) => e instanceof AdapterError && /zorb.safetensors was made for another model: it teaches 'zorb'/.test(e.message),
  );
  assert.notEqual(modelFingerprint(other), modelFingerprint(tinyModel()));
  assert.throws(
    () => ConceptAdapter.load(encodeSafetensors({ w: new Tensor(new Float32Array(2), [2]) }), tinyModel(), 'w.safetensors'),
    /w.safetensors is not a concept adapter/,
  );
});

test('concept adapter file of the text2img recipe model: rank 4 is under 5% of the model', () => {
  const model = buildGenerativeModel('text2img', {
    inputShape: [3, 32, 32],
    numClasses: 4,
    classes: ['circle', 'square', 'triangle', 'star'],
    captions: CAPTIONS,
  }) as Text2ImgModel;
  const modelBytes = encodeSafetensors(model.stateDict()).length;
  const adapter = ConceptAdapter.create(model, { concept: 'zorb', rank: 4 });
  const share = adapter.encode().length / modelBytes;
  assert.ok(share <= 0.05, `the adapter is ${(100 * share).toFixed(2)}% of the model`);
  assert.ok(adapter.numParameters() > 0);
});

test('novel shapes and concept captions: hearts and crosses render inside the image; the background is recognised', () => {
  for (const shape of NOVEL_SHAPES) {
    const scene = novelShapeScene(shape, 1, 0, 32);
    assert.match(scene.caption, new RegExp(`^a (medium|large) [a-z]+ ${shape} on a gray background$`));
    const img = new Float32Array(3 * 32 * 32);
    renderScene(scene, 32, img, 0);
    assert.equal(backgroundName(img, [3, 32, 32]), 'gray');
    // The object covers a sensible share of the picture: a differently coloured blob, not nothing and not everything.
    let covered = 0;
    for (let p = 0; p < 1024; p++) if (Math.abs(img[p] - 0.43) + Math.abs(img[1024 + p] - 0.43) + Math.abs(img[2048 + p] - 0.45) > 0.3) covered++;
    assert.ok(covered > 40 && covered < 600, `${shape}: ${covered} px`);
  }
  // The heart is not the cross: the same place and size cover different pixels.
  assert.notDeepEqual(
    (() => {
      const a = new Float32Array(3 * 1024);
      renderScene(novelShapeScene('heart', 1, 0, 32), 32, a, 0);
      return Array.from(a);
    })(),
    (() => {
      const b = new Float32Array(3 * 1024);
      renderScene(novelShapeScene('cross', 1, 0, 32), 32, b, 0);
      return Array.from(b);
    })(),
  );
  assert.equal(backgroundName(new Float32Array(3 * 16).fill(0.9), [3, 4, 4]), undefined);
  assert.equal(conceptCaptionTemplates()[0], 'a {}');
});

/** A text2img checkpoint of the recipe's architecture at 16x16 (untrained: the CLI path is what is tested here). */
/** `simmer train …` through the train verb's own flag parsing. */
function simmerTrain(args: string[]): Promise<Command> {
  const program = new Command().exitOverride();
  registerTrain(program);
  return program.parseAsync(['node', 'simmer', 'train', ...args]);
}

function text2imgCheckpoint(file: string, seed: number): void {
  manualSeed(seed);
  const classes = ['circle', 'square', 'triangle', 'star'];
  const built = buildGenerativeTraining('text2img', { inputShape: [3, 16, 16], numClasses: 4, classes, captions: CAPTIONS }, { lr: 1e-3 });
  const config = {
    recipe: { model: 'text2img', dataset: 'shapes' },
    classes,
    inputShape: [3, 16, 16],
    text: (built.model as unknown as Text2ImgModel).textConfig(),
  };
  new Trainer({ model: built.model, optimizer: built.optimizer, task: built.task, config }).saveCheckpoint(file);
}

test('concept end to end: simmer train <folder> --from <ckpt> --concept, then simmer generate --adapter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simmer-concept-'));
  const write = process.stdout.write.bind(process.stdout);
  try {
    const ckpt = join(dir, 'base.safetensors');
    text2imgCheckpoint(ckpt, 1);
    const folder = join(dir, 'hearts');
    mkdirSync(folder);
    const pics = hearts(10, 16);
    for (let i = 0; i < 10; i++) writeFileSync(join(folder, `heart-${i}.png`), await encodePng(imageAt(pics, i), [3, 16, 16]));
    const adapter = join(dir, 'zorb.safetensors');
    const args = [
      folder,
      '--from',
      ckpt,
      '--concept',
      'zorb',
      '--max-steps',
      '2',
      '--batch-size',
      '4',
      '--rank',
      '2',
      '--adapter-out',
      adapter,
      '--runs',
      dir,
      '-q',
    ];
    await simmerTrain(args);
    assert.ok(existsSync(adapter));
    assert.ok(statSync(adapter).size < 0.05 * statSync(ckpt).size, 'the adapter is a small file beside the checkpoint');
    process.stdout.write = () => true; // generate's summary line would interleave with the test report
    const flags = { class: [], n: 2, seed: 1, steps: 2, runs: dir, grid: join(dir, 'grid.png') };
    await generate(ckpt, { ...flags, adapter, attention: join(dir, 'attention.png') }, 'a zorb on a gray background');
    assert.ok(existsSync(join(dir, 'grid.png')));
    assert.ok(existsSync(join(dir, 'attention.png')), 'the per-word attention picture, the new word included');
    await assert.rejects(generate(ckpt, flags, 'a zorb'), /never saw the word 'zorb'/);
    const other = join(dir, 'other.safetensors');
    text2imgCheckpoint(other, 2);
    await assert.rejects(generate(other, { ...flags, adapter }, 'a zorb'), /zorb.safetensors was made for another model/);
    await assert.rejects(generate(ckpt, { ...flags, adapter: join(dir, 'none.safetensors') }, 'a zorb'), /no such file/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await assert.rejects(simmerTrain([empty, '--from', ckpt, '--concept', 'zorb', '-q']), /no images in/);
    await assert.rejects(simmerTrain([folder, '--concept', 'zorb', '-q']), /add --from <text2img run id or checkpoint>/);
  } finally {
    process.stdout.write = write;
    rmSync(dir, { recursive: true, force: true });
  }
});
