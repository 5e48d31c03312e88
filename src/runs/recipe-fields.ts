/**
 * The one table of recipe fields: name, type, default, range, choices and help. The CLI's flags (src/cli/options.ts),
 * the HTTP API's JSON schema (src/server/app.ts), the dashboard's form (GET /api/recipe-schema) and the library's own
 * validation (resolveRecipe) are all built from it, so they cannot drift apart.
 */
import { classListProblem } from '../data/class-select.ts';
import { augmentProblem, NAMED_TRANSFORMS, PRESETS } from '../data/transforms/spec.ts';
import { CLASSIFIERS } from '../models/classifiers.ts';
import { GENERATIVE_MODELS } from '../models/registry.ts';

/** Learning-rate schedules a recipe can name (built by buildScheduler in recipe.ts). */
export const SCHEDULES = ['none', 'step', 'multistep', 'exponential', 'cosine', 'onecycle', 'plateau'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/**
 * Learning rates that train the zoo's models well with the default cosine schedule (Fashion-MNIST, cnn-small: Adam at
 * 2e-3 reaches 90% test accuracy in 2 epochs where a constant 1e-3 stops just short of it). `lr: 0` picks these.
 */
export const DEFAULT_LR = { sgd: 0.05, adam: 2e-3, adamw: 2e-3, rmsprop: 1e-3 } as const;
export type OptimizerName = keyof typeof DEFAULT_LR;
export const OPTIMIZERS = Object.keys(DEFAULT_LR) as OptimizerName[];

/** Largest image side a recipe may resize to: a 1024² RGB batch of 64 is already 800 MB of floats. */
export const MAX_IMAGE_SIZE = 1024;
/** Largest training-image limit (the synthetic dataset renders this many images). */
export const MAX_LIMIT = 1_000_000;

export interface RecipeField {
  /** The recipe key (camelCase); the CLI flag is its kebab-case form. */
  name: string;
  type: 'string' | 'integer' | 'number';
  default: string | number;
  min?: number;
  max?: number;
  choices?: readonly string[];
  help: string;
  /** A one-letter CLI alias. */
  short?: string;
  /** Placeholder for the CLI's value (`--lr <rate>`). */
  valueName: string;
  /** Whether the dashboard may set it over HTTP (a filesystem path may not). */
  api: boolean;
  /** Text shown after the range when a value is too large (why there is a limit). */
  maxReason?: string;
  /**
   * For a string whose valid values are more than its choices (the choices are then the suggestions a form offers):
   * the problem with a value, or null. The API schema then checks only the type, and resolveRecipe calls this.
   */
  check?: (value: string, label: string) => string | null;
  /** With `check`: a JSON-Schema pattern the API applies instead of the enum (so a bad value is a 400, not a failed run). */
  pattern?: string;
}

const TRANSFORM_NAMES = Object.keys(NAMED_TRANSFORMS).join('|');

const lrHelp = `learning rate (0 = the optimizer's default: ${OPTIMIZERS.map((o) => `${DEFAULT_LR[o]} for ${o}`).join(', ')})`;

/** Every field but `dataset`, which is the CLI's positional argument and a catalog name in the API. */
export const RECIPE_FIELDS: readonly RecipeField[] = [
  { name: 'data', type: 'string', default: '', help: 'folder holding the dataset files, when not in the default place', valueName: 'path', api: false },
  { name: 'model', short: 'm', type: 'string', default: 'cnn-small', choices: [...CLASSIFIERS, ...GENERATIVE_MODELS], help: 'model from the zoo', valueName: 'name', api: true },
  {
    name: 'from',
    type: 'string',
    default: '',
    help: "fine-tune a pretrained network: pretrained:<name> (simmer models lists them), a run id or checkpoint, or a .onnx file; '' trains from scratch",
    valueName: 'source',
    api: false,
  },
  {
    name: 'freezeEpochs',
    type: 'integer',
    default: 1,
    min: 0,
    max: 10_000,
    help: 'with --from: how many of the --epochs (which count every epoch, frozen ones included) train the new head only before every layer is unfrozen',
    valueName: 'n',
    api: true,
  },
  {
    name: 'lrMult',
    type: 'number',
    default: 100,
    min: 1,
    max: 1e6,
    help: 'with --from: after unfreezing, the earliest layers learn this many times slower than the head (discriminative rates)',
    valueName: 'x',
    api: true,
  },
  {
    name: 'cut',
    type: 'string',
    default: '',
    help: "with --from: take the features of this body layer (its name on the model page, e.g. body.6) and drop the layers after it; '' = the whole body, up to the old head",
    valueName: 'layer',
    api: true,
  },
  { name: 'epochs', short: 'e', type: 'integer', default: 2, min: 1, max: 10_000, help: 'epochs to train', valueName: 'n', api: true },
  { name: 'batchSize', short: 'b', type: 'integer', default: 64, min: 1, max: 4096, help: 'images per batch', valueName: 'n', api: true },
  { name: 'lr', type: 'number', default: 0, min: 0, max: 10, help: lrHelp, valueName: 'rate', api: true },
  { name: 'optimizer', type: 'string', default: 'adam', choices: OPTIMIZERS, help: 'optimizer', valueName: 'name', api: true },
  { name: 'momentum', type: 'number', default: 0.9, min: 0, max: 0.999, help: 'SGD momentum', valueName: 'm', api: true },
  { name: 'weightDecay', type: 'number', default: 0, min: 0, max: 1, help: 'weight decay (adamw: 0 means 0.01)', valueName: 'wd', api: true },
  { name: 'schedule', type: 'string', default: 'cosine', choices: SCHEDULES, help: 'learning-rate schedule', valueName: 'name', api: true },
  {
    name: 'augment',
    type: 'string',
    default: 'none',
    choices: Object.keys(PRESETS),
    check: (value, label) => {
      const problem = augmentProblem(value);
      return problem === null ? null : `${label}: ${problem}`;
    },
    pattern: `^\\s*(${Object.keys(PRESETS).join('|')}|(${TRANSFORM_NAMES})(\\s*,\\s*(${TRANSFORM_NAMES}))*)\\s*$`,
    help: `augmentation preset (standard-noflip and digits never mirror), or a comma list of transforms: ${Object.keys(NAMED_TRANSFORMS).join(', ')}`,
    valueName: 'preset|list',
    api: true,
  },
  {
    name: 'channels',
    type: 'string',
    default: 'auto',
    choices: ['auto', '1', '3'],
    help: 'image channels: 1 (grayscale), 3 (RGB) or auto (grayscale when every image of the dataset is)',
    valueName: '1|3|auto',
    api: true,
  },
  {
    name: 'bottleneck',
    type: 'integer',
    default: 0,
    min: 0,
    max: 4096,
    help: 'code size of --model autoencoder (0 = its default, 10)',
    valueName: 'n',
    api: true,
  },
  {
    name: 'classes',
    type: 'string',
    default: '',
    check: (value, label) => classListProblem(value, label),
    help: "train and test on these classes only, renumbered in this order with their names kept: indices, ranges or names, e.g. 5,6,7,8,9 or 0-4 or Sandal,Bag ('' = all)",
    valueName: 'list',
    api: true,
  },
  {
    name: 'perClass',
    type: 'integer',
    default: 0,
    min: 0,
    max: MAX_LIMIT,
    help: 'train on the first N training images of every class (the test split keeps all of its images of those classes; 0 = all)',
    valueName: 'n',
    api: true,
  },
  { name: 'seed', type: 'integer', default: 1, min: 0, max: 2 ** 31 - 1, help: 'random seed (init, shuffling, split, augmentation)', valueName: 'n', api: true },
  {
    name: 'valSplit',
    type: 'number',
    default: 0,
    min: 0,
    max: 0.9,
    help: 'hold out this fraction of the training set for validation (0 = validate on the test split)',
    valueName: 'f',
    api: true,
    maxReason: 'a larger share leaves too little to train on',
  },
  {
    name: 'bucketKb',
    type: 'integer',
    default: 256,
    min: 1,
    max: 1 << 20,
    help: 'with --distributed: KB of gradients per all-reduce bucket (a bucket is averaged across processes while backward computes the rest)',
    valueName: 'kb',
    api: false,
  },
  { name: 'workers', type: 'integer', default: 0, min: 0, max: 64, help: 'data-loading worker threads', valueName: 'n', api: true },
  { name: 'clipGrad', type: 'number', default: 0, min: 0, max: 1e6, help: 'clip the gradient norm (0 = off)', valueName: 'norm', api: true },
  { name: 'labelSmoothing', type: 'number', default: 0, min: 0, max: 0.99, help: 'cross-entropy label smoothing', valueName: 'eps', api: true },
  {
    name: 'checkpointEvery',
    type: 'integer',
    default: 0,
    min: 0,
    max: 1e9,
    help: 'also checkpoint every N batches (for resuming mid-epoch)',
    valueName: 'steps',
    api: true,
  },
  {
    name: 'imageSize',
    type: 'integer',
    default: 0,
    min: 0,
    max: MAX_IMAGE_SIZE,
    help: 'resize images to this square size (0 = keep)',
    valueName: 'px',
    api: true,
    maxReason: 'larger images do not fit in memory at any useful batch size',
  },
  {
    name: 'limit',
    type: 'integer',
    default: 0,
    min: 0,
    max: MAX_LIMIT,
    help: 'use only the first N training images (0 = all)',
    valueName: 'n',
    api: true,
    maxReason: 'the synthetic dataset renders every image up front',
  },
  {
    name: 'qualityPerClass',
    type: 'integer',
    default: 0,
    min: 0,
    max: 500,
    help: 'generative models: after every epoch, score N images per class against the reference classifier (intended-label accuracy, FD-clf) in the epoch report (0 = off)',
    valueName: 'n',
    api: true,
    maxReason: 'the full score is simmer eval',
  },
];

/** A dataset name for the dashboard and the CLI: a built-in name or a folder / manifest path. */
export const DATASET_FIELD = {
  name: 'dataset',
  type: 'string',
  default: 'shapes',
  help: "'fashion-mnist', 'shapes', a folder with one subfolder per class, or a CSV/JSON manifest",
} as const;

/** kebab-case of a field name, as the CLI spells its flag (batchSize → batch-size). */
export function flagName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * The problem with one value of a field, or null when it is acceptable. `label` is how the caller names the field to
 * its user ('--image-size' on the command line, 'imageSize' in the library and the API).
 */
export function fieldProblem(field: RecipeField, value: unknown, label = field.name): string | null {
  if (field.type === 'string') {
    if (typeof value !== 'string') return `${label} must be a string, got ${JSON.stringify(value)}`;
    if (field.check) return field.check(value, label);
    if (field.choices && !field.choices.includes(value)) return `unknown ${label} '${value}'; choose one of: ${field.choices.join(', ')}`;
    return null;
  }
  const integer = field.type === 'integer';
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)))
    return `${label} must be ${integer ? 'an integer' : 'a number'}${field.min !== undefined ? ` >= ${field.min}` : ''}, got ${typeof value === 'string' ? `'${value}'` : typeof value === 'number' ? value : JSON.stringify(value)}`;
  if (field.min !== undefined && value < field.min) return `${label} must be >= ${field.min}, got ${value}`;
  if (field.max !== undefined && value > field.max)
    return `${label} must be <= ${field.max}, got ${value}${field.maxReason ? ` (${field.maxReason})` : ''}`;
  return null;
}

/** The defaults of every field, as a recipe (dataset included). */
export function fieldDefaults(): Record<string, string | number> {
  const out: Record<string, string | number> = { dataset: DATASET_FIELD.default };
  for (const f of RECIPE_FIELDS) if (f.name !== 'data') out[f.name] = f.default;
  return out;
}

/** JSON Schema of the fields the API accepts (strict: no coercion; unknown fields are refused by the caller's schema). */
export function recipeJsonSchemaProperties(): Record<string, Record<string, unknown>> {
  const props: Record<string, Record<string, unknown>> = {};
  for (const f of RECIPE_FIELDS) {
    if (!f.api) continue;
    const p: Record<string, unknown> = { type: f.type };
    if (f.choices && !f.check) p.enum = [...f.choices];
    if (f.pattern) p.pattern = f.pattern;
    if (f.min !== undefined) p.minimum = f.min;
    if (f.max !== undefined) p.maximum = f.max;
    props[f.name] = p;
  }
  return props;
}
