/**
 * DistributedSampler: each rank's share of every epoch of a DataLoader, as PyTorch's DistributedSampler does it. All
 * ranks draw the same order from (seed, epoch) — the loader's own order — pad it by repeating its head until it divides
 * by the rank count, and rank r takes every size-th sample from r. So the shards are disjoint (but for the padding),
 * cover the epoch, and every rank makes the same number of batches; and batch b of all ranks together is exactly
 * batch b of a single process whose batch is `size` times larger, which is what makes N ranks at batch B follow one
 * process at batch N·B.
 * @example
 *   const shard = new DistributedSampler(trainLoader, { rank: comm.rank, size: comm.size });
 *   for await (const batch of shard.epoch(0)) ...
 */
import type { SkippedFile } from '../data/image-list.ts';
import { type Batch, DataLoader } from '../data/loader.ts';
import { SubsetDataset } from '../data/subset.ts';
import type { SpecDataset } from '../data/dataset.ts';
import { isSpecDataset } from '../data/dataset.ts';
import type { TaskSource } from '../train/task.ts';

export class DistributedSampler implements TaskSource<Batch> {
  readonly loader: DataLoader;
  readonly rank: number;
  readonly size: number;
  private current: { epoch: number; loader: DataLoader } | null = null;
  private readonly skippedBefore: SkippedFile[] = [];

  constructor(loader: DataLoader, o: { rank: number; size: number }) {
    if (!Number.isInteger(o.size) || o.size < 1 || !Number.isInteger(o.rank) || o.rank < 0 || o.rank >= o.size)
      throw new RangeError(`DistributedSampler: rank ${o.rank} is not in 0..${o.size - 1}`);
    if (!isSpecDataset(loader.dataset)) throw new TypeError('DistributedSampler: the dataset must be a spec dataset (one the data layer opened)');
    this.loader = loader;
    this.rank = o.rank;
    this.size = o.size;
  }

  /** Samples per rank per epoch (the epoch padded to a multiple of the rank count). */
  get samplesPerRank(): number {
    return Math.ceil(this.loader.dataset.length / this.size);
  }

  get batchesPerEpoch(): number {
    const n = this.samplesPerRank;
    const b = this.loader.batchSize;
    return this.loader.dropLast ? Math.floor(n / b) : Math.ceil(n / b);
  }

  /** The dataset indices this rank reads in `epoch`, in order. */
  shard(epoch: number): Int32Array {
    const order = this.loader.order(epoch);
    const per = this.samplesPerRank;
    const out = new Int32Array(per);
    for (let k = 0; k < per; k++) out[k] = order[(this.rank + k * this.size) % order.length];
    return out;
  }

  get skipped(): SkippedFile[] {
    return [...this.skippedBefore, ...(this.current?.loader.skipped ?? [])];
  }

  private loaderFor(epoch: number): DataLoader {
    if (this.current?.epoch === epoch) return this.current.loader;
    if (this.current) {
      this.skippedBefore.push(...this.current.loader.skipped);
      void this.current.loader.close();
    }
    const l = this.loader;
    const loader = new DataLoader(new SubsetDataset(l.dataset as SpecDataset, this.shard(epoch)), {
      batchSize: l.batchSize,
      shuffle: false,
      seed: l.seed,
      dropLast: l.dropLast,
      workers: l.workers,
      transform: l.transformSpec,
      prefetch: l.prefetch,
      onError: l.onError,
    });
    this.current = { epoch, loader };
    return loader;
  }

  epoch(epoch: number, options: { startBatch?: number } = {}): AsyncIterable<Batch> {
    return this.loaderFor(epoch).epoch(epoch, options);
  }

  async close(): Promise<void> {
    await this.current?.loader.close();
    await this.loader.close();
  }
}
