/**
 * Process policy for programs that train (the CLI, the dashboard's train worker, the bench): V8 and allocator settings
 * that make a training process's memory flat. They change the whole process, so only entry points call them; the
 * library never does on import.
 */
import v8 from 'node:v8';
import { releaseMemory } from '../backend/index.ts';
import type { Callback } from '../train/types.ts';

/**
 * Training allocates a stream of short-lived tensor objects at a steady rate. V8 answers a high allocation rate by
 * growing the young generation step by step up to 3 × 16 MiB and keeping it, so the process grows for the first
 * epochs and then stays larger, without any gain we could measure. Keeping the young generation at its initial size
 * makes the footprint flat from the first epoch. Call once, at start-up.
 */
export function configureTrainingProcess(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/** A callback that returns freed heap pages to the OS after every epoch (malloc_trim in the native addon). */
export function releaseMemoryEachEpoch(): Callback {
  return {
    onEpochEnd() {
      releaseMemory();
    },
  };
}
