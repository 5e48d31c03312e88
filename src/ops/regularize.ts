/**
 * Regularisation: dropout. The mask is drawn from the generator as uniform values (tensor creation) and compared
 * with p by the backend, so the op itself touches no elements.
 * @example
 *   dropout(x, 0.5, model.training);   // zeroes half the elements, scales the rest by 2
 */
import { noGrad } from '../autograd/grad-mode.ts';
import { rand } from '../tensor/creation.ts';
import { defaultGenerator, type Generator } from '../tensor/random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { ge, mul, where } from './elementwise.ts';

/** Zeroes each element with probability p in training and scales the rest by 1/(1−p); identity in evaluation. */
export function dropout(x: Tensor, p = 0.5, training = true, gen: Generator = defaultGenerator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const scale = p === 1 ? 0 : 1 / (1 - p);
  // One uniform draw per element, in element order (the same stream as before the mask moved to the backend).
  const mask = noGrad(() => where(ge(rand(x.shape, 0, 1, gen), p), scale, 0));
  return mul(x, mask);
}
