/**
 * A Keras-style model summary: every layer with its output shape and parameter count, from one forward pass
 * on zeros of the given input shape (batch of 1, no graph).
 * @example console.log(formatSummary(summary(model, [1, 28, 28])));
 */
import { noGrad } from '../autograd/grad-mode.ts';
import { zeros } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Module } from './module.ts';

export interface LayerSummary {
  name: string;
  type: string;
  outputShape: number[];
  params: number;
}

export interface ModelSummary {
  layers: LayerSummary[];
  totalParams: number;
  trainableParams: number;
  inputShape: number[];
  outputShape: number[];
}

export function summary(model: Module, inputShape: readonly number[]): ModelSummary {
  const layers: LayerSummary[] = [];
  const restore: (() => void)[] = [];
  for (const [name, mod] of model.namedModules()) {
    if (name === '') continue;
    const original = mod.forward;
    const own = mod.namedParameters().filter(([n]) => !n.includes('.'));
    const entry: LayerSummary = { name, type: mod.constructor.name, outputShape: [], params: own.reduce((a, [, p]) => a + p.size, 0) };
    layers.push(entry);
    mod.forward = (...xs: Tensor[]) => {
      const y = original.apply(mod, xs);
      entry.outputShape = [...y.shape];
      return y;
    };
    // The wrapper is an own property shadowing the class's forward; deleting it restores the original.
    restore.push(() => delete (mod as unknown as Record<string, unknown>).forward);
  }
  const wasTraining = model.training;
  model.eval();
  let out: Tensor;
  try {
    out = noGrad(() => model.forward(zeros([1, ...inputShape])));
  } finally {
    for (const r of restore) r();
    model.train(wasTraining);
  }
  const total = model.numParameters();
  return { layers, totalParams: total, trainableParams: total, inputShape: [1, ...inputShape], outputShape: [...out.shape] };
}

export function formatSummary(s: ModelSummary): string {
  const rows = s.layers.map((l) => [`${l.name} (${l.type})`, `[${l.outputShape.join(', ')}]`, l.params.toLocaleString('en-US')]);
  const head = ['Layer (type)', 'Output shape', 'Params'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [
    line(head),
    rule,
    ...rows.map(line),
    rule,
    `Input [${s.inputShape.join(', ')}] → output [${s.outputShape.join(', ')}]`,
    `Total params: ${s.totalParams.toLocaleString('en-US')}`,
  ].join('\n');
}
