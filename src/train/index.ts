/** Training: the Trainer, its callbacks, metrics, checkpoints and the run store. */
export * from './callbacks/checkpointer.ts';
export * from './callbacks/early-stopping.ts';
export * from './callbacks/loggers.ts';
export * from './callbacks/progress.ts';
export * from './checkpoint.ts';
export * from './metrics.ts';
export * from './run-store.ts';
export * from './trainer.ts';
export type * from './types.ts';
