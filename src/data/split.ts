/**
 * Train / validation / test splits: stratified by class and seeded, recorded as plain JSON (seed, fractions, index
 * lists and a hash) so a run can store its split and a resumed run uses exactly the same one.
 *
 * @example
 *   const split = makeSplit(train, { fractions: { train: 0.9, val: 0.1 }, seed: 7 });
 *   const trainSet = applySplit(train, split, 'train');
 *   const valSet = applySplit(train, split, 'val');
 *   writeFileSync('run/split.json', JSON.stringify(split));
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Dataset, SpecDataset } from './dataset.ts';
import { DataError, describeJsonError } from './errors.ts';
import { generatorFor, permutation } from './seed.ts';
import { SubsetDataset } from './subset.ts';
import { sourceOf } from './trainable.ts';

export type SplitName = 'train' | 'val' | 'test';

export interface SplitOptions {
  /** Fractions of each part; they are normalised, so { train: 9, val: 1 } works too. Default { train: 0.9, val: 0.1 }. */
  fractions?: Partial<Record<SplitName, number>>;
  seed?: number;
  /** Keep class proportions in every part (default true when the dataset has labels). */
  stratify?: boolean;
}

/** A split as stored with a run. */
export interface SplitRecord {
  version: 1;
  seed: number;
  fractions: Partial<Record<SplitName, number>>;
  stratified: boolean;
  /** Length of the dataset it was made for (checked when applied). */
  total: number;
  indices: Partial<Record<SplitName, number[]>>;
  /** sha256 of the index lists, to check a stored split was not altered. */
  hash: string;
}

async function labelsOf(ds: Dataset): Promise<Int32Array> {
  const fast = (ds as SpecDataset).labels;
  if (typeof fast === 'function') return fast.call(ds);
  const out = new Int32Array(ds.length);
  for (let i = 0; i < ds.length; i++) out[i] = (await ds.get(i)).label;
  return out;
}

/** sha256 over the parts' names and indices. */
export function splitHash(indices: Partial<Record<SplitName, number[]>>): string {
  const h = createHash('sha256');
  for (const name of ['train', 'val', 'test'] as const) {
    const list = indices[name];
    if (!list) continue;
    h.update(`${name}:`);
    h.update(new Uint8Array(Int32Array.from(list).buffer));
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Splits the indices 0..n-1 into parts. Stratified: each class is shuffled and cut by the fractions separately (largest
 * remainder, so small classes still reach every part when they can); the parts are then sorted.
 */
export async function makeSplit(ds: Dataset, opts: SplitOptions = {}): Promise<SplitRecord> {
  const fractions = opts.fractions ?? { train: 0.9, val: 0.1 };
  const seed = opts.seed ?? 0;
  const names = (['train', 'val', 'test'] as const).filter((k) => (fractions[k] ?? 0) > 0);
  const sum = names.reduce((s, k) => s + fractions[k]!, 0);
  if (names.length === 0 || !(sum > 0)) throw new RangeError('makeSplit: give at least one positive fraction, e.g. { train: 0.9, val: 0.1 }');
  const labels = await labelsOf(ds);
  const labelled = labels.some((l) => l >= 0);
  const stratified = (opts.stratify ?? true) && labelled;
  const groups = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const key = stratified ? labels[i] : 0;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  const parts: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (const [key, members] of [...groups].sort((a, b) => a[0] - b[0])) {
    const perm = permutation(members.length, generatorFor(seed, key, 0x5917));
    const exact = names.map((k) => (members.length * fractions[k]!) / sum);
    const counts = exact.map(Math.floor);
    let left = members.length - counts.reduce((a, b) => a + b, 0);
    const byRemainder = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (let r = 0; left > 0; r++, left--) counts[byRemainder[r % names.length][1]]++;
    let at = 0;
    names.forEach((k, i) => {
      for (let j = 0; j < counts[i]; j++) parts[k].push(members[perm[at++]]);
    });
  }
  const indices: Partial<Record<SplitName, number[]>> = {};
  for (const k of names) indices[k] = parts[k].sort((a, b) => a - b);
  const empty = names.find((k) => indices[k]!.length === 0);
  if (empty) {
    const where = sourceOf(ds);
    const shares = names.map((k) => `${k} ${((100 * fractions[k]!) / sum).toFixed(1)}%`).join(' / ');
    throw new DataError(
      'split-too-small',
      `splitting the ${ds.length} image${ds.length === 1 ? '' : 's'} of ${where} into ${shares} leaves the ${empty} part empty`,
      ds.length < 2 * names.length
        ? `add images (a run needs at least ${names.length} images${stratified ? ' per class' : ''}, and many more to learn anything)`
        : `choose fractions that leave images in every part (CLI: --val-split between 0.05 and 0.5)`,
      where,
    );
  }
  return { version: 1, seed, fractions: { ...fractions }, stratified, total: ds.length, indices, hash: splitHash(indices) };
}

/** The part `name` of a split as a dataset; checks the record still fits the dataset and was not altered. */
export function applySplit(ds: SpecDataset, record: SplitRecord, name: SplitName): SubsetDataset {
  if (record.total !== ds.length) {
    throw new RangeError(`applySplit: the split was made for ${record.total} samples but the dataset has ${ds.length}; make a new split (the data changed)`);
  }
  if (splitHash(record.indices) !== record.hash) throw new RangeError('applySplit: the split record does not match its hash (it was edited or truncated)');
  const list = record.indices[name];
  if (!list) throw new RangeError(`applySplit: the split has no '${name}' part (it has ${Object.keys(record.indices).join(', ')})`);
  return new SubsetDataset(ds, list);
}

/**
 * Reads a split stored with a run (split.json), checking it is one: valid JSON, version 1, index lists of integers
 * within the recorded total, and an unaltered hash. Every refusal names the file and what to do.
 * @example
 *   const split = readSplitRecord('runs/2026-12-01-cnn/split.json');
 */
export function readSplitRecord(path: string): SplitRecord {
  const fix = 'restore split.json from a backup, or delete it to make a new split (the resumed run then validates on other images)';
  if (!existsSync(path)) throw new DataError('missing-split', `${path} does not exist`, fix, path);
  let raw: unknown;
  const text = readFileSync(path, 'utf8');
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DataError('bad-split', `${path} is not valid JSON: ${describeJsonError(e, text)}`, fix, path);
  }
  const r = raw as Partial<SplitRecord> | null;
  const bad = (what: string) => new DataError('bad-split', `${path} is not a split record: ${what}`, fix, path);
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw bad(`it holds ${JSON.stringify(raw)?.slice(0, 40)}`);
  if (r.version !== 1) throw bad(`version is ${JSON.stringify(r.version)}, expected 1`);
  if (!Number.isSafeInteger(r.total) || (r.total as number) < 0) throw bad(`total is ${JSON.stringify(r.total)}`);
  if (typeof r.indices !== 'object' || r.indices === null) throw bad('it has no index lists');
  for (const [name, list] of Object.entries(r.indices)) {
    if (!['train', 'val', 'test'].includes(name)) throw bad(`unknown part '${name}'`);
    if (!Array.isArray(list) || !list.every((i) => Number.isSafeInteger(i) && i >= 0 && i < (r.total as number)))
      throw bad(`the ${name} indices are not integers from 0 to ${(r.total as number) - 1}`);
  }
  if (typeof r.hash !== 'string' || splitHash(r.indices) !== r.hash) throw bad('its indices do not match its hash (it was edited or cut short)');
  return r as SplitRecord;
}
