/**
 * Whether a dataset can train a classifier, checked before a run starts (and before its run folder exists): it has
 * images, every image has a label, and there are at least two classes. Degenerate data is refused with what to do,
 * instead of training silently to a meaningless "100% accuracy" or failing deep in the loss with "target -1".
 * @example
 *   const train = await loadDataset('data/pets');
 *   checkTrainable(train); // throws a DataError for loose images, one class, or none
 */
import type { Dataset, DatasetSpec, SpecDataset } from './dataset.ts';
import { DataError } from './errors.ts';

/** The file or folder a dataset comes from (through subsets), or a short description for built-ins. */
export function sourceOf(ds: Dataset): string {
  let spec: DatasetSpec | undefined = (ds as SpecDataset).spec;
  while (spec?.kind === 'subset') spec = spec.parent;
  if (!spec) return 'the dataset';
  switch (spec.kind) {
    case 'folder':
      return spec.root;
    case 'manifest':
      return spec.file;
    case 'idx':
      return spec.dir;
    case 'shapes':
      return `the shapes dataset (${spec.count} images)`;
    default:
      return 'the dataset';
  }
}

function labelsOf(ds: Dataset): Int32Array | null {
  const fast = (ds as SpecDataset).labels;
  try {
    return typeof fast === 'function' ? fast.call(ds) : null;
  } catch {
    return null; // a subset of a dataset that cannot list its labels
  }
}

/**
 * Throws a DataError naming the dataset when it cannot train a classifier: no images; images without labels (a folder
 * of loose images, an unlabelled manifest); fewer than two classes among its labels.
 */
export function checkTrainable(ds: Dataset): void {
  const where = sourceOf(ds);
  if (ds.length === 0) throw new DataError('empty-dataset', `${where} has no images to train on`, 'add images, or check the path and split', where);
  let root: DatasetSpec | undefined = (ds as SpecDataset).spec;
  while (root?.kind === 'subset') root = root.parent;
  const labels = labelsOf(ds);
  const unlabelled = labels ? labels.findIndex((l) => l < 0) : -1;
  if ((root?.kind === 'folder' && root.labelled === false) || unlabelled >= 0 || ds.classes.length === 0) {
    throw new DataError(
      'unlabelled',
      root?.kind === 'folder'
        ? `${where} holds loose images with no class subfolders, so they have no labels to learn from`
        : `${where} has images without labels, so there is nothing to learn from`,
      'put images in one subfolder per class (e.g. cat/1.jpg, dog/2.jpg), or label them on the Data page / with a manifest (path,label)',
      where,
    );
  }
  const present = labels ? new Set(labels).size : ds.classes.length;
  if (ds.classes.length < 2 || present < 2) {
    const only = labels && labels.length > 0 ? ds.classes[labels[0]] : ds.classes[0];
    throw new DataError(
      'one-class',
      `${where} has a single class ('${only}'); a classifier needs at least two (with one, every prediction is right and nothing is learned)`,
      'add images of at least one more class (another subfolder, or more labels in the manifest)',
      where,
    );
  }
}
