/**
 * From a recipe to the loaders a run trains and validates on: opens the dataset, carves a stratified, seeded
 * validation split when asked (or when the dataset has no test split), and builds the DataLoaders with the chosen
 * augmentation. The split is returned as a record that the run stores, so a resumed run sees the very same split.
 */

import type { SpecDataset } from '../data/dataset.ts';
import { loadDataset } from '../data/index.ts';
import { DataLoader } from '../data/loader.ts';
import { checkTrainable } from '../data/trainable.ts';
import { type SkippedFile, skippedFilesOf } from '../data/image-list.ts';
import { applySplit, makeSplit, type SplitRecord } from '../data/split.ts';
import { SubsetDataset } from '../data/subset.ts';
import type { PresetName } from '../data/transforms/spec.ts';
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

async function open(r: Recipe, split: 'train' | 'test'): Promise<SpecDataset> {
  return loadDataset(r.dataset, {
    split,
    data: r.data,
    size: r.imageSize > 0 ? r.imageSize : undefined,
    seed: r.seed,
    count: r.dataset === 'shapes' && r.limit > 0 ? (split === 'train' ? r.limit : Math.max(200, Math.round(r.limit / 5))) : undefined,
  });
}

/** The dataset's test split, or null when it has none (a plain folder returns itself for every split). */
async function openTest(r: Recipe, train: SpecDataset): Promise<SpecDataset | null> {
  try {
    const test = await open(r, 'test');
    return JSON.stringify(test.spec) === JSON.stringify(train.spec) ? null : test;
  } catch {
    return null;
  }
}

export async function prepareData(r: Recipe, storedSplit: SplitRecord | null = null, options: { needLabels?: boolean } = {}): Promise<PreparedData> {
  let train: SpecDataset = await open(r, 'train');
  // Loose images, one class or nothing readable: refused here, before a run folder exists (generative models may
  // learn from unlabelled images, so they pass needLabels: false).
  if (options.needLabels !== false) checkTrainable(train);
  const skipped = skippedFilesOf(train);
  if (r.limit > 0 && r.limit < train.length && r.dataset !== 'shapes')
    train = new SubsetDataset(
      train,
      Array.from({ length: r.limit }, (_, i) => i),
    );
  const testDs = await openTest(r, train);
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
    transform: r.augment && r.augment !== 'none' ? (r.augment as PresetName) : undefined,
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

/** Held-out data to evaluate a trained model on: the test split, else the run's validation part. */
export async function prepareEvalData(r: Recipe, inputShape: [number, number, number]): Promise<{ source: DataLoader; split: string; classes: string[] }> {
  const sized: Recipe = { ...r, imageSize: r.imageSize || inputShape[1] };
  const train = await open(sized, 'train');
  const test = await openTest(sized, train);
  if (test) return { source: new DataLoader(test, { batchSize: r.batchSize }), split: 'test split', classes: test.classes };
  const data = await prepareData(sized);
  return { source: data.val, split: 'validation split', classes: data.classes };
}
