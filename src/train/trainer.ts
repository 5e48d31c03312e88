/**
 * Trainer: the loop the product exists for — forward, loss, backward, optimizer step, repeat — with validation on
 * held-out data every epoch, metrics, callbacks, a NaN guard, schedules, and exact resume from a checkpoint.
 * @example
 *   const trainer = new Trainer({ model, optimizer: new Adam(model.parameters(), { lr: 1e-3 }) });
 *   const history = await trainer.fit(trainLoader, { epochs: 2, val: testLoader });
 */
import v8 from 'node:v8';
import { backward } from '../autograd/backward.ts';
import { noGrad } from '../autograd/grad-mode.ts';
import { releaseMemory } from '../backend/index.ts';
import type { Module } from '../nn/module.ts';
import { crossEntropy } from '../ops/loss.ts';
import { argmax, softmax } from '../ops/reduce.ts';
import { clipGradNorm } from '../optim/clip.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import type { LRScheduler } from '../optim/schedule.ts';
import { getRngState, setRngState } from '../tensor/random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { type Checkpoint, saveCheckpoint, type TrainingState } from './checkpoint.ts';
import { ConfusionMatrix, topKCorrect } from './metrics.ts';
import type { Batch, BatchSource, Callback, EpochReport } from './types.ts';

// Training allocates a stream of short-lived tensor objects at a steady rate. V8 answers a high allocation rate by
// growing the young generation step by step up to 3 × 16 MiB and keeping it, so the process grows for the first
// epochs and then stays larger, without any gain we could measure. Keeping the young generation at its initial size
// makes the footprint flat from the first epoch.
v8.setFlagsFromString('--semi-space-growth-factor=1');

export type LossFn = (output: Tensor, target: Tensor) => Tensor;

export interface TrainerOptions {
  model: Module;
  optimizer: Optimizer<{ lr: number }>;
  /** Defaults to cross-entropy on logits and int32 labels. */
  loss?: LossFn;
  scheduler?: LRScheduler | null;
  callbacks?: Callback[];
  /** Clip the global gradient norm to this value before each step. */
  clipGradNorm?: number;
  /** Class names, for reports. */
  classes?: string[];
  /** k of the top-k validation accuracy (default 5, or fewer when there are fewer classes). */
  topK?: number;
  /** Saved with every checkpoint so a run can be rebuilt (model name, input shape, data, hyper-parameters). */
  config?: Record<string, unknown>;
  /** Seed of the data split, saved with checkpoints. */
  splitSeed?: number;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  topK: number;
  k: number;
  confusion: ConfusionMatrix;
  count: number;
}

/** Raised when the loss stops being a finite number; the last checkpoint written before it is still good. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly globalStep: number,
    readonly value: number,
  ) {
    super(
      `training stopped: the loss became ${value} at epoch ${epoch + 1}, batch ${batch + 1} (step ${globalStep + 1}). ` +
        'The last good checkpoint is kept. Try a lower learning rate, gradient clipping (--clip-grad), or check the data for NaN values.',
    );
    this.name = 'NonFiniteLossError';
  }
}

export class Trainer {
  readonly model: Module;
  readonly optimizer: Optimizer<{ lr: number }>;
  readonly loss: LossFn;
  readonly scheduler: LRScheduler | null;
  readonly callbacks: Callback[];
  readonly options: TrainerOptions;
  /** Set by a callback (early stopping, a stop button) to end fit() after the current batch. */
  stopRequested = false;
  epoch = 0;
  batchInEpoch = 0;
  globalStep = 0;
  history: EpochReport[] = [];
  best: TrainingState['best'];
  /** Sums over the epoch in progress (carried through a mid-epoch checkpoint). */
  private partial = { loss: 0, correct: 0, count: 0, waitMs: 0, stepMs: 0, steps: 0, seconds: 0 };

  constructor(options: TrainerOptions) {
    this.options = options;
    this.model = options.model;
    this.optimizer = options.optimizer;
    this.loss = options.loss ?? ((out, y) => crossEntropy(out, y));
    this.scheduler = options.scheduler ?? null;
    this.callbacks = options.callbacks ?? [];
  }

  private async emit<K extends keyof Callback>(hook: K, ...args: unknown[]): Promise<void> {
    for (const cb of this.callbacks) {
      const fn = cb[hook] as ((...a: unknown[]) => void | Promise<void>) | undefined;
      if (fn) await fn.call(cb, this, ...args);
    }
  }

  warn(message: string): void {
    let handled = false;
    for (const cb of this.callbacks) {
      if (cb.onWarning) {
        cb.onWarning(this, message);
        handled = true;
      }
    }
    if (!handled) process.emitWarning(message);
  }

  /** One optimisation step on one batch; returns the loss and the number of correct predictions. */
  trainStep(batch: Batch): { loss: number; correct: number } {
    this.optimizer.zeroGrad();
    const out = this.model.forward(batch.x);
    const loss = this.loss(out, batch.y);
    const value = loss.item();
    if (!Number.isFinite(value)) throw new NonFiniteLossError(this.epoch, this.batchInEpoch, this.globalStep, value);
    backward(loss);
    if (this.options.clipGradNorm) clipGradNorm(this.model.parameters(), this.options.clipGradNorm);
    this.optimizer.step();
    let correct = 0;
    if (out.rank === 2 && batch.y.dtype === 'int32') {
      const pred = argmax(out.detach(), 1);
      for (let i = 0; i < pred.size; i++) if (pred.data[i] === batch.y.data[i]) correct++;
    }
    return { loss: value, correct };
  }

  /** Trains until `epochs` epochs are complete (counting epochs already done when resumed), validating after each. */
  async fit(train: BatchSource, options: { epochs: number; val?: BatchSource }): Promise<EpochReport[]> {
    this.stopRequested = false;
    await this.emit('onFitStart');
    while (this.epoch < options.epochs && !this.stopRequested) {
      const epoch = this.epoch;
      if (this.batchInEpoch === 0) this.partial = { loss: 0, correct: 0, count: 0, waitMs: 0, stepMs: 0, steps: 0, seconds: 0 };
      await this.emit('onEpochStart', epoch);
      this.model.train(true);
      const epochStart = performance.now();
      let last = performance.now();
      for await (const batch of train.epoch(epoch, { startBatch: this.batchInEpoch })) {
        const t0 = performance.now();
        const { loss, correct } = this.trainStep(batch);
        const now = performance.now();
        const n = batch.x.shape[0];
        const p = this.partial;
        p.loss += loss * n;
        p.correct += correct;
        p.count += n;
        p.waitMs += batch.waitMs ?? 0;
        p.stepMs += now - t0;
        p.steps++;
        const batchIndex = this.batchInEpoch;
        this.batchInEpoch++;
        this.globalStep++;
        if (this.scheduler?.interval === 'step') this.scheduler.step();
        await this.emit('onBatchEnd', {
          epoch,
          batch: batchIndex,
          batchesPerEpoch: train.batchesPerEpoch,
          globalStep: this.globalStep,
          loss,
          epochLoss: p.loss / p.count,
          epochAccuracy: p.correct / p.count,
          imagesPerSec: n / ((now - last) / 1000),
          lr: this.optimizer.lr,
          waitMs: batch.waitMs ?? 0,
          stepMs: now - t0,
        });
        last = performance.now();
        if (this.stopRequested) break;
      }
      if (this.stopRequested && this.batchInEpoch < train.batchesPerEpoch) break;
      const p = this.partial;
      p.seconds += (performance.now() - epochStart) / 1000;
      const report: EpochReport = {
        epoch,
        trainLoss: p.loss / Math.max(1, p.count),
        trainAccuracy: p.correct / Math.max(1, p.count),
        lr: this.optimizer.lr,
        imagesPerSec: p.count / Math.max(1e-9, p.seconds),
        dataWaitMs: p.waitMs / Math.max(1, p.steps),
        dataWaitFraction: p.waitMs / Math.max(1e-9, p.waitMs + p.stepMs),
        stepMs: p.stepMs / Math.max(1, p.steps),
        seconds: p.seconds,
      };
      if (options.val) {
        const v = await this.evaluate(options.val);
        report.valLoss = v.loss;
        report.valAccuracy = v.accuracy;
        report.valTopK = v.topK;
      }
      report.overfitting = this.overfittingMessage(report);
      if (report.overfitting) this.warn(report.overfitting);
      this.history.push(report);
      this.epoch++;
      this.batchInEpoch = 0;
      if (this.scheduler?.interval === 'epoch') this.scheduler.step(report.valLoss ?? report.trainLoss);
      releaseMemory();
      await this.emit('onEpochEnd', report);
    }
    await this.emit('onFitEnd', this.history);
    return this.history;
  }

  /** Warns when training keeps improving while validation gets worse, or the accuracy gap is wide. */
  private overfittingMessage(r: EpochReport): string | undefined {
    if (r.valAccuracy === undefined || r.valLoss === undefined) return undefined;
    const gap = r.trainAccuracy - r.valAccuracy;
    const prev = this.history[this.history.length - 1];
    if (prev?.valLoss !== undefined && r.valLoss > prev.valLoss * 1.02 && r.trainLoss < prev.trainLoss && gap > 0.02) {
      return `epoch ${r.epoch + 1}: validation loss rose (${prev.valLoss.toFixed(4)} → ${r.valLoss.toFixed(4)}) while training loss fell; the model is starting to overfit (consider early stopping, augmentation or weight decay)`;
    }
    if (gap > 0.1)
      return `epoch ${r.epoch + 1}: train accuracy ${(r.trainAccuracy * 100).toFixed(1)}% is ${(gap * 100).toFixed(1)} points above validation; the model is overfitting`;
    return undefined;
  }

  /** Loss, accuracy, top-k and a confusion matrix over a data source, in eval mode without a graph. */
  evaluate(source: BatchSource): Promise<EvalResult> {
    return evaluateModel(this.model, source, { loss: this.loss, topK: this.options.topK });
  }

  /** Class probabilities [N, classes] for a batch of images. */
  predict(x: Tensor): Tensor {
    return predictProbabilities(this.model, x);
  }

  /** Everything needed to continue exactly here. */
  trainingState(): TrainingState {
    return {
      config: this.options.config ?? {},
      epoch: this.epoch,
      batchInEpoch: this.batchInEpoch,
      globalStep: this.globalStep,
      rng: getRngState(),
      splitSeed: this.options.splitSeed ?? 0,
      optimizer: null,
      scheduler: this.scheduler?.stateDict() ?? null,
      history: this.history as unknown as Record<string, unknown>[],
      partialEpoch: { ...this.partial },
      best: this.best,
    };
  }

  /** Writes a checkpoint of the model, optimizer, schedule, RNG and loop position. */
  saveCheckpoint(path: string): void {
    saveCheckpoint(path, this.model, this.optimizer.stateDict(), this.trainingState());
  }

  /** Restores a checkpoint written by saveCheckpoint: the next fit() continues from the batch after it. */
  restore(ckpt: Checkpoint): void {
    this.model.loadStateDict(ckpt.model);
    const s = ckpt.state;
    if (s.optimizer) this.optimizer.loadStateDict({ ...s.optimizer, buffers: ckpt.optimizerBuffers });
    if (s.scheduler && this.scheduler) this.scheduler.loadStateDict(s.scheduler);
    setRngState(s.rng);
    this.epoch = s.epoch;
    this.batchInEpoch = s.batchInEpoch;
    this.globalStep = s.globalStep;
    this.history = s.history as unknown as EpochReport[];
    this.best = s.best;
    if (s.partialEpoch) this.partial = { ...this.partial, ...s.partialEpoch };
  }
}

/** Loss, accuracy, top-k and a confusion matrix of a model over a data source, in eval mode without a graph. */
export async function evaluateModel(model: Module, source: BatchSource, options: { loss?: LossFn; topK?: number } = {}): Promise<EvalResult> {
  const lossFn = options.loss ?? ((out: Tensor, y: Tensor) => crossEntropy(out, y));
  const wasTraining = model.training;
  model.eval();
  let loss = 0;
  let count = 0;
  let topK = 0;
  let confusion: ConfusionMatrix | null = null;
  let k = options.topK ?? 5;
  try {
    for await (const batch of source.epoch(0)) {
      noGrad(() => {
        const out = model.forward(batch.x);
        const n = batch.x.shape[0];
        loss += lossFn(out, batch.y).item() * n;
        count += n;
        const classes = out.shape[1];
        k = Math.min(k, classes);
        confusion ??= new ConfusionMatrix(classes);
        confusion.update(argmax(out, 1), batch.y);
        topK += topKCorrect(out, batch.y, k);
      });
    }
  } finally {
    model.train(wasTraining);
  }
  const cm = confusion ?? new ConfusionMatrix(0);
  return { loss: loss / Math.max(1, count), accuracy: cm.accuracy(), topK: topK / Math.max(1, count), k, confusion: cm, count };
}

/** Class probabilities [N, classes] for a batch of images, in eval mode without a graph. */
export function predictProbabilities(model: Module, x: Tensor): Tensor {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => softmax(model.forward(x), 1));
  } finally {
    model.train(wasTraining);
  }
}
