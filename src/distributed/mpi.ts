/**
 * The Open MPI addon (native/mpi/, built by `npm run build:native` where `mpicc` exists), loaded lazily: only
 * `--distributed` and the library's initDistributed() touch it, so a machine without MPI never notices. Without the
 * addon the error says what to install.
 * @example
 *   const comm = initMpi();              // under mpirun -np 2
 *   const g = new Float32Array([comm.rank + 1]);
 *   comm.allreduce(g);                   // g[0] === 3 on both ranks
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Bytes = Float32Array | Int32Array | Uint8Array | Float64Array | Uint32Array;

export interface CommStats {
  operations: number;
  busySeconds: number;
  cpuSeconds: number;
  bytesReduced: number;
}

/** The collectives data parallelism needs. Every rank must call them in the same order. */
export interface Communicator {
  readonly rank: number;
  readonly size: number;
  /** Host name of each rank. */
  readonly hosts: readonly string[];
  /** Sums `buf` over all ranks, in place, then divides it by `divisor` (default 1; the rank count gives the mean). */
  allreduce(buf: Float32Array, divisor?: number): void;
  /**
   * Starts an in-place sum (divided by `divisor`, as allreduce) on the communication thread; collect it with wait() (or
   * poll test()). Keep `buf` untouched until then.
   */
  allreduceStart(buf: Float32Array, divisor?: number): number;
  wait(id: number): void;
  test(id: number): boolean;
  /** Copies root's bytes of `buf` into every rank's `buf`. */
  broadcast(buf: Bytes, root?: number): void;
  barrier(): void;
  /** Every rank's bytes (the same length on each), rank after rank. */
  allgather(buf: Uint8Array): Uint8Array;
  /** Seconds the communication thread spent in collectives (wall, and its CPU time), and how many it ran. */
  stats(): CommStats;
  /**
   * The collectives run since the last call: (order number, start, finish) triples, in seconds of the machine's
   * monotonic clock, so the ranks of one machine can be lined up (when the last rank entered, when each left).
   */
  takeOpLog(): Float64Array;
  finalize(): void;
}

interface MpiAddon {
  init(o: { heartbeat: number; timeout: number; opTimeout: number }): { rank: number; size: number; threadLevel: number; hosts: string[] };
  allreduce(buf: Float32Array, divisor: number): void;
  allreduceStart(buf: Float32Array, divisor: number): number;
  wait(id: number): void;
  test(id: number): boolean;
  broadcast(buf: Bytes, root: number): void;
  barrier(): void;
  allgather(buf: Uint8Array): Uint8Array;
  stats(): CommStats;
  takeOpLog(): Float64Array;
  failure(): string | null;
  finalize(): void;
}

const ADDON = join('native', 'mpi', 'build', 'Release', 'simmer_mpi.node');

/** Raised when --distributed cannot work here: no Open MPI, no addon, or not started by mpirun. */
export class DistributedUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DistributedUnavailableError';
  }
}

function findAddon(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, ADDON))) return join(dir, ADDON);
    dir = dirname(dir);
  }
  return null;
}

function hasCommand(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error;
}

/** Why the MPI addon cannot load, with the fix; null when it can. */
export function mpiUnavailable(): string | null {
  if (findAddon() !== null) return null;
  if (!hasCommand('mpicc'))
    return 'distributed training needs Open MPI, which is not installed: apt-get install openmpi-bin libopenmpi-dev, then npm run build:native (it builds native/mpi), and start the run with mpirun -np <N> ... --distributed';
  return `the MPI addon ${ADDON} is not built although mpicc is installed: run npm run build:native and read build/mpi-build.log`;
}

/** True when this process was started by an MPI launcher (mpirun, mpiexec, srun with PMIx). */
export function underMpiLauncher(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.OMPI_COMM_WORLD_SIZE !== undefined || env.PMIX_RANK !== undefined || env.PMI_SIZE !== undefined;
}

let comm: Communicator | null = null;

export interface MpiOptions {
  /** Seconds between heartbeats to every other rank (default 1, or SIMMER_DIST_HEARTBEAT). */
  heartbeat?: number;
  /** A rank not heard from for this many seconds is declared lost (default 30, or SIMMER_DIST_TIMEOUT). */
  timeout?: number;
  /** A collective that waits this long while every rank still beats fails, naming who has not reached it (default 600). */
  opTimeout?: number;
}

function envSeconds(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/**
 * Kernel threads each rank should run when SIMMER_THREADS is not set: the cores mpirun bound it to (by default one
 * core per rank for 2 ranks), or, unbound, this machine's cores shared among the ranks on it. Without this every rank
 * would start one thread per core of the machine, and N ranks would fight over the same cores.
 */
export function threadsPerRank(env: NodeJS.ProcessEnv = process.env): number {
  const allowed = availableParallelism();
  if (allowed < cpus().length) return allowed;
  const local = Number(env.OMPI_COMM_WORLD_LOCAL_SIZE ?? env.MPI_LOCALNRANKS ?? 1);
  return Math.max(1, Math.floor(allowed / (Number.isInteger(local) && local > 0 ? local : 1)));
}

/**
 * Initialises MPI once (on the addon's communication thread) and returns the world communicator. Sets
 * SIMMER_THREADS to threadsPerRank() when it is unset, so call it before the first kernel runs (the thread pool
 * starts then).
 */
export function initMpi(options: MpiOptions = {}): Communicator {
  if (comm) return comm;
  const problem = mpiUnavailable();
  if (problem) throw new DistributedUnavailableError(problem);
  if (!process.env.SIMMER_THREADS && underMpiLauncher()) process.env.SIMMER_THREADS = String(threadsPerRank());
  const addon = createRequire(import.meta.url)(findAddon()!) as MpiAddon;
  const info = addon.init({
    heartbeat: options.heartbeat ?? envSeconds('SIMMER_DIST_HEARTBEAT', 1),
    timeout: options.timeout ?? envSeconds('SIMMER_DIST_TIMEOUT', 30),
    opTimeout: options.opTimeout ?? envSeconds('SIMMER_DIST_OP_TIMEOUT', 600),
  });
  comm = {
    rank: info.rank,
    size: info.size,
    hosts: info.hosts,
    allreduce: (b, divisor = 1) => addon.allreduce(b, divisor),
    allreduceStart: (b, divisor = 1) => addon.allreduceStart(b, divisor),
    wait: (id) => addon.wait(id),
    test: (id) => addon.test(id),
    broadcast: (b, root = 0) => addon.broadcast(b, root),
    barrier: () => addon.barrier(),
    allgather: (b) => addon.allgather(b),
    stats: () => addon.stats(),
    takeOpLog: () => addon.takeOpLog(),
    finalize: () => addon.finalize(),
  };
  return comm;
}
