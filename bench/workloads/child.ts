/**
 * Entry of a Simmer benchmark child process: runs one job (bench/protocol.ts) on the backend chosen by
 * SIMMER_BACKEND (and SIMMER_THREADS), then prints its result line with the process's peak RSS.
 * Usage (the parent does this): SIMMER_BACKEND=native node --import tsx bench/workloads/child.ts '{"kind":"sgemm",...}'
 */
import { backend } from '../../src/backend/index.ts';
import { nativeInfo } from '../../src/backend/native/load.ts';
import { emitResult, type JobResult, type JobSpec, parseSpec, rssMB } from '../protocol.ts';
import { runApiLatency } from './api-latency.ts';
import { runTrainRss } from './train-rss.ts';
import { runSgemm } from './w1-sgemm.ts';
import { runMlpTrain } from './w2-mlp.ts';
import { runCnnAccuracy, runCnnTrain } from './w3-cnn.ts';
import { runCnnInfer } from './w4-infer.ts';
import { runUnetSample, runUnetTrain } from './w6-unet.ts';
import { runDdpTrain } from './ddp.ts';

async function run(spec: JobSpec): Promise<Omit<JobResult, 'rssMB' | 'threads'>> {
  switch (spec.kind) {
    case 'sgemm':
      return runSgemm(spec);
    case 'mlp-train':
      return runMlpTrain(spec);
    case 'cnn-train':
      return runCnnTrain(spec);
    case 'cnn-accuracy':
      return runCnnAccuracy(spec);
    case 'cnn-infer':
      return runCnnInfer(spec);
    case 'unet-train':
      return runUnetTrain(spec);
    case 'unet-sample':
      return runUnetSample(spec);
    case 'api-latency':
      return runApiLatency(spec);
    case 'train-rss':
      return runTrainRss(spec);
    case 'ddp-train':
      return runDdpTrain(spec);
  }
}

const spec = parseSpec(process.argv);
const name = backend().name;
const native = name === 'native' ? nativeInfo().info : null;
const threads = native ? native.threads : 1;
try {
  const r = await run(spec);
  emitResult({ ...r, threads, rssMB: rssMB(), info: { ...r.info, backend: name, simd: native?.simd, gemmKernel: native?.gemmKernel } });
} catch (e) {
  emitResult({ ok: false, error: (e as Error).stack ?? String(e), threads, rssMB: rssMB(), figures: {}, notes: [] });
}
process.exit(0);
