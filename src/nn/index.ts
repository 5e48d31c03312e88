/** Layers, models' building blocks and initialisation (PyTorch's torch.nn). */
export * from './init.ts';
export * from './layers/activation.ts';
export * from './layers/attention.ts';
export * from './layers/container.ts';
export * from './layers/conv.ts';
export * from './layers/linear.ts';
export * from './layers/norm.ts';
export * from './layers/pool.ts';
export { type ForwardHook, type ForwardPreHook, type HookHandle, type Mode, Module, Parameter, type StateDict, withMode } from './module.ts';
export * from './summary.ts';
