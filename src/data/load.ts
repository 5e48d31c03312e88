/**
 * Opening a dataset by name or path (see loadDataset), and all the splits of one for the audit.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ImageDecodeOptions, SpecDataset } from './dataset.ts';
import { DataError } from './errors.ts';
import { FASHION_MNIST_DIR, IdxDataset, looksLikeIdxDir } from './idx.ts';
import { manifestHasSplits, openFolder, openManifest, readManifest } from './image-list.ts';
import { ShapesDataset } from './shapes.ts';

export interface LoadDatasetOptions extends ImageDecodeOptions {
  /** 'train' (default) or 'test' for built-ins; for folders a subfolder name; for manifests the split column value. */
  split?: string;
  /** Where a built-in dataset lives (Fashion-MNIST: a folder with the four IDX .gz files). */
  data?: string;
  /** Number of samples for `shapes` (default 10000 for train, 2000 for test). */
  count?: number;
  /** Seed for `shapes` (train and test use different seeds derived from it). */
  seed?: number;
  /** `shapes` as a text-to-image set: held-out combinations left out, a larger second object (see text2imgScene). */
  text2img?: boolean;
}

/** The names loadDataset resolves without a path. */
export const BUILTIN_DATASETS = ['fashion-mnist', 'shapes'];

/**
 * Opens a dataset by name or path: 'fashion-mnist', 'shapes', a folder of IDX files, an image folder (with optional
 * train/ val/ test/ subfolders chosen by `split`), or a .csv/.json manifest.
 * @example
 *   const test = await loadDataset('fashion-mnist', { split: 'test' });
 *   const shapes = await loadDataset('shapes', { count: 2000, size: 32 });
 *   const pets = await loadDataset('data/pets', { size: 64, split: 'train' });
 */
export async function loadDataset(nameOrPath: string, opts: LoadDatasetOptions = {}): Promise<SpecDataset> {
  const split = opts.split ?? 'train';
  const name = nameOrPath.toLowerCase();
  if (name === 'fashion-mnist' || name === 'fashion_mnist' || name === 'fashionmnist') {
    const dir = opts.data ? resolve(opts.data) : FASHION_MNIST_DIR;
    if (!existsSync(dir) || !looksLikeIdxDir(dir)) {
      throw new DataError(
        'missing-dataset',
        `Fashion-MNIST was not found in ${dir}`,
        opts.data
          ? `put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz in ${dir}`
          : 'install it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or download the four *-ubyte.gz files and pass --data <folder>',
        dir,
      );
    }
    return new IdxDataset({ kind: 'idx', dir, split: idxSplit(split) });
  }
  if (name === 'shapes') {
    const test = split === 'test';
    const size = typeof opts.size === 'number' ? opts.size : (opts.size?.[0] ?? 32);
    return new ShapesDataset({
      kind: 'shapes',
      count: opts.count ?? (test ? 2000 : 10000),
      size,
      seed: (opts.seed ?? 0) * 2 + (test ? 1 : 0),
      ...(opts.text2img ? { text2img: true } : {}),
    });
  }
  const path = resolve(nameOrPath);
  if (!existsSync(path)) {
    throw new DataError(
      'missing-dataset',
      `dataset '${nameOrPath}' is neither a built-in (${BUILTIN_DATASETS.join(', ')}) nor an existing path`,
      'use a built-in name, an image folder (one subfolder per class), or a .csv/.json manifest',
      path,
    );
  }
  const decode = decodeOptions(opts);
  if (statSync(path).isFile()) {
    if (!/\.(csv|json)$/i.test(path)) {
      throw new DataError(
        'unknown-format',
        `${path} is a file but not a .csv or .json manifest`,
        'pass an image folder, or a manifest with columns path,label[,split]',
        path,
      );
    }
    // A manifest without a split column (`path,label`, as the dashboard's labelling writes) is one pool, like a folder:
    // every split asks for all of it, and the caller carves train/validation from it.
    const split = manifestHasSplits(readManifest(path)) ? opts.split : undefined;
    return openManifest({ kind: 'manifest', file: path, ...(split !== undefined ? { split } : {}), ...decode });
  }
  if (looksLikeIdxDir(path)) return new IdxDataset({ kind: 'idx', dir: path, split: idxSplit(split) });
  // A folder with train/ val/ test/ subfolders holds one image folder per split.
  const dirs = splitDirs(path);
  if (dirs.length > 0) {
    if (!dirs.includes(split)) {
      throw new DataError('missing-split', `${path} has no '${split}' subfolder (it has ${dirs.join(', ')})`, `use --split ${dirs[0]}`, path);
    }
    return openFolder({ kind: 'folder', root: join(path, split), ...decode });
  }
  return openFolder({ kind: 'folder', root: path, ...decode });
}

function idxSplit(split: string): 'train' | 'test' {
  if (split === 'train' || split === 'test') return split;
  throw new DataError(
    'missing-split',
    `IDX datasets have a 'train' and a 'test' split, not '${split}'`,
    'carve a validation set from train with makeSplit(train, { fractions: { train: 0.9, val: 0.1 } })',
  );
}

function decodeOptions(opts: LoadDatasetOptions): ImageDecodeOptions {
  const out: ImageDecodeOptions = {};
  if (opts.size !== undefined) out.size = opts.size;
  if (opts.channels !== undefined) out.channels = opts.channels;
  if (opts.resize !== undefined) out.resize = opts.resize;
  if (opts.maxPixels !== undefined) out.maxPixels = opts.maxPixels;
  if (opts.cacheBytes !== undefined) out.cacheBytes = opts.cacheBytes;
  return out;
}

/** The split subfolders (train, val, test, …) of a folder made only of them, else []. */
function splitDirs(path: string): string[] {
  const subdirs = readdirSync(path, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name);
  const order = ['train', 'val', 'valid', 'validation', 'test'];
  const known = order.filter((d) => subdirs.includes(d));
  return known.length > 0 && known.length === subdirs.length ? known : [];
}

/**
 * Every split a dataset has, opened — train and test for built-ins and IDX folders, each split subfolder of an image
 * folder, each split value of a manifest — so the audit can look for leakage between them.
 * @example
 *   const parts = await loadAllSplits('fashion-mnist'); // { train, test }
 */
export async function loadAllSplits(nameOrPath: string, opts: LoadDatasetOptions = {}): Promise<Record<string, SpecDataset>> {
  if (opts.split) return { [opts.split]: await loadDataset(nameOrPath, opts) };
  const name = nameOrPath.toLowerCase();
  const path = resolve(nameOrPath);
  const builtin = BUILTIN_DATASETS.includes(name) || name === 'fashion_mnist' || name === 'fashionmnist';
  if (builtin || (existsSync(path) && statSync(path).isDirectory() && looksLikeIdxDir(path))) {
    return { train: await loadDataset(nameOrPath, { ...opts, split: 'train' }), test: await loadDataset(nameOrPath, { ...opts, split: 'test' }) };
  }
  if (existsSync(path) && statSync(path).isFile()) {
    const splits = [...new Set(readManifest(path).map((r) => r.split ?? ''))];
    if (splits.length <= 1) return { all: await openManifest({ kind: 'manifest', file: path, onMissing: 'skip', ...decodeOptions(opts) }) };
    const out: Record<string, SpecDataset> = {};
    for (const s of splits)
      out[s || '(none)'] = await openManifest({ kind: 'manifest', file: path, split: s || undefined, onMissing: 'skip', ...decodeOptions(opts) });
    return out;
  }
  const dirs = existsSync(path) ? splitDirs(path) : [];
  if (dirs.length > 0) {
    const out: Record<string, SpecDataset> = {};
    for (const d of dirs) out[d] = await openFolder({ kind: 'folder', root: join(path, d), ...decodeOptions(opts) });
    return out;
  }
  return { all: await loadDataset(nameOrPath, opts) };
}
