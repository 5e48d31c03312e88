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

/** RMSprop as torch.optim.RMSprop; gradAvg (centered) and momentumBuffer (momentum > 0) are null when unused. */
export function rmspropStep(
  param: F32,
  grad: F32,
  squareAvg: F32,
  gradAvg: F32 | null,
  momentumBuffer: F32 | null,
  lr: number,
  alpha: number,
  eps: number,
  weightDecay: number,
  momentum: number,
): void {
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] + weightDecay * param[i];
    squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * g * g;
    let avg = squareAvg[i];
    if (gradAvg) {
      gradAvg[i] = alpha * gradAvg[i] + (1 - alpha) * g;
      avg -= gradAvg[i] * gradAvg[i];
    }
    const denom = Math.sqrt(avg) + eps;
    if (momentumBuffer) {
      momentumBuffer[i] = momentum * momentumBuffer[i] + g / denom;
      param[i] -= lr * momentumBuffer[i];
    } else param[i] -= (lr * g) / denom;
  }
}

/** out[0] = Σ x[i]², summed in float64. */
export function sumOfSquares(x: F32, out: F32): void {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  out[0] = s;
}
