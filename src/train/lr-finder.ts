/**
 * The LR range test (Leslie Smith; fastai's lr_find): train for a few batches while raising the learning rate
 * exponentially, record the smoothed loss, stop when it diverges, and suggest the rate where the loss fell fastest.
 * The model and optimizer are restored afterwards, so the test leaves no trace.
 * @example
 *   const { suggestion } = await lrFind({ model, optimizer, batches: loader.epoch(0), loss: (out, y) => crossEntropy(out, y) });
 */
import { backward } from '../autograd/backward.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Optimizer } from '../optim/optimizer.ts';

interface Trainable {
  forward(x: Tensor): Tensor;
  stateDict(): Map<string, Tensor>;
  loadStateDict(s: Map<string, Tensor>): unknown;
  train(mode?: boolean): unknown;
}

export interface LrFindOptions {
  model: Trainable;
  optimizer: Optimizer<{ lr: number }>;
  batches: AsyncIterable<{ x: Tensor; y: Tensor }> | Iterable<{ x: Tensor; y: Tensor }>;
  loss: (output: Tensor, target: Tensor) => Tensor;
  startLr?: number;
  endLr?: number;
  numIter?: number;
  /** Exponential smoothing of the recorded loss. */
  beta?: number;
  /** Stop once the smoothed loss exceeds this multiple of the best. */
  divergeFactor?: number;
}

export interface LrFindResult {
  lrs: number[];
  losses: number[];
  /** The rate at the steepest descent of the smoothed loss. */
  suggestion: number;
}

export async function lrFind(o: LrFindOptions): Promise<LrFindResult> {
  const startLr = o.startLr ?? 1e-7;
  const endLr = o.endLr ?? 10;
  const numIter = o.numIter ?? 100;
  const beta = o.beta ?? 0.98;
  const diverge = o.divergeFactor ?? 4;
  const saved = new Map([...o.model.stateDict()].map(([k, v]) => [k, v.clone()]));
  const savedOpt = o.optimizer.stateDict();
  const factor = (endLr / startLr) ** (1 / Math.max(1, numIter - 1));
  const lrs: number[] = [];
  const losses: number[] = [];
  let avg = 0;
  let best = Number.POSITIVE_INFINITY;
  let i = 0;
  o.model.train(true);
  try {
    for await (const { x, y } of o.batches as AsyncIterable<{ x: Tensor; y: Tensor }>) {
      if (i >= numIter) break;
      const lr = startLr * factor ** i;
      o.optimizer.lr = lr;
      o.optimizer.zeroGrad();
      const loss = o.loss(o.model.forward(x), y);
      const value = loss.item();
      if (!Number.isFinite(value)) break;
      backward(loss);
      o.optimizer.step();
      avg = beta * avg + (1 - beta) * value;
      const smoothed = avg / (1 - beta ** (i + 1));
      lrs.push(lr);
      losses.push(smoothed);
      if (smoothed < best) best = smoothed;
      i++;
      if (smoothed > diverge * best) break;
    }
  } finally {
    o.model.loadStateDict(saved);
    o.optimizer.loadStateDict(savedOpt);
  }
  if (lrs.length < 3) throw new Error(`lrFind: only ${lrs.length} batches ran; give it more data (numIter = ${numIter})`);
  // Steepest descent in log-lr space, ignoring the noisy ends.
  let bestIdx = 1;
  let bestSlope = Number.POSITIVE_INFINITY;
  for (let k = 1; k < losses.length - 1; k++) {
    const slope = (losses[k + 1] - losses[k - 1]) / (Math.log(lrs[k + 1]) - Math.log(lrs[k - 1]));
    if (slope < bestSlope) {
      bestSlope = slope;
      bestIdx = k;
    }
  }
  return { lrs, losses, suggestion: lrs[bestIdx] };
}
