/**
 * Trainer: the loop the product exists for — forward, loss, backward, optimizer step, repeat — with validation on
 * held-out data every epoch, metrics, callbacks, a NaN guard, schedules, and exact resume from a checkpoint. What a
 * step and an evaluation mean comes from a Task (task.ts); without one the Trainer trains a classifier.
 * Process policy (V8 flags, returning freed memory to the OS) belongs to the program's entry point, not here: see
 * src/runs/process.ts.
 * @example
 *   const trainer = new Trainer({ model, optimizer: new Adam(model.parameters(), { lr: 1e-3 }) });
 *   const history = await trainer.fit(trainLoader, { epochs: 2, val: testLoader });
 */
import { backward } from '../autograd/backward.ts';
import { noGrad } from '../autograd/grad-mode.ts';
import type { Module } from '../nn/module.ts';
import { clipGradNorm } from '../optim/clip.ts';
import { beginSpan, endSpan, markStep, PROFILE, profileModules, recordSpan } from '../profile/profiler.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import type { LRScheduler } from '../optim/schedule.ts';
import { getRngState, setRngState } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';
import { type Checkpoint, saveCheckpoint, type TrainingState } from './checkpoint.ts';
import { type ClassificationReport, ClassificationTask, type LossFn, predictProbabilities } from './classification.ts';
import type { AnyBatch, EvalReport, StepContext, Task, TaskSource } from './task.ts';
import type { Batch, BatchReport, BestRecord, Callback, EpochReport, TrainerView } from './types.ts';

export interface TrainerOptions<B extends AnyBatch = Batch, R extends EvalReport = ClassificationReport> {
  model: Module;
  optimizer: Optimizer<{ lr: number }>;
  /** What a step and an evaluation mean (default: a ClassificationTask with `loss` and `topK`). */
  task?: Task<B, R>;
  /** Further optimizers, by name, for a manual task (a GAN's discriminator); checkpointed with the run. */
  optimizers?: Record<string, Optimizer<{ lr: number }>>;
  /** For the default ClassificationTask: the loss (default cross-entropy on logits and int32 labels). */
  loss?: LossFn;
  scheduler?: LRScheduler | null;
  callbacks?: Callback[];
  /** Clip the global gradient norm to this value before each step. */
  clipGradNorm?: number;
  /** Class names, for reports. */
  classes?: string[];
  /** For the default ClassificationTask: k of the top-k validation accuracy (default 5, or fewer classes). */
  topK?: number;
  /** Saved with every checkpoint so a run can be rebuilt (model name, input shape, data, hyper-parameters). */
  config?: Record<string, unknown>;
  /** Seed of the data split, saved with checkpoints. */
  splitSeed?: number;
  /** Epochs (counted from 1) before the train/validation accuracy gap may be called overfitting (default 2). */
  overfittingGraceEpochs?: number;
  /**
   * Data-parallel training (src/distributed/ddp.ts): afterBackward() runs after backward, before clipping and the
   * optimizer step (it averages the gradients across processes); onEpochTrained() when an epoch's batches are done,
   * before validation (it averages batch-norm statistics). Automatic optimization only.
   */
  distributed?: { afterBackward(): void; onEpochTrained?(): void };
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
        'The last good checkpoint is kept. Try a lower learning rate, gradient clipping, or check the data for NaN values.',
    );
    this.name = 'NonFiniteLossError';
  }
}

/** Raised when validation gives a non-finite loss or the weights hold NaN/Infinity: the model diverged. */
export class DivergenceError extends Error {
  constructor(
    readonly epoch: number,
    readonly what: string,
  ) {
    super(
      `training stopped: ${what} after epoch ${epoch + 1}; the model diverged and no checkpoint of it was written (the last good one is kept). ` +
        'Try a lower learning rate or gradient clipping.',
    );
    this.name = 'DivergenceError';
  }
}

interface EpochSums {
  loss: number;
  count: number;
  waitMs: number;
  stepMs: number;
  steps: number;
  seconds: number;
  /** Count-weighted sums of the task's step metrics. */
  metrics: Record<string, number>;
}

const emptySums = (): EpochSums => ({ loss: 0, count: 0, waitMs: 0, stepMs: 0, steps: 0, seconds: 0, metrics: {} });
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Adds `prefix<Name>` keys for each metric (accuracy → trainAccuracy), the names dashboards and callbacks read. */
export function flattenMetrics(prefix: string, metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${prefix}${capitalize(k)}`, v]));
}

function batchCount(batch: AnyBatch, given: number | undefined): number {
  if (given !== undefined) return given;
  const x = (batch as { x?: unknown }).x;
  return x instanceof Tensor && x.rank > 0 ? x.shape[0] : 1;
}

/** The first parameter or buffer that holds NaN or Infinity, if any. */
export function nonFiniteTensor(model: Module): string | undefined {
  for (const [name, t] of model.stateDict()) {
    if (t.dtype !== 'float32') continue;
    const d = t.f32;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return name;
  }
  return undefined;
}

export class Trainer<B extends AnyBatch = Batch, R extends EvalReport = ClassificationReport> implements TrainerView {
  readonly model: Module;
  readonly optimizer: Optimizer<{ lr: number }>;
  readonly optimizers: Readonly<Record<string, Optimizer<{ lr: number }>>>;
  readonly task: Task<B, R>;
  readonly scheduler: LRScheduler | null;
  readonly callbacks: Callback[];
  readonly options: TrainerOptions<B, R>;
  /** Set by a callback (early stopping, a stop button) to end fit() after the current batch. */
  stopRequested = false;
  epoch = 0;
  batchInEpoch = 0;
  globalStep = 0;
  history: EpochReport[] = [];
  best: BestRecord | undefined;
  /** Sums over the epoch in progress (carried through a mid-epoch checkpoint). */
  private partial: EpochSums = emptySums();

  constructor(options: TrainerOptions<B, R>) {
    this.options = options;
    this.model = options.model;
    this.optimizer = options.optimizer;
    this.optimizers = options.optimizers ?? {};
    this.task = options.task ?? (new ClassificationTask({ loss: options.loss, topK: options.topK }) as unknown as Task<B, R>);
    this.scheduler = options.scheduler ?? null;
    this.callbacks = options.callbacks ?? [];
    if (options.distributed && this.task.optimization === 'manual')
      throw new Error(`task '${this.task.name}' drives its own optimizers, so data-parallel training cannot average its gradients; train it on one process`);
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

  private stepContext(): StepContext {
    return {
      epoch: this.epoch,
      batchInEpoch: this.batchInEpoch,
      globalStep: this.globalStep,
      optimizer: this.optimizer,
      optimizers: this.optimizers,
      clipGradNorm: this.options.clipGradNorm,
      warn: (m) => this.warn(m),
    };
  }

  /** One optimisation step on one batch: the loss value, the task's metrics and the example count. */
  trainStep(batch: B): { loss: number; metrics: Record<string, number>; count: number } {
    const manual = this.task.optimization === 'manual';
    if (!manual) this.optimizer.zeroGrad();
    const profiling = PROFILE.on;
    if (profiling) beginSpan('phase', 'forward', 'forward');
    let result: ReturnType<Task<B, R>['step']>;
    try {
      result = this.task.step(this.model, batch, this.stepContext());
    } finally {
      if (profiling) endSpan();
    }
    const value = typeof result.loss === 'number' ? result.loss : result.loss.item();
    if (!Number.isFinite(value)) throw new NonFiniteLossError(this.epoch, this.batchInEpoch, this.globalStep, value);
    if (!manual) {
      if (typeof result.loss === 'number')
        throw new TypeError(`task '${this.task.name}': step() returned the loss as a number; return the loss Tensor, or set optimization: 'manual'`);
      backward(result.loss);
      this.options.distributed?.afterBackward();
      if (this.options.clipGradNorm) {
        if (profiling) beginSpan('phase', 'optimizer', 'optimizer');
        clipGradNorm(this.model.parameters(), this.options.clipGradNorm);
        if (profiling) endSpan();
      }
      this.optimizer.step();
    }
    return { loss: value, metrics: result.metrics ?? {}, count: batchCount(batch, result.count) };
  }

  /** Trains until `epochs` epochs are complete (counting epochs already done when resumed), validating after each. */
  async fit(train: TaskSource<B>, options: { epochs: number; val?: TaskSource<B> }): Promise<EpochReport[]> {
    this.stopRequested = false;
    await this.emit('onFitStart');
    const unhook = PROFILE.on ? profileModules(this.model) : null;
    try {
      return await this.fitEpochs(train, options);
    } finally {
      unhook?.();
    }
  }

  private async fitEpochs(train: TaskSource<B>, options: { epochs: number; val?: TaskSource<B> }): Promise<EpochReport[]> {
    while (this.epoch < options.epochs && !this.stopRequested) {
      const epoch = this.epoch;
      if (this.batchInEpoch === 0) this.partial = emptySums();
      await this.emit('onEpochStart', epoch);
      this.model.train(true);
      const epochStart = performance.now();
      let last = performance.now();
      for await (const batch of train.epoch(epoch, { startBatch: this.batchInEpoch })) {
        const t0 = performance.now();
        if (PROFILE.on) recordSpan('phase', 'data', 'data', last, t0);
        const { loss, metrics, count } = this.trainStep(batch);
        const now = performance.now();
        if (PROFILE.on) {
          markStep();
          beginSpan('phase', 'callbacks', 'callbacks');
        }
        const p = this.partial;
        p.loss += loss * count;
        for (const [k, v] of Object.entries(metrics)) p.metrics[k] = (p.metrics[k] ?? 0) + v * count;
        p.count += count;
        p.waitMs += batch.waitMs ?? 0;
        p.stepMs += now - t0;
        p.steps++;
        const batchIndex = this.batchInEpoch;
        this.batchInEpoch++;
        this.globalStep++;
        if (this.scheduler?.interval === 'step') this.scheduler.step();
        const epochMetrics = this.means();
        const report: BatchReport = {
          epoch,
          batch: batchIndex,
          batchesPerEpoch: train.batchesPerEpoch,
          globalStep: this.globalStep,
          loss,
          epochLoss: p.loss / p.count,
          epochMetrics,
          imagesPerSec: count / ((now - last) / 1000),
          lr: this.optimizer.lr,
          waitMs: batch.waitMs ?? 0,
          stepMs: now - t0,
        };
        if (epochMetrics.accuracy !== undefined) report.epochAccuracy = epochMetrics.accuracy;
        await this.emit('onBatchEnd', report);
        last = performance.now();
        if (PROFILE.on) endSpan();
        if (this.stopRequested) break;
      }
      if (this.stopRequested && this.batchInEpoch < train.batchesPerEpoch) break;
      this.options.distributed?.onEpochTrained?.();
      const p = this.partial;
      p.seconds += (performance.now() - epochStart) / 1000;
      const trainMetrics = this.means();
      const report: EpochReport = {
        epoch,
        trainLoss: p.loss / Math.max(1, p.count),
        trainMetrics,
        ...flattenMetrics('train', trainMetrics),
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
        report.valMetrics = { ...v.metrics };
        Object.assign(report, flattenMetrics('val', v.metrics));
      }
      // Divergence is caught here, before any callback can checkpoint it: a NaN validation loss or NaN weights
      // would otherwise be saved as `last` (and as `best`, since NaN compares false).
      if (report.valLoss !== undefined && !Number.isFinite(report.valLoss)) throw new DivergenceError(epoch, `the validation loss is ${report.valLoss}`);
      const bad = nonFiniteTensor(this.model);
      if (bad !== undefined) throw new DivergenceError(epoch, `the weights hold NaN or Infinity (first in '${bad}')`);
      report.overfitting = this.overfittingMessage(report);
      if (report.overfitting) this.warn(report.overfitting);
      this.history.push(report);
      this.epoch++;
      this.batchInEpoch = 0;
      if (this.scheduler?.interval === 'epoch') this.scheduler.step(report.valLoss ?? report.trainLoss);
      await this.emit('onEpochEnd', report);
    }
    await this.emit('onFitEnd', this.history);
    return this.history;
  }

  /** Means of the task's step metrics over the epoch so far. */
  private means(): Record<string, number> {
    const p = this.partial;
    return Object.fromEntries(Object.entries(p.metrics).map(([k, v]) => [k, v / Math.max(1, p.count)]));
  }

  /**
   * Warns when training keeps improving while validation gets worse, or the accuracy gap is wide. Not in the first
   * epochs, where batch-norm statistics and warm-up make validation lag training for models that end up fine.
   */
  private overfittingMessage(r: EpochReport): string | undefined {
    if (r.valLoss === undefined || r.epoch + 1 <= (this.options.overfittingGraceEpochs ?? 2) || this.task.lossTracksFit === false) return undefined;
    const prev = this.history[this.history.length - 1];
    const gap = r.trainAccuracy !== undefined && r.valAccuracy !== undefined ? r.trainAccuracy - r.valAccuracy : undefined;
    if (prev?.valLoss !== undefined && r.valLoss > prev.valLoss * 1.02 && r.trainLoss < prev.trainLoss && (gap === undefined || gap > 0.02)) {
      return `epoch ${r.epoch + 1}: validation loss rose (${prev.valLoss.toFixed(4)} → ${r.valLoss.toFixed(4)}) while training loss fell; the model is starting to overfit (consider early stopping, augmentation or weight decay)`;
    }
    const valImproving = prev?.valAccuracy !== undefined && r.valAccuracy !== undefined && r.valAccuracy > prev.valAccuracy + 0.005;
    if (gap !== undefined && gap > 0.1 && !valImproving)
      return `epoch ${r.epoch + 1}: train accuracy ${(r.trainAccuracy! * 100).toFixed(1)}% is ${(gap * 100).toFixed(1)} points above validation; the model is overfitting`;
    return undefined;
  }

  /** The task's evaluation over a data source, in eval mode (for a classifier: loss, accuracy, top-k, confusion). */
  async evaluate(source: TaskSource<B>): Promise<R> {
    const wasTraining = this.model.training;
    this.model.eval();
    const profiling = PROFILE.on;
    if (profiling) beginSpan('phase', 'eval', 'eval');
    try {
      const ctx = { epoch: this.epoch, warn: (m: string) => this.warn(m) };
      if (this.task.evaluate) return await this.task.evaluate(this.model, source, ctx);
      return (await this.evaluateBySteps(source)) as R;
    } finally {
      this.model.train(wasTraining);
      if (profiling) endSpan();
    }
  }

  /** A task without evaluate(): the mean loss and metrics of step() under noGrad (automatic tasks only). */
  private async evaluateBySteps(source: TaskSource<B>): Promise<EvalReport> {
    if (this.task.optimization === 'manual')
      throw new Error(`task '${this.task.name}' drives its own optimizers, so the Trainer cannot evaluate it by running step(); give the task an evaluate()`);
    let loss = 0;
    let count = 0;
    const sums: Record<string, number> = {};
    for await (const batch of source.epoch(0)) {
      noGrad(() => {
        const r = this.task.step(this.model, batch, this.stepContext());
        const n = batchCount(batch, r.count);
        loss += (typeof r.loss === 'number' ? r.loss : r.loss.item()) * n;
        for (const [k, v] of Object.entries(r.metrics ?? {})) sums[k] = (sums[k] ?? 0) + v * n;
        count += n;
      });
    }
    const d = Math.max(1, count);
    return { loss: loss / d, metrics: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / d])), count };
  }

  /** Class probabilities [N, classes] for a batch of images (classifiers). */
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
      partialEpoch: flattenSums(this.partial),
      best: this.best,
    };
  }

  /** Writes a checkpoint of the model, optimizers, schedule, RNG, task state and loop position. */
  saveCheckpoint(path: string): void {
    const optimizers = Object.fromEntries(Object.entries(this.optimizers).map(([k, o]) => [k, o.stateDict()]));
    saveCheckpoint(path, this.model, this.optimizer.stateDict(), this.trainingState(), {
      optimizers,
      task: { name: this.task.name, ...(this.task.stateDict?.() ?? {}) },
    });
  }

  /** Restores a checkpoint written by saveCheckpoint: the next fit() continues from the batch after it. */
  restore(ckpt: Checkpoint): void {
    const s = ckpt.state;
    if (s.task && s.task.name !== this.task.name)
      throw new Error(
        `the checkpoint was written by task '${s.task.name}' but this Trainer runs task '${this.task.name}'; restore it into a Trainer with the same task`,
      );
    this.model.loadStateDict(ckpt.model);
    if (s.optimizer) this.optimizer.loadStateDict({ ...s.optimizer, buffers: ckpt.optimizerBuffers });
    for (const [name, o] of Object.entries(s.optimizers ?? {})) {
      const target = this.optimizers[name];
      if (!target) throw new Error(`the checkpoint holds optimizer '${name}' but this Trainer has none of that name; pass it in options.optimizers`);
      target.loadStateDict({ ...o, buffers: ckpt.extraOptimizerBuffers[name] ?? [] });
    }
    if (s.scheduler && this.scheduler) this.scheduler.loadStateDict(s.scheduler);
    this.task.loadStateDict?.({ json: s.task?.json, tensors: ckpt.taskTensors });
    setRngState(s.rng);
    this.epoch = s.epoch;
    this.batchInEpoch = s.batchInEpoch;
    this.globalStep = s.globalStep;
    this.history = s.history as unknown as EpochReport[];
    this.best = s.best;
    if (s.partialEpoch) this.partial = restoreSums(s.partialEpoch);
  }
}

/** The epoch sums as flat numbers for a checkpoint: the metric sums as 'metric:<name>'. */
function flattenSums(p: EpochSums): Record<string, number> {
  const { metrics, ...rest } = p;
  return { ...rest, ...Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`metric:${k}`, v])) };
}

/** Reads the epoch sums back from a checkpoint (older files kept the classifier's 'correct' count). */
function restoreSums(saved: Record<string, number>): EpochSums {
  const sums = emptySums();
  for (const [k, v] of Object.entries(saved)) {
    if (k.startsWith('metric:')) sums.metrics[k.slice(7)] = v;
    else if (k === 'correct') sums.metrics.accuracy = v;
    else if (k in sums && k !== 'metrics') (sums as unknown as Record<string, number>)[k] = v;
  }
  return sums;
}
