/**
 * Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_. The sums of squares, the scaling and the
 * clamping are backend kernels, in place on each gradient.
 */
import { backend } from '../backend/index.ts';
import type { Tensor } from '../tensor/tensor.ts';

/**
 * Scales all gradients together so their global L2 norm is at most maxNorm; returns the norm before clipping.
 * @example const norm = clipGradNorm(model.parameters(), 1.0);
 */
export function clipGradNorm(params: Tensor[], maxNorm: number, eps = 1e-6): number {
  const grads = params.flatMap((p) => (p.grad ? [p.grad.f32] : []));
  const partial = new Float32Array(1);
  let sq = 0;
  for (const g of grads) {
    backend().sumOfSquares(g, partial);
    sq += partial[0];
  }
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + eps);
  if (coef < 1) for (const g of grads) backend().affine(g, coef, 0, g);
  return norm;
}

/** Clamps every gradient element to [−clipValue, clipValue]. */
export function clipGradValue(params: Tensor[], clipValue: number): void {
  for (const p of params) if (p.grad) backend().clamp(p.grad.f32, -clipValue, clipValue, p.grad.f32);
}
