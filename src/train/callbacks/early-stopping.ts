/** Stops training when a validation metric has not improved for `patience` epochs (Keras' EarlyStopping). */
import { type Callback, type EpochReport, higherIsBetter, reportMetric, type TrainerView } from '../types.ts';

export interface EarlyStoppingOptions {
  /** An epoch-report key: 'valLoss' (default), 'valAccuracy', 'trainLoss', or any task metric ('valReconstruction'). */
  monitor?: string;
  patience?: number;
  minDelta?: number;
}

export class EarlyStopping implements Callback {
  private best: number | null = null;
  private wait = 0;
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  stoppedEpoch: number | null = null;

  constructor(o: EarlyStoppingOptions = {}) {
    this.monitor = o.monitor ?? 'valLoss';
    this.patience = o.patience ?? 3;
    this.minDelta = o.minDelta ?? 0;
  }

  onEpochEnd(trainer: TrainerView, r: EpochReport): void {
    const value = reportMetric(r, this.monitor);
    if (value === undefined) throw new Error(`EarlyStopping: '${this.monitor}' is not reported; pass validation data to fit() or monitor 'trainLoss'`);
    const improved = this.best === null || (higherIsBetter(this.monitor) ? value > this.best + this.minDelta : value < this.best - this.minDelta);
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
