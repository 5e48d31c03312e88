/**
 * Writes `last.safetensors` after every epoch (and every `everySteps` batches, for resuming mid-epoch) and
 * `best.safetensors` whenever the monitored metric improves. Each write is atomic; a failed step never overwrites a
 * good checkpoint because checkpoints are only written after a finite loss.
 */
import { join } from 'node:path';
import { type BatchReport, type Callback, type EpochReport, higherIsBetter, reportMetric, type TrainerView } from '../types.ts';

export interface CheckpointerOptions {
  dir: string;
  everySteps?: number;
  /** An epoch-report key: 'valLoss' (default with validation, else 'trainLoss'), 'valAccuracy', or any task metric. */
  monitor?: string;
}

/**
 * Test hook: SIMMER_CRASH_AFTER_CHECKPOINT=N kills this process with SIGKILL right after the N-th mid-epoch checkpoint
 * is durably written (saveCheckpoint is synchronous and fsyncs), so the resume-after-a-crash test crashes at a known
 * point instead of racing the run. Unset (the normal case) it does nothing.
 */
const CRASH_AFTER_CHECKPOINT = Number(process.env.SIMMER_CRASH_AFTER_CHECKPOINT ?? 0) || 0;

export class Checkpointer implements Callback {
  readonly lastPath: string;
  readonly bestPath: string;
  private midEpochWrites = 0;

  constructor(readonly o: CheckpointerOptions) {
    this.lastPath = join(o.dir, 'last.safetensors');
    this.bestPath = join(o.dir, 'best.safetensors');
  }

  onBatchEnd(trainer: TrainerView, r: BatchReport): void {
    if (this.o.everySteps && r.globalStep % this.o.everySteps === 0 && r.batch + 1 < r.batchesPerEpoch) {
      trainer.saveCheckpoint(this.lastPath);
      this.midEpochWrites++;
      if (this.midEpochWrites === CRASH_AFTER_CHECKPOINT) process.kill(process.pid, 'SIGKILL');
    }
  }

  onEpochEnd(trainer: TrainerView, r: EpochReport): void {
    const monitor = this.o.monitor ?? (r.valLoss !== undefined ? 'valLoss' : 'trainLoss');
    const value = reportMetric(r, monitor);
    if (value !== undefined && Number.isFinite(value)) {
      const best = trainer.best;
      if (!best || best.metric !== monitor || (higherIsBetter(monitor) ? value > best.value : value < best.value)) {
        trainer.best = { metric: monitor, value, epoch: r.epoch };
        trainer.saveCheckpoint(this.bestPath);
      }
    }
    trainer.saveCheckpoint(this.lastPath);
  }
}
