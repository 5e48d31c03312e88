/**
 * Watching a model's modules during one forward pass (through Module.registerForwardHook, removed afterwards), and
 * running explanations with the parameters frozen and the model in eval mode.
 */
import { type HookHandle, type Module, withMode } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';

export interface ModuleCall {
  name: string;
  module: Module;
  output: Tensor;
  /** Order in which forward() returned (a block finishes after the layers inside it). */
  finished: number;
}

/** Runs fn while recording the output of every module for which `watch` is true; returns fn's result and the calls. */
export function recordOutputs<T>(model: Module, watch: (name: string, m: Module) => boolean, fn: () => T): { result: T; calls: ModuleCall[] } {
  const calls: ModuleCall[] = [];
  const handles: HookHandle[] = [];
  let finished = 0;
  for (const [name, mod] of model.namedModules()) {
    if (!watch(name, mod)) continue;
    handles.push(mod.registerForwardHook((_m, _inputs, output) => void calls.push({ name, module: mod, output, finished: finished++ })));
  }
  try {
    return { result: fn(), calls };
  } finally {
    for (const h of handles) h.remove();
  }
}

/** Runs fn with every parameter's requiresGrad switched off, so explanations never touch the model's .grad. */
export function withFrozenParameters<T>(model: Module, fn: () => T): T {
  const params = model.parameters();
  const saved = params.map((p) => p.requiresGrad);
  for (const p of params) p.requiresGrad = false;
  try {
    return fn();
  } finally {
    params.forEach((p, i) => {
      p.requiresGrad = saved[i];
    });
  }
}

/** Runs fn in eval mode (batch norm uses running statistics, dropout is off) and restores each module's mode. */
export function inEvalMode<T>(model: Module, fn: () => T): T {
  return withMode(model, 'eval', fn);
}
