/**
 * W2 on Simmer: the MLP 784-256-128-10 trained with SGD (lr 0.1, momentum 0.9), batch 128, shuffled.
 * Figures: train images/s over the epoch (or over the steps a time budget allowed, then marked extrapolated) and
 * test accuracy after one full epoch.
 */
import type { JobResult, JobSpec } from '../protocol.ts';
import { TRAIN_SIZE } from '../protocol.ts';
import { accuracy, buildRecipe, keepGoing, seconds, testLoader, trainLoader, trainStep } from './common.ts';

export async function runMlpTrain(spec: JobSpec): Promise<Omit<JobResult, 'rssMB' | 'threads'>> {
  const batch = spec.batch ?? 128;
  const epochSteps = Math.ceil(TRAIN_SIZE / batch);
  const maxSteps = spec.maxSteps || epochSteps;
  const { model, optimizer } = buildRecipe('mlp', spec.seed ?? 0);
  const loader = await trainLoader(batch, spec.seed ?? 0);
  let steps = 0;
  let images = 0;
  const t0 = performance.now();
  for await (const b of loader.epoch(0)) {
    trainStep(model, optimizer, b);
    steps++;
    images += b.x.shape[0];
    if (!keepGoing(steps, t0, { minSteps: spec.minSteps ?? 1, maxSteps, budgetS: spec.budgetS })) break;
  }
  const s = seconds(t0);
  const figures: Record<string, number[]> = { 'images/s': [images / s] };
  const notes: string[] = [];
  if (steps === epochSteps) figures.accuracy = [await accuracy(model, await testLoader(1000))];
  else notes.push(`extrapolated from ${steps} of ${epochSteps} steps; no accuracy`);
  return { ok: true, figures, notes };
}
