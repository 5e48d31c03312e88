/**
 * DistributedDataParallel: the same model on every rank, each rank on its own shard of the batch, gradients averaged
 * so every rank takes the same optimizer step (PyTorch's DDP, on Open MPI).
 *
 * - At start, rank 0's parameters and buffers are broadcast, so all ranks begin identical.
 * - Parameters are grouped into buckets of about `bucketBytes` (256 KB by default) in reverse order, the order
 *   backward produces their gradients. A post-accumulate gradient hook (src/autograd/hooks.ts) copies each
 *   parameter's gradient into its bucket; the moment a bucket is complete, its all-reduce starts on the MPI addon's
 *   communication thread while backward computes the next layers. afterBackward() (called by the Trainer before
 *   clipping and the optimizer step) starts any bucket not yet started (parameters that got no gradient count as
 *   zero), waits for all of them in order, and writes the mean back into each .grad. Every rank then holds the same
 *   bits: the MPI sum is the same on every rank, and so is its division by the rank count (done by the
 *   communication thread) and everything after it. Each rank's loss is the mean over its own batch and every rank
 *   has the same batch size (DistributedSampler pads the epoch), so the mean of the ranks' gradients is the gradient
 *   of the mean loss over the whole N·B batch.
 * - Batch-norm statistics: each rank's running mean and variance follow its own shard during an epoch; at the end of
 *   each epoch's batches (before validation and the epoch checkpoint) they are averaged across ranks
 *   (averageBuffers). SyncBN (synchronising the batch statistics inside every forward) is not done: it would put a
 *   blocking all-reduce in every batch-norm layer of every step; with ≥ 16 images per rank the per-rank statistics are
 *   as good an estimate, which is what PyTorch's DDP does by default too (it broadcasts rank 0's).
 * One backward per step: gradient accumulation over several backward passes is not supported.
 * @example
 *   const comm = initMpi();
 *   const ddp = new DistributedDataParallel(model, comm);   // broadcasts rank 0's weights
 *   const trainer = new Trainer({ model, optimizer, distributed: ddp });
 *   await trainer.fit(new DistributedSampler(trainLoader, comm), { epochs: 2, val });
 */
import { registerPostAccumulateGradHook } from '../autograd/hooks.ts';
import type { Module, Parameter } from '../nn/module.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { Communicator } from './mpi.ts';

export interface DdpOptions {
  /** Bytes of gradient per all-reduce (default 256 KB); a parameter larger than this gets a bucket of its own. */
  bucketBytes?: number;
  /** Broadcast rank 0's parameters and buffers now (default true). */
  broadcast?: boolean;
}

interface Bucket {
  index: number;
  params: Parameter[];
  offsets: number[];
  flat: Float32Array;
  ready: Set<Parameter>;
  /** The running all-reduce, or null when not started this step. */
  op: number | null;
}

export interface DdpStats {
  /** Steps synchronised. */
  steps: number;
  /** Milliseconds the training thread waited for all-reduces after backward (the communication not hidden by compute). */
  waitMs: number;
  /** Of those, the last step's. */
  lastWaitMs: number;
  /** All-reduces run. */
  allreduces: number;
}

export const DEFAULT_BUCKET_BYTES = 256 * 1024;

export class DistributedDataParallel {
  readonly model: Module;
  readonly comm: Communicator;
  readonly buckets: Bucket[] = [];
  readonly stats: DdpStats = { steps: 0, waitMs: 0, lastWaitMs: 0, allreduces: 0 };
  private readonly bucketOf = new Map<Parameter, Bucket>();
  private readonly handles: { remove(): void }[] = [];
  private launched: Bucket[] = [];

  constructor(model: Module, comm: Communicator, options: DdpOptions = {}) {
    this.model = model;
    this.comm = comm;
    const limit = Math.max(4, options.bucketBytes ?? DEFAULT_BUCKET_BYTES);
    if (options.broadcast ?? true) this.broadcastState();
    const params = model.parameters().filter((p) => p.requiresGrad);
    let group: Parameter[] = [];
    let bytes = 0;
    const close = () => {
      if (group.length === 0) return;
      const offsets: number[] = [];
      let n = 0;
      for (const p of group) {
        offsets.push(n);
        n += p.size;
      }
      const b: Bucket = { index: this.buckets.length, params: group, offsets, flat: new Float32Array(n), ready: new Set(), op: null };
      this.buckets.push(b);
      for (const p of group) this.bucketOf.set(p, b);
      group = [];
      bytes = 0;
    };
    for (let i = params.length - 1; i >= 0; i--) {
      const p = params[i];
      if (bytes > 0 && bytes + 4 * p.size > limit) close();
      group.push(p);
      bytes += 4 * p.size;
    }
    close();
    for (const p of params) this.handles.push(registerPostAccumulateGradHook(p, (t) => this.gradReady(t as Parameter)));
  }

  /** Rank 0's parameters and buffers, copied into every rank's (in place). */
  broadcastState(): void {
    for (const t of this.model.stateDict().values()) {
      this.comm.broadcast(t.data as Float32Array, 0);
      t.version.value++;
    }
  }

  private gradReady(p: Parameter): void {
    const b = this.bucketOf.get(p);
    if (!b || b.op !== null || p.grad === null) return;
    b.flat.set(p.grad.f32, b.offsets[b.params.indexOf(p)]);
    b.ready.add(p);
    if (b.ready.size === b.params.length) this.start(b);
  }

  private start(b: Bucket): void {
    // The communication thread divides the sum by the rank count: every rank gets the mean, bit for bit the same.
    b.op = this.comm.allreduceStart(b.flat, this.comm.size);
    this.launched.push(b);
  }

  /** Makes every rank's gradients their mean over all ranks (the Trainer calls it after backward). */
  afterBackward(): void {
    const t0 = performance.now();
    for (const b of this.buckets) {
      if (b.op !== null) continue;
      // Parameters without a gradient this step (unused by the forward) take part as zeros.
      b.params.forEach((p, k) => {
        if (b.ready.has(p)) return;
        const at = b.offsets[k];
        if (p.grad) b.flat.set(p.grad.f32, at);
        else b.flat.fill(0, at, at + p.size);
      });
      this.start(b);
    }
    for (const b of this.launched) {
      this.comm.wait(b.op!);
      b.op = null;
      b.ready.clear();
      b.params.forEach((p, k) => {
        const mean = b.flat.subarray(b.offsets[k], b.offsets[k] + p.size);
        if (p.grad && p.grad.size === p.size) p.grad.f32.set(mean);
        else p.grad = new Tensor(mean.slice(), p.shape);
      });
    }
    this.stats.allreduces += this.launched.length;
    this.launched = [];
    const waited = performance.now() - t0;
    this.stats.steps++;
    this.stats.waitMs += waited;
    this.stats.lastWaitMs = waited;
  }

  /** Averages the float buffers (batch-norm running statistics) across ranks; the Trainer calls it at each epoch's end. */
  averageBuffers(): void {
    for (const [, t] of this.model.namedBuffers()) {
      if (t.dtype !== 'float32') continue;
      this.comm.allreduce(t.f32, this.comm.size);
      t.version.value++;
    }
  }

  /** The Trainer's end-of-epoch hook. */
  onEpochTrained(): void {
    this.averageBuffers();
  }

  /** Removes the gradient hooks (the model trains alone again). */
  detach(): void {
    for (const h of this.handles) h.remove();
    this.handles.length = 0;
  }
}

/** A short hash of every parameter's bytes (FNV-1a), to compare ranks bit for bit. */
export function parameterHash(model: Module): string {
  let h = 0x811c9dc5;
  for (const p of model.parameters()) {
    const bytes = new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
