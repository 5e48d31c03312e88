/** Optimizers, learning-rate schedules and gradient clipping (PyTorch's torch.optim). The LR finder is a training loop: src/train/lr-finder.ts. */
export * from './clip.ts';
export { Optimizer, type OptimizerState, type ParamGroup, type ParamsInput } from './optimizer.ts';
export * from './schedule.ts';
export * from './optimizers.ts';
