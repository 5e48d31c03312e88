/**
 * `simmer-ml/distributed` (package.json "exports"): data-parallel training on Open MPI — initMpi, DistributedSampler,
 * DistributedDataParallel. The MPI addon loads only when initMpi() is called.
 */
import '../index.ts';

export * from '../distributed/index.ts';
