/**
 * The datasets the dashboard can browse and train on: the built-ins ('shapes', and 'fashion-mnist' when installed)
 * plus every folder directly under the data root. Folders are named, never given as paths, and every file the
 * dashboard reads or writes is confined to its folder (see confinedPath).
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { SpecDataset } from '../data/dataset.ts';
import { FASHION_MNIST_DIR, looksLikeIdxDir } from '../data/idx.ts';
import { isImageFile } from '../data/image-file.ts';
import { parseCsv } from '../data/image-list.ts';
import { loadDataset } from '../data/index.ts';
import { writeFileAtomic } from '../io/atomic.ts';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The manifest the Data page's labelling writes inside a folder of loose images (`path,label`, no split column). */
export const LABELS_FILE = 'labels.csv';

export interface DatasetEntry {
  name: string;
  /**
   * 'builtin'; 'labelled': one subfolder per class, or loose images every one of which has a label in labels.csv;
   * 'unlabelled': loose images, some (or all) without a label yet.
   */
  kind: 'builtin' | 'labelled' | 'unlabelled';
  description: string;
  /** For a folder of loose images: its labels.csv (relative to the data root), what training reads once all are labelled. */
  manifest?: string;
  /** For a folder of loose images: how many images it has and how many of them have a label. */
  images?: number;
  labelled?: number;
}

/** A client error with its HTTP status (400 bad input, 403 outside the root, 404 not found). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The absolute path of `rel` inside `root`, or a 403 when it would leave the root (`..`, an absolute path, a symlink
 * pointing out). Checked on the resolved real path, so links cannot escape either.
 */
export function confinedPath(root: string, rel: string): string {
  if (rel.includes('\0') || isAbsolute(rel)) throw new HttpError(403, 'path is outside the allowed folder');
  const base = resolve(root);
  const full = resolve(base, rel);
  if (full !== base && !full.startsWith(base + sep)) throw new HttpError(403, 'path is outside the allowed folder');
  if (existsSync(full)) {
    const real = realpathSync(full);
    const realBase = realpathSync(base);
    if (real !== realBase && !real.startsWith(realBase + sep)) throw new HttpError(403, 'path is outside the allowed folder');
  }
  return full;
}

export class DatasetCatalog {
  private readonly open = new Map<string, Promise<SpecDataset>>();

  constructor(readonly dataRoot: string) {}

  list(): DatasetEntry[] {
    const out: DatasetEntry[] = [{ name: 'shapes', kind: 'builtin', description: 'synthetic circles, squares, triangles and stars (generated, no download)' }];
    if (existsSync(FASHION_MNIST_DIR) && looksLikeIdxDir(FASHION_MNIST_DIR))
      out.push({ name: 'fashion-mnist', kind: 'builtin', description: `Zalando's 28x28 clothing images (${FASHION_MNIST_DIR})` });
    if (existsSync(this.dataRoot)) {
      for (const d of readdirSync(this.dataRoot, { withFileTypes: true })) {
        if (!d.isDirectory() || !NAME_PATTERN.test(d.name)) continue;
        const dir = join(this.dataRoot, d.name);
        const entries = readdirSync(dir, { withFileTypes: true });
        const hasClassDirs = entries.some((e) => e.isDirectory() && !e.name.startsWith('.'));
        const images = entries.filter((e) => e.isFile() && isImageFile(e.name)).map((e) => e.name);
        if (hasClassDirs) out.push({ name: d.name, kind: 'labelled', description: `image folder ${dir}` });
        else if (images.length > 0) out.push(looseFolderEntry(d.name, dir, images));
      }
    }
    return out;
  }

  /** The entry named `name`, or a 400 (bad name) / 404 (no such dataset). */
  entry(name: string): DatasetEntry {
    if (!NAME_PATTERN.test(name)) throw new HttpError(400, `dataset name '${name}' may only contain letters, digits, '.', '_' and '-'`);
    const e = this.list().find((d) => d.name === name);
    if (!e) throw new HttpError(404, `no dataset '${name}' (built-ins: shapes, fashion-mnist; or a folder in ${this.dataRoot})`);
    return e;
  }

  /**
   * What a recipe's `dataset` field should say for this dataset: the name of a built-in, the path of a class-folder
   * dataset, or the labels.csv of a folder labelled on the Data page (the data layer splits a `path,label` manifest
   * into train and validation like a folder).
   */
  recipeDataset(name: string): string {
    const e = this.entry(name);
    if (e.kind === 'unlabelled')
      throw new HttpError(
        400,
        `dataset '${name}' is not fully labelled yet (${e.labelled ?? 0} of ${e.images ?? 0} images have a label); label the rest on the Data page first`,
      );
    return this.sourcePath(e);
  }

  /** The built-in's name, or the folder / manifest path the data layer opens. */
  private sourcePath(e: DatasetEntry): string {
    if (e.kind === 'builtin') return e.name;
    return e.manifest ? join(this.dataRoot, e.manifest) : join(this.dataRoot, e.name);
  }

  dataset(name: string): Promise<SpecDataset> {
    const e = this.entry(name);
    if (e.kind === 'unlabelled') return Promise.reject(new HttpError(400, `dataset '${name}' is not fully labelled yet; label it on the Data page first`));
    let p = this.open.get(name);
    if (!p) {
      p =
        e.kind === 'builtin'
          ? loadDataset(name, { split: 'train', count: name === 'shapes' ? 2000 : undefined })
          : loadDataset(this.sourcePath(e), { size: 64 });
      this.open.set(name, p);
      p.catch(() => this.open.delete(name));
    }
    return p;
  }

  /** Dataset indices by class (the first `perClass` of each), for the browse view. */
  async byClass(name: string, perClass = 24): Promise<{ classes: string[]; counts: number[]; indices: number[][]; length: number; shape: number[] }> {
    const ds = await this.dataset(name);
    const counts = ds.classes.map(() => 0);
    const indices: number[][] = ds.classes.map(() => []);
    const labels = ds.labels?.();
    for (let i = 0; i < ds.length; i++) {
      const label = labels ? labels[i] : (await ds.get(i)).label;
      if (label < 0 || label >= counts.length) continue;
      counts[label]++;
      if (indices[label].length < perClass) indices[label].push(i);
    }
    return { classes: ds.classes, counts, indices, length: ds.length, shape: [ds.channels, ds.height, ds.width] };
  }

  // ── labelling a folder of loose images ────────────────────────────────────────────────────────────────────────

  /** A folder of loose images (labelled or not yet); class-subfolder datasets and built-ins are labelled by their layout. */
  private labelFolder(name: string): string {
    const e = this.entry(name);
    if (e.kind === 'builtin' || !e.manifest) throw new HttpError(400, `dataset '${name}' is not a folder of loose images (it is labelled by its layout)`);
    return join(this.dataRoot, name);
  }

  /** The images of a loose-image folder and the labels given so far (from its labels.csv manifest). */
  labelling(name: string): { images: string[]; labels: Record<string, string>; manifest: string } {
    const dir = this.labelFolder(name);
    const images = readdirSync(dir)
      .filter((f) => isImageFile(f) && statSync(join(dir, f)).isFile())
      .sort();
    const manifest = join(dir, LABELS_FILE);
    const known = new Set(images);
    const labels: Record<string, string> = {};
    // Labels of images no longer in the folder are dropped, so the manifest never names a missing file.
    for (const [path, label] of Object.entries(readLabels(manifest))) if (known.has(path)) labels[path] = label;
    return { images, labels, manifest: relative(this.dataRoot, manifest) };
  }

  /** Sets (or, with an empty label, clears) labels and rewrites labels.csv atomically; returns every label. */
  setLabels(name: string, changes: Record<string, string>): Record<string, string> {
    const dir = this.labelFolder(name);
    const { images, labels } = this.labelling(name);
    const known = new Set(images);
    for (const [path, label] of Object.entries(changes)) {
      confinedPath(dir, path);
      if (!known.has(path)) throw new HttpError(400, `'${path}' is not an image in ${name}`);
      if (label === '') delete labels[path];
      else labels[path] = label;
    }
    const rows = Object.keys(labels)
      .sort()
      .map((p) => `${csvField(p)},${csvField(labels[p])}`);
    writeFileAtomic(join(dir, LABELS_FILE), `path,label\n${rows.join('\n')}${rows.length ? '\n' : ''}`);
    // The folder's opened dataset (classes, counts, samples) is stale now; the next browse reopens it.
    this.open.delete(name);
    return labels;
  }

  /** The file `rel` inside dataset folder `name` (for showing images of the labelling view). */
  file(name: string, rel: string): string {
    const e = this.entry(name);
    if (e.kind === 'builtin') throw new HttpError(404, `dataset '${name}' is built in and has no files`);
    const full = confinedPath(join(this.dataRoot, name), rel);
    if (!existsSync(full) || !statSync(full).isFile()) throw new HttpError(404, `no file '${rel}' in ${name}`);
    if (!isImageFile(full)) throw new HttpError(403, 'only image files are served');
    return full;
  }
}

/** path → label from a labels.csv (empty when there is none; a file that cannot be read counts as no labels yet). */
function readLabels(manifest: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!existsSync(manifest)) return labels;
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(readFileSync(manifest, 'utf8'));
  } catch {
    return labels;
  }
  for (const row of rows) if (row.path && row.label) labels[row.path] = row.label;
  return labels;
}

/**
 * The catalog entry of a folder of loose images: 'labelled' once every image has a label in its labels.csv (so it
 * can be trained), otherwise 'unlabelled' with how far the labelling has got.
 */
function looseFolderEntry(name: string, dir: string, images: string[]): DatasetEntry {
  const labels = readLabels(join(dir, LABELS_FILE));
  const labelled = images.filter((f) => labels[f] !== undefined).length;
  const classes = new Set(images.map((f) => labels[f]).filter((l) => l !== undefined)).size;
  const manifest = join(name, LABELS_FILE);
  if (labelled === images.length)
    return {
      name,
      kind: 'labelled',
      description: `${images.length} images in ${dir}, labelled in ${LABELS_FILE} (${classes} classes)`,
      manifest,
      images: images.length,
      labelled,
    };
  const description =
    labelled === 0 ? `${images.length} unlabelled images in ${dir}` : `${images.length} images in ${dir}, ${labelled} labelled so far (${LABELS_FILE})`;
  return { name, kind: 'unlabelled', description, manifest, images: images.length, labelled };
}

/** Labels are free text typed by a person: quote them so commas and quotes survive the CSV. */
function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
