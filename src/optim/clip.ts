/** Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_. */
import type { Tensor } from '../tensor/tensor.ts';

/**
 * Scales all gradients together so their global L2 norm is at most maxNorm; returns the norm before clipping.
 * @example const norm = clipGradNorm(model.parameters(), 1.0);
 */
export function clipGradNorm(params: Tensor[], maxNorm: number, eps = 1e-6): number {
  let sq = 0;
  for (const p of params) if (p.grad) for (const g of p.grad.f32) sq += g * g;
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + eps);
  if (coef < 1) {
    for (const p of params) {
      if (!p.grad) continue;
      const g = p.grad.f32;
      for (let i = 0; i < g.length; i++) g[i] *= coef;
    }
  }
  return norm;
}

/** Clamps every gradient element to [−clipValue, clipValue]. */
export function clipGradValue(params: Tensor[], clipValue: number): void {
  for (const p of params) {
    if (!p.grad) continue;
    const g = p.grad.f32;
    for (let i = 0; i < g.length; i++) g[i] = Math.min(clipValue, Math.max(-clipValue, g[i]));
  }
}
