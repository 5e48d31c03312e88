/**
 * Rebuilding a dataset from its plain-JSON spec — how worker threads get their own copy of the main thread's dataset.
 * @example
 *   const ds = await datasetFromSpec({ kind: 'shapes', count: 1000, size: 32, seed: 0 });
 *   const copy = await datasetFromSpec(ds.spec); // same samples, same order
 */
import type { DatasetSpec, SpecDataset } from './dataset.ts';
import { IdxDataset } from './idx.ts';
import { openFolder, openManifest } from './image-list.ts';
import { ShapesDataset } from './shapes.ts';
import { SubsetDataset } from './subset.ts';

export async function datasetFromSpec(spec: DatasetSpec): Promise<SpecDataset> {
  switch (spec.kind) {
    case 'idx':
      return new IdxDataset(spec);
    case 'shapes':
      return new ShapesDataset(spec);
    case 'folder':
      return openFolder(spec);
    case 'manifest':
      return openManifest(spec);
    case 'subset':
      return new SubsetDataset(await datasetFromSpec(spec.parent), spec.indices, spec.classes);
    default:
      throw new TypeError(`datasetFromSpec: unknown dataset kind '${(spec as { kind: string }).kind}' (expected idx, shapes, folder, manifest or subset)`);
  }
}
