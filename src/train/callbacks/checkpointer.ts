/**
 * Writes `last.safetensors` after every epoch (and every `everySteps` batches, for resuming mid-epoch) and
 * `best.safetensors` whenever the monitored metric improves. Each write is atomic; a failed step never overwrites a
 * good checkpoint because checkpoints are only written after a finite loss.
 */
import { join } from 'node:path';
import type { Trainer } from '../trainer.ts';
import type { BatchReport, Callback, EpochReport } from '../types.ts';

export interface CheckpointerOptions {
  dir: string;
  everySteps?: number;
  monitor?: 'valLoss' | 'valAccuracy' | 'trainLoss';
}

export class Checkpointer implements Callback {
  readonly lastPath: string;
  readonly bestPath: string;

  constructor(readonly o: CheckpointerOptions) {
    this.lastPath = join(o.dir, 'last.safetensors');
    this.bestPath = join(o.dir, 'best.safetensors');
  }

  onBatchEnd(trainer: Trainer, r: BatchReport): void {
    if (this.o.everySteps && r.globalStep % this.o.everySteps === 0 && r.batch + 1 < r.batchesPerEpoch) trainer.saveCheckpoint(this.lastPath);
  }

  onEpochEnd(trainer: Trainer, r: EpochReport): void {
    const monitor = this.o.monitor ?? (r.valLoss !== undefined ? 'valLoss' : 'trainLoss');
    const value = r[monitor];
    if (value !== undefined) {
      const higherIsBetter = monitor === 'valAccuracy';
      const best = trainer.best;
      if (!best || best.metric !== monitor || (higherIsBetter ? value > best.value : value < best.value)) {
        trainer.best = { metric: monitor, value, epoch: r.epoch };
        trainer.saveCheckpoint(this.bestPath);
      }
    }
    trainer.saveCheckpoint(this.lastPath);
  }
}
