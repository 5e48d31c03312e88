/** Metric logs a script or the dashboard can read: one JSON object per line (JSONL) and/or CSV, appended per epoch. */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BatchReport, Callback, EpochReport, TrainerView } from '../types.ts';

/** Appends {type: 'epoch', ...} lines, and {type: 'batch', ...} every `batchEvery` batches when set. */
export class JsonlLogger implements Callback {
  constructor(
    readonly path: string,
    readonly batchEvery = 0,
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  onBatchEnd(_t: TrainerView, r: BatchReport): void {
    if (this.batchEvery > 0 && r.globalStep % this.batchEvery === 0)
      appendFileSync(this.path, `${JSON.stringify({ type: 'batch', time: Date.now(), ...r })}\n`);
  }

  onEpochEnd(_t: TrainerView, r: EpochReport): void {
    appendFileSync(this.path, `${JSON.stringify({ type: 'epoch', time: Date.now(), ...r })}\n`);
  }

  onWarning(_t: TrainerView, message: string): void {
    appendFileSync(this.path, `${JSON.stringify({ type: 'warning', time: Date.now(), message })}\n`);
  }
}

/** The columns every run's CSV has (a task's further metrics are appended after them, named train<Name>/val<Name>). */
const CSV_COLUMNS: string[] = [
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
  private columns: string[] | null = null;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  onEpochEnd(_t: TrainerView, r: EpochReport): void {
    const row = r as unknown as Record<string, unknown>;
    if (existsSync(this.path)) this.columns ??= readFileSync(this.path, 'utf8').split('\n', 1)[0].split(',');
    else {
      const extra = Object.keys(r).filter((k) => /^(train|val)[A-Z]/.test(k) && typeof row[k] === 'number' && !CSV_COLUMNS.includes(k));
      this.columns = [...CSV_COLUMNS, ...extra];
      appendFileSync(this.path, `${this.columns.join(',')}\n`);
    }
    const columns = this.columns ?? CSV_COLUMNS;
    appendFileSync(this.path, `${columns.map((c) => row[c] ?? '').join(',')}\n`);
  }
}
