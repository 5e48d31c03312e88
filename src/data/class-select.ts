/**
 * Some classes of a labelled dataset, and N labelled images of each — "learn classes 5–9 from 100 images per class":
 * the class list as a user writes it (`5,6,7,8,9`, `0-4`, `Sandal,Sneaker`), and the subset it selects (labels
 * renumbered 0..k-1 in the list's order, the class names kept).
 * @example
 *   parseClassList('0-2,Bag', fashion.classes); // [0, 1, 2, 8]
 *   const few = selectClasses(fashion, { classes: [5, 6, 7, 8, 9], perClass: 100 }); // the first 100 of each, labels 0..4
 */
import type { SpecDataset } from './dataset.ts';
import { DataError } from './errors.ts';
import { generatorFor, permutation } from './seed.ts';
import { SubsetDataset } from './subset.ts';

/** The items of a class list (comma-separated, spaces around them ignored). */
function itemsOf(text: string): string[] {
  return text.split(',').map((s) => s.trim());
}

/** The problem with a class list's form before the dataset is known (an empty item), or null. */
export function classListProblem(text: string, label = 'classes'): string | null {
  if (text.trim() === '') return null;
  const items = itemsOf(text);
  const empty = items.findIndex((s) => s === '');
  return empty >= 0
    ? `${label} '${text}' has an empty item (number ${empty + 1}); give class names or indices separated by commas, e.g. 5,6,7 or 0-4 or Sandal,Bag`
    : null;
}

/** "0 T-shirt/top, 1 Trouser, …": the classes a list may name. */
function classMenu(classes: readonly string[]): string {
  return classes.map((c, i) => `${i} ${c}`).join(', ');
}

/**
 * The class indices a list names, in its order. An item is a class name (case-insensitive; tried first, so a name
 * like 'T-shirt/top' or '3' means that class), an index, or a range of indices `a-b`. Unknown names, indices out of
 * range and repeats are refused with the dataset's classes listed.
 */
export function parseClassList(text: string, classes: readonly string[], what = 'the dataset', label = 'classes'): number[] {
  const syntax = classListProblem(text, label);
  if (syntax) throw new DataError('bad-classes', syntax, `its classes are: ${classMenu(classes)}`);
  const byName = new Map(classes.map((c, i) => [c.toLowerCase(), i]));
  const out: number[] = [];
  const refuse = (problem: string): never => {
    throw new DataError('bad-classes', `${label}: ${problem}`, `name classes of ${what} by name or index; its classes are: ${classMenu(classes)}`);
  };
  const index = (s: string, item: string): number => {
    const i = Number(s);
    if (i >= classes.length) refuse(`class index ${i} in '${item}' is out of range: ${what} has ${classes.length} classes (0..${classes.length - 1})`);
    return i;
  };
  for (const item of itemsOf(text)) {
    const named = byName.get(item.toLowerCase());
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(item);
    let picked: number[];
    if (named !== undefined) picked = [named];
    else if (/^\d+$/.test(item)) picked = [index(item, item)];
    else if (range) {
      const [a, b] = [index(range[1], item), index(range[2], item)];
      if (a > b) refuse(`the range '${item}' runs backwards; write it ${b}-${a}`);
      picked = Array.from({ length: b - a + 1 }, (_, k) => a + k);
    } else picked = refuse(`there is no class '${item}' in ${what}`);
    for (const c of picked) {
      if (out.includes(c)) refuse(`class ${c} (${classes[c]}) is named twice`);
      out.push(c);
    }
  }
  return out;
}

/**
 * Indices (ascending) of the samples whose label is in `keep`, at most `perClass` of each (undefined: all): the first
 * ones in the dataset's order, or with a seed the first of a seeded permutation. Also the count found per kept class.
 */
export function pickPerClass(
  labels: Int32Array,
  keep: readonly number[],
  perClass?: number,
  seed?: number,
): { indices: Int32Array; available: Map<number, number> } {
  const wanted = new Set(keep);
  const order = seed !== undefined && perClass !== undefined ? permutation(labels.length, generatorFor(seed, 0xc1a5)) : null;
  const available = new Map(keep.map((c) => [c, 0]));
  const picked: number[] = [];
  for (let k = 0; k < labels.length; k++) {
    const i = order ? order[k] : k;
    const y = labels[i];
    if (!wanted.has(y)) continue;
    const n = available.get(y)!;
    available.set(y, n + 1);
    if (perClass === undefined || n < perClass) picked.push(i);
  }
  if (order) picked.sort((a, b) => a - b);
  return { indices: Int32Array.from(picked), available };
}

export interface SelectClassesOptions {
  /** Parent class indices to keep, in the order of the new labels (default: all). */
  classes?: readonly number[];
  /** Exactly this many images of every kept class, the first ones in the dataset's order (default: all). */
  perClass?: number;
  /** How messages name the dataset and its split ("fashion-mnist's train split"). */
  what?: string;
}

/**
 * The subset of a labelled dataset with some classes (renumbered, names kept) and N images of each. A class with
 * fewer than N images is refused, naming it and how many it has.
 */
export function selectClasses(ds: SpecDataset, o: SelectClassesOptions): SubsetDataset {
  const what = o.what ?? 'the dataset';
  if (!ds.labels)
    throw new DataError('unlabelled', `${what} cannot list its labels, so its classes cannot be selected`, 'select classes of a labelled dataset');
  const keep = o.classes ?? ds.classes.map((_, i) => i);
  const { indices, available } = pickPerClass(ds.labels(), keep, o.perClass);
  if (o.perClass !== undefined) {
    const short = keep.filter((c) => available.get(c)! < o.perClass!);
    if (short.length)
      throw new DataError(
        'too-few-images',
        `per-class ${o.perClass} is more than ${what} has of ${short.map((c) => `'${ds.classes[c]}' (${available.get(c)})`).join(', ')}`,
        `ask for at most ${Math.min(...short.map((c) => available.get(c)!))} images per class`,
      );
  }
  return new SubsetDataset(ds, indices, o.classes ? keep : undefined);
}
