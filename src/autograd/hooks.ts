/**
 * Gradient hooks: a function called on a leaf tensor (a parameter) right after backward() has added this pass's
 * gradient into its .grad, like PyTorch's register_post_accumulate_grad_hook. Data-parallel training uses it to start
 * averaging a bucket of gradients across processes while backward is still computing the rest
 * (src/distributed/ddp.ts).
 * @example
 *   const handle = registerPostAccumulateGradHook(weight, (p) => console.log('grad ready', p.grad!.shape));
 *   loss.backward();
 *   handle.remove();
 */
import type { Tensor } from '../tensor/tensor.ts';

export type PostAccumulateGradHook = (leaf: Tensor) => void;

const hooks = new WeakMap<Tensor, PostAccumulateGradHook[]>();

/** Calls `hook(leaf)` after every backward() that accumulates into `leaf.grad`. Returns a handle that removes it. */
export function registerPostAccumulateGradHook(leaf: Tensor, hook: PostAccumulateGradHook): { remove(): void } {
  if (leaf.gradFn !== null && leaf.gradFn !== undefined)
    throw new Error('registerPostAccumulateGradHook: the tensor is not a leaf (it was computed by an op); register the hook on a parameter');
  const list = hooks.get(leaf) ?? [];
  list.push(hook);
  hooks.set(leaf, list);
  return {
    remove() {
      const l = hooks.get(leaf);
      const i = l?.indexOf(hook) ?? -1;
      if (l && i >= 0) l.splice(i, 1);
    },
  };
}

/** Runs a leaf's hooks (backward() calls this once per leaf, after its gradient for this pass is complete). */
export function runPostAccumulateGradHooks(leaf: Tensor): void {
  const list = hooks.get(leaf);
  if (list) for (const h of [...list]) h(leaf);
}
