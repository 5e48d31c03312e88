/**
 * Resuming a run on a different number of processes than wrote its checkpoint (2 ranks → 1, 1 → 3, ...). Each rank's
 * epoch has ceil(ceil(N / ranks) / batch) batches, so the checkpoint's position is moved to the same fraction of the
 * epoch, and a per-step learning-rate schedule to the matching step. An epoch-end checkpoint resumes exactly; a
 * mid-epoch one to the nearest batch. No MPI here: a 1-process resume of a distributed run uses it too.
 */
import type { LRScheduler } from '../optim/schedule.ts';
import type { Checkpoint } from '../train/checkpoint.ts';

/** How many ranks wrote a checkpoint (1 for a run that was never distributed). */
export function savedRanks(checkpoint: Checkpoint): number {
  const config = checkpoint.state.config as { distributed?: { size?: unknown } };
  const n = config.distributed?.size;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : 1;
}

export interface ResumeGeometry {
  /** Batches per epoch of each rank now. */
  batchesPerEpoch: number;
  /** Training samples in an epoch. */
  samples: number;
  /** Batch size of each rank. */
  batchSize: number;
  /** Ranks now (1 without --distributed). */
  ranks: number;
  warn(message: string): void;
}

/** Moves a restored position (and a per-step schedule) when the checkpoint was written by another number of ranks. */
export function rescaleResume(
  trainer: { epoch: number; batchInEpoch: number; globalStep: number },
  checkpoint: Checkpoint,
  scheduler: LRScheduler | null,
  g: ResumeGeometry,
): void {
  const saved = savedRanks(checkpoint);
  if (saved === g.ranks) return;
  const oldPerEpoch = Math.max(1, Math.ceil(Math.ceil(g.samples / saved) / g.batchSize));
  const batch = Math.min(g.batchesPerEpoch, Math.round((trainer.batchInEpoch / oldPerEpoch) * g.batchesPerEpoch));
  trainer.batchInEpoch = batch;
  trainer.globalStep = trainer.epoch * g.batchesPerEpoch + batch;
  if (scheduler?.interval === 'step') scheduler.loadStateDict({ ...scheduler.stateDict(), t: trainer.globalStep });
  g.warn(
    `resuming a run checkpointed by ${saved} process(es) on ${g.ranks}: continuing at batch ${batch + 1} of ${g.batchesPerEpoch} of epoch ${trainer.epoch + 1} (each step now sees ${g.ranks}×${g.batchSize} images)`,
  );
}
