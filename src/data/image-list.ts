/**
 * Datasets of image files on disk: an image folder (one subfolder per class, nested folders allowed, or unlabelled)
 * and a CSV/JSON manifest (path, label, optional split). Both become a list of (file, label) decoded on demand with
 * sharp, with a bounded cache of decoded bytes, so a dataset larger than memory works.
 *
 * Resize policy: every image is brought to the dataset size (`size`, or the first image's size when none is given)
 * with `resize` — 'cover' by default (scale to cover, center-crop), or 'contain' (pad), 'fill' (stretch), 'error'
 * (refuse). Channels: 1 (grayscale) when every sampled image of the dataset is grayscale, else 3 (RGB), unless
 * `channels` says; alpha is flattened onto black.
 *
 * @example
 *   const ds = await openFolder({ kind: 'folder', root: 'pets', size: 64 }); // pets/cat/*.jpg, pets/dog/**\/*.png
 *   const s = await ds.get(0);
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { checkIndex, type Dataset, type FolderSpec, type ImageDecodeOptions, type ManifestSpec, type Sample, type SpecDataset } from './dataset.ts';
import { DataError, describeJsonError } from './errors.ts';
import { SubsetDataset } from './subset.ts';
import { DEFAULT_MAX_PIXELS, decodeImageFile, IMAGE_EXTENSIONS, isImageFile, readImageInfo } from './image-file.ts';

export interface ImageEntry {
  path: string;
  label: number;
  /** A manifest's caption column (text-to-image training); absent elsewhere. */
  caption?: string;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

/** Least-recently-used cache of decoded images bounded by bytes. */
class ByteLru {
  private map = new Map<number, Uint8Array>();
  private bytes = 0;
  constructor(private readonly limit: number) {}
  get(k: number): Uint8Array | undefined {
    const v = this.map.get(k);
    if (v) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: number, v: Uint8Array): void {
    if (v.byteLength > this.limit) return;
    this.map.set(k, v);
    this.bytes += v.byteLength;
    for (const [key, old] of this.map) {
      if (this.bytes <= this.limit) break;
      this.map.delete(key);
      this.bytes -= old.byteLength;
    }
  }
}

export abstract class ImageListDataset implements SpecDataset {
  abstract readonly spec: FolderSpec | ManifestSpec;
  readonly entries: ImageEntry[];
  readonly classes: string[];
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Files left out when the dataset was opened, with why. */
  readonly skipped: SkippedFile[];
  protected readonly decode: ImageDecodeOptions;
  private readonly cache: ByteLru;

  protected constructor(entries: ImageEntry[], classes: string[], size: [number, number], opts: ImageDecodeOptions, skipped: SkippedFile[]) {
    this.entries = entries;
    this.classes = classes;
    this.channels = opts.channels ?? 3;
    [this.height, this.width] = size;
    this.skipped = skipped;
    this.decode = { ...opts, size, maxPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS };
    this.cache = new ByteLru(opts.cacheBytes ?? 256 * 1024 * 1024);
  }

  get length(): number {
    return this.entries.length;
  }

  async get(index: number): Promise<Sample> {
    checkIndex(index, this.length, 'ImageListDataset.get');
    const { path, label } = this.entries[index];
    let bytes = this.cache.get(index);
    if (!bytes) {
      bytes = (await decodeImageFile(path, this.decode)).data;
      this.cache.set(index, bytes);
    }
    const image = new Float32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) image[i] = bytes[i] / 255;
    const caption = this.entries[index].caption;
    return { image, shape: [this.channels, this.height, this.width], label, path, ...(caption !== undefined ? { caption } : {}) };
  }

  /** The caption of a manifest row ('' for a row without one), or undefined when the list has no captions at all. */
  captionOf(index: number): string | undefined {
    checkIndex(index, this.length, 'ImageListDataset.captionOf');
    return this.entries[index].caption;
  }

  labels(): Int32Array {
    return Int32Array.from(this.entries, (e) => e.label);
  }

  pathOf(index: number): string {
    return this.entries[index].path;
  }

  describe(): object {
    return {
      kind: this.spec.kind,
      samples: this.length,
      shape: [this.channels, this.height, this.width],
      resize: this.decode.resize ?? 'cover',
      classes: this.classes,
      skipped: this.skipped,
    };
  }
}

/** Every image file under `dir`, recursively, sorted; 0-byte files go to `skipped`. */
function listImages(dir: string, skipped: SkippedFile[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (ent.name.startsWith('.')) continue;
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (isImageFile(ent.name)) {
        if (statSync(p).size === 0) skipped.push({ path: p, reason: 'empty file (0 bytes)' });
        else out.push(p);
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * What a dataset opened without a size or channel count gets from its files: the first readable image's size, and 1
 * channel when every sampled image is grayscale (else 3) — a folder of grayscale digits stays grayscale. Unreadable
 * files stay in the list (the loader skips them when it meets them) so that the same spec opens to the same indices in
 * every thread; the result goes into the spec, so worker threads do not guess again.
 */
async function inferFormat(entries: ImageEntry[], opts: ImageDecodeOptions, where: string): Promise<{ size: [number, number]; channels: 1 | 3 }> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  let size = sizeOf(opts.size);
  if (size && !size.every((d) => Number.isSafeInteger(d) && d >= 1 && d <= MAX_IMAGE_SIDE)) {
    throw new DataError(
      'bad-size',
      `${where}: image size ${size.join('x')} is out of range`,
      `use a whole number of pixels from 1 to ${MAX_IMAGE_SIDE} (CLI: --image-size 64)`,
      where,
    );
  }
  const channels = opts.channels;
  if (channels !== undefined && channels !== 1 && channels !== 3)
    throw new DataError('bad-channels', `${where}: channels must be 1 or 3, not ${JSON.stringify(channels)}`, 'use --channels 1 (grayscale) or 3 (RGB)', where);
  let read = 0;
  let gray = 0;
  // Up to CHANNEL_SAMPLES images spread over the list (classes are contiguous, so every class gets a say).
  const step = Math.max(1, Math.floor(entries.length / CHANNEL_SAMPLES));
  const order = [...Array.from({ length: Math.ceil(entries.length / step) }, (_, k) => k * step), ...entries.keys()];
  const tried = new Set<number>();
  for (const k of order) {
    if ((size && channels) || read >= CHANNEL_SAMPLES || tried.size >= entries.length) break;
    if (tried.has(k)) continue;
    tried.add(k);
    try {
      const info = await readImageInfo(entries[k].path, maxPixels);
      size ??= [info.height, info.width];
      read++;
      if (info.channels <= 2) gray++;
    } catch {
      // try the next one
    }
  }
  if (!size || (read === 0 && tried.size === entries.length)) {
    throw new DataError(
      'empty-dataset',
      `${where}: none of its ${entries.length} image${entries.length === 1 ? '' : 's'} could be read`,
      'replace the files with readable images (JPEG, PNG, WebP, GIF, TIFF, AVIF); `simmer audit` lists what is wrong with each',
      where,
    );
  }
  return { size, channels: channels ?? (read > 0 && gray === read ? 1 : 3) };
}

/** How many images decide between grayscale and colour. */
const CHANNEL_SAMPLES = 8;
/** Largest image side a dataset may be brought to (a 4096x4096 RGB image is 200 MB as floats). */
export const MAX_IMAGE_SIDE = 4096;

function sizeOf(size: number | [number, number] | undefined): [number, number] | undefined {
  return size === undefined ? undefined : typeof size === 'number' ? [size, size] : size;
}

export class FolderDataset extends ImageListDataset {
  readonly spec: FolderSpec;
  constructor(spec: FolderSpec, entries: ImageEntry[], classes: string[], size: [number, number], skipped: SkippedFile[]) {
    super(entries, classes, size, spec, skipped);
    this.spec = { ...spec, size };
  }
}

/**
 * Opens an image folder. Labelled (default): each subfolder of `root` is a class and every image below it, at any depth,
 * belongs to it. Unlabelled (`labelled: false`, or a folder with no subfolders): every image under root, label -1.
 * @example
 *   const ds = await openFolder({ kind: 'folder', root: 'data/flowers', size: 64, resize: 'cover' });
 */
export async function openFolder(spec: FolderSpec): Promise<FolderDataset> {
  const root = resolve(spec.root);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new DataError('missing-folder', `image folder ${root} does not exist`, 'check the path (an image folder holds one subfolder per class)', root);
  }
  const skipped: SkippedFile[] = [];
  const exclude = new Set(spec.exclude ?? []);
  const subdirs = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  const labelled = spec.labelled ?? subdirs.length > 0;
  let entries: ImageEntry[] = [];
  let classes: string[] = [];
  if (labelled) {
    if (subdirs.length === 0) {
      throw new DataError(
        'no-classes',
        `${root} has no subfolders, so it has no classes`,
        'put images in one subfolder per class (root/cat/1.jpg, root/dog/2.jpg), or open it unlabelled',
        root,
      );
    }
    const perClass = subdirs.map((name) => listImages(join(root, name), skipped));
    // A class folder without images would be a class the model can never see; leave it out (audit reports it).
    classes = subdirs.filter((_, i) => perClass[i].length > 0);
    perClass.filter((l) => l.length > 0).forEach((files, label) => entries.push(...files.map((path) => ({ path, label }))));
  } else {
    entries = listImages(root, skipped).map((path) => ({ path, label: -1 }));
  }
  entries = entries.filter((e) => !exclude.has(relative(root, e.path)));
  if (entries.length === 0) {
    throw new DataError(
      'empty-dataset',
      `${root} contains no images (looked for ${[...IMAGE_EXTENSIONS].join(' ')}${skipped.length ? `; ${skipped.length} empty files skipped` : ''})`,
      labelled ? 'put images in one subfolder per class, e.g. root/cat/1.jpg and root/dog/2.jpg' : 'put image files in the folder',
      root,
    );
  }
  const { size, channels } = await inferFormat(entries, spec, root);
  return new FolderDataset({ ...spec, root, labelled, channels }, entries, classes, size, skipped);
}

export class ManifestDataset extends ImageListDataset {
  readonly spec: ManifestSpec;
  constructor(spec: ManifestSpec, entries: ImageEntry[], classes: string[], size: [number, number], skipped: SkippedFile[]) {
    super(entries, classes, size, spec, skipped);
    this.spec = { ...spec, size };
  }
}

export interface ManifestRow {
  path: string;
  label?: string;
  split?: string;
  /** What the image shows, in words (a `caption`, `text` or `prompt` column): text-to-image models train on it. */
  caption?: string;
}

/** Parses CSV text with a header row; quoted fields may hold commas and doubled quotes. */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((f) => f.trim() !== '')) rows.push(row);
      row = [];
    } else field += ch;
  }
  row.push(field);
  if (row.some((f) => f.trim() !== '')) rows.push(row);
  if (rows.length === 0) return [];
  const header = rows[0].map((h) => h.trim().toLowerCase());
  return rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, (r[i] ?? '').trim()])));
}

const PATH_KEYS = ['path', 'file', 'filename', 'image', 'filepath'];
const LABEL_KEYS = ['label', 'class', 'category', 'target'];
const CAPTION_KEYS = ['caption', 'text', 'prompt'];

/** Reads the rows of a .csv or .json manifest. */
export function readManifest(file: string): ManifestRow[] {
  if (!existsSync(file)) throw new DataError('missing-manifest', `manifest ${file} does not exist`, 'check the path', file);
  const text = readFileSync(file, 'utf8');
  let raw: Record<string, unknown>[];
  if (/\.json$/i.test(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new DataError(
        'bad-manifest',
        `${file} is not valid JSON: ${describeJsonError(e, text)}`,
        'fix the JSON: an array of { "path": ..., "label": ..., "split": ... }',
        file,
      );
    }
    const list = Array.isArray(parsed) ? parsed : typeof parsed === 'object' && parsed !== null ? (parsed as { samples?: unknown }).samples : undefined;
    if (!Array.isArray(list))
      throw new DataError(
        'bad-manifest',
        `${file} holds ${parsed === null ? 'null' : typeof parsed === 'object' ? 'an object without a "samples" array' : `a ${typeof parsed}`}, not an array of samples`,
        'use an array of { "path", "label", "split" } objects (or { "samples": [...] })',
        file,
      );
    list.forEach((r, i) => {
      if (typeof r !== 'object' || r === null || Array.isArray(r))
        throw new DataError(
          'bad-manifest',
          `${file}: sample ${i + 1} is ${JSON.stringify(r)?.slice(0, 40)}, not an object`,
          'make every sample an object like { "path": "cat/1.jpg", "label": "cat" }, or remove it',
          file,
        );
    });
    raw = list as Record<string, unknown>[];
  } else {
    raw = parseCsv(text);
  }
  const pick = (r: Record<string, unknown>, keys: string[]) => {
    for (const k of keys) {
      const v = r[k];
      if (v === undefined || v === null || v === '') continue;
      if (typeof v === 'object') {
        throw new DataError(
          'bad-manifest',
          `${file}: the ${k} of a row is ${JSON.stringify(v).slice(0, 40)}, not a text or a number`,
          `give every row a plain ${k} ("cat/1.jpg", "cat")`,
          file,
        );
      }
      return String(v);
    }
    return undefined;
  };
  // CSV rows count from the header line (row 1), so "row 3" is the third line of the file; JSON samples from 1.
  const where = (i: number) => (/\.json$/i.test(file) ? `sample ${i + 1}` : `row ${i + 2}`);
  const rows = raw.map((r, i) => {
    const path = pick(r, PATH_KEYS);
    if (!path) throw new DataError('bad-manifest', `${file}: ${where(i)} has no path`, `give every row a path column (one of ${PATH_KEYS.join(', ')})`, file);
    const caption = pick(r, CAPTION_KEYS);
    return { path, label: pick(r, LABEL_KEYS), split: pick(r, ['split', 'subset']), ...(caption !== undefined ? { caption } : {}) };
  });
  // A manifest is labelled or not: a row without a label among labelled ones would train as class -1.
  const unlabelled = rows.findIndex((r) => r.label === undefined);
  if (unlabelled >= 0 && rows.some((r) => r.label !== undefined)) {
    const count = rows.filter((r) => r.label === undefined).length;
    throw new DataError(
      'unlabelled-row',
      `${file}: ${where(unlabelled)} (${rows[unlabelled].path}) has no label${count > 1 ? `, nor do ${count - 1} other rows,` : ''} while the other rows are labelled`,
      'give every row a label, or remove the rows without one (label them on the Data page)',
      file,
    );
  }
  return rows;
}

/** Whether any row of a manifest names a split (train/val/test); a `path,label` manifest is split like a folder. */
export function manifestHasSplits(rows: readonly ManifestRow[]): boolean {
  return rows.some((r) => r.split !== undefined);
}

/**
 * Opens a CSV/JSON manifest. Relative paths are resolved from the manifest's folder; labels are class names (sorted,
 * numerically when all are numbers). Missing files are an error naming them, unless `onMissing: 'skip'`.
 * @example
 *   const val = await openManifest({ kind: 'manifest', file: 'data/labels.csv', split: 'val', size: 64 });
 */
export async function openManifest(spec: ManifestSpec): Promise<ManifestDataset> {
  const file = resolve(spec.file);
  const base = dirname(file);
  const exclude = new Set(spec.exclude ?? []);
  const allRows = readManifest(file);
  const rows = allRows.filter((r) => (spec.split === undefined || r.split === spec.split) && !exclude.has(r.path));
  if (rows.length === 0) {
    const splits = [...new Set(allRows.map((r) => r.split).filter(Boolean))];
    throw new DataError(
      'empty-dataset',
      `${file} has no rows${spec.split !== undefined ? ` with split '${spec.split}'` : ''}`,
      spec.split !== undefined && splits.length ? `use one of the splits it has: ${splits.join(', ')}` : 'add rows: path,label[,split]',
      file,
    );
  }
  const labelled = rows.some((r) => r.label !== undefined);
  const names = [...new Set(allRows.map((r) => r.label).filter((l): l is string => l !== undefined))];
  const numeric = names.every((n) => /^-?\d+$/.test(n));
  const classes = labelled ? names.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined) : [];
  const skipped: SkippedFile[] = [];
  const missing: string[] = [];
  const entries: ImageEntry[] = [];
  // With a caption column, every row has a caption: a row without one trains as the empty prompt (unconditional).
  const captioned = allRows.some((r) => r.caption !== undefined);
  for (const r of rows) {
    const path = resolve(base, r.path);
    if (!existsSync(path)) {
      missing.push(r.path);
      skipped.push({ path, reason: 'missing file' });
      continue;
    }
    if (statSync(path).size === 0) {
      skipped.push({ path, reason: 'empty file (0 bytes)' });
      continue;
    }
    entries.push({ path, label: r.label === undefined ? -1 : classes.indexOf(r.label), ...(captioned ? { caption: r.caption ?? '' } : {}) });
  }
  if (missing.length > 0 && spec.onMissing !== 'skip') {
    throw new DataError(
      'missing-files',
      `${file} names ${missing.length} file${missing.length > 1 ? 's' : ''} that do not exist: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
      `fix those paths (relative paths are resolved from ${base}) or remove the rows; onMissing: 'skip' leaves them out`,
      file,
    );
  }
  if (entries.length === 0) throw new DataError('empty-dataset', `${file}: none of its files can be used`, 'check the paths and files it names', file);
  const { size, channels } = await inferFormat(entries, spec, file);
  return new ManifestDataset({ ...spec, file, channels }, entries, classes, size, skipped);
}

/**
 * Every file left out of a dataset when it was opened (0 bytes, missing), with why — through subsets to the dataset
 * that read the folder or manifest. Files found unreadable while training are in `DataLoader.skipped`.
 * @example
 *   for (const s of skippedFilesOf(train)) console.warn(`skipped ${s.path}: ${s.reason}`);
 */
export function skippedFilesOf(ds: Dataset): SkippedFile[] {
  let at: unknown = ds;
  while (at instanceof SubsetDataset) at = at.parent;
  return at instanceof ImageListDataset ? [...at.skipped] : [];
}
