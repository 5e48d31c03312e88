/**
 * A node of the tape: the op that made a tensor, the tensors it read, and its backward rule.
 * Nodes are made by record() in the ops; backward() in ./backward.ts walks them.
 */
import type { Tensor } from '../tensor/tensor.ts';
import { isGradEnabled } from './grad-mode.ts';

/** Given the gradient of the output, returns one gradient per input (null where an input needs none). */
export type BackwardRule = (gradOutput: Tensor) => (Tensor | null)[];

export class Node {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** null once the graph has been freed by a backward() without retainGraph. */
  rule: BackwardRule | null;
  /** Tensors the rule reads, with their version when saved, so an in-place change afterwards is caught. */
  private saved: { tensor: Tensor; version: number }[];

  constructor(op: string, inputs: readonly Tensor[], rule: BackwardRule, saved: readonly Tensor[]) {
    this.op = op;
    this.inputs = inputs;
    this.rule = rule;
    this.saved = saved.map((tensor) => ({ tensor, version: tensor.version.value }));
  }

  checkSaved(): void {
    for (const { tensor, version } of this.saved) {
      if (tensor.version.value !== version) {
        throw new Error(
          `backward: a tensor of shape [${tensor.shape.join(', ')}] saved by ${this.op} was modified in place after it was used ` +
            `(version ${version} → ${tensor.version.value}). Clone it before changing it, or change it outside the graph.`,
        );
      }
    }
  }

  free(): void {
    this.rule = null;
    this.saved = [];
  }
}

/**
 * Attaches a backward rule to an op's output when any input requires grad and grad mode is on.
 * `saved` lists the tensors the rule will read (inputs or outputs) so in-place changes can be detected.
 * Returns the output for chaining.
 */
export function record(output: Tensor, op: string, inputs: readonly Tensor[], rule: BackwardRule, saved: readonly Tensor[] = []): Tensor {
  if (!isGradEnabled()) return output;
  if (!inputs.some((t) => t.requiresGrad)) return output;
  output.requiresGrad = true;
  output.gradFn = new Node(op, inputs, rule, saved);
  return output;
}

const owned = new WeakSet<Tensor>();

/**
 * Marks a gradient a backward rule has just allocated and will not hold on to (e.g. linear's weight gradient), so
 * backward() may keep it as a leaf's .grad instead of copying it: the copy exists only for gradients that share a
 * buffer with another tensor (a pass-through rule's, a view's). Returns the tensor.
 */
export function ownedGrad(t: Tensor): Tensor {
  owned.add(t);
  return t;
}

/** Whether backward() may store this gradient without a copy (see ownedGrad). */
export function isOwnedGrad(t: Tensor): boolean {
  return owned.has(t);
}

/**
 * Ends a gradient's ownership before it is handed to a non-leaf's rule: a pass-through rule (add's, say) returns the
 * same tensor for several inputs, and two leaves must not share one .grad buffer.
 */
export function disownGrad(t: Tensor): void {
  owned.delete(t);
}
