/**
 * A Keras-style model summary: every layer with its output shape and parameter count, from one forward pass
 * on zeros of the given input shape (batch of 1, no graph).
 * @example console.log(formatSummary(summary(model, [1, 28, 28])));
 */
import { noGrad } from '../autograd/grad-mode.ts';
import { zeros } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { type HookHandle, type Module, withMode } from './module.ts';

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
  const handles: HookHandle[] = [];
  for (const [name, mod] of model.namedModules()) {
    if (name === '') continue;
    const own = mod.namedParameters().filter(([n]) => !n.includes('.'));
    const entry: LayerSummary = { name, type: mod.constructor.name, outputShape: [], params: own.reduce((a, [, p]) => a + p.size, 0) };
    layers.push(entry);
    handles.push(mod.registerForwardHook((_m, _inputs, y) => void (entry.outputShape = [...y.shape])));
  }
  let out: Tensor;
  try {
    out = withMode(model, 'eval', () => noGrad(() => model.forward(zeros([1, ...inputShape]))));
  } finally {
    for (const h of handles) h.remove();
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
