/** Flag parsing helpers shared by the verbs: numbers that say what was wrong, and the training flags. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_RECIPE, type Recipe } from '../runs/recipe.ts';

export function number(name: string, { integer = false, min = Number.NEGATIVE_INFINITY } = {}): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
      throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'}${min > Number.NEGATIVE_INFINITY ? ` >= ${min}` : ''}, got '${v}'`);
    }
    return n;
  };
}

/** Adds every recipe flag to a command (train and the dashboard's form share these names). */
export function addRecipeOptions(cmd: Command, defaults: Partial<Recipe> = {}): Command {
  const d = { ...DEFAULT_RECIPE, ...defaults };
  return cmd
    .option('--data <path>', 'folder holding the dataset files, when not in the default place')
    .option('-m, --model <name>', 'mlp | cnn-small | lenet5 | resnet-mini', d.model)
    .option('-e, --epochs <n>', 'epochs to train', number('--epochs', { integer: true, min: 1 }), d.epochs)
    .option('-b, --batch-size <n>', 'images per batch', number('--batch-size', { integer: true, min: 1 }), d.batchSize)
    .option('--lr <rate>', 'learning rate (default: 2e-3 for adam/adamw, 0.05 for sgd, 1e-3 for rmsprop)', number('--lr', { min: 0 }), d.lr)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['sgd', 'adam', 'adamw', 'rmsprop']).default(d.optimizer))
    .option('--momentum <m>', 'SGD momentum', number('--momentum', { min: 0 }), d.momentum)
    .option('--weight-decay <wd>', 'weight decay', number('--weight-decay', { min: 0 }), d.weightDecay)
    .addOption(
      new Option('--schedule <name>', 'learning-rate schedule')
        .choices(['none', 'step', 'multistep', 'exponential', 'cosine', 'onecycle', 'plateau'])
        .default(d.schedule),
    )
    .addOption(new Option('--augment <preset>', 'augmentation preset').choices(['none', 'light', 'standard', 'strong']).default(d.augment))
    .option('--seed <n>', 'random seed (init, shuffling, split, augmentation)', number('--seed', { integer: true, min: 0 }), d.seed)
    .option(
      '--val-split <f>',
      'hold out this fraction of the training set for validation (0 = validate on the test split)',
      number('--val-split', { min: 0 }),
      d.valSplit,
    )
    .option('--workers <n>', 'data-loading worker threads', number('--workers', { integer: true, min: 0 }), d.workers)
    .option('--clip-grad <norm>', 'clip the gradient norm (0 = off)', number('--clip-grad', { min: 0 }), d.clipGrad)
    .option('--label-smoothing <eps>', 'cross-entropy label smoothing', number('--label-smoothing', { min: 0 }), d.labelSmoothing)
    .option(
      '--checkpoint-every <steps>',
      'also checkpoint every N batches (for resuming mid-epoch)',
      number('--checkpoint-every', { integer: true, min: 0 }),
      d.checkpointEvery,
    )
    .option('--image-size <px>', 'resize images to this square size (0 = keep)', number('--image-size', { integer: true, min: 0 }), d.imageSize)
    .option('--limit <n>', 'use only the first N training images (0 = all)', number('--limit', { integer: true, min: 0 }), d.limit);
}

/** The recipe named by parsed flags. */
export function recipeFromOptions(dataset: string, o: Record<string, unknown>): Partial<Recipe> {
  return {
    dataset,
    data: o.data as string | undefined,
    model: o.model as string,
    epochs: o.epochs as number,
    batchSize: o.batchSize as number,
    lr: o.lr as number,
    optimizer: o.optimizer as Recipe['optimizer'],
    momentum: o.momentum as number,
    weightDecay: o.weightDecay as number,
    schedule: o.schedule as Recipe['schedule'],
    augment: o.augment as string,
    seed: o.seed as number,
    valSplit: o.valSplit as number,
    workers: o.workers as number,
    clipGrad: o.clipGrad as number,
    labelSmoothing: o.labelSmoothing as number,
    checkpointEvery: o.checkpointEvery as number,
    imageSize: o.imageSize as number,
    limit: o.limit as number,
  };
}
