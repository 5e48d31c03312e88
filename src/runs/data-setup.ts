/**
 * From a recipe to the loaders a run trains and validates on: opens the dataset, carves a stratified, seeded
 * validation split when asked (or when the dataset has no test split), and builds the DataLoaders with the chosen
 * augmentation. The split is returned as a record that the run stores, so a resumed run sees the very same split.
 */

import type { SpecDataset } from '../data/dataset.ts';
import { loadDataset } from '../data/index.ts';
import { DataLoader } from '../data/loader.ts';
import { parseClassList, selectClasses } from '../data/class-select.ts';
import { DataError } from '../data/errors.ts';
import { checkTrainable } from '../data/trainable.ts';
import { type SkippedFile, skippedFilesOf } from '../data/image-list.ts';
import { applySplit, makeSplit, type SplitRecord } from '../data/split.ts';
import { SubsetDataset } from '../data/subset.ts';
import { parseAugment } from '../data/transforms/spec.ts';
import { isTextToImageModel } from '../models/registry.ts';
import type { Recipe } from './recipe.ts';

export interface PreparedData {
  train: DataLoader;
  val: DataLoader;
  /** Present when validation was carved from the training set: the dataset's own test split, for the final report. */
  test?: DataLoader;
  /** True when the dataset's test split doubles as validation (nothing was held out of training). */
  valIsTest: boolean;
  classes: string[];
  inputShape: [number, number, number];
  splitSeed: number;
  split: SplitRecord | null;
  /** Files the dataset left out because they could not be read (named, with the reason). */
  skipped: SkippedFile[];
  close(): Promise<void>;
}

/** What a run trains on, in one line's worth of facts (printed by `train` before the first step). */
export interface DataSummary {
  /** Images in the training and validation parts together. */
  images: number;
  classes: number;
  inputShape: [number, number, number];
  trainCount: number;
  valCount: number;
  /** Where validation comes from: held out of the training set, or the dataset's test split. */
  valSource: 'held-out' | 'test split';
  testCount?: number;
  splitSeed: number;
  skipped: SkippedFile[];
}

export function summarizeData(d: PreparedData): DataSummary {
  const trainCount = d.train.dataset.length;
  const valCount = d.val.dataset.length;
  return {
    images: d.valIsTest ? trainCount : trainCount + valCount,
    classes: d.classes.length,
    inputShape: d.inputShape,
    trainCount,
    valCount,
    valSource: d.valIsTest ? 'test split' : 'held-out',
    ...(d.test ? { testCount: d.test.dataset.length } : {}),
    splitSeed: d.splitSeed,
    skipped: d.skipped,
  };
}

/** The summary as the line `train` prints. */
export function formatDataSummary(s: DataSummary): string {
  const [c, h, w] = s.inputShape;
  const parts =
    s.valSource === 'test split'
      ? `${s.trainCount} train, ${s.valCount} validation (the dataset's test split)`
      : `${s.images} images: ${s.trainCount} train, ${s.valCount} validation (held out, split seed ${s.splitSeed})${s.testCount !== undefined ? `, ${s.testCount} test` : ''}`;
  const line = `data: ${s.classes} classes, ${h}×${w}×${c}; ${parts}`;
  if (s.skipped.length === 0) return line;
  const SHOWN = 10;
  const listed = s.skipped.slice(0, SHOWN).map((f) => `\n  skipped ${f.path}: ${f.reason}`);
  const more = s.skipped.length > SHOWN ? `\n  … and ${s.skipped.length - SHOWN} more` : '';
  return `${line}\n${s.skipped.length} file(s) could not be read and were left out:${listed.join('')}${more}`;
}

const EVAL_BATCH = 256;

/** The recipe's channel count, or undefined for 'auto' (detected from the data; recipes stored before lack it). */
function channelsOf(r: Recipe): 1 | 3 | undefined {
  return r.channels === '1' ? 1 : r.channels === '3' ? 3 : undefined;
}

async function open(r: Recipe, split: 'train' | 'test'): Promise<SpecDataset> {
  const channels = channelsOf(r);
  const ds = await loadDataset(r.dataset, {
    split,
    data: r.data,
    size: r.imageSize > 0 ? r.imageSize : undefined,
    channels,
    seed: r.seed,
    count: r.dataset === 'shapes' && r.limit > 0 ? (split === 'train' ? r.limit : Math.max(200, Math.round(r.limit / 5))) : undefined,
    text2img: isTextToImageModel(r.model),
  });
  // Built-in datasets have fixed channels; asking for others must not be ignored silently.
  if (channels !== undefined && ds.channels !== channels)
    throw new RangeError(
      `${r.dataset} has ${ds.channels}-channel images and cannot be read with ${channels}; channels applies to image folders and manifests (use auto or ${ds.channels})`,
    );
  return ds;
}

/**
 * The recipe's classes (`--classes`, renumbered in its order, names kept) and training images per class
 * (`--per-class`, the first N of each; the test split keeps all of its images of those classes).
 */
function selectFor(r: Recipe, ds: SpecDataset, split: 'train' | 'test'): SpecDataset {
  const perClass = split === 'train' && (r.perClass ?? 0) > 0 ? r.perClass : undefined;
  if (!r.classes && perClass === undefined) return ds;
  const classes = r.classes ? parseClassList(r.classes, ds.classes, r.dataset) : undefined;
  return selectClasses(ds, { classes, perClass, what: `${r.dataset}'s ${split} split` });
}

/** The training split with the recipe's classes and images per class, and the split as opened (to find its test split). */
async function openTrain(r: Recipe, options: { needLabels?: boolean } = {}): Promise<{ raw: SpecDataset; train: SpecDataset }> {
  const raw = await open(r, 'train');
  // Loose images, one class or nothing readable: refused here, before a run folder exists (generative models may
  // learn from unlabelled images, so they pass needLabels: false).
  if (options.needLabels !== false) checkTrainable(raw);
  const train = selectFor(r, raw, 'train');
  if (train !== raw && options.needLabels !== false) {
    if (train.classes.length < 2)
      throw new DataError(
        'one-class',
        `classes '${r.classes}' names a single class ('${train.classes[0]}'); a classifier needs at least two`,
        `name two or more classes of ${r.dataset}, e.g. ${raw.classes.slice(0, 2).join(',')}`,
      );
    checkTrainable(train);
  }
  return { raw, train };
}

/**
 * The dataset's test split (with the recipe's classes), or null when it has none: a plain folder returns itself for
 * every split, which `raw` (the training split before any selection) tells.
 */
async function openTest(r: Recipe, raw: SpecDataset): Promise<SpecDataset | null> {
  let test: SpecDataset;
  try {
    test = await open(r, 'test');
  } catch {
    return null;
  }
  return JSON.stringify(test.spec) === JSON.stringify(raw.spec) ? null : selectFor(r, test, 'test');
}

export async function prepareData(r: Recipe, storedSplit: SplitRecord | null = null, options: { needLabels?: boolean } = {}): Promise<PreparedData> {
  const opened = await openTrain(r, options);
  let train = opened.train;
  const skipped = skippedFilesOf(train);
  if (r.limit > 0 && r.limit < train.length && r.dataset !== 'shapes')
    train = new SubsetDataset(
      train,
      Array.from({ length: r.limit }, (_, i) => i),
    );
  const testDs = await openTest(r, opened.raw);
  let val: SpecDataset;
  let split: SplitRecord | null = null;
  let valIsTest = false;
  if (r.valSplit > 0 || testDs === null) {
    const fraction = r.valSplit > 0 ? r.valSplit : 0.2;
    split = storedSplit ?? (await makeSplit(train, { fractions: { train: 1 - fraction, val: fraction }, seed: r.seed }));
    val = applySplit(train, split, 'val');
    train = applySplit(train, split, 'train');
  } else {
    val = testDs;
    valIsTest = true;
  }
  const trainLoader = new DataLoader(train, {
    batchSize: r.batchSize,
    shuffle: true,
    seed: r.seed,
    transform: r.augment && r.augment !== 'none' ? parseAugment(r.augment) : undefined,
    workers: r.workers,
  });
  const valLoader = new DataLoader(val, { batchSize: EVAL_BATCH, workers: r.workers });
  const testLoader = !valIsTest && testDs ? new DataLoader(testDs, { batchSize: EVAL_BATCH, workers: r.workers }) : undefined;
  return {
    train: trainLoader,
    val: valLoader,
    test: testLoader,
    valIsTest,
    classes: train.classes,
    inputShape: [train.channels, train.height, train.width],
    splitSeed: r.seed,
    split,
    skipped,
    async close() {
      await Promise.all([trainLoader.close(), valLoader.close(), testLoader?.close()]);
    },
  };
}

/** What `eval` can score: the run's held-out images by default, or a named part. */
export const EVAL_SPLITS = ['auto', 'all', 'train', 'val', 'test'] as const;
export type EvalSplit = (typeof EVAL_SPLITS)[number];

export interface EvalData {
  source: DataLoader;
  /** The part scored (auto resolved). */
  split: Exclude<EvalSplit, 'auto'>;
  /** The part in words, for the report ("the run's validation part (split.json)"). */
  description: string;
  classes: string[];
  count: number;
}

export interface EvalDataOptions {
  /** Which part to score (default auto: the test split, else the run's stored validation part, else all of another dataset). */
  split?: EvalSplit;
  /**
   * The run's split.json (null: the run has none). Left undefined only by callers written before runs stored their
   * split: they get the old behaviour (a split made again with the run's seed).
   */
  storedSplit?: SplitRecord | null;
  /** Whether the data is the dataset the run trained on (the stored split applies only to it). Default true. */
  trainedOn?: boolean;
}

/**
 * The images `eval` scores. The run's stored split is applied to the dataset as it is now and refused when the
 * dataset changed since; a split is never made again here (it would mix training images into the score).
 */
export async function prepareEvalData(r: Recipe, inputShape: [number, number, number], options: EvalDataOptions = {}): Promise<EvalData> {
  const trainedOn = options.trainedOn ?? true;
  if (options.storedSplit === undefined && options.split === undefined && trainedOn) return legacyEvalData(r, inputShape);
  // The model's input decides size and channels; --limit belongs to the trained dataset's split only.
  const sized: Recipe = { ...r, imageSize: r.imageSize || inputShape[1], channels: inputShape[0] === 1 ? '1' : '3', limit: trainedOn ? r.limit : 0 };
  const opened = await openTrain(sized, { needLabels: false });
  let train = opened.train;
  if (sized.limit > 0 && sized.limit < train.length && r.dataset !== 'shapes')
    train = new SubsetDataset(
      train,
      Array.from({ length: sized.limit }, (_, i) => i),
    );
  const test = await openTest(sized, opened.raw);
  const stored = trainedOn ? (options.storedSplit ?? null) : null;
  const want = options.split ?? 'auto';
  const split = want !== 'auto' ? want : test ? 'test' : trainedOn ? 'val' : 'all';
  const done = (ds: SpecDataset, description: string): EvalData => ({
    source: new DataLoader(ds, { batchSize: r.batchSize }),
    split,
    description,
    classes: train.classes,
    count: ds.length,
  });
  if (split === 'test') {
    if (!test) throw new RangeError(`${r.dataset} has no test split of its own (a folder without train/ and test/ subfolders is one pool); score split 'val' (the run's held-out part) or 'all'`);
    return done(test, "the dataset's test split");
  }
  if (split === 'all') {
    if (test) throw new RangeError(`${r.dataset} keeps its train and test splits apart; score split 'train' or 'test'`);
    return done(train, 'all images');
  }
  if (stored) {
    if (stored.total !== train.length)
      throw new RangeError(
        `the run's split.json was made for ${stored.total} images but ${r.dataset} now has ${train.length}: the data changed since training, so its held-out images are unknown; score split 'all', or a separate test folder`,
      );
    return done(applySplit(train, stored, split), `the run's ${split === 'val' ? 'validation' : 'training'} part (split.json)`);
  }
  // No stored split: the run validated on the test split and trained on all of the train split, or the split is lost.
  if (trainedOn && test && r.valSplit === 0) return split === 'val' ? done(test, "the dataset's test split (the run validated on it)") : done(train, 'the train split');
  throw new RangeError(
    trainedOn
      ? `this run's split.json is missing (it sits next to config.json in the run folder), so which images were held out is unknown; score split 'all' (which includes the training images), or a separate test folder`
      : `split '${split}' is the run's own; on other data score split 'all'${test ? " or 'test'" : ''}`,
  );
}

/** The behaviour before runs stored their split: the test split, else a validation part made again with the run's seed. */
async function legacyEvalData(r: Recipe, inputShape: [number, number, number]): Promise<EvalData> {
  const sized: Recipe = { ...r, imageSize: r.imageSize || inputShape[1] };
  const test = await openTest(sized, await open(sized, 'train'));
  if (test) return { source: new DataLoader(test, { batchSize: r.batchSize }), split: 'test', description: "the dataset's test split", classes: test.classes, count: test.length };
  const data = await prepareData(sized);
  return { source: data.val, split: 'val', description: 'validation part (made again with the run seed)', classes: data.classes, count: data.val.dataset.length };
}
