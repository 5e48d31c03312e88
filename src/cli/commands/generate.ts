/**
 * `simmer generate <checkpoint|run-id>`: new images from a trained generative model (vae, dcgan, ddpm and their
 * conditional forms) — per class or unconditional, seeded, as one PNG per image and/or a grid, or a VAE's walk
 * through latent space; diffusion models take --steps, --sampler, --eta and --guidance, with a progress bar over the
 * sampling steps. Also the generative branch of `simmer eval` (evalGenerative): the quality scores against the
 * cached reference classifier.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { encodePng } from '../../data/image-file.ts';
import {
  decodeInEval,
  type GenerativeModule,
  generateImages,
  imageAt,
  SAMPLER_CONTROLS,
  type SamplerControl,
  type SampleOptions,
  sampleLatents,
  writeGridPng,
} from '../../models/generative.ts';
import { ConceptAdapter } from '../../models/concept.ts';
import type { Text2ImgModel } from '../../models/text2img.ts';
import { GENERATIVE_MODELS, isTextToImageModel, openGenerativeCheckpoint, type OpenedGenerativeModel } from '../../models/registry.ts';
import { loadImages, referenceClassifier } from '../../quality/reference.ts';
import { formatQuality, scoreGenerator } from '../../quality/scores.ts';
import { defaultRunsRoot, runPaths } from '../../runs/run-store.ts';
import { Generator } from '../../tensor/random.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { number } from '../options.ts';
import { evalTextToImage, generateFromPrompt } from './generate-text.ts';

/** A checkpoint file, a run folder, or a run id under the runs folder → the checkpoint file. */
export function resolveCheckpoint(target: string, root = defaultRunsRoot()): string {
  if (existsSync(target) && statSync(target).isFile()) return target;
  const dir = existsSync(join(target, 'checkpoints')) ? target : runPaths(root, target).dir;
  const last = join(dir, 'checkpoints', 'last.safetensors');
  if (!existsSync(last))
    throw new Error(`no checkpoint at ${target}: give a .safetensors file, a run folder, or a run id under ${root} (simmer runs lists them)`);
  return last;
}

/** Class names or indices (or 'all') → class indices; an unknown class is an error that lists the classes. */
export function resolveClasses(asked: readonly string[], classes: readonly string[]): number[] {
  if (asked.length === 0 || asked.includes('all')) return classes.map((_, i) => i);
  return asked.map((a) => {
    const byName = classes.indexOf(a);
    if (byName >= 0) return byName;
    if (/^\d+$/.test(a) && Number(a) < classes.length) return Number(a);
    throw new Error(`unknown class '${a}'; the classes are: ${classes.map((c, i) => `${i} ${c}`).join(', ')} (or 'all')`);
  });
}

/** The sampler settings of a sequential model (ddpm; pixel-transformer) as the command line gives them. */
export type SamplerFlags = Pick<SampleOptions, SamplerControl>;

const FLAG_OF: Record<SamplerControl, string> = {
  steps: '--steps',
  sampler: '--sampler',
  eta: '--eta',
  guidance: '--guidance',
  temperature: '--temperature',
  topK: '--top-k',
};

/**
 * Only the sampler flags that were given (the model's defaults stand for the rest), checked against what the model's
 * family takes: a flag another family uses is an error naming the flags this one has.
 */
export function samplerFlags(o: SamplerFlags, model: { family: string }, name: string): SamplerFlags {
  const takes = SAMPLER_CONTROLS[model.family] ?? [];
  const flags: SamplerFlags = {};
  for (const key of Object.keys(FLAG_OF) as SamplerControl[]) {
    if (o[key] === undefined) continue;
    if (!takes.includes(key)) {
      const has = takes.length ? `it takes ${takes.map((k) => FLAG_OF[k]).join(', ')}` : 'it samples in one pass and takes no sampler flags';
      throw new Error(`${FLAG_OF[key]} does not apply to ${name} (${model.family}); ${has}`);
    }
    (flags as Record<string, unknown>)[key] = o[key];
  }
  if (flags.sampler !== undefined && flags.sampler !== 'ddpm' && flags.sampler !== 'ddim')
    throw new Error(`--sampler must be ddpm or ddim, got '${String(flags.sampler)}'`);
  return flags;
}

/** A sequential model's images (ddpm, text2img), with a progress bar over the sampling steps when asked. */
export function sampleSteps(model: GenerativeModule, options: SampleOptions, progress: boolean): Tensor {
  const bar = progress
    ? new cliProgress.SingleBar(
        { format: 'sampling {bar} {value}/{total} steps | {eta_formatted} left', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  const images = generateImages(model, {
    ...options,
    onStep: (step, total) => {
      if (!started) bar?.start(total, 0);
      started = true;
      bar?.update(step);
    },
  });
  bar?.stop();
  return images;
}

/**
 * Images for `labels`, seeded, with a progress bar when asked: over sampling steps for sequential models (ddpm),
 * over images for latent ones (decoded in chunks of 64). The same seed gives the same images whatever the chunking.
 */
function sampleWithProgress(model: GenerativeModule, labels: readonly number[], seed: number, progress: boolean, flags: SamplerFlags = {}): Tensor {
  if (model.sample) return sampleSteps(model, { ...flags, n: labels.length, labels, seed }, progress);
  const gen = new Generator(seed);
  // The latents are drawn up front in one stream, so the images do not depend on the chunk size.
  const z = sampleLatents(labels.length, model.latentDim, gen);
  const bar = progress
    ? new cliProgress.SingleBar({ format: 'generating {bar} {value}/{total} images', stream: process.stderr }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(labels.length, 0);
  const parts: Float32Array[] = [];
  const d = model.latentDim;
  for (let s = 0; s < labels.length; s += 64) {
    const e = Math.min(labels.length, s + 64);
    const zc = new Tensor(Float32Array.from(z.f32.subarray(s * d, e * d)), [e - s, d]);
    parts.push(decodeInEval(model, zc, labels.slice(s, e)).f32);
    bar?.update(e);
  }
  bar?.stop();
  const [c, h, w] = model.imageShape;
  const out = new Float32Array(labels.length * c * h * w);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return new Tensor(out, [labels.length, c, h, w]);
}

/** `steps` images along the straight line between the latents of seeds a and b (a VAE's latent walk). */
function interpolate(model: GenerativeModule, a: number, b: number, steps: number, label: number): Tensor {
  const za = sampleLatents(1, model.latentDim, new Generator(a)).f32;
  const zb = sampleLatents(1, model.latentDim, new Generator(b)).f32;
  const d = model.latentDim;
  const z = new Float32Array(steps * d);
  for (let s = 0; s < steps; s++) {
    const t = steps === 1 ? 0 : s / (steps - 1);
    for (let k = 0; k < d; k++) z[s * d + k] = (1 - t) * za[k] + t * zb[k];
  }
  return decodeInEval(
    model,
    new Tensor(z, [steps, d]),
    Array.from({ length: steps }, () => label),
  );
}

interface GenerateOptions extends SamplerFlags {
  class: string[];
  n: number;
  seed: number;
  out?: string;
  grid?: string;
  json?: boolean;
  interpolate?: string;
  runs: string;
  negative?: string;
  init?: string;
  strength?: number;
  mask?: string;
  /** text2img: the cross-attention picture of image 0 (PNG). */
  attention?: string;
  /** text2img: a concept adapter file (simmer train <folder> --concept <word>). */
  adapter?: string;
}

export async function generate(target: string, o: GenerateOptions, prompt?: string): Promise<void> {
  const started = performance.now();
  const path = resolveCheckpoint(target, o.runs);
  const opened = openGenerativeCheckpoint(path);
  const { model, classes } = opened;
  if (isTextToImageModel(opened.name)) {
    if (prompt === undefined)
      throw new Error(
        `${opened.name} draws what a prompt says: simmer generate ${target} "a red circle above a blue square" (an empty prompt "" draws unconditionally)`,
      );
    if (o.class.length > 0) throw new Error(`${opened.name} takes a prompt, not --class; write the class into the prompt ("a photo of a sneaker")`);
    if (o.adapter !== undefined) {
      if (!existsSync(o.adapter))
        throw new Error(`--adapter ${o.adapter}: no such file (make one with simmer train <folder> --from ${target} --concept <word>)`);
      ConceptAdapter.load(readFileSync(o.adapter), model as unknown as Text2ImgModel, o.adapter);
    }
    return generateFromPrompt(opened, path, prompt, {
      ...samplerFlags(o, model, opened.name),
      n: o.n,
      seed: o.seed,
      negative: o.negative,
      out: o.out,
      grid: o.grid,
      json: o.json,
      init: o.init,
      strength: o.strength,
      mask: o.mask,
      attention: o.attention,
    });
  }
  if (prompt !== undefined || o.negative !== undefined || o.init !== undefined || o.adapter !== undefined || o.attention !== undefined)
    throw new Error(`${opened.name} does not read prompts; prompts and --negative are for text-to-image models (simmer train shapes --model text2img)`);
  if (!model.conditional && o.class.length > 0 && !o.class.includes('all'))
    throw new Error(
      `${opened.name} is unconditional, so it cannot be asked for a class; train a conditional model (${GENERATIVE_MODELS.filter((m) => m.endsWith('-cond')).join(', ')}) or leave out --class`,
    );
  const chosen = resolveClasses(o.class, classes);
  const sampling = samplerFlags(o, model, opened.name);
  let labels: number[];
  let images: Tensor;
  let names: string[];
  if (o.interpolate !== undefined) {
    if (opened.name.split('-')[0] !== 'vae') throw new Error(`--interpolate walks a VAE's latent space; ${opened.name} is not a VAE`);
    const [a, b] = o.interpolate.split(',').map(Number);
    if (!Number.isInteger(a) || !Number.isInteger(b)) throw new Error(`--interpolate takes two seeds as a,b (e.g. 1,2), got '${o.interpolate}'`);
    const label = chosen[0] ?? 0;
    images = interpolate(model, a, b, Math.max(2, o.n), label);
    labels = Array.from({ length: images.shape[0] }, () => label);
    names = labels.map((_, i) => `interp-${a}-${b}-${String(i).padStart(3, '0')}`);
  } else {
    labels = model.conditional ? chosen.flatMap((c) => Array.from({ length: o.n }, () => c)) : Array.from({ length: o.n }, () => 0);
    images = sampleWithProgress(
      model,
      labels,
      o.seed,
      !o.json && process.stderr.isTTY === true && (model.sample !== undefined || labels.length > 64),
      sampling,
    );
    const seen = new Map<number, number>();
    names = labels.map((l) => {
      const i = seen.get(l) ?? 0;
      seen.set(l, i + 1);
      return model.conditional ? `${safeName(classes[l])}-${String(i).padStart(3, '0')}` : `sample-${String(i).padStart(3, '0')}`;
    });
  }
  const files: string[] = [];
  if (o.out) {
    mkdirSync(o.out, { recursive: true });
    for (let i = 0; i < images.shape[0]; i++) {
      const file = join(o.out, `${names[i]}.png`);
      writeFileSync(file, await encodePng(imageAt(images, i), model.imageShape));
      files.push(file);
    }
  }
  const grid = o.grid ?? (o.out ? undefined : 'generated.png');
  if (grid)
    await writeGridPng(
      grid,
      images,
      o.interpolate !== undefined ? images.shape[0] : model.conditional ? o.n : Math.min(16, Math.ceil(Math.sqrt(images.shape[0]))),
    );
  const seconds = (performance.now() - started) / 1000;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ checkpoint: path, model: opened.name, seed: o.seed, ...(model.sample ? { sampling } : {}), count: images.shape[0], classes: labels.map((l) => (model.conditional ? classes[l] : null)), files, grid: grid ?? null, seconds }, null, 2)}\n`,
    );
    return;
  }
  const what = model.conditional ? `of ${[...new Set(labels)].map((l) => classes[l]).join(', ')}` : '(unconditional)';
  process.stdout.write(`${images.shape[0]} images ${what} from ${opened.name} (${path}), seed ${o.seed}, in ${seconds.toFixed(1)}s\n`);
  if (files.length) process.stdout.write(`images: ${o.out}/ (${files.length} PNG files)\n`);
  if (grid) process.stdout.write(`grid: ${grid}\n`);
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** Everything evalGenerative needs from a checkpoint: the model's sampler and the real data to compare with. */
async function qualityOf(opened: OpenedGenerativeModel, o: { data?: string; perClass: number; runs: string; quiet: boolean; sampling?: SamplerFlags }) {
  const dataset = String(opened.recipe.dataset ?? 'fashion-mnist');
  const data = o.data ?? (opened.recipe.data as string | undefined);
  const log = (l: string) => (o.quiet ? undefined : process.stderr.write(`${l}\n`));
  const ref = await referenceClassifier({ dataset, data, cacheDir: join(o.runs, '.reference'), log });
  if (ref.classes.join('\n') !== opened.classes.join('\n'))
    throw new Error(`the reference classifier's classes (${ref.classes.join(', ')}) differ from the model's (${opened.classes.join(', ')})`);
  const realTrain = (await loadImages(dataset, 'train', 10_000, data)).images;
  const realTest = (await loadImages(dataset, 'test', 10_000, data)).images;
  const { model } = opened;
  const report = scoreGenerator({
    sampler: (labels, seed) => sampleWithProgress(model, labels, seed, !o.quiet && process.stderr.isTTY === true && model.sample !== undefined, o.sampling),
    conditional: model.conditional,
    reference: ref.model,
    numClasses: opened.classes.length,
    realTrain,
    realTest,
    perClass: o.perClass,
  });
  return { dataset, ref, report };
}

/** `simmer eval <generative checkpoint>`: the quality scores (called by eval.ts for generative checkpoints). */
export async function evalGenerative(
  checkpoint: string,
  o: { data?: string; json?: boolean; perClass?: number; runs?: string; sampling?: SamplerFlags },
): Promise<void> {
  const opened = openGenerativeCheckpoint(checkpoint);
  if (isTextToImageModel(opened.name)) return evalTextToImage(opened, checkpoint, { json: o.json, sampling: o.sampling });
  const sampling = samplerFlags(o.sampling ?? {}, opened.model, opened.name);
  const started = performance.now();
  const { dataset, ref, report } = await qualityOf(opened, {
    data: o.data,
    perClass: o.perClass ?? 100,
    runs: o.runs ?? defaultRunsRoot(),
    quiet: Boolean(o.json),
    sampling,
  });
  const seconds = (performance.now() - started) / 1000;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ checkpoint, model: opened.name, dataset, referenceAccuracy: ref.testAccuracy, ...(opened.model.sample ? { sampling } : {}), ...report, seconds }, null, 2)}\n`,
    );
    return;
  }
  const how = opened.model.sample ? ` sampled with ${JSON.stringify(sampling)} (model defaults for the rest)` : '';
  process.stdout.write(`${checkpoint} (${opened.name}) on ${dataset}${how}; reference classifier ${(ref.testAccuracy * 100).toFixed(2)}% on the test split\n`);
  process.stdout.write(`${formatQuality(report, opened.classes)}\n`);
}

/** Collects a repeatable option into a list. */
const collect = (value: string, previous: string[]) => [...previous, value];

/** The sampler flags of `generate` and `eval` (what each family takes is checked by samplerFlags). */
export function addSamplerOptions(cmd: Command): Command {
  return cmd
    .option('--steps <n>', 'ddpm: sampling steps (default 25 for ddim, the full schedule for ddpm)', number('--steps', { integer: true, min: 1 }))
    .option('--sampler <ddpm|ddim>', 'ddpm: DDIM (default) or DDPM ancestral sampling')
    .option('--eta <eta>', "ddpm: DDIM's η, 0 deterministic (default) to 1 (DDPM's variance)", number('--eta', { min: 0 }))
    .option('--guidance <w>', 'ddpm: classifier-free guidance scale (1 = none, default 2 for conditional models, 3 for text2img)', number('--guidance'))
    .option('--negative <prompt>', 'text2img: steer away from this prompt (it replaces the empty prompt of guidance)')
    .option('--init <image>', 'text2img: edit this picture (SDEdit: noised to --strength, then denoised towards the prompt)')
    .option('--strength <s>', 'text2img with --init: share of the sampling steps redone, (0, 1] (default 0.6; 1 with --mask)', number('--strength', { min: 0 }))
    .option('--mask <png>', 'text2img with --init: white = redraw, black = keep (inpainting)')
    .option('--attention <file.png>', 'text2img: also write which pixels each word of the prompt attended to (image 0: the image, then one heat map per token)')
    .option('--adapter <file>', 'text2img: load a concept adapter (simmer train <folder> --from <run> --concept <word>), so prompts may use its word')
    .option(
      '--temperature <t>',
      'pixel-transformer: divides the logits (< 1 sharper, > 1 more varied, 0 greedy; default 1)',
      number('--temperature', { min: 0 }),
    )
    .option('--top-k <k>', 'pixel-transformer: draw among the k likeliest tokens (0 = all, the default)', number('--top-k', { integer: true, min: 0 }));
}

export function register(program: Command): void {
  const cmd = program
    .command('generate')
    .description(`draw new images from a trained generative model (${GENERATIVE_MODELS.join(', ')})`)
    .argument('<checkpoint>', 'a .safetensors checkpoint, a run folder, or a run id under --runs')
    .argument('[prompt]', 'text2img: what to draw ("a red circle above a blue square"; "" = unconditional)')
    .option('-c, --class <name|index>', "class to generate (repeatable; 'all' = every class; conditional models only)", collect, [])
    .option(
      '-n, --n <count>',
      'images per class (conditional) or in total (unconditional); steps for --interpolate',
      number('--n', { integer: true, min: 1 }),
      8,
    )
    .option('--seed <n>', 'random seed: the same seed gives the same images', number('--seed', { integer: true, min: 0 }), 1)
    .option('--out <dir>', 'write one PNG per image, named <class>-<index>.png')
    .option('--grid <file.png>', 'write all images as one grid (default generated.png when --out is not given)');
  addSamplerOptions(cmd)
    .option('--interpolate <a,b>', 'VAE: walk the latent space from the latent of seed a to that of seed b in --n steps')
    .option('--runs <dir>', 'folder holding runs', process.env.SIMMER_RUNS ?? 'runs')
    .option('--json', 'print JSON (files, classes, seed, timings)')
    .action(async (target: string, prompt: string | undefined, o: GenerateOptions) => generate(target, o, prompt));
}
