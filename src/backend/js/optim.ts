/** Reference optimizer updates, in place, following PyTorch's documented update rules. */
import type { F32 } from '../backend.ts';

export function sgdStep(
  param: F32,
  grad: F32,
  buf: F32 | null,
  lr: number,
  momentum: number,
  dampening: number,
  weightDecay: number,
  nesterov: boolean,
  firstStep: boolean,
): void {
  for (let i = 0; i < param.length; i++) {
    let g = grad[i] + weightDecay * param[i];
    if (buf !== null && momentum !== 0) {
      const b = firstStep ? g : momentum * buf[i] + (1 - dampening) * g;
      buf[i] = b;
      g = nesterov ? g + momentum * b : b;
    }
    param[i] -= lr * g;
  }
}

export function adamStep(
  param: F32,
  grad: F32,
  m: F32,
  v: F32,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  decoupled: boolean,
  step: number,
): void {
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  const stepSize = lr / bc1;
  const sqrtBc2 = Math.sqrt(bc2);
  for (let i = 0; i < param.length; i++) {
    let g = grad[i];
    if (decoupled) param[i] -= lr * weightDecay * param[i];
    else g += weightDecay * param[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    param[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + eps);
  }
}
