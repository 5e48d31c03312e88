/**
 * What every generative model of the zoo shares: the ImageGenerator contract (sample N images in [0, 1], optionally
 * of given classes, from a seedable generator), seeded sampling without a graph in eval mode, PNG sample grids, and
 * the callback that writes a grid to the run folder after every epoch (with its own generator, so the training RNG,
 * and with it exact resume, is untouched). Latent models (vae, dcgan) decode z in one pass (decodeLatent);
 * sequential samplers (ddpm, pixel-transformer) implement sample() and report each step through onStep.
 * generateImages() serves both, so callers need not know which kind they hold.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../autograd/grad-mode.ts';
import { encodePng } from '../data/image-file.ts';
import { type Module, withMode } from '../nn/module.ts';
import { Generator } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { Callback, EpochReport, TrainerView } from '../train/types.ts';

/**
 * Throws unless the image's height and width are multiples of `factor` (models that halve the size twice and double it
 * back need 4). The library names no CLI flag: the CLI adds `--image-size` to "resize the images".
 */
export function requireSidesDivisible(model: string, [, h, w]: readonly number[], factor: number): void {
  if (h % factor !== 0 || w % factor !== 0)
    throw new RangeError(`${model}: image height and width must be divisible by ${factor}, got ${h}x${w}; resize the images (e.g. to 28 or 32)`);
}

/** A model that can draw new images: a VAE's decoder, a GAN's generator. */
export interface ImageGenerator {
  /** The model family ('vae', 'dcgan'). */
  readonly family: string;
  /** Whether sample() uses the labels (a class-conditional model). */
  readonly conditional: boolean;
  readonly numClasses: number;
  /** [channels, height, width] of one image. */
  readonly imageShape: [number, number, number];
  /** Size of the latent vector z (0 for models without one, such as ddpm). */
  readonly latentDim: number;
  /** Latent models: images [N, C, H, W] in [0, 1] decoded from latents z [N, latentDim] (labels [N] int32 for conditional models). */
  decodeLatent?(z: Tensor, labels: Tensor | null): Tensor;
  /** Sequential samplers: n images [N, C, H, W] in [0, 1], the same for the same options (seed included). */
  sample?(options: SampleOptions): Tensor;
}

/** What sample() may be asked; a model ignores what does not apply to it (a VAE has no steps). */
export interface SampleOptions {
  n: number;
  /** One class index per image (conditional models). */
  labels?: readonly number[];
  seed: number;
  /** Sampling steps (ddpm: any count up to the training schedule's; default the model's). */
  steps?: number;
  sampler?: 'ddpm' | 'ddim';
  /** DDIM's η: 0 deterministic, 1 the DDPM posterior variance. */
  eta?: number;
  /** Classifier-free guidance scale: 1 = conditional only, 0 = unconditional, > 1 pushes towards the class. */
  guidance?: number;
  /** Text-to-image models: one prompt per image ('' = unconditional). */
  prompts?: readonly string[];
  /** Text-to-image models: what guidance steers away from (replaces the empty prompt of the unconditional branch). */
  negativePrompt?: string;
  /**
   * Diffusion image-to-image (SDEdit, Meng et al. 2022): start images [n, C, H, W] in [0, 1], noised to the level of
   * `strength` and denoised from there; with `mask` ([n, 1, H, W], 1 = redraw), the rest is kept (inpainting).
   */
  init?: Tensor;
  /** Share of the sampling steps run from the init image (0, 1]; 1 = from pure noise. Default 1 with a mask, else 0.6. */
  strength?: number;
  mask?: Tensor;
  /** Pixel transformer: sampling temperature (< 1 sharper, 0 greedy) and top-k (0 = all tokens). */
  temperature?: number;
  topK?: number;
  /** Images per forward pass (memory bound; does not change the images). */
  batchSize?: number;
  /**
   * Called after each step with the step done (1-based, counted over all batches), the total, and the current
   * estimate of the clean images of this batch in [0, 1] (the x̂_0 trajectory a filmstrip shows); diffusion also
   * passes the noisy sample x_t itself (mapped to [0, 1] like the images, not clamped), from x_T (noise) to x_0.
   */
  onStep?(step: number, total: number, x0?: Tensor, xt?: Tensor): void;
}

export type GenerativeModule = Module & ImageGenerator;

/** The sampling options each sequential family takes (latent models, vae and dcgan, take none). */
export const SAMPLER_CONTROLS: Readonly<Record<string, readonly SamplerControl[]>> = {
  ddpm: ['steps', 'sampler', 'eta', 'guidance'],
  text2img: ['steps', 'sampler', 'eta', 'guidance'],
  'pixel-transformer': ['temperature', 'topK'],
};
export type SamplerControl = 'steps' | 'sampler' | 'eta' | 'guidance' | 'temperature' | 'topK';

/** Standard-normal latents [n, dim] drawn from `gen`. */
export function sampleLatents(n: number, dim: number, gen: Generator): Tensor {
  const data = new Float32Array(n * dim);
  for (let i = 0; i < data.length; i++) data[i] = gen.normal();
  return new Tensor(data, [n, dim]);
}

/** int32 label tensor from class indices. */
export function labelTensor(labels: readonly number[]): Tensor {
  return new Tensor(Int32Array.from(labels), [labels.length]);
}

/**
 * n images from a generative model, seeded: the same seed gives the same images. `labels` (one per image) are used
 * by conditional models; unconditional models ignore them. Runs in eval mode without a graph.
 */
export function generateImages(model: GenerativeModule, options: SampleOptions & { gen?: Generator }): Tensor {
  if (model.conditional && (!options.labels || options.labels.length !== options.n))
    throw new RangeError(`${model.family}: a class-conditional model needs one label per image (${options.n}), got ${options.labels?.length ?? 0}`);
  if (model.sample) {
    const sample = model.sample.bind(model);
    return withMode(model, 'eval', () => noGrad(() => sample(options)));
  }
  const gen = options.gen ?? new Generator(options.seed);
  const z = sampleLatents(options.n, model.latentDim, gen);
  const images = decodeInEval(model, z, options.labels);
  options.onStep?.(1, 1, images);
  return images;
}

/** Decodes latents in eval mode without a graph. */
export function decodeInEval(model: GenerativeModule, z: Tensor, labels?: readonly number[]): Tensor {
  const n = z.shape[0];
  if (model.conditional && (!labels || labels.length !== n))
    throw new RangeError(`${model.family}: a class-conditional model needs one label per image (${n}), got ${labels?.length ?? 0}`);
  const y = model.conditional && labels ? labelTensor(labels) : null;
  const decode = model.decodeLatent?.bind(model);
  if (!decode) throw new TypeError(`${model.family} has no latent space to decode; sample it with generateImages()`);
  return withMode(model, 'eval', () => noGrad(() => decode(z, y)));
}

/** Image i of a batch [N, C, H, W] as its own CHW Float32Array. */
export function imageAt(images: Tensor, i: number): Float32Array {
  const [, c, h, w] = images.shape;
  const size = c * h * w;
  return images.f32.slice(i * size, (i + 1) * size);
}

/** Tiles a batch [N, C, H, W] into one CHW image with `cols` columns and a 2-pixel border. */
export function tileGrid(images: Tensor, cols: number, border = 2): { image: Float32Array; shape: [number, number, number] } {
  const [n, c, h, w] = images.shape;
  const rows = Math.max(1, Math.ceil(n / cols));
  const gh = rows * (h + border) + border;
  const gw = cols * (w + border) + border;
  const out = new Float32Array(c * gh * gw).fill(0.5);
  const src = images.f32;
  for (let k = 0; k < n; k++) {
    const oy = border + Math.floor(k / cols) * (h + border);
    const ox = border + (k % cols) * (w + border);
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[ch * gh * gw + (oy + y) * gw + ox + x] = src[((k * c + ch) * h + y) * w + x];
  }
  return { image: out, shape: [c, gh, gw] };
}

/** Writes a batch of images as one PNG grid. */
export async function writeGridPng(path: string, images: Tensor, cols: number): Promise<void> {
  const { image, shape } = tileGrid(images, cols);
  writeFileSync(path, await encodePng(image, shape));
}

/** The labels of a sample grid: `perClass` of each class, row by row (conditional), or nothing to ask for. */
export function gridLabels(model: ImageGenerator, perClass: number): number[] {
  return Array.from({ length: model.numClasses * perClass }, (_, i) => Math.floor(i / perClass));
}

export interface SampleGridOptions {
  /** Folder the grids go to (samples/ in the run folder). */
  dir: string;
  /** Seed of the grid's latents (the same latents every epoch, so the grids show progress). */
  seed?: number;
  /** Images per class in a conditional grid (one row per class); an unconditional grid is perClass x numClasses. */
  perClass?: number;
  /** Sampler settings for sequential models (e.g. few DDIM steps, so a grid per epoch stays cheap). */
  sample?: Partial<Omit<SampleOptions, 'n' | 'labels' | 'seed'>>;
  /** Runs the sampling with other weights in place (a diffusion model's EMA weights), restoring them after. */
  withWeights?: <T>(model: GenerativeModule, fn: () => T) => T;
}

/** After every epoch, writes samples/epoch-<n>.png (and samples/latest.png) to the run folder. */
export class SampleGridCallback implements Callback {
  constructor(private readonly options: SampleGridOptions) {}

  async onEpochEnd(trainer: TrainerView, report: EpochReport): Promise<void> {
    const model = trainer.model as GenerativeModule;
    const perClass = this.options.perClass ?? 8;
    const labels = gridLabels(model, perClass);
    const draw = () => generateImages(model, { ...this.options.sample, n: labels.length, labels, seed: this.options.seed ?? 1234 });
    const images = this.options.withWeights ? this.options.withWeights(model, draw) : draw();
    mkdirSync(this.options.dir, { recursive: true });
    const name = `epoch-${String(report.epoch + 1).padStart(3, '0')}.png`;
    await writeGridPng(join(this.options.dir, name), images, perClass);
    await writeGridPng(join(this.options.dir, 'latest.png'), images, perClass);
  }
}
