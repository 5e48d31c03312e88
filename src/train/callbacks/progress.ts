/**
 * A progress bar per epoch (cli-progress) with loss, accuracy, images/s, data-wait share and ETA, then a line per epoch
 * with train and validation side by side. Without a terminal (CI, pipes) only the epoch lines are printed.
 */
import cliProgress from 'cli-progress';
import type { Trainer } from '../trainer.ts';
import type { BatchReport, Callback, EpochReport } from '../types.ts';

export function formatEpoch(r: EpochReport, totalEpochs?: number): string {
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  const parts = [
    `epoch ${r.epoch + 1}${totalEpochs ? `/${totalEpochs}` : ''}`,
    `train loss ${r.trainLoss.toFixed(4)} acc ${pct(r.trainAccuracy)}`,
    r.valLoss !== undefined ? `val loss ${r.valLoss.toFixed(4)} acc ${pct(r.valAccuracy ?? 0)}` : '',
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

  onEpochStart(trainer: Trainer, epoch: number): void {
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

  onBatchEnd(_t: Trainer, r: BatchReport): void {
    if (!this.bar) return;
    this.ips = this.ips === 0 ? r.imagesPerSec : 0.9 * this.ips + 0.1 * r.imagesPerSec;
    this.bar.setTotal(r.batchesPerEpoch);
    this.bar.update(r.batch + 1, {
      loss: r.epochLoss.toFixed(4),
      acc: `${(r.epochAccuracy * 100).toFixed(1)}%`,
      ips: Math.round(this.ips),
      wait: `${((r.waitMs / Math.max(1e-9, r.waitMs + r.stepMs)) * 100).toFixed(0)}%`,
    });
  }

  onEpochEnd(_t: Trainer, r: EpochReport): void {
    this.bar?.stop();
    this.bar = null;
    this.out.write(`${formatEpoch(r, this.totalEpochs)}\n`);
  }

  onWarning(_t: Trainer, message: string): void {
    this.bar?.stop();
    this.bar = null;
    this.out.write(`warning: ${message}\n`);
  }
}
