/**
 * What `simmer train --distributed` (src/runs/run.ts) adds to a run: MPI started once, rank 0 alone owning the run
 * folder (the run id is broadcast), each rank training on its shard, and DistributedDataParallel on the model
 * (src/distributed/resume.ts moves a resumed run to the same point of its epoch whatever the number of ranks that wrote it).
 * Loaded with import() only when --distributed is given, so MPI is never touched otherwise.
 */
import { basename, dirname } from 'node:path';
import type { DataLoader } from '../data/loader.ts';
import type { Module } from '../nn/module.ts';
import type { Callback } from '../train/types.ts';
import { isGenerativeModel } from '../models/registry.ts';
import { type RunPaths, runPaths } from './run-store.ts';
import { DEFAULT_BUCKET_BYTES, DistributedDataParallel } from '../distributed/ddp.ts';
import { type Communicator, initMpi } from '../distributed/mpi.ts';
import { DistributedSampler } from '../distributed/sampler.ts';

export interface DistributedRunOptions {
  /** All-reduce bucket size in bytes (default 256 KB; the recipe's bucketKb sets it from the CLI). */
  bucketBytes?: number;
  /** An already initialised communicator (tests); default: initMpi(). */
  comm?: Communicator;
}

export class DistributedRun {
  readonly comm: Communicator;
  readonly leader: boolean;
  readonly bucketBytes: number;
  ddp: DistributedDataParallel | null = null;

  constructor(comm: Communicator, bucketBytes: number) {
    this.comm = comm;
    this.leader = comm.rank === 0;
    this.bucketBytes = bucketBytes;
  }

  /** Rank 0 makes (or reopens) the run folder; every rank learns where it is. */
  shareRun(make: () => RunPaths): RunPaths {
    const buf = new Uint8Array(4096);
    let mine: RunPaths | null = null;
    if (this.leader) {
      mine = make();
      const bytes = new TextEncoder().encode(mine.dir);
      if (bytes.length >= buf.length) throw new RangeError(`the run folder path is longer than ${buf.length - 1} bytes: ${mine.dir}`);
      buf.set(bytes);
    }
    this.comm.broadcast(buf, 0);
    if (mine) return mine;
    const dir = new TextDecoder().decode(buf.subarray(0, buf.indexOf(0)));
    return runPaths(dirname(dir), basename(dir));
  }

  sampler(loader: DataLoader): DistributedSampler {
    return new DistributedSampler(loader, { rank: this.comm.rank, size: this.comm.size });
  }

  /** DistributedDataParallel on the model (rank 0's weights broadcast now). */
  attach(model: Module): DistributedDataParallel {
    this.ddp = new DistributedDataParallel(model, this.comm, { bucketBytes: this.bucketBytes });
    return this.ddp;
  }

  /** Ranks other than 0 print nothing: their warnings (overfitting, ...) are rank 0's too. */
  quietWarnings(): Callback {
    return { onWarning() {} };
  }
}

/** Starts MPI for a run (or refuses a model it cannot train data-parallel). */
export function startDistributed(model: string, o: DistributedRunOptions = {}): DistributedRun {
  if (isGenerativeModel(model))
    throw new Error(`--distributed trains classifiers; '${model}' is a generative model whose task drives its own optimizers, so train it on one process`);
  return new DistributedRun(o.comm ?? initMpi(), o.bucketBytes ?? DEFAULT_BUCKET_BYTES);
}
