/**
 * Embedding lookup: rows of a weight table picked by int32 indices (backend embeddingForward), with the scatter-add of
 * rows as its backward (embeddingBackward).
 * @example
 *   embedding(tokens, table);   // tokens int32 [B, T], table [vocab, dim] → [B, T, dim]
 */
import { record } from '../autograd/node.ts';
import { backend } from '../backend/index.ts';
import { formatShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { f32, requireFloat, requireInt } from './util.ts';

/** Looks up rows of weight [numEmbeddings, dim] for int32 indices of any shape → [...indices.shape, dim]. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  const idx = requireInt(indices, 'embedding', 'indices');
  requireFloat(weight, 'embedding', 'weight');
  if (weight.rank !== 2) throw new RangeError(`embedding: weight must be [numEmbeddings, dim], got ${formatShape(weight.shape)}`);
  const [num, dim] = weight.shape;
  const out = f32([...indices.shape, dim]);
  const status = new Int32Array(1);
  backend().embeddingForward(weight.f32, num, dim, idx, out.f32, status);
  if (status[0] >= 0) {
    const row = idx[status[0]];
    throw new RangeError(`embedding: index ${row} is out of range for ${num} embeddings (valid: 0..${num - 1})`);
  }
  return record(out, 'embedding', [weight], (g) => {
    const gw = f32(weight.shape);
    backend().embeddingBackward(g.f32, idx, num, dim, gw.f32);
    return [gw];
  });
}
