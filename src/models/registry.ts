/**
 * The generative zoo by name: which models exist, how each is built from an image shape and a class count, which
 * Task trains it and with which optimizers, the recipe defaults that suit it, and how a checkpoint of one is opened
 * again for sampling. src/runs asks this table; adding a model is adding an entry.
 * @example
 *   if (isGenerativeModel(recipe.model)) {
 *     const t = buildGenerativeTraining(recipe.model, { inputShape, numClasses }, { lr: recipe.lr, sampleDir });
 *     new Trainer({ model: t.model, optimizer: t.optimizer, optimizers: t.optimizers, task: t.task, callbacks: t.callbacks });
 *   }
 */
import { captionFor } from '../data/captions.ts';
import { Adam } from '../optim/optimizers.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { type Checkpoint, loadCheckpoint } from '../train/checkpoint.ts';
import { loadCheckedWeights } from '../train/checkpoint-validate.ts';
import type { AnyBatch, Task } from '../train/task.ts';
import type { Callback } from '../train/types.ts';
import { Dcgan, GanTask, type GanTaskOptions } from './dcgan.ts';
import { AutoencoderTask, ConvAutoencoder, DEFAULT_BOTTLENECK } from './autoencoder.ts';
import { DiffusionModel, type DiffusionOptions, DiffusionTask, emaFromTaskTensors } from './diffusion.ts';
import { type GenerativeModule, SampleGridCallback, type SampleGridOptions } from './generative.ts';
import { type TextConfig, Text2ImgModel, Text2ImgTask } from './text2img.ts';
import { PIXEL_TRANSFORMER_DEFAULTS, PixelTransformer, PixelTransformerTask } from './pixel-transformer.ts';
import { ConvVae, VaeTask, type VaeTaskOptions } from './vae.ts';

export interface GenerativeSpec {
  inputShape: [number, number, number];
  numClasses: number;
  /** Code size of the autoencoder (recipe field `bottleneck`; 0 or absent = its default). */
  bottleneck?: number;
  /** Class names (text-to-image models caption unlabelled-caption datasets with them). */
  classes?: readonly string[];
  /** Training captions, when the dataset has them (text-to-image models build their vocabulary from them). */
  captions?: readonly string[];
  /** The stored text side of a text-to-image checkpoint (config.text). */
  text?: TextConfig;
}

interface Entry {
  family: 'vae' | 'dcgan' | 'pixel-transformer' | 'autoencoder' | 'ddpm' | 'text2img';
  conditional: boolean;
  help: string;
  /** Recipe learning rate when the recipe leaves it at 0 (the optimizer's classifier default does not suit a GAN). */
  defaultLr: number;
  build(spec: GenerativeSpec): GenerativeModule;
  task(): Task<AnyBatch>;
  /** Whether a grid of images decoded from N(0, I) latents is worth writing each epoch (not for a plain autoencoder). */
  samples?: false;
}

const vaeTask: VaeTaskOptions = { beta: 1, reconstruction: 'bce', evalBatches: 10 };
const ganTask: GanTaskOptions = { loss: 'nonsaturating', labelSmoothing: 0.1, evalBatches: 10 };

/** A diffusion entry: the U-Net and schedule options on top of the image shape and class count. */
function ddpmEntry(conditional: boolean, help: string, o: Partial<DiffusionOptions> = {}): Entry {
  return {
    family: 'ddpm',
    conditional,
    help,
    defaultLr: 1e-3,
    build: (s) => new DiffusionModel({ imageShape: s.inputShape, numClasses: s.numClasses, conditional, ...o }),
    task: () => new DiffusionTask({ labelDropout: 0.1, emaDecay: 0.999, evalBatches: 10 }) as Task<AnyBatch>,
  };
}

const ENTRIES: Record<string, Entry> = {
  vae: {
    family: 'vae',
    conditional: false,
    help: 'convolutional VAE, latent 16, BCE + KL',
    defaultLr: 2e-3,
    build: (s) => new ConvVae({ ...s, latentDim: 16 }),
    task: () => new VaeTask(vaeTask) as Task<AnyBatch>,
  },
  'vae-cond': {
    family: 'vae',
    conditional: true,
    help: 'class-conditional convolutional VAE (label embedding into encoder and decoder)',
    defaultLr: 2e-3,
    build: (s) => new ConvVae({ ...s, latentDim: 16, conditional: true }),
    task: () => new VaeTask(vaeTask) as Task<AnyBatch>,
  },
  dcgan: {
    family: 'dcgan',
    conditional: false,
    help: 'DCGAN, non-saturating loss, one-sided label smoothing 0.1',
    defaultLr: 2e-4,
    build: (s) => new Dcgan({ ...s }),
    task: () => new GanTask(ganTask) as Task<AnyBatch>,
  },
  'dcgan-cond': {
    family: 'dcgan',
    conditional: true,
    help: 'class-conditional DCGAN (cGAN: label embedding into generator and discriminator)',
    defaultLr: 2e-4,
    build: (s) => new Dcgan({ ...s, conditional: true }),
    task: () => new GanTask(ganTask) as Task<AnyBatch>,
  },
  'dcgan-hinge': {
    family: 'dcgan',
    conditional: false,
    help: 'DCGAN with the hinge loss',
    defaultLr: 2e-4,
    build: (s) => new Dcgan({ ...s }),
    task: () => new GanTask({ ...ganTask, loss: 'hinge', labelSmoothing: 0 }) as Task<AnyBatch>,
  },
  'pixel-transformer': {
    family: 'pixel-transformer',
    conditional: false,
    help: 'autoregressive transformer over 49 tokens (2x2 patches of 4-level pixels at 14x14), causal self-attention, top-k / temperature sampling',
    defaultLr: 1e-3,
    build: (s) => new PixelTransformer({ ...PIXEL_TRANSFORMER_DEFAULTS, inputShape: s.inputShape, numClasses: s.numClasses }),
    task: () => new PixelTransformerTask({ evalBatches: 10 }) as Task<AnyBatch>,
  },
  'pixel-transformer-cond': {
    family: 'pixel-transformer',
    conditional: true,
    help: 'class-conditional pixel transformer (the class is the prefix token)',
    defaultLr: 1e-3,
    build: (s) => new PixelTransformer({ ...PIXEL_TRANSFORMER_DEFAULTS, inputShape: s.inputShape, numClasses: s.numClasses, conditional: true }),
    task: () => new PixelTransformerTask({ evalBatches: 10 }) as Task<AnyBatch>,
  },
  autoencoder: {
    family: 'autoencoder',
    conditional: false,
    help: `convolutional autoencoder, bottleneck --bottleneck (default ${DEFAULT_BOTTLENECK}), BCE reconstruction; its codes feed simmer cluster --method ae-kmeans`,
    defaultLr: 1e-3,
    build: (s) => new ConvAutoencoder({ inputShape: s.inputShape, bottleneck: s.bottleneck || DEFAULT_BOTTLENECK }),
    task: () => new AutoencoderTask({ reconstruction: 'bce', evalBatches: 10 }) as Task<AnyBatch>,
    samples: false,
  },
  ddpm: ddpmEntry(false, 'DDPM: U-Net (base 32, 28→14→7, attention at 7x7), linear schedule, ε-prediction, EMA; DDIM/DDPM sampling'),
  'ddpm-cond': ddpmEntry(true, 'class-conditional DDPM with classifier-free guidance (label dropped with p 0.1), linear schedule, ε-prediction'),
  'ddpm-cosine': ddpmEntry(true, 'ddpm-cond with the cosine noise schedule', { schedule: 'cosine' }),
  'ddpm-v': ddpmEntry(true, 'ddpm-cond with the cosine schedule and v-prediction', { schedule: 'cosine', prediction: 'v' }),
  'ddpm-small': ddpmEntry(true, 'ddpm-v with a smaller U-Net (base 16, channels 16/32/64): the 2-core recipe', {
    schedule: 'cosine',
    prediction: 'v',
    base: 16,
    mults: [1, 2, 4],
  }),
  text2img: {
    family: 'text2img',
    conditional: false,
    help: 'text to image: ddpm-small (16/32/64, cosine, v) with cross-attention at the two lower resolutions to a 2-block transformer text encoder (width 64) trained jointly; prompt dropped with p 0.1 for guidance (default 3)',
    defaultLr: 1e-3,
    build: (s) =>
      new Text2ImgModel({
        imageShape: s.inputShape,
        classes: s.classes ?? Array.from({ length: s.numClasses }, (_, i) => String(i)),
        captions: s.captions && s.captions.length > 0 ? s.captions : undefined,
        text: s.text,
        schedule: 'cosine',
        prediction: 'v',
        base: 16,
        mults: [1, 2, 4],
      }),
    task: () => new Text2ImgTask({ labelDropout: 0.1, emaDecay: 0.999, evalBatches: 10 }) as Task<AnyBatch>,
  },
};

/** Whether a zoo name is a text-to-image model (trained on captions; generate takes a prompt). */
export function isTextToImageModel(name: string): boolean {
  return isGenerativeModel(name) && ENTRIES[name].family === 'text2img';
}

/** Names of the generative models `--model` accepts. */
export const GENERATIVE_MODELS: readonly string[] = Object.keys(ENTRIES);

export function isGenerativeModel(name: string): boolean {
  return Object.hasOwn(ENTRIES, name);
}

function entry(name: string): Entry {
  if (!isGenerativeModel(name)) throw new RangeError(`'${name}' is not a generative model; the models that can generate are: ${GENERATIVE_MODELS.join(', ')}`);
  return ENTRIES[name];
}

/** One line per generative model, for help texts. */
export function describeGenerativeModels(): string[] {
  return GENERATIVE_MODELS.map((n) => `${n}: ${ENTRIES[n].help}`);
}

export function buildGenerativeModel(name: string, spec: GenerativeSpec): GenerativeModule {
  return entry(name).build(spec);
}

/**
 * A recipe with this model's defaults filled in where the recipe leaves them open (lr 0 = "the default"), before the
 * recipe is resolved and stored (so a resumed run uses exactly the same values). Classifier recipes pass unchanged.
 */
export function withGenerativeDefaults<R extends { model?: string; lr?: number }>(recipe: R): R {
  if (!recipe.model || !isGenerativeModel(recipe.model) || (recipe.lr !== undefined && recipe.lr > 0)) return recipe;
  return { ...recipe, lr: entry(recipe.model).defaultLr };
}

export interface GenerativeTraining {
  model: GenerativeModule;
  task: Task<AnyBatch>;
  /** The Trainer's optimizer (the VAE's, or the GAN generator's: the one the schedule drives). */
  optimizer: Optimizer<{ lr: number }>;
  /** Further optimizers by name (the GAN's discriminator), checkpointed by the Trainer. */
  optimizers: Record<string, Optimizer<{ lr: number }>>;
  /** The per-epoch sample grid writer. */
  callbacks: Callback[];
  /** What the checkpoint's config must hold besides the recipe to rebuild the model (text2img: `text`). */
  config?: Record<string, unknown>;
  /** How per-epoch samples are drawn (the grid's settings), for other per-epoch samplers such as the quality scores. */
  sampling: Pick<SampleGridOptions, 'sample' | 'withWeights'>;
}

/**
 * Model, task, optimizers and callbacks for training a generative model. Adam throughout; a GAN uses β1 = 0.5 for
 * both networks (Radford et al.), and its discriminator follows the generator's scheduled learning rate.
 */
export function buildGenerativeTraining(name: string, spec: GenerativeSpec, o: { lr: number; weightDecay?: number; sampleDir?: string }): GenerativeTraining {
  const e = entry(name);
  const model = e.build(spec);
  const callbacks: Callback[] = o.sampleDir && e.samples !== false ? [new SampleGridCallback({ dir: o.sampleDir })] : [];
  if (model instanceof DiffusionModel) {
    // One task for training and the grid: the grid samples with the task's EMA weights, with few DDIM steps.
    const task = e.task() as unknown as DiffusionTask;
    const sampling: GenerativeTraining['sampling'] = { sample: { steps: 10 }, withWeights: (m, fn) => task.withEma(m, fn) };
    // A text-to-image grid is 4 images per prompt row (its sampling runs prompt and empty prompt: twice the work).
    const text = model instanceof Text2ImgModel ? { perClass: 4, sample: { steps: 10, prompts: gridPrompts(model, 4) } } : {};
    const grid = o.sampleDir ? [new SampleGridCallback({ dir: o.sampleDir, ...sampling, ...text })] : [];
    return {
      model,
      task: task as unknown as Task<AnyBatch>,
      optimizer: new Adam(model.parameters(), { lr: o.lr, weightDecay: o.weightDecay ?? 0 }),
      optimizers: {},
      callbacks: grid,
      ...(model instanceof Text2ImgModel ? { config: { text: model.textConfig() } } : {}),
      sampling,
    };
  }
  if (model instanceof Dcgan) {
    const adam = { lr: o.lr, beta1: 0.5, beta2: 0.999, weightDecay: o.weightDecay ?? 0 };
    return {
      model,
      task: e.task(),
      optimizer: new Adam(model.generator.parameters(), adam),
      optimizers: { discriminator: new Adam(model.discriminator.parameters(), adam) },
      callbacks,
      sampling: {},
    };
  }
  return {
    model,
    task: e.task(),
    optimizer: new Adam(model.parameters(), { lr: o.lr, weightDecay: o.weightDecay ?? 0 }),
    optimizers: {},
    callbacks,
    sampling: {},
  };
}

export interface OpenedGenerativeModel {
  /** The zoo name the run was trained with. */
  name: string;
  model: GenerativeModule;
  classes: string[];
  inputShape: [number, number, number];
  checkpoint: Checkpoint;
  /** The run's recipe as stored (dataset, data folder, seed...). */
  recipe: Record<string, unknown>;
}

/** The zoo name stored in a checkpoint's config (`config.recipe.model`), if any. */
export function checkpointModelName(checkpoint: Checkpoint): string | undefined {
  const model = (checkpoint.state.config as { recipe?: { model?: unknown } }).recipe?.model;
  return typeof model === 'string' ? model : undefined;
}

/** Rebuilds a generative model from its checkpoint, in eval mode; a classifier's checkpoint is refused by name. */
export function openGenerativeCheckpoint(path: string, checkpoint: Checkpoint = loadCheckpoint(path)): OpenedGenerativeModel {
  const config = checkpoint.state.config as { recipe?: Record<string, unknown>; classes?: unknown; inputShape?: unknown };
  const name = checkpointModelName(checkpoint);
  if (!name || !isGenerativeModel(name))
    throw new RangeError(
      `${path} holds model '${name ?? 'unknown'}', which cannot generate images; the models that can are: ${GENERATIVE_MODELS.join(', ')} (train one with simmer train <dataset> --model vae)`,
    );
  const classes = config.classes;
  const inputShape = config.inputShape;
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string'))
    throw new RangeError(`${path}: the checkpoint's config has no class list; it was not written by simmer train`);
  if (!Array.isArray(inputShape) || inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d > 0 && d <= 4096))
    throw new RangeError(`${path}: the checkpoint's config has no valid inputShape [C, H, W]`);
  const bottleneck = typeof config.recipe?.bottleneck === 'number' ? config.recipe.bottleneck : undefined;
  const text = (config as { text?: TextConfig }).text;
  if (isTextToImageModel(name) && !text)
    throw new RangeError(`${path}: a ${name} checkpoint must hold its vocabulary (config.text); it was not written by simmer train`);
  const model = buildGenerativeModel(name, { inputShape: inputShape as [number, number, number], numClasses: classes.length, bottleneck, classes, text });
  loadCheckedWeights(model, checkpoint.model, path);
  if (model instanceof DiffusionModel) loadEmaWeights(model, checkpoint, path);
  model.eval();
  return { name, model, classes: classes as string[], inputShape: inputShape as [number, number, number], checkpoint, recipe: config.recipe ?? {} };
}

/** Whether a checkpoint file was written for a generative model (false for classifiers and unreadable files). */
export function isGenerativeCheckpointFile(path: string): boolean {
  try {
    const name = checkpointModelName(loadCheckpoint(path));
    return name !== undefined && isGenerativeModel(name);
  } catch {
    return false;
  }
}

/** A diffusion model samples with the EMA of its weights, kept as task state: it replaces the live weights here. */
function loadEmaWeights(model: DiffusionModel, checkpoint: Checkpoint, path: string): void {
  if (checkpoint.taskTensors.size === 0) return;
  const ema = emaFromTaskTensors(checkpoint.taskTensors);
  for (const [name, p] of model.namedParameters()) {
    const e = ema.get(name);
    if (!e || e.size !== p.size) throw new RangeError(`${path}: the checkpoint's EMA weights do not fit the model (parameter '${name}')`);
    p.f32.set(e.f32);
  }
}

/**
 * The prompts of a text-to-image model's per-epoch grid: `perClass` images of each, row by row (as gridLabels): one
 * row per class in the first training template, or for captioned datasets (shapes) fixed scenes of every kind.
 */
export function gridPrompts(model: Text2ImgModel, perClass: number): string[] {
  const rows = model.templates
    ? model.classes.map((c) => captionFor(c, model.templates![0]))
    : [
        'a red circle on a gray background',
        'a blue square above a yellow circle',
        'a green triangle left of a white star',
        'a purple star below a white square',
      ];
  const known = rows.map((p) => (model.tokenizer.unknownWords(p).length === 0 ? p : ''));
  return Array.from({ length: model.numClasses * perClass }, (_, i) => known[Math.floor(i / perClass) % known.length]);
}
