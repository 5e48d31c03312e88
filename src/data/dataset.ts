/**
 * The Dataset contract every loader, transform and audit in src/data works against.
 *
 * A dataset is an indexable list of images in CHW float32 with values in [0, 1], each with an integer label
 * (-1 when unlabelled). Every dataset also carries a plain-JSON `spec` from which `datasetFromSpec` (./from-spec.ts)
 * rebuilds it — that is how worker threads get their own copy without sharing objects.
 *
 * @example
 *   const ds = await loadDataset('shapes');
 *   const s = await ds.get(0); // { image: Float32Array(3*32*32), shape: [3, 32, 32], label: 2, caption: 'a small red triangle …' }
 */

/** One image. `image` is CHW float32 in [0, 1], `shape` is [C, H, W]. */
export interface Sample {
  image: Float32Array;
  shape: [number, number, number];
  /** Class index into `Dataset.classes`, or -1 when the dataset is unlabelled. */
  label: number;
  caption?: string;
  path?: string;
}

export interface Dataset {
  readonly length: number;
  readonly classes: string[];
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  get(index: number): Sample | Promise<Sample>;
  describe?(): object;
}

/**
 * What the data layer's own datasets add to the contract: a JSON spec to rebuild them elsewhere, and optional fast paths
 * the loader and audit use when present.
 */
export interface SpecDataset extends Dataset {
  /** Plain JSON (no functions, no typed arrays) from which `datasetFromSpec` rebuilds an equal dataset. */
  readonly spec: DatasetSpec;
  /**
   * Synchronous fast path: writes sample `index` (C*H*W floats, [0, 1]) into `out` at `offset` and returns its label.
   * Present only when a sample can be produced without I/O (in-memory IDX, synthetic shapes).
   */
  readInto?(index: number, out: Float32Array, offset: number): number;
  /** All labels at once without decoding images (used for stratified splits and class counts). */
  labels?(): Int32Array;
  /** The caption of sample `index` without rendering it, for datasets that have captions. */
  captionOf?(index: number): string | undefined;
  /** The file behind sample `index`, when there is one (audit reads its metadata). */
  pathOf?(index: number): string | undefined;
}

/** Every dataset kind `datasetFromSpec` knows. */
export type DatasetSpec = IdxSpec | ShapesSpec | FolderSpec | ManifestSpec | SubsetSpec;

export interface IdxSpec {
  kind: 'idx';
  /** Folder holding `<split>-images-idx3-ubyte[.gz]` and `<split>-labels-idx1-ubyte[.gz]` (t10k for test). */
  dir: string;
  split: 'train' | 'test';
  /** Class names; defaults to the Fashion-MNIST names when the folder looks like Fashion-MNIST, else '0'..'9'. */
  classes?: string[];
}

export interface ShapesSpec {
  kind: 'shapes';
  count: number;
  /** Square image side in pixels (default 32). */
  size: number;
  seed: number;
  /** The text-to-image variant: held-out combinations never drawn, a larger second object (shapes.ts text2imgScene). */
  text2img?: boolean;
}

/** How an image whose size differs from the dataset's is brought to it. */
export type ResizePolicy = 'cover' | 'contain' | 'fill' | 'error';

export interface ImageDecodeOptions {
  /** Target side(s); a number means square. */
  size?: number | [number, number];
  /** 1 (grayscale) or 3 (RGB; alpha is flattened onto black). Default: 1 when the dataset's images are grayscale, else 3. */
  channels?: 1 | 3;
  /**
   * `cover` (default): scale so the image covers the target, then center-crop — keeps aspect, loses edges.
   * `contain`: scale to fit inside and pad with black. `fill`: stretch. `error`: refuse any image of another size.
   */
  resize?: ResizePolicy;
  /** Refuse images whose declared width*height exceeds this (default 40 megapixels) before decoding them. */
  maxPixels?: number;
  /** Bytes of decoded images kept in memory (default 256 MiB); larger datasets are decoded again on demand. */
  cacheBytes?: number;
}

export interface FolderSpec extends ImageDecodeOptions {
  kind: 'folder';
  root: string;
  /** false: every image under root is one unlabelled sample (label -1). Default: one subfolder per class. */
  labelled?: boolean;
  /** Relative paths left out (e.g. found unreadable when the dataset was opened). */
  exclude?: string[];
}

export interface ManifestSpec extends ImageDecodeOptions {
  kind: 'manifest';
  /** A .csv (header with path,label[,split]) or .json (array of { path, label?, split? }) file. */
  file: string;
  /** Keep only rows whose split column equals this. */
  split?: string;
  /** Rows naming files that do not exist: 'error' (default) refuses the manifest, 'skip' leaves them out. */
  onMissing?: 'error' | 'skip';
  exclude?: string[];
}

export interface SubsetSpec {
  kind: 'subset';
  parent: DatasetSpec;
  indices: number[];
  /** The parent's class indices kept, in the order of the new labels (absent: every class, labels unchanged). */
  classes?: number[];
}

/** Clamps and checks an index the way every dataset reports a bad one. */
export function checkIndex(index: number, length: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`${what}: index ${index} is out of range for a dataset of ${length} samples (valid: 0..${length - 1})`);
  }
}

/** Whether a dataset carries the extras of SpecDataset. */
export function isSpecDataset(ds: Dataset): ds is SpecDataset {
  return typeof (ds as SpecDataset).spec === 'object' && (ds as SpecDataset).spec !== null;
}
