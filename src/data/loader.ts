/**
 * DataLoader: batches of a dataset as tensors, in a seeded order that depends only on (seed, epoch), so a resumed run
 * sees the same batches — and can start mid-epoch at any batch index.
 *
 * Three ways to make a batch, chosen automatically:
 *  - fast path (no transform and a dataset with a synchronous `readInto`, e.g. Fashion-MNIST in memory): the batch is
 *    filled straight from the dataset's bytes in the main thread — a few microseconds for 64 images;
 *  - main thread (`workers: 0`): `get` + transform, with up to `prefetch` batches in flight for datasets that decode
 *    asynchronously (sharp decodes on libuv threads);
 *  - worker threads (`workers: n`): each worker rebuilds the dataset and transform from their JSON specs and makes
 *    whole batches; `prefetch` batches are kept in flight so the trainer rarely waits.
 * Every batch reports `waitMs`, how long the consumer waited for it.
 *
 * @example
 *   const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 1, transform: 'standard', workers: 2 });
 *   for (let epoch = 0; epoch < 10; epoch++) {
 *     for await (const { x, y, waitMs } of loader.epoch(epoch)) { ... }
 *   }
 *   await loader.close();
 */
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Tensor } from '../tensor/tensor.ts';
import { assembleBatch, type FetchedSamples, fetchSamples, type RawBatch, readBatchSync } from './batch.ts';
import { type Dataset, isSpecDataset, type SpecDataset } from './dataset.ts';
import { DataError } from './errors.ts';
import type { SkippedFile } from './image-list.ts';
import { generatorFor, permutation } from './seed.ts';
import { sourceOf } from './trainable.ts';
import type { Transform } from './transforms/image.ts';
import { buildTransform, isIdentity, type TransformSpec } from './transforms/spec.ts';

export interface DataLoaderOptions {
  /** Default 64. */
  batchSize?: number;
  /** Shuffle every epoch (seeded by seed and epoch). Default false. */
  shuffle?: boolean;
  /** Seeds the shuffle and the augmentation. Default 0. */
  seed?: number;
  /** Drop the last, smaller batch. Default false. */
  dropLast?: boolean;
  /** Worker threads for decoding and augmentation; 0 = the main thread. Default 0. */
  workers?: number;
  /** Per-sample augmentation as JSON (a preset name or steps), so it can travel to workers. */
  transform?: TransformSpec;
  /** Batches kept in flight ahead of the consumer. Default 2 × workers (at least 2). */
  prefetch?: number;
  /** An unreadable sample is left out of its batch and recorded in `loader.skipped` ('skip', default) or thrown ('throw'). */
  onError?: 'skip' | 'throw';
}

export interface Batch {
  /** float32 [N, C, H, W]. */
  x: Tensor;
  /** int32 [N] (-1 for unlabelled samples). */
  y: Tensor;
  captions?: string[];
  /** Dataset indices of the samples, in batch order. */
  indices: number[];
  /** Milliseconds the consumer waited for this batch. */
  waitMs: number;
  /** Index of the batch within its epoch. */
  batch: number;
}

interface Pending {
  resolve: (b: RawBatch) => void;
  reject: (e: Error) => void;
  worker: WorkerSlot;
}

interface WorkerSlot {
  worker: Worker;
  inFlight: number;
}

export class DataLoader {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly workers: number;
  readonly prefetch: number;
  readonly transformSpec: TransformSpec | undefined;
  readonly onError: 'skip' | 'throw';
  /** Samples that could not be read so far, with why. */
  readonly skipped: SkippedFile[] = [];
  /** Which way batches are made: 'fast', 'main' or 'workers'. */
  readonly mode: 'fast' | 'main' | 'workers';
  private readonly transform: Transform | null;
  private currentEpoch = 0;
  private pool: WorkerSlot[] | null = null;
  private pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(dataset: Dataset, opts: DataLoaderOptions = {}) {
    this.dataset = dataset;
    this.batchSize = opts.batchSize ?? 64;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1)
      throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    if (dataset.length === 0) {
      const where = sourceOf(dataset);
      throw new DataError('empty-dataset', `DataLoader: no images to load from ${where}`, 'check the dataset path and split, or give it more images', where);
    }
    this.shuffle = opts.shuffle ?? false;
    this.seed = opts.seed ?? 0;
    this.dropLast = opts.dropLast ?? false;
    this.transformSpec = opts.transform;
    this.onError = opts.onError ?? 'skip';
    const identity = isIdentity(opts.transform);
    this.transform = identity ? null : buildTransform(opts.transform);
    const requested = Math.max(0, Math.min(opts.workers ?? 0, Math.max(1, cpus().length * 2)));
    const fast = identity && isSpecDataset(dataset) && typeof dataset.readInto === 'function';
    // The fast path beats any worker: posting a message costs more than copying 64 small images.
    if (fast) this.mode = 'fast';
    else if (requested > 0 && isSpecDataset(dataset)) this.mode = 'workers';
    else this.mode = 'main';
    this.workers = this.mode === 'workers' ? requested : 0;
    this.prefetch = Math.max(1, opts.prefetch ?? Math.max(2, 2 * this.workers));
    if (this.dropLast && this.batchesPerEpoch === 0) {
      throw new RangeError(
        `DataLoader: dropLast with batchSize ${this.batchSize} leaves no batch from ${dataset.length} samples; lower batchSize or drop dropLast`,
      );
    }
  }

  get batchesPerEpoch(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample order of an epoch: a permutation drawn from (seed, epoch) when shuffling, else 0..n-1. */
  order(epoch: number): Int32Array {
    const n = this.dataset.length;
    if (!this.shuffle) return Int32Array.from({ length: n }, (_, i) => i);
    return permutation(n, generatorFor(this.seed, epoch, 0x5348));
  }

  /** The dataset indices of batch `b` of `epoch`. */
  batchIndices(epoch: number, b: number, order = this.order(epoch)): Int32Array {
    return order.subarray(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
  }

  /** Sets the epoch used by `for await (const b of loader)`. */
  setEpoch(epoch: number): void {
    this.currentEpoch = epoch;
  }

  [Symbol.asyncIterator](): AsyncGenerator<Batch> {
    return this.epoch(this.currentEpoch);
  }

  /**
   * The batches of one epoch, from `startBatch` on (to resume mid-epoch).
   * @example
   *   for await (const batch of loader.epoch(3, { startBatch: 120 })) trainStep(batch.x, batch.y);
   */
  async *epoch(epoch: number, opts: { startBatch?: number } = {}): AsyncGenerator<Batch> {
    const start = opts.startBatch ?? 0;
    const total = this.batchesPerEpoch;
    if (!Number.isInteger(start) || start < 0 || start > total) throw new RangeError(`DataLoader.epoch: startBatch ${start} is outside 0..${total}`);
    const order = this.order(epoch);
    if (this.mode === 'fast') {
      const ds = this.dataset as SpecDataset;
      for (let b = start; b < total; b++) {
        const t0 = performance.now();
        const raw = readBatchSync(ds, this.batchIndices(epoch, b, order));
        yield this.toBatch(raw, b, performance.now() - t0);
      }
      return;
    }
    // Main thread: only the reads (I/O) run ahead; the transform runs inside the timed window below, so waitMs counts it.
    // Workers: whole batches run ahead.
    const inFlight = new Map<number, Promise<RawBatch | FetchedSamples>>();
    let next = start;
    const launch = () => {
      while (next < total && inFlight.size < this.prefetch) {
        const indices = Array.from(this.batchIndices(epoch, next, order));
        const p = this.mode === 'workers' ? this.viaWorker(epoch, indices) : fetchSamples(this.dataset, indices);
        // Rejections are observed when the batch is awaited; this stops an unhandled-rejection warning meanwhile.
        p.catch(() => {});
        inFlight.set(next++, p);
      }
    };
    try {
      for (let b = start; b < total; b++) {
        // Everything from here to the yield is time the consumer spends waiting.
        const t0 = performance.now();
        launch();
        const got = await inFlight.get(b)!;
        inFlight.delete(b);
        launch();
        const raw = Array.isArray(got) ? assembleBatch(this.dataset, got, this.transform, this.seed, epoch, this.onError) : got;
        const waitMs = performance.now() - t0;
        this.skipped.push(...raw.skipped);
        if (raw.indices.length === 0) continue;
        yield this.toBatch(raw, b, waitMs);
      }
    } finally {
      // An abandoned epoch (break, error) leaves requests in flight; their results are simply dropped.
      for (const p of inFlight.values()) p.catch(() => {});
    }
  }

  private toBatch(raw: RawBatch, b: number, waitMs: number): Batch {
    const n = raw.indices.length;
    const batch: Batch = {
      x: new Tensor(raw.x, [n, ...raw.shape]),
      y: new Tensor(raw.y, [n]),
      indices: raw.indices,
      waitMs,
      batch: b,
    };
    if (raw.captions) batch.captions = raw.captions;
    return batch;
  }

  private startPool(): WorkerSlot[] {
    const workerData = { dataset: (this.dataset as SpecDataset).spec, transform: this.transformSpec, seed: this.seed, onError: this.onError };
    const pool: WorkerSlot[] = [];
    for (let i = 0; i < this.workers; i++) {
      const worker = spawnLoaderWorker(workerData);
      const slot: WorkerSlot = { worker, inFlight: 0 };
      worker.unref();
      worker.on('message', (msg: { id: number; batch?: RawBatch; error?: { message: string; code?: string; fix?: string } }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (--slot.inFlight === 0) worker.unref();
        if (msg.error) {
          const e =
            msg.error.code && msg.error.fix ? new DataError(msg.error.code, msg.error.message.split('\n')[0], msg.error.fix) : new Error(msg.error.message);
          p.reject(e);
        } else p.resolve(msg.batch!);
      });
      worker.on('error', (e) => this.failWorker(slot, e));
      worker.on('exit', (code) => {
        if (code !== 0) this.failWorker(slot, new Error(`DataLoader worker exited with code ${code}`));
      });
      pool.push(slot);
    }
    return pool;
  }

  private failWorker(slot: WorkerSlot, e: Error): void {
    for (const [id, p] of this.pending) {
      if (p.worker !== slot) continue;
      this.pending.delete(id);
      p.reject(new Error(`DataLoader worker failed: ${e.message}`));
    }
  }

  private viaWorker(epoch: number, indices: number[]): Promise<RawBatch> {
    this.pool ??= this.startPool();
    const slot = this.pool.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    return new Promise<RawBatch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: slot });
      // Keep the process alive only while a worker owes us a batch.
      if (slot.inFlight++ === 0) slot.worker.ref();
      slot.worker.postMessage({ id, epoch, indices });
    });
  }

  /** Stops the worker threads (they are also unref'd, so a forgotten close does not keep the process alive). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    // An unref'd worker's exit does not keep the event loop alive, so `await close()` at the top level of a module
    // would never settle (Node exits with code 13): hold a reference until each worker has gone.
    if (pool)
      await Promise.all(
        pool.map((s) => {
          s.worker.ref();
          return s.worker.terminate();
        }),
      );
  }
}

/**
 * Starts a loader worker. Compiled to dist/ the worker is plain .js. Under tsx the worker is .ts, and tsx's loader hooks
 * (from `--import tsx`) do not reach a worker's entry module on Node 20, so a two-line bootstrap registers tsx in the
 * worker first and then imports the TypeScript file.
 */
function spawnLoaderWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./loader-worker.js', import.meta.url), { workerData });
  const entry = new URL('./loader-worker.ts', import.meta.url).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
