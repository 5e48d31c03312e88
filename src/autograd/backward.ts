/**
 * Reverse-mode differentiation: walk the graph from a tensor back to its leaves in reverse topological order,
 * call each node's backward rule once with the summed gradient of its output, and add leaf gradients into .grad.
 */
import { backend } from '../backend/index.ts';
import { PROFILE, span } from '../profile/profiler.ts';
import { Tensor } from '../tensor/tensor.ts';
import { noGrad } from './grad-mode.ts';
import { runPostAccumulateGradHooks } from './hooks.ts';
import { disownGrad, isOwnedGrad, Node, ownedGrad } from './node.ts';

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (costs memory). */
  retainGraph?: boolean;
}

/** Tensors reachable from root through gradFn links, inputs before the tensors made from them. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: deep nets make graphs far deeper than the JS call stack.
  const stack: { t: Tensor; expanded: boolean }[] = [{ t: root, expanded: false }];
  while (stack.length > 0) {
    const top = stack.pop() as { t: Tensor; expanded: boolean };
    if (top.expanded) {
      order.push(top.t);
      continue;
    }
    if (visited.has(top.t)) continue;
    visited.add(top.t);
    stack.push({ t: top.t, expanded: true });
    const node = top.t.gradFn;
    if (node instanceof Node) for (const input of node.inputs) if (input.requiresGrad && !visited.has(input)) stack.push({ t: input, expanded: false });
  }
  return order;
}

/** The sum of two gradients of one tensor, in a new buffer (either may share its buffer with another tensor). */
function accumulate(into: Tensor | undefined, g: Tensor): Tensor {
  if (into === undefined) return g;
  const out = new Float32Array(into.size);
  backend().binary('add', into.f32, into.shape, g.f32, g.shape, out, into.shape);
  return ownedGrad(new Tensor(out, into.shape));
}

/**
 * Computes gradients of `root` with respect to every leaf that requires grad, adding them into each leaf's .grad.
 * A non-scalar root needs an explicit `gradient` of its own shape (the vector in the vector–Jacobian product).
 */
export function backward(root: Tensor, gradient?: Tensor, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error(
      'backward: this tensor does not require grad and has no gradFn. Mark an input with requiresGrad_() (or use a module parameter) before computing it.',
    );
  }
  let seed: Tensor;
  if (gradient === undefined) {
    if (root.size !== 1) {
      throw new Error(
        `backward: gradient can be implied only for a one-element output, this one has shape [${root.shape.join(', ')}]; ` +
          'pass backward(gradient) with a tensor of that shape, or reduce the output first (e.g. .sum() or .mean()).',
      );
    }
    seed = new Tensor(new Float32Array(1).fill(1), root.shape);
  } else {
    if (gradient.shape.join() !== root.shape.join()) {
      throw new RangeError(`backward: gradient has shape [${gradient.shape.join(', ')}] but the output has shape [${root.shape.join(', ')}]`);
    }
    seed = gradient.dtype === 'float32' ? gradient : gradient.to('float32');
  }

  span('phase', 'backward', 'backward', () => backwardFrom(root, seed, options, PROFILE.on));
}

function backwardFrom(root: Tensor, seed: Tensor, options: BackwardOptions, profiling: boolean): void {
  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t); // free memory as we go: each gradient is needed once
      const node = t.gradFn;
      if (!(node instanceof Node)) {
        // An owned gradient (a rule's fresh buffer, see ownedGrad) is kept as it is; any other may alias a tensor.
        t.grad = t.grad === null ? (isOwnedGrad(g) ? g : g.clone()) : accumulate(t.grad, g);
        // Every path to a leaf is done before it comes up in the order, so its gradient for this pass is final here.
        runPostAccumulateGradHooks(t);
        continue;
      }
      disownGrad(g);
      if (t.retainsGrad) t.grad = t.grad === null ? g.clone() : accumulate(t.grad, g);
      if (node.rule === null) {
        throw new Error(
          `backward: the graph through ${node.op} was already freed by an earlier backward(). ` +
            'Call backward({ retainGraph: true }) the first time if you need to run backward through it twice.',
        );
      }
      node.checkSaved();
      const inputGrads = profiling ? span('op', `${node.op}.backward`, undefined, () => node.rule!(g)) : node.rule(g);
      node.inputs.forEach((input, k) => {
        const gi = inputGrads[k];
        if (!input.requiresGrad || gi === null || gi === undefined) return;
        if (gi.shape.join() !== input.shape.join()) {
          throw new Error(`internal: ${node.op} backward gave a gradient of shape [${gi.shape.join(', ')}] for an input of shape [${input.shape.join(', ')}]`);
        }
        grads.set(input, accumulate(grads.get(input), gi));
      });
    }
    if (!options.retainGraph) for (const t of order) if (t.gradFn instanceof Node) t.gradFn.free();
  });
}

/**
 * Gradients of `output` with respect to `inputs`, returned instead of accumulated into .grad (like torch.autograd.grad).
 */
export function grad(output: Tensor, inputs: readonly Tensor[], gradient?: Tensor, options: BackwardOptions = {}): Tensor[] {
  inputs.forEach((t, i) => {
    if (!t.requiresGrad)
      throw new Error(`grad: input ${i} (shape [${t.shape.join(', ')}]) does not require grad, so it has no gradient; call requiresGrad_() on it first`);
  });
  const savedGrads = inputs.map((t) => t.grad);
  const savedRetain = inputs.map((t) => t.retainsGrad);
  for (const t of inputs) {
    t.grad = null;
    t.retainsGrad = true;
  }
  try {
    backward(output, gradient, options);
    return inputs.map((t) => t.grad ?? new Tensor(new Float32Array(t.size), t.shape));
  } finally {
    inputs.forEach((t, i) => {
      t.grad = savedGrads[i];
      t.retainsGrad = savedRetain[i];
    });
  }
}
