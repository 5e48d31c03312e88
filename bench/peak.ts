/**
 * W5: compiles bench/peak/fma_peak.cc with g++ into build/bench/ (once per source change) and measures the fp32 FMA
 * peak on 1 thread and on all cores. The native addon has no peak kernel, hence this small program.
 * Figure: GFLOP/s per run; W1 is reported as a fraction of the peak for the thread count a system used.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface PeakResult {
  ok: boolean;
  error?: string;
  isa?: string;
  /** GFLOP/s samples per thread count. */
  byThreads: Record<number, number[]>;
}

export function buildPeak(root: string): string {
  const src = join(root, 'bench', 'peak', 'fma_peak.cc');
  const out = join(root, 'build', 'bench', 'fma_peak');
  if (existsSync(out) && statSync(out).mtimeMs > statSync(src).mtimeMs) return out;
  mkdirSync(join(root, 'build', 'bench'), { recursive: true });
  execFileSync('g++', ['-O2', '-pthread', '-o', out, src], { stdio: ['ignore', 'pipe', 'pipe'] });
  return out;
}

/** Runs the peak program `reps` times per thread count (alternating 1 and all threads). */
export function measurePeak(root: string, threads: number[], reps: number, seconds: number): PeakResult {
  let exe: string;
  try {
    exe = buildPeak(root);
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return { ok: false, error: `g++ could not build bench/peak/fma_peak.cc: ${err.stderr?.toString().trim() || err.message}`, byThreads: {} };
  }
  const byThreads: Record<number, number[]> = {};
  let isa: string | undefined;
  for (let r = 0; r < reps; r++) {
    for (const t of threads) {
      const line = execFileSync(exe, [String(t), String(seconds)], { encoding: 'utf8' });
      const parsed = JSON.parse(line) as { isa: string; gflops: number };
      isa = parsed.isa;
      (byThreads[t] ??= []).push(parsed.gflops);
    }
  }
  return { ok: true, isa, byThreads };
}
