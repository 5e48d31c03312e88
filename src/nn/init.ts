/**
 * Weight initialisation, matching PyTorch's torch.nn.init (and its layer defaults) so the same recipe trains the same way.
 * Each function fills a tensor in place from the given generator and returns it.
 * @example kaimingNormal_(conv.weight, { mode: 'fanOut', nonlinearity: 'relu' });
 */
import { defaultGenerator, type Generator } from '../tensor/random.ts';
import { formatShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** fan_in and fan_out as PyTorch computes them: dim 1 and dim 0 times the receptive field size. */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.rank < 2) throw new RangeError(`init: fan in/out needs a tensor with at least 2 dimensions, got ${formatShape(t.shape)}`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

export type Nonlinearity = 'linear' | 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function gain(nonlinearity: Nonlinearity, param = 0.01): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu':
      return Math.sqrt(2 / (1 + param * param));
  }
}

function fill(t: Tensor, f: () => number): Tensor {
  const d = t.f32;
  for (let i = 0; i < d.length; i++) d[i] = f();
  t.bumpVersion();
  return t;
}

export function uniform_(t: Tensor, low = 0, high = 1, gen: Generator = defaultGenerator): Tensor {
  return fill(t, () => low + (high - low) * gen.uniform());
}

export function normal_(t: Tensor, mean = 0, std = 1, gen: Generator = defaultGenerator): Tensor {
  return fill(t, () => mean + std * gen.normal());
}

export function constant_(t: Tensor, value: number): Tensor {
  t.f32.fill(value);
  t.bumpVersion();
  return t;
}

export const zeros_ = (t: Tensor) => constant_(t, 0);
export const ones_ = (t: Tensor) => constant_(t, 1);

export interface KaimingOptions {
  /** Negative slope of the leaky ReLU after this layer (PyTorch's `a`). */
  a?: number;
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: Nonlinearity;
  gen?: Generator;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const { fanIn, fanOut } = fans(t);
  const g = gain(o.nonlinearity ?? 'leakyRelu', o.a ?? 0);
  return g / Math.sqrt(o.mode === 'fanOut' ? fanOut : fanIn);
}

export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, o);
  return uniform_(t, -bound, bound, o.gen);
}

export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, o), o.gen);
}

export function xavierUniform_(t: Tensor, g = 1, gen: Generator = defaultGenerator): Tensor {
  const { fanIn, fanOut } = fans(t);
  const bound = g * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, gen);
}

export function xavierNormal_(t: Tensor, g = 1, gen: Generator = defaultGenerator): Tensor {
  const { fanIn, fanOut } = fans(t);
  return normal_(t, 0, g * Math.sqrt(2 / (fanIn + fanOut)), gen);
}

/**
 * PyTorch's default for Linear and Conv layers: kaiming_uniform(a = √5) on the weight, which is U(±1/√fanIn),
 * and U(±1/√fanIn) on the bias.
 */
export function defaultLayerInit(weight: Tensor, bias: Tensor | null, gen: Generator = defaultGenerator): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), gen });
  if (bias) {
    const { fanIn } = fans(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound, gen);
  }
}
