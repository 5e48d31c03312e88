/** Stops training when a validation metric has not improved for `patience` epochs (Keras' EarlyStopping). */
import type { Trainer } from '../trainer.ts';
import type { Callback, EpochReport } from '../types.ts';

export interface EarlyStoppingOptions {
  monitor?: 'valLoss' | 'valAccuracy' | 'trainLoss';
  patience?: number;
  minDelta?: number;
}

export class EarlyStopping implements Callback {
  private best: number | null = null;
  private wait = 0;
  readonly monitor: NonNullable<EarlyStoppingOptions['monitor']>;
  readonly patience: number;
  readonly minDelta: number;
  stoppedEpoch: number | null = null;

  constructor(o: EarlyStoppingOptions = {}) {
    this.monitor = o.monitor ?? 'valLoss';
    this.patience = o.patience ?? 3;
    this.minDelta = o.minDelta ?? 0;
  }

  onEpochEnd(trainer: Trainer, r: EpochReport): void {
    const value = r[this.monitor];
    if (value === undefined) throw new Error(`EarlyStopping: '${this.monitor}' is not reported; pass validation data to fit() or monitor 'trainLoss'`);
    const higherIsBetter = this.monitor === 'valAccuracy';
    const improved = this.best === null || (higherIsBetter ? value > this.best + this.minDelta : value < this.best - this.minDelta);
    if (improved) {
      this.best = value;
      this.wait = 0;
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = r.epoch;
      trainer.stopRequested = true;
      trainer.warn(`early stopping after epoch ${r.epoch + 1}: ${this.monitor} has not improved for ${this.patience} epochs (best ${this.best?.toFixed(4)})`);
    }
  }
}
