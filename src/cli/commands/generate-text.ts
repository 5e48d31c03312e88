/**
 * The text-to-image side of `simmer generate` and `simmer eval`: `simmer generate <checkpoint> "a red circle above a
 * blue square"` draws --n images of the prompt (--negative steers away from a second prompt; an empty prompt draws
 * unconditionally), and `simmer eval <text2img checkpoint>` scores the fixed shapes prompt suite with the scene
 * verifier (seen and held-out combinations) and prints the table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../../data/image-file.ts';
import { labelledTilesPng } from '../../data/preview.ts';
import { attentionTiles, crossAttentionMaps } from '../../explain/cross-attention.ts';
import { imageAt, type SampleOptions, writeGridPng } from '../../models/generative.ts';
import type { OpenedGenerativeModel } from '../../models/registry.ts';
import type { Text2ImgModel } from '../../models/text2img.ts';
import { formatClassPrompts, formatPromptSuite, scoreClassPrompts, scorePromptSuite, shapesPromptSuite } from '../../quality/prompt-suite.ts';
import { describeImages, referenceClassifier } from '../../quality/reference.ts';
import { preprocessFile } from '../../runs/preprocess.ts';
import { defaultRunsRoot } from '../../runs/run-store.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { type SamplerFlags, sampleSteps } from './generate.ts';

/** Prompts sampled with a progress bar over the sampling steps when asked (only the sampler flags given are passed). */
function drawPrompts(
  model: Text2ImgModel,
  prompts: string[],
  o: SamplerFlags & { seed: number; negative?: string; progress: boolean; edit?: Pick<SampleOptions, 'init' | 'mask' | 'strength'> },
): Tensor {
  const flags = Object.fromEntries(Object.entries({ ...samplerOnly(o), ...o.edit }).filter(([, v]) => v !== undefined));
  return sampleSteps(model, { ...flags, n: prompts.length, prompts, negativePrompt: o.negative, seed: o.seed }, o.progress);
}

/** Only the sampler flags of o. */
function samplerOnly(o: SamplerFlags): SamplerFlags {
  return { steps: o.steps, sampler: o.sampler, eta: o.eta, guidance: o.guidance };
}

/** An image file at the model's size as n copies [n, channels, H, W] in [0, 1] (a mask: 1 channel, thresholded at ½). */
async function imageBatch(path: string, model: Text2ImgModel, n: number, mask: boolean): Promise<Tensor> {
  const [c, h, w] = model.imageShape;
  const channels = mask ? 1 : c;
  const pixels = await preprocessFile({ inputShape: [channels, h, w], resize: 'fill' }, path);
  const one = mask ? pixels.map((v) => (v >= 0.5 ? 1 : 0)) : pixels;
  const out = new Float32Array(n * one.length);
  for (let i = 0; i < n; i++) out.set(one, i * one.length);
  return new Tensor(out, [n, channels, h, w]);
}

export interface PromptOptions extends SamplerFlags {
  n: number;
  seed: number;
  negative?: string;
  out?: string;
  grid?: string;
  json?: boolean;
  /** Image-to-image: the picture to edit, how much of the sampling to redo, and the region to redraw (white). */
  init?: string;
  strength?: number;
  mask?: string;
  /** Write the cross-attention picture of image 0 (the image, then one heat map per token) to this PNG. */
  attention?: string;
}

/** The cross-attention picture of the prompt's first image (same seed, same sampler): written to `file`. */
async function writeAttentionPicture(model: Text2ImgModel, prompt: string, o: PromptOptions & { attention: string }) {
  const r = crossAttentionMaps(model, prompt, { ...samplerOnly(o), seed: o.seed, negativePrompt: o.negative });
  const tiles = attentionTiles(r);
  writeFileSync(o.attention, await labelledTilesPng(tiles, { tile: 96, columns: Math.min(9, tiles.length) }));
  return { file: o.attention, tokens: r.tokens, shares: r.shares, steps: r.steps.length };
}

/** `simmer generate <text2img checkpoint> "<prompt>"`. */
export async function generateFromPrompt(opened: OpenedGenerativeModel, path: string, prompt: string, o: PromptOptions): Promise<void> {
  const started = performance.now();
  const model = opened.model as unknown as Text2ImgModel;
  const prompts = Array.from({ length: o.n }, () => prompt);
  if (o.init === undefined && (o.mask !== undefined || o.strength !== undefined))
    throw new Error('--strength and --mask edit a picture: give it with --init <image>');
  if (o.attention !== undefined && o.init !== undefined) throw new Error('--attention maps a picture drawn from noise; leave out --init (or --attention)');
  const edit = o.init
    ? { init: await imageBatch(o.init, model, o.n, false), mask: o.mask ? await imageBatch(o.mask, model, o.n, true) : undefined, strength: o.strength }
    : undefined;
  const images = drawPrompts(model, prompts, { ...o, edit, progress: !o.json && process.stderr.isTTY === true });
  const files: string[] = [];
  if (o.out) {
    mkdirSync(o.out, { recursive: true });
    const stem = prompt.trim()
      ? prompt
          .trim()
          .replace(/[^A-Za-z0-9]+/g, '-')
          .replace(/^-|-$/g, '')
      : 'unconditional';
    for (let i = 0; i < o.n; i++) {
      const file = join(o.out, `${stem}-${String(i).padStart(3, '0')}.png`);
      writeFileSync(file, await encodePng(imageAt(images, i), model.imageShape));
      files.push(file);
    }
  }
  const grid = o.grid ?? (o.out ? undefined : 'generated.png');
  if (grid) await writeGridPng(grid, images, Math.min(8, o.n));
  const attention = o.attention !== undefined ? await writeAttentionPicture(model, prompt, { ...o, attention: o.attention }) : undefined;
  const seconds = (performance.now() - started) / 1000;
  const sampling = model.samplerSettings({ ...samplerOnly(o), n: o.n, seed: o.seed });
  if (o.json) {
    const record = {
      checkpoint: path,
      model: opened.name,
      prompt,
      negative: o.negative ?? '',
      seed: o.seed,
      sampling,
      count: o.n,
      files,
      grid: grid ?? null,
      ...(attention ? { attention } : {}),
      seconds,
    };
    process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    return;
  }
  const what = prompt.trim() ? `of '${prompt}'` : '(empty prompt: unconditional)';
  const neg = o.negative ? `, away from '${o.negative}'` : '';
  process.stdout.write(
    `${o.n} images ${what}${neg} from ${opened.name} (${path}), seed ${o.seed}, ${sampling.steps} ${sampling.sampler} steps, guidance ${sampling.guidance}, in ${seconds.toFixed(1)}s\n`,
  );
  if (files.length) process.stdout.write(`images: ${o.out}/ (${files.length} PNG files)\n`);
  if (grid) process.stdout.write(`grid: ${grid}\n`);
  if (attention)
    process.stdout.write(
      `cross-attention of image 0 (${attention.steps} steps, heads and layers averaged): ${attention.file}; share per token: ${attention.tokens.map((t, k) => `${t} ${(100 * attention.shares[k]).toFixed(0)}%`).join(', ')}\n`,
    );
}

/** `simmer eval <text2img checkpoint>`: the shapes prompt suite through the scene verifier. */
export async function evalTextToImage(
  opened: OpenedGenerativeModel,
  path: string,
  o: { json?: boolean; samples?: number; seed?: number; sampling?: SamplerFlags; grid?: string },
): Promise<void> {
  const dataset = String(opened.recipe.dataset ?? '');
  const model = opened.model as unknown as Text2ImgModel;
  const started = performance.now();
  if (dataset !== 'shapes') return evalClassPrompts(opened, path, dataset, o);
  const suite = shapesPromptSuite();
  const samples = o.samples ?? 4;
  let images: Tensor | null = null;
  const result = scorePromptSuite(
    (prompts, seed) => (images = drawPrompts(model, prompts, { ...(o.sampling ?? {}), seed, progress: !o.json && process.stderr.isTTY === true })),
    { samples, seed: o.seed ?? 1, suite },
  );
  if (o.grid && images) await writeGridPng(o.grid, images, samples * 4);
  const seconds = (performance.now() - started) / 1000;
  const sampling = model.samplerSettings({ n: 1, seed: 1, ...(o.sampling ?? {}) });
  if (o.json) {
    const record = { checkpoint: path, model: opened.name, sampling, samplesPerPrompt: samples, rows: result.rows, prompts: suite, seconds };
    process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `${path} (${opened.name}): ${suite.length} prompts × ${samples} samples, ${sampling.steps} ${sampling.sampler} steps, guidance ${sampling.guidance}, judged by the scene verifier in ${seconds.toFixed(1)}s\n`,
  );
  process.stdout.write(`${formatPromptSuite(result)}\n`);
}

/** A template-captioned model (Fashion-MNIST): intended-label accuracy on training and paraphrase templates. */
async function evalClassPrompts(
  opened: OpenedGenerativeModel,
  path: string,
  dataset: string,
  o: { json?: boolean; samples?: number; seed?: number; sampling?: SamplerFlags; runs?: string },
): Promise<void> {
  const model = opened.model as unknown as Text2ImgModel;
  if (!model.templates)
    throw new Error(
      `simmer eval scores text-to-image models trained on shapes (scene verifier) or on a labelled dataset captioned by templates; ${path} was trained on '${dataset}' with its own captions`,
    );
  const started = performance.now();
  const log = (l: string) => (o.json ? undefined : process.stderr.write(`${l}\n`));
  const ref = await referenceClassifier({
    dataset,
    data: opened.recipe.data as string | undefined,
    cacheDir: join(o.runs ?? defaultRunsRoot(), '.reference'),
    log,
  });
  const samples = o.samples ?? 4;
  const rows = scoreClassPrompts(
    (prompts, seed) => drawPrompts(model, prompts, { ...(o.sampling ?? {}), seed, progress: !o.json && process.stderr.isTTY === true }),
    (images) => describeImages(ref.model, images).predictions,
    model.classes,
    { samples, seed: o.seed ?? 1 },
  );
  const seconds = (performance.now() - started) / 1000;
  const sampling = model.samplerSettings({ n: 1, seed: 1, ...(o.sampling ?? {}) });
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ checkpoint: path, model: opened.name, dataset, sampling, samplesPerPrompt: samples, referenceAccuracy: ref.testAccuracy, rows, seconds }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(
    `${path} (${opened.name}) on ${dataset}: every class × template, ${samples} samples, ${sampling.steps} ${sampling.sampler} steps, guidance ${sampling.guidance}; reference classifier ${(ref.testAccuracy * 100).toFixed(2)}% on the test split; ${seconds.toFixed(1)}s\n`,
  );
  process.stdout.write(`${formatClassPrompts(rows)}\n`);
}
