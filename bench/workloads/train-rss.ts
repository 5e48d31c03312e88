/**
 * Memory across epochs: trains the shapes recipe (cnn-small, 1500 images, 3 epochs) in this process and reads the RSS
 * after each epoch, after a full GC (the child runs with --expose-gc) and after giving freed pages back to the system.
 * Figures: RSS after epoch 1 and after epoch 3 in MiB, and the growth between them (a fraction; flat is 0).
 * This was an assertion (within ±5%) in test/train/memory.test.ts; the figure depends on the allocator, V8 and glibc,
 * so it is reported here rather than passed or failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseMemory } from '../../src/backend/index.ts';
import { runTraining } from '../../src/runs/run.ts';
import type { JobResult, JobSpec } from '../protocol.ts';

export async function runTrainRss(spec: JobSpec): Promise<Omit<JobResult, 'rssMB' | 'threads'>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const notes: string[] = gc ? [] : ['no --expose-gc: RSS includes garbage not yet collected'];
  const rss: number[] = [];
  const root = mkdtempSync(join(tmpdir(), 'simmer-bench-rss-'));
  try {
    await runTraining(
      { dataset: 'shapes', model: 'cnn-small', limit: 1500, epochs: 3, batchSize: 32, seed: spec.seed ?? 2 },
      {
        root,
        quiet: true,
        callbacks: [
          {
            onEpochEnd() {
              // Count what is retained: collect dead tensors, give their pages back, then read the process size.
              gc?.();
              releaseMemory();
              rss.push(process.memoryUsage().rss / 2 ** 20);
            },
          },
        ],
      },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const first = rss[0];
  const last = rss[rss.length - 1];
  notes.push(`RSS by epoch (MiB): ${rss.map((v) => v.toFixed(1)).join(', ')}`);
  return {
    ok: true,
    figures: { 'RSS after epoch 1': [first], 'RSS after epoch 3': [last], 'RSS growth epoch 1 to 3': [(last - first) / first] },
    notes,
  };
}
