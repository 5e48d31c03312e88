/** Optimizers, learning-rate schedules, gradient clipping and the LR finder (PyTorch's torch.optim). */
export * from './clip.ts';
export * from './lr-finder.ts';
export { Optimizer, type OptimizerState, type ParamGroup, type ParamsInput } from './optimizer.ts';
export * from './schedule.ts';
export * from './sgd.ts';
