/** The shapes the training loop passes around: batches, per-batch and per-epoch reports, and callbacks. */
import type { Tensor } from '../tensor/tensor.ts';
import type { Trainer } from './trainer.ts';

export interface Batch {
  /** Images [N, C, H, W] float32. */
  x: Tensor;
  /** Class indices [N] int32. */
  y: Tensor;
  /** How long the consumer waited for this batch, in ms (reported by the data loader). */
  waitMs?: number;
}

/** Anything that yields the batches of an epoch in a reproducible order, optionally starting part way through. */
export interface BatchSource {
  readonly batchesPerEpoch: number;
  epoch(epoch: number, options?: { startBatch?: number }): AsyncIterable<Batch>;
}

export interface BatchReport {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  globalStep: number;
  loss: number;
  /** Running mean loss and accuracy over the epoch so far. */
  epochLoss: number;
  epochAccuracy: number;
  imagesPerSec: number;
  lr: number;
  waitMs: number;
  stepMs: number;
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  valTopK?: number;
  lr: number;
  imagesPerSec: number;
  /** Mean time per step spent waiting for data, and its share of the step. */
  dataWaitMs: number;
  dataWaitFraction: number;
  stepMs: number;
  seconds: number;
  /** Set when validation says the model is memorising the training set. */
  overfitting?: string;
}

/** Hooks into the loop (Keras-style). Every method is optional; set trainer.stopRequested to end training. */
export interface Callback {
  onFitStart?(trainer: Trainer): void | Promise<void>;
  onEpochStart?(trainer: Trainer, epoch: number): void | Promise<void>;
  onBatchEnd?(trainer: Trainer, report: BatchReport): void | Promise<void>;
  onEpochEnd?(trainer: Trainer, report: EpochReport): void | Promise<void>;
  onFitEnd?(trainer: Trainer, history: EpochReport[]): void | Promise<void>;
  onWarning?(trainer: Trainer, message: string): void;
}
