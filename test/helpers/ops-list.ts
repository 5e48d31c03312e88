/**
 * The ops the engine promises (the list), by family. The harness refuses names not listed here, and
 * scripts/op-table.ts prints one row per entry with what the test run actually checked.
 * `grad: false` marks ops with no gradient (comparisons, argmax/argmin): they get forward tests only.
 */

export type Family = 'elementwise' | 'activation' | 'reduce' | 'shape' | 'matmul' | 'conv' | 'pool' | 'norm' | 'loss' | 'attention';

export interface OpEntry {
  name: string;
  family: Family;
  grad: boolean;
}

const list = (family: Family, names: string, grad = true): OpEntry[] => names.split(/\s+/).map((name) => ({ name, family, grad }));

export const OPS: readonly OpEntry[] = [
  ...list('elementwise', 'add sub mul div pow neg exp log sqrt rsqrt abs clamp where maximum minimum'),
  ...list('elementwise', 'eq ne lt le gt ge', false),
  ...list('activation', 'relu leakyRelu elu gelu silu sigmoid tanh softplus'),
  ...list('reduce', 'sum mean max min var std logsumexp softmax logSoftmax'),
  ...list('reduce', 'argmax argmin', false),
  ...list('shape', 'reshape permute transpose squeeze unsqueeze flatten expand cat stack split chunk slice narrow indexSelect gather scatterAdd pad'),
  ...list('matmul', 'matmul linear linearRelu'),
  ...list('conv', 'conv2d convTranspose2d'),
  ...list('pool', 'maxPool2d avgPool2d adaptiveAvgPool2d upsample'),
  ...list('norm', 'batchNorm layerNorm groupNorm dropout embedding'),
  ...list('loss', 'crossEntropy nllLoss mse l1 smoothL1 binaryCrossEntropy bceWithLogits klDiv'),
  ...list('attention', 'scaledDotProductAttention'),
];

export function opEntry(name: string): OpEntry {
  const e = OPS.find((o) => o.name === name);
  if (!e) throw new Error(`test harness: '${name}' is not in test/helpers/ops-list.ts; add it there so the op table lists it`);
  return e;
}
