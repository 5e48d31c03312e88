/**
 * The shapes the training loop passes around: batches, per-batch and per-epoch reports, callbacks, and the narrow
 * view of the Trainer that callbacks see (so this file needs nothing from trainer.ts).
 */
import type { Module } from '../nn/module.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { AnyBatch, TaskSource } from './task.ts';

/** A classification batch (what the data loaders yield). */
export interface Batch {
  /** How long the consumer waited for this batch, in ms (reported by the data loader). */
  waitMs?: number;
  /** Images [N, C, H, W] float32. */
  x: Tensor;
  /** Class indices [N] int32. */
  y: Tensor;
}

/** Anything that yields the batches of an epoch in a reproducible order, optionally starting part way through. */
export type BatchSource<B extends AnyBatch = Batch> = TaskSource<B>;

export interface BatchReport {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  globalStep: number;
  loss: number;
  /** Running mean loss over the epoch so far. */
  epochLoss: number;
  /** Running means of the task's step metrics over the epoch so far. */
  epochMetrics: Record<string, number>;
  /** The running mean of the metric 'accuracy', when the task reports it (classification). */
  epochAccuracy?: number;
  /** Examples per second over this batch (images for image tasks). */
  imagesPerSec: number;
  lr: number;
  waitMs: number;
  stepMs: number;
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  /** Means of the task's step metrics over the epoch. */
  trainMetrics: Record<string, number>;
  valLoss?: number;
  /** The task's evaluation scalars on the validation source. */
  valMetrics?: Record<string, number>;
  /** Each metric is also flattened as train<Name> / val<Name>; a classification task gives these three. */
  trainAccuracy?: number;
  valAccuracy?: number;
  valTopK?: number;
  lr: number;
  /** Examples per second (images for image tasks). */
  imagesPerSec: number;
  /** Mean time per step spent waiting for data, and its share of the step. */
  dataWaitMs: number;
  dataWaitFraction: number;
  stepMs: number;
  seconds: number;
  /** Set when validation says the model is memorising the training set. */
  overfitting?: string;
  /** Flattened metrics of any task (trainReconstruction, valKl, ...). */
  [metric: `train${string}` | `val${string}`]: number | Record<string, number> | undefined;
}

/** The best value so far of the monitored metric (kept in checkpoints). */
export interface BestRecord {
  metric: string;
  value: number;
  epoch: number;
}

/** What a callback may read and change on the Trainer. */
export interface TrainerView {
  readonly model: Module;
  readonly optimizer: Optimizer<{ lr: number }>;
  readonly epoch: number;
  readonly batchInEpoch: number;
  readonly globalStep: number;
  readonly history: readonly EpochReport[];
  best: BestRecord | undefined;
  /** Set to end fit() after the current batch. */
  stopRequested: boolean;
  warn(message: string): void;
  /** Writes a resumable checkpoint of everything (model, optimizers, schedule, RNG, task state, loop position). */
  saveCheckpoint(path: string): void;
}

/** Hooks into the loop (Keras-style). Every method is optional; set trainer.stopRequested to end training. */
export interface Callback {
  onFitStart?(trainer: TrainerView): void | Promise<void>;
  onEpochStart?(trainer: TrainerView, epoch: number): void | Promise<void>;
  onBatchEnd?(trainer: TrainerView, report: BatchReport): void | Promise<void>;
  onEpochEnd?(trainer: TrainerView, report: EpochReport): void | Promise<void>;
  onFitEnd?(trainer: TrainerView, history: EpochReport[]): void | Promise<void>;
  onWarning?(trainer: TrainerView, message: string): void;
}

/** Reads a metric by its report key ('valLoss', 'valAccuracy', 'trainReconstruction', ...), if it is a number. */
export function reportMetric(report: EpochReport, key: string): number | undefined {
  const v = (report as unknown as Record<string, unknown>)[key];
  return typeof v === 'number' ? v : undefined;
}

/** Whether a monitored metric improves upward (accuracies, scores) or downward (losses, errors). */
export function higherIsBetter(key: string): boolean {
  return /accuracy|topk|f1|precision|recall|score|reward|return/i.test(key);
}
