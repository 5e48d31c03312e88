/**
 * W1 on Simmer: SGEMM C = A·B through the backend's own matmul kernel (native packed SGEMM, or the JS reference),
 * for 1024³ and the skinny shapes of W3. Figure: GFLOP/s = 2·M·N·K / s per call, after warm-up.
 * Shapes are [M, N, K]: C is M×N, the inner dimension K.
 */
import { backend } from '../../src/backend/index.ts';
import type { JobResult, JobSpec } from '../protocol.ts';
import { keepGoing } from './common.ts';

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = (s >>> 0) / 2 ** 31 - 1;
  }
  return a;
}

export async function runSgemm(spec: JobSpec): Promise<Omit<JobResult, 'rssMB' | 'threads'>> {
  const b = backend();
  const figures: Record<string, number[]> = {};
  const notes: string[] = [];
  const minCalls = spec.minCalls ?? 10;
  const maxCalls = spec.maxCalls ?? 10;
  for (const [m, n, k] of spec.shapes ?? []) {
    const A = random(m * k, 1);
    const B = random(k * n, 2);
    const C = new Float32Array(m * n);
    const params = { batch: 1, m, n, k, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false };
    for (let w = 0; w < (spec.warmupSteps ?? 2); w++) b.matmul(A, B, C, params);
    const samples: number[] = [];
    const t0 = performance.now();
    while (keepGoing(samples.length, t0, { minSteps: minCalls, maxSteps: maxCalls, budgetS: spec.budgetS })) {
      const t = performance.now();
      b.matmul(A, B, C, params);
      samples.push((2 * m * n * k) / ((performance.now() - t) / 1000) / 1e9);
    }
    const key = `${m}x${n}x${k}`;
    figures[key] = samples;
    if (samples.length < 10) notes.push(`${key}: ${samples.length} calls (time budget)`);
  }
  return { ok: true, figures, notes, info: { backend: b.name } };
}
