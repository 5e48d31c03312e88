/**
 * A progress bar per epoch (cli-progress) with loss, accuracy, images/s, data-wait share and ETA, then a line per epoch
 * with train and validation side by side. Without a terminal (CI, pipes) only the epoch lines are printed.
 */
import cliProgress from 'cli-progress';
import type { BatchReport, Callback, EpochReport, TrainerView } from '../types.ts';

/** A task's metrics for a log line: accuracy as 'acc 91.20%', anything else as 'name 0.1234' (top-k is left to reports). */
function formatMetrics(metrics: Record<string, number> | undefined): string {
  return Object.entries(metrics ?? {})
    .filter(([k]) => k !== 'topK')
    .map(([k, v]) => (k === 'accuracy' ? `acc ${(v * 100).toFixed(2)}%` : `${k} ${v.toFixed(4)}`))
    .map((s) => ` ${s}`)
    .join('');
}

export function formatEpoch(r: EpochReport, totalEpochs?: number): string {
  const parts = [
    `epoch ${r.epoch + 1}${totalEpochs ? `/${totalEpochs}` : ''}`,
    `train loss ${r.trainLoss.toFixed(4)}${formatMetrics(r.trainMetrics ?? (r.trainAccuracy !== undefined ? { accuracy: r.trainAccuracy } : {}))}`,
    r.valLoss !== undefined
      ? `val loss ${r.valLoss.toFixed(4)}${formatMetrics(r.valMetrics ?? (r.valAccuracy !== undefined ? { accuracy: r.valAccuracy } : {}))}`
      : '',
    `${Math.round(r.imagesPerSec)} img/s`,
    `data wait ${(r.dataWaitFraction * 100).toFixed(1)}%`,
    `lr ${r.lr.toExponential(2)}`,
    `${r.seconds.toFixed(1)}s`,
  ];
  return parts.filter(Boolean).join(' │ ');
}

export class ProgressBar implements Callback {
  private bar: cliProgress.SingleBar | null = null;
  private readonly tty: boolean;
  private ips = 0;

  constructor(
    private readonly totalEpochs?: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(out.isTTY) && !process.env.CI;
  }

  onEpochStart(trainer: TrainerView, epoch: number): void {
    if (!this.tty) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch ${epoch + 1}${this.totalEpochs ? `/${this.totalEpochs}` : ''} {bar} {value}/{total} │ loss {loss} acc {acc} │ {ips} img/s │ wait {wait} │ ETA {eta_formatted}`,
        stream: this.out,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(1, trainer.batchInEpoch, { loss: '-', acc: '-', ips: '-', wait: '-' });
  }

  onBatchEnd(_t: TrainerView, r: BatchReport): void {
    if (!this.bar) return;
    this.ips = this.ips === 0 ? r.imagesPerSec : 0.9 * this.ips + 0.1 * r.imagesPerSec;
    this.bar.setTotal(r.batchesPerEpoch);
    this.bar.update(r.batch + 1, {
      loss: r.epochLoss.toFixed(4),
      acc: r.epochAccuracy !== undefined ? `${(r.epochAccuracy * 100).toFixed(1)}%` : '-',
      ips: Math.round(this.ips),
      wait: `${((r.waitMs / Math.max(1e-9, r.waitMs + r.stepMs)) * 100).toFixed(0)}%`,
    });
  }

  onEpochEnd(_t: TrainerView, r: EpochReport): void {
    this.bar?.stop();
    this.bar = null;
    this.out.write(`${formatEpoch(r, this.totalEpochs)}\n`);
  }

  onWarning(_t: TrainerView, message: string): void {
    this.bar?.stop();
    this.bar = null;
    this.out.write(`warning: ${message}\n`);
  }
}
