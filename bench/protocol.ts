/**
 * What a benchmark child process is asked to do and what it answers — shared by bench/run.ts (the parent), the Simmer
 * workloads (bench/workloads/) and the TensorFlow.js peer (bench/peers/tfjs_bench.ts). The PyTorch peer
 * (bench/peers/torch_bench.py) speaks the same JSON.
 *
 * Every measurement runs in its own child process, so peak RSS is per system and one crash does not end the run.
 * The child prints exactly one line `@@RESULT <json>` on stdout; anything else it prints is ignored.
 *
 * @example
 *   // child side
 *   emitResult({ ok: true, figures: { 'images/s': [1450] }, notes: [], rssMB: rssMB(), threads: 2 });
 */

/** The job kinds; W1–W4, W6 (unet-train), W7 (unet-sample) and T1 of shared/WORKLOADS.md map onto these; api-latency and train-rss are Simmer's service figures. */
export type JobKind =
  'sgemm' | 'mlp-train' | 'cnn-train' | 'cnn-accuracy' | 'cnn-infer' | 'unet-train' | 'unet-sample' | 'api-latency' | 'train-rss' | 'ddp-train';

export interface JobSpec {
  kind: JobKind;
  /** Threads the system may use (Simmer native: SIMMER_THREADS; PyTorch: torch.set_num_threads). */
  threads: number;
  /** Stop after this many seconds of measured work once `minSteps` (or `minCalls`) are done. */
  budgetS: number;
  /** Upper bound on timed steps (train jobs) or images (infer). 0 = one full epoch / the whole test set. */
  maxSteps?: number;
  minSteps?: number;
  /** Untimed steps before timing starts. */
  warmupSteps?: number;
  batch?: number;
  seed?: number;
  /** sgemm: [M, N, K] shapes (C is M×N, the inner dimension K). */
  shapes?: [number, number, number][];
  minCalls?: number;
  maxCalls?: number;
  /** cnn-train: augmentation preset through the DataLoader (Simmer only) and its worker count. */
  augment?: string;
  workers?: number;
  /** cnn-accuracy: evaluate every `evalEvery` steps (0 = every 1/4 epoch); train at least minEpochs, at most maxEpochs. */
  evalEvery?: number;
  minEpochs?: number;
  maxEpochs?: number;
  /** Accuracy the time-to-accuracy clock stops at (T1: 0.9). */
  target?: number;
  /** cnn-infer: passes over the test set; unet-sample: timed sampling calls. */
  passes?: number;
  /** unet-sample: DDIM steps per call (W7: 25). */
  samplerSteps?: number;
  /** ddp-train: processes (mpirun -np; 1 = no MPI) and the all-reduce bucket size. */
  ranks?: number;
  bucketBytes?: number;
}

/** One point of a time-to-accuracy curve. */
export interface CurvePoint {
  epoch: number;
  step: number;
  trainSeconds: number;
  accuracy: number;
}

export interface JobResult {
  ok: boolean;
  /** Why the job could not run (missing kernel, crash); `unsupported` marks a capability gap rather than a crash. */
  error?: string;
  unsupported?: boolean;
  threads: number;
  /** Peak resident set size of the child process, in MB. */
  rssMB: number;
  /** Named figures; each an array of samples (one per call, pass or segment). */
  figures: Record<string, number[]>;
  /** Honest caveats: extrapolated from N steps, single-threaded, etc. */
  notes: string[];
  curve?: CurvePoint[];
  /** What ran: versions, SIMD path. */
  info?: Record<string, unknown>;
}

export const RESULT_PREFIX = '@@RESULT ';

export function emitResult(r: JobResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(r)}\n`);
}

/** Peak RSS of this process in MB (Linux reports maxRSS in KiB). */
export function rssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Parses the job spec a child gets as its last argument. */
export function parseSpec(argv: string[]): JobSpec {
  const raw = argv[argv.length - 1];
  try {
    return JSON.parse(raw) as JobSpec;
  } catch {
    throw new Error(`bench child: expected a JSON job spec as the last argument, got ${raw}`);
  }
}

/** Finds the result line in a child's stdout. */
export function parseResult(stdout: string): JobResult | null {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) return null;
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as JobResult;
}

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const TRAIN_SIZE = 60000;
export const TEST_SIZE = 10000;
