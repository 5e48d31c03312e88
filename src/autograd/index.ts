/** The tape: record() in ops, backward() here, noGrad() to switch recording off. Installs tensor.backward(). */
import { Tensor } from '../tensor/tensor.ts';
import { type BackwardOptions, backward } from './backward.ts';

export { type BackwardOptions, backward, grad } from './backward.ts';
export { type PostAccumulateGradHook, registerPostAccumulateGradHook } from './hooks.ts';
export { isGradEnabled, noGrad, setGradEnabled } from './grad-mode.ts';
export { type BackwardRule, Node, record } from './node.ts';

declare module '../tensor/tensor.ts' {
  interface Tensor {
    /**
     * Backpropagates from this tensor: adds d(this)/d(leaf) into every leaf's .grad.
     * @example const loss = mse(model.forward(x), y); loss.backward();
     */
    backward(gradient?: Tensor, options?: BackwardOptions): void;
    /** Sets .grad to null (what optimizer.zeroGrad() does per parameter). */
    zeroGrad(): void;
  }
}

Tensor.prototype.backward = function (this: Tensor, gradient?: Tensor, options?: BackwardOptions): void {
  backward(this, gradient, options);
};

Tensor.prototype.zeroGrad = function (this: Tensor): void {
  this.grad = null;
};
