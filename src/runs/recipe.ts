/**
 * A training recipe as plain JSON (what `simmer train` flags and the dashboard form produce), its validation, and the
 * pieces built from it: the optimizer and the learning-rate schedule. Defaults, ranges and choices come from the one
 * table in recipe-fields.ts.
 */
import type { Module } from '../nn/module.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { CosineAnnealingLR, ExponentialLR, type LRScheduler, MultiStepLR, OneCycleLR, ReduceLROnPlateau, StepLR } from '../optim/schedule.ts';
import { Adam, AdamW, RMSprop, SGD } from '../optim/optimizers.ts';
import { DATASET_FIELD, DEFAULT_LR, fieldDefaults, fieldProblem, type OptimizerName, OPTIMIZERS, RECIPE_FIELDS, SCHEDULES, type ScheduleName } from './recipe-fields.ts';

export { DEFAULT_LR } from './recipe-fields.ts';

export interface Recipe {
  /** Dataset name ('fashion-mnist', 'shapes') or a folder / manifest path. */
  dataset: string;
  /** Where the dataset files are, when not in the default place. */
  data?: string;
  model: string;
  /** Fine-tune from: pretrained:<name>, a run id or checkpoint, or a .onnx file ('' = from scratch). Older recipes lack it. */
  from?: string;
  /** With `from`: epochs training the head only. */
  freezeEpochs?: number;
  /** With `from`: how many times slower the earliest layers learn than the head once unfrozen. */
  lrMult?: number;
  /** With `from`: the body layer whose output are the features ('' = the whole body). Older recipes lack it. */
  cut?: string;
  epochs: number;
  batchSize: number;
  /** Learning rate; 0 picks the optimizer's default (DEFAULT_LR). */
  lr: number;
  optimizer: OptimizerName;
  momentum: number;
  weightDecay: number;
  schedule: ScheduleName;
  /** Augmentation: a preset name or a comma list of named transforms (parseAugment in src/data/transforms/spec.ts). */
  augment: string;
  /** Image channels: '1', '3', or 'auto' (detected from the data). Recipes stored before the field existed lack it. */
  channels?: 'auto' | '1' | '3';
  /** Code size of --model autoencoder (0 = its default). Recipes stored before the field existed lack it. */
  bottleneck?: number;
  /** Classes to keep ('5,6,7', '0-4', 'Sandal,Bag'; '' = all), renumbered in that order. Older recipes lack it. */
  classes?: string;
  /** Training images per class, the first ones in the dataset's order (0 = all). Older recipes lack it. */
  perClass?: number;
  seed: number;
  /** Fraction of the training set held out for validation; 0 validates on the dataset's test split. */
  valSplit: number;
  workers: number;
  /** With --distributed: KB of gradients per all-reduce bucket. Recipes stored before the field existed lack it. */
  bucketKb?: number;
  clipGrad: number;
  /** Save a resumable checkpoint every this many batches (0 = only at epoch ends). */
  checkpointEvery: number;
  /** Resize images to this square size (0 keeps the dataset's size). */
  imageSize: number;
  /** Limit the number of training images (0 = all), for quick runs. */
  limit: number;
  labelSmoothing: number;
  /** Generative models: images per class scored after every epoch (0 = off). Recipes stored before the field existed lack it. */
  qualityPerClass?: number;
}

/** Every field at its default (from RECIPE_FIELDS). */
export const DEFAULT_RECIPE: Recipe = fieldDefaults() as unknown as Recipe;

/**
 * The recipe with every default filled in (what a run stores, so it can be repeated exactly). Every field is checked
 * against its type, range and choices; an unknown field is refused (a typo would otherwise be silently ignored).
 */
export function resolveRecipe(r: Partial<Recipe>): Recipe {
  const full: Record<string, unknown> = { ...DEFAULT_RECIPE };
  for (const [k, v] of Object.entries(r)) if (v !== undefined) full[k] = v;
  const known = new Set<string>([DATASET_FIELD.name, ...RECIPE_FIELDS.map((f) => f.name)]);
  for (const k of Object.keys(full)) if (!known.has(k)) throw new RangeError(`unknown recipe field '${k}'; the fields are: ${[...known].join(', ')}`);
  if (typeof full.dataset !== 'string' || full.dataset === '') throw new RangeError(`dataset must name a dataset (${DATASET_FIELD.help}), got ${JSON.stringify(full.dataset)}`);
  for (const f of RECIPE_FIELDS) {
    if (f.name === 'data' && full.data === undefined) continue;
    const problem = fieldProblem(f, full[f.name]);
    if (problem) throw new RangeError(problem);
  }
  const recipe = full as unknown as Recipe;
  if (recipe.cut && !recipe.from) throw new RangeError(`cut '${recipe.cut}' chooses the layer of a pretrained body whose features a new head learns from; give from (a pretrained network), or drop cut`);
  return { ...recipe, lr: recipe.lr > 0 ? recipe.lr : DEFAULT_LR[recipe.optimizer] };
}

export function buildOptimizer(model: Module, r: Recipe): Optimizer<{ lr: number }> {
  const params = model.parameters();
  switch (r.optimizer) {
    case 'sgd':
      return new SGD(params, { lr: r.lr, momentum: r.momentum, weightDecay: r.weightDecay });
    case 'adam':
      return new Adam(params, { lr: r.lr, weightDecay: r.weightDecay });
    case 'adamw':
      return new AdamW(params, { lr: r.lr, weightDecay: r.weightDecay || 0.01 });
    case 'rmsprop':
      // The momentum flag is SGD's (default 0.9); RMSprop keeps PyTorch's default of none.
      return new RMSprop(params, { lr: r.lr, weightDecay: r.weightDecay });
    default:
      throw new RangeError(`unknown optimizer '${r.optimizer}'; choose ${OPTIMIZERS.join(', ')}`);
  }
}

export function buildScheduler(optimizer: Optimizer<{ lr: number }>, r: Recipe, stepsPerEpoch: number): LRScheduler | null {
  const total = r.epochs * stepsPerEpoch;
  switch (r.schedule) {
    case 'none':
      return null;
    case 'step':
      return new StepLR(optimizer, Math.max(1, Math.round(r.epochs / 3)), 0.1);
    case 'multistep':
      return new MultiStepLR(optimizer, [Math.round(r.epochs * 0.5), Math.round(r.epochs * 0.75)], 0.1);
    case 'exponential':
      return new ExponentialLR(optimizer, 0.9);
    case 'cosine': {
      // Per batch: linear warm-up over the first 5% of steps, then a cosine down to 0 at the last step.
      const warmup = Math.floor(total / 20);
      return new CosineAnnealingLR(optimizer, { tMax: Math.max(1, total - warmup), warmup, interval: 'step' });
    }
    case 'onecycle':
      return new OneCycleLR(optimizer, { maxLr: r.lr, totalSteps: Math.max(2, total) });
    case 'plateau':
      return new ReduceLROnPlateau(optimizer, { patience: 2, factor: 0.3 });
    default:
      throw new RangeError(`unknown schedule '${r.schedule}'; choose ${SCHEDULES.join(', ')}`);
  }
}
