/**
 * Training, the loop library: the Trainer over a Task, the ClassificationTask, callbacks, metrics, checkpoints and
 * the LR finder. Running a whole recipe (data, zoo model, run folder) is the application in src/runs/.
 */
export * from './callbacks/checkpointer.ts';
export * from './callbacks/early-stopping.ts';
export * from './callbacks/loggers.ts';
export * from './callbacks/progress.ts';
export * from './checkpoint.ts';
export * from './classification.ts';
export * from './lr-finder.ts';
export * from './metrics.ts';
export type * from './task.ts';
export * from './trainer.ts';
export * from './types.ts';
