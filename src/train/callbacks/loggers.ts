/** Metric logs a script or the dashboard can read: one JSON object per line (JSONL) and/or CSV, appended per epoch. */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Trainer } from '../trainer.ts';
import type { BatchReport, Callback, EpochReport } from '../types.ts';

/** Appends {type: 'epoch', ...} lines, and {type: 'batch', ...} every `batchEvery` batches when set. */
export class JsonlLogger implements Callback {
  constructor(
    readonly path: string,
    readonly batchEvery = 0,
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  onBatchEnd(_t: Trainer, r: BatchReport): void {
    if (this.batchEvery > 0 && r.globalStep % this.batchEvery === 0)
      appendFileSync(this.path, `${JSON.stringify({ type: 'batch', time: Date.now(), ...r })}\n`);
  }

  onEpochEnd(_t: Trainer, r: EpochReport): void {
    appendFileSync(this.path, `${JSON.stringify({ type: 'epoch', time: Date.now(), ...r })}\n`);
  }

  onWarning(_t: Trainer, message: string): void {
    appendFileSync(this.path, `${JSON.stringify({ type: 'warning', time: Date.now(), message })}\n`);
  }
}

const CSV_COLUMNS: (keyof EpochReport)[] = [
  'epoch',
  'trainLoss',
  'trainAccuracy',
  'valLoss',
  'valAccuracy',
  'valTopK',
  'lr',
  'imagesPerSec',
  'dataWaitFraction',
  'stepMs',
  'seconds',
];

export class CsvLogger implements Callback {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  onEpochEnd(_t: Trainer, r: EpochReport): void {
    if (!existsSync(this.path)) appendFileSync(this.path, `${CSV_COLUMNS.join(',')}\n`);
    appendFileSync(this.path, `${CSV_COLUMNS.map((c) => r[c] ?? '').join(',')}\n`);
  }
}
