/**
 * Watching a model's modules during one forward pass: each module's forward is wrapped by an own property (shadowing
 * the class method) and the wrapper is deleted afterwards, the same way nn/summary.ts records output shapes.
 */
import type { Module } from '../nn/module.ts';
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
  const wrapped: Module[] = [];
  let finished = 0;
  for (const [name, mod] of model.namedModules()) {
    if (!watch(name, mod)) continue;
    const original = mod.forward;
    mod.forward = (...xs: Tensor[]) => {
      const output = original.apply(mod, xs);
      calls.push({ name, module: mod, output, finished: finished++ });
      return output;
    };
    wrapped.push(mod);
  }
  try {
    return { result: fn(), calls };
  } finally {
    for (const m of wrapped) delete (m as unknown as Record<string, unknown>).forward;
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

/** Runs fn in eval mode (batch norm uses running statistics, dropout is off) and restores the previous mode. */
export function inEvalMode<T>(model: Module, fn: () => T): T {
  const wasTraining = model.training;
  model.eval();
  try {
    return fn();
  } finally {
    model.train(wasTraining);
  }
}
