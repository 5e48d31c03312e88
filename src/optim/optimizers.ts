/**
 * The optimizers: SGD (momentum, Nesterov, weight decay), Adam, AdamW and RMSprop, with PyTorch's update rules.
 * Each runs as one fused in-place backend kernel per parameter (sgdStep, adamStep, rmspropStep).
 * @example
 *   const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 *   opt.zeroGrad(); loss.backward(); opt.step();
 */
import { backend } from '../backend/index.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { Optimizer, type ParamsInput } from './optimizer.ts';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...options });
    for (const g of this.paramGroups) {
      if (g.options.nesterov && (g.options.momentum <= 0 || g.options.dampening !== 0))
        throw new RangeError('SGD: Nesterov momentum needs momentum > 0 and dampening = 0');
    }
  }

  protected update(p: Tensor, grad: Float32Array, o: SGDOptions): void {
    const buf = o.momentum !== 0 ? this.buffer(p, 'momentum') : null;
    backend().sgdStep(p.f32, grad, buf ? buf.data : null, o.lr, o.momentum, o.dampening, o.weightDecay, o.nesterov, buf ? buf.fresh : false);
  }
}

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Adam (Kingma & Ba) with L2 weight decay added to the gradient, as torch.optim.Adam. */
export class Adam extends Optimizer<AdamOptions> {
  protected readonly decoupled: boolean = false;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, ...options });
  }

  protected update(p: Tensor, grad: Float32Array, o: AdamOptions): void {
    const m = this.buffer(p, 'expAvg').data;
    const v = this.buffer(p, 'expAvgSq').data;
    const step = this.scalar(p, 'step') + 1;
    this.setScalar(p, 'step', step);
    backend().adamStep(p.f32, grad, m, v, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, this.decoupled, step);
  }
}

/** AdamW (Loshchilov & Hutter): weight decay applied to the weights directly; PyTorch's default decay is 0.01. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 0.01, ...options });
  }
}

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

/** RMSprop as torch.optim.RMSprop (square average, optional centring and momentum). */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, ...options });
  }

  protected update(p: Tensor, grad: Float32Array, o: RMSpropOptions): void {
    const sq = this.buffer(p, 'squareAvg').data;
    const gAvg = o.centered ? this.buffer(p, 'gradAvg').data : null;
    const mom = o.momentum > 0 ? this.buffer(p, 'momentum').data : null;
    backend().rmspropStep(p.f32, grad, sq, gAvg, mom, o.lr, o.alpha, o.eps, o.weightDecay, o.momentum);
  }
}
