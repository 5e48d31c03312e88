/** Per-sample image transforms (CHW float32, seeded) and batch-level mixing. */
export * from './color.ts';
export * from './erase.ts';
export * from './filter.ts';
export * from './geometric.ts';
export * from './image.ts';
export * from './mix.ts';
export * from './spec.ts';
