/**
 * The data layer: datasets (IDX/Fashion-MNIST, image folders, CSV/JSON manifests, synthetic shapes), seeded
 * transforms, the DataLoader with worker prefetching, splits, and the dataset audit.
 * @example
 *   const train = await loadDataset('fashion-mnist', { split: 'train' });
 *   const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 1 });
 *   for await (const { x, y } of loader.epoch(0)) { ... }
 */
export * from './audit.ts';
export * from './batch.ts';
export * from './class-select.ts';
export * from './dataset.ts';
export * from './errors.ts';
export * from './from-spec.ts';
export * from './idx.ts';
export * from './image-file.ts';
export * from './image-list.ts';
export * from './image-paths.ts';
export * from './load.ts';
export * from './loader.ts';
export * from './preview.ts';
export * from './seed.ts';
export * from './shapes.ts';
export * from './split.ts';
export * from './subset.ts';
export * from './trainable.ts';
export * from './transforms/index.ts';
