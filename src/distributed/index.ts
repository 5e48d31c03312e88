/**
 * Data-parallel training on Open MPI: the communicator (mpi.ts), the sampler that shards each epoch (sampler.ts) and
 * DistributedDataParallel (ddp.ts). `simmer train --distributed` wires them into a run (src/runs/run.ts); from the
 * library, start the script under `mpirun -np N node --import tsx script.ts`.
 * @example
 *   import { DistributedDataParallel, DistributedSampler, initMpi } from 'simmer-ml/distributed';
 *   const comm = initMpi();
 *   const ddp = new DistributedDataParallel(model, comm);
 *   const trainer = new Trainer({ model, optimizer, distributed: ddp, callbacks: comm.rank === 0 ? [new ProgressBar(2)] : [] });
 *   await trainer.fit(new DistributedSampler(trainLoader, comm), { epochs: 2, val: testLoader });
 *   comm.finalize();
 */
export { DEFAULT_BUCKET_BYTES, type DdpOptions, type DdpStats, DistributedDataParallel, parameterHash } from './ddp.ts';
export { type Communicator, DistributedUnavailableError, initMpi, type MpiOptions, mpiUnavailable, underMpiLauncher } from './mpi.ts';
export { DistributedSampler } from './sampler.ts';
