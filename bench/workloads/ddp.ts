/**
 * W3 data-parallel (the `ddp` section of `npm run bench`): the W3 step (cnn-small, Adam lr 1e-3, batch `spec.batch`
 * per process) on one process, or — with spec.ranks > 1, started by the parent under mpirun — on every rank through
 * DistributedDataParallel and a DistributedSampler. Rank 0 reports the total images/s (all ranks' images over the
 * slowest rank's time) and the all-reduce share of a step: 'all-reduce wait share' is the time the training thread
 * waited for gradients after backward (the communication compute did not hide), 'all-reduce busy share' the time the
 * communication thread spent in collectives (overlapped with backward), 'all-reduce transfer share' the part of
 * those after the last rank had entered each collective (the communication itself, not a late peer), 'all-reduce CPU share' the communication
 * thread's CPU time over the process's (what communicating costs the rank, whatever the machine's load), and 'CPU ms
 * per step' the process's CPU time per step (the same figure for one process: the two differ by what data
 * parallelism costs in CPU).
 */
import { type Communicator, initMpi } from '../../src/distributed/mpi.ts';
import { DistributedDataParallel } from '../../src/distributed/ddp.ts';
import { DistributedSampler } from '../../src/distributed/sampler.ts';
import type { JobResult, JobSpec } from '../protocol.ts';
import { buildRecipe, seconds, trainLoader } from './common.ts';
import { backward } from '../../src/autograd/backward.ts';
import { crossEntropy } from '../../src/ops/loss.ts';

/** This process's CPU time (all threads), seconds. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Seconds rank 0's all-reduces took from the moment the last rank entered each one until rank 0 had its result: the
 * communication itself, without the time spent waiting for a late peer (which is load, not MPI). Needs every rank on
 * one machine (one monotonic clock); null otherwise.
 */
function transferSeconds(comm: Communicator): number | null {
  const log = comm.takeOpLog();
  if (new Set(comm.hosts).size > 1) return null;
  const all = new Float64Array(comm.allgather(new Uint8Array(log.buffer, log.byteOffset, log.byteLength)).buffer);
  const n = log.length;
  let total = 0;
  for (let k = 0; k < n; k += 3) {
    let lastStart = 0;
    for (let r = 0; r < comm.size; r++) lastStart = Math.max(lastStart, all[r * n + k + 1]);
    total += Math.max(0, all[k + 2] - lastStart);
  }
  return total;
}

export async function runDdpTrain(spec: JobSpec): Promise<Omit<JobResult, 'rssMB' | 'threads'>> {
  const batch = spec.batch ?? 64;
  const comm = (spec.ranks ?? 1) > 1 ? initMpi() : null;
  const { model, optimizer } = buildRecipe('cnn-small', spec.seed ?? 0);
  const ddp = comm ? new DistributedDataParallel(model, comm, { bucketBytes: spec.bucketBytes }) : null;
  const loader = await trainLoader(batch, spec.seed ?? 0);
  const source = comm ? new DistributedSampler(loader, comm) : loader;
  const warmup = spec.warmupSteps ?? 3;
  const steps = spec.maxSteps ?? 100;
  let images = 0;
  let t0 = 0;
  let busy0 = 0;
  let commCpu0 = 0;
  let wait0 = 0;
  let cpu0 = 0;
  let n = 0;
  for await (const b of source.epoch(0)) {
    if (n === warmup) {
      comm?.barrier();
      t0 = performance.now();
      busy0 = comm?.stats().busySeconds ?? 0;
      commCpu0 = comm?.stats().cpuSeconds ?? 0;
      wait0 = ddp?.stats.waitMs ?? 0;
      cpu0 = cpuSeconds();
      comm?.takeOpLog();
    }
    optimizer.zeroGrad();
    backward(crossEntropy(model.forward(b.x), b.y));
    ddp?.afterBackward();
    optimizer.step();
    if (n >= warmup) images += b.x.shape[0];
    if (++n === warmup + steps) break;
  }
  const s = seconds(t0);
  const cpu = cpuSeconds() - cpu0;
  const timed = n - warmup;
  const figures: Record<string, number[]> = {};
  if (!comm) {
    figures['images/s'] = [images / s];
    figures['step ms'] = [(1000 * s) / timed];
    figures['CPU ms per step'] = [(1000 * cpu) / timed];
    return { ok: true, figures, notes: [], info: { steps: timed } };
  }
  const transferS = transferSeconds(comm);
  // All ranks' images over the slowest rank's time; shares are rank 0's.
  const mine = new Float64Array([images, s]);
  const all = new Float64Array(comm.allgather(new Uint8Array(mine.buffer)).buffer);
  let total = 0;
  let slowest = 0;
  for (let r = 0; r < comm.size; r++) {
    total += all[2 * r];
    slowest = Math.max(slowest, all[2 * r + 1]);
  }
  const waitS = (ddp!.stats.waitMs - wait0) / 1000;
  const busyS = comm.stats().busySeconds - busy0;
  const commCpuS = comm.stats().cpuSeconds - commCpu0;
  comm.finalize();
  if (comm.rank !== 0) process.exit(0); // rank 0 alone reports
  figures['images/s'] = [total / slowest];
  figures['step ms'] = [(1000 * s) / timed];
  figures['all-reduce wait share'] = [waitS / s];
  figures['all-reduce busy share'] = [busyS / s];
  figures['all-reduce CPU share'] = [commCpuS / cpu];
  if (transferS !== null) figures['all-reduce transfer share'] = [transferS / s];
  figures['CPU ms per step'] = [(1000 * cpu) / timed];
  return {
    ok: true,
    figures,
    notes: [`${comm.size} ranks × batch ${batch}, ${ddp!.buckets.length} buckets of ≤ ${Math.round((spec.bucketBytes ?? 262144) / 1024)} KB`],
    info: { steps: timed, ranks: comm.size },
  };
}
