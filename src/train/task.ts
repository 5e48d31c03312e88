/**
 * Task: what one training step and one evaluation mean, so one Trainer (loop, callbacks, checkpoints, schedules, NaN
 * guard, exact resume) serves a classifier, an autoencoder, a GAN or an RL agent. The Trainer owns the loop; the task
 * owns the maths. Two modes, as in Lightning:
 * - automatic (default): step() returns a loss Tensor with its graph; the Trainer runs zeroGrad, backward, gradient
 *   clipping, optimizer.step() and the per-step schedule.
 * - manual (`optimization: 'manual'`, Lightning's `automatic_optimization = false`): step() drives its own optimizers
 *   (ctx.optimizer, ctx.optimizers, e.g. a GAN's generator and discriminator) and returns the loss as a number; the
 *   Trainer still checks it is finite, steps the schedule, logs, checkpoints and calls the callbacks.
 * @example
 *   const task: Task<{ x: Tensor }> = {
 *     name: 'autoencoder',
 *     step: (model, batch) => ({ loss: mse(model.forward(batch.x), batch.x) }),
 *   };
 *   await new Trainer({ model, optimizer, task }).fit(source, { epochs: 3 });
 */
import type { Module } from '../nn/module.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** Any batch: the task decides its fields (x only, x + y, x + caption, observations + actions + rewards...). */
export type AnyBatch = object & {
  /** How long the consumer waited for this batch, in ms (reported by data loaders; the Trainer logs it). */
  waitMs?: number;
};

/** What the Trainer tells a step about where it is and what it may use. */
export interface StepContext {
  readonly epoch: number;
  readonly batchInEpoch: number;
  readonly globalStep: number;
  /** The Trainer's optimizer: stepped by the Trainer in automatic mode, by the task in manual mode. */
  readonly optimizer: Optimizer<{ lr: number }>;
  /** Further optimizers given to the Trainer by name (checkpointed with it), for manual tasks such as a GAN. */
  readonly optimizers: Readonly<Record<string, Optimizer<{ lr: number }>>>;
  /** The gradient-norm limit the Trainer was given (manual tasks apply it themselves with clipGradNorm). */
  readonly clipGradNorm?: number;
  /** Reports a warning through the callbacks (the progress bar, the metrics log). */
  warn(message: string): void;
}

export interface StepResult {
  /** Automatic mode: the loss Tensor (scalar, with its graph). Manual mode: its value (a number or a scalar Tensor). */
  loss: Tensor | number;
  /** Batch means of further scalars (e.g. { accuracy: 0.9 }); the Trainer averages them over the epoch, weighted by count. */
  metrics?: Record<string, number>;
  /** Examples in the batch (weights the epoch means, gives examples/s); default batch.x.shape[0], else 1. */
  count?: number;
}

export interface EvalContext {
  /** The epoch just trained (for tasks whose evaluation depends on it), or the Trainer's epoch count. */
  readonly epoch: number;
  warn(message: string): void;
}

/** The result of evaluate(): named scalars plus whatever task-specific detail the task wants to return. */
export interface EvalReport {
  /** Mean loss over the source (what early stopping and best checkpoints monitor as valLoss). */
  loss: number;
  /** Named scalars (e.g. { accuracy, topK }); they reach the epoch report as val<Name> (valAccuracy, valTopK). */
  metrics: Record<string, number>;
  /** Examples evaluated. */
  count: number;
}

/** Extra state a task puts into every checkpoint (EMA weights, a replay buffer's RNG, a running statistic). */
export interface TaskState {
  /** JSON-serialisable values (stored in the checkpoint's metadata). */
  json?: Record<string, unknown>;
  /** Named tensors (stored in the checkpoint's file as task.<name>). */
  tensors?: Map<string, Tensor>;
}

/** Anything that yields the batches of an epoch in a reproducible order, optionally starting part way through. */
export interface TaskSource<B extends AnyBatch> {
  readonly batchesPerEpoch: number;
  epoch(epoch: number, options?: { startBatch?: number }): AsyncIterable<B>;
}

export interface Task<B extends AnyBatch = AnyBatch, R extends EvalReport = EvalReport> {
  /** Shown in logs and stored in checkpoints (a checkpoint restored into a different task is refused). */
  readonly name: string;
  /** 'automatic' unless set: see the file header. */
  readonly optimization?: 'automatic' | 'manual';
  /**
   * False when a rising validation loss does not mean overfitting (a GAN's adversarial losses rise and fall as its two
   * networks compete), so the Trainer does not warn about it. Default true.
   */
  readonly lossTracksFit?: boolean;
  /** One training step on one batch; the model is in training mode. */
  step(model: Module, batch: B, ctx: StepContext): StepResult;
  /**
   * Evaluation over a whole source; the Trainer calls it in eval mode, and the task decides whether to run without
   * a graph (noGrad). Without it, an automatic task is evaluated by running step() under noGrad and averaging the
   * loss and metrics (no backward, no optimizer step).
   */
  evaluate?(model: Module, source: TaskSource<B>, ctx: EvalContext): Promise<R>;
  /** Extra checkpoint state; loadState receives exactly what stateDict returned. */
  stateDict?(): TaskState;
  loadStateDict?(state: TaskState): void;
}
