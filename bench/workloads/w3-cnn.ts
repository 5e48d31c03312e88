/**
 * W3 on Simmer: the small CNN (conv 32 → pool → conv 64 → pool → dense 128 → dense 10) trained with Adam lr 1e-3,
 * batch 64, shuffled.
 *
 * runCnnTrain — throughput: untimed warm-up steps, then timed steps (a segment of an epoch, or what the time budget
 *   allows); used for the W3 rounds, the batch/thread scaling, the contention mode and the loader check
 *   (augmentation through DataLoader workers, reporting the fraction of step time spent waiting for data).
 * runCnnAccuracy — the full recipe: test accuracy every 1/4 epoch (evaluation time excluded from the clock), giving
 *   T1 (training seconds until the target accuracy), images/s over the whole first epoch and accuracy after 2 epochs.
 */
import type { CurvePoint, JobResult, JobSpec } from '../protocol.ts';
import { TRAIN_SIZE } from '../protocol.ts';
import { accuracy, buildRecipe, endless, keepGoing, seconds, testLoader, trainLoader, trainStep } from './common.ts';

export async function runCnnTrain(spec: JobSpec): Promise<Omit<JobResult, 'rssMB' | 'threads'>> {
  const batch = spec.batch ?? 64;
  const { model, optimizer } = buildRecipe('cnn-small', spec.seed ?? 0);
  const loader = await trainLoader(batch, spec.seed ?? 0, spec.augment, spec.workers ?? 0);
  const it = endless(loader);
  for (let w = 0; w < (spec.warmupSteps ?? 3); w++) trainStep(model, optimizer, (await it.next()).value!);
  let steps = 0;
  let images = 0;
  let waitMs = 0;
  const t0 = performance.now();
  const limits = { minSteps: spec.minSteps ?? 1, maxSteps: spec.maxSteps || Math.ceil(TRAIN_SIZE / batch), budgetS: spec.budgetS };
  while (keepGoing(steps, t0, limits)) {
    const b = (await it.next()).value!;
    waitMs += b.waitMs;
    trainStep(model, optimizer, b);
    steps++;
    images += b.x.shape[0];
  }
  const s = seconds(t0);
  await it.return(undefined);
  // Not awaited: DataLoader.close() on idle (unref'd) workers never settles under top-level await, and Node then
  // exits with code 13 (reported to the data owner). The workers are unref'd, so they do not hold the process.
  void loader.close();
  const figures: Record<string, number[]> = { 'images/s': [images / s], 'data-wait fraction': [waitMs / 1000 / s] };
  const notes = steps < (spec.maxSteps ?? 0) ? [`extrapolated from ${steps} steps (time budget)`] : [];
  return { ok: true, figures, notes, info: { steps, loaderMode: loader.mode, workers: loader.workers } };
}

export async function runCnnAccuracy(spec: JobSpec): Promise<Omit<JobResult, 'rssMB' | 'threads'>> {
  const batch = spec.batch ?? 64;
  const epochSteps = Math.ceil(TRAIN_SIZE / batch);
  const evalEvery = spec.evalEvery || Math.ceil(epochSteps / 4);
  const target = spec.target ?? 0.9;
  const minEpochs = spec.minEpochs ?? 2;
  const maxEpochs = spec.maxEpochs ?? 4;
  const maxSteps = spec.maxSteps || maxEpochs * epochSteps;
  const { model, optimizer } = buildRecipe('cnn-small', spec.seed ?? 0);
  const loader = await trainLoader(batch, spec.seed ?? 0);
  const test = await testLoader(256);
  const curve: CurvePoint[] = [];
  let trainSeconds = 0;
  let step = 0;
  let epochOneSeconds = 0;
  let reachedAt: number | null = null;
  outer: for (let epoch = 0; epoch < maxEpochs; epoch++) {
    let t0 = performance.now();
    let inEpoch = 0;
    for await (const b of loader.epoch(epoch)) {
      trainStep(model, optimizer, b);
      step++;
      inEpoch++;
      const endOfEpoch = inEpoch === epochSteps;
      if (inEpoch % evalEvery === 0 || endOfEpoch || step === maxSteps) {
        trainSeconds += seconds(t0);
        if (epoch === 0 && endOfEpoch) epochOneSeconds = trainSeconds;
        const acc = await accuracy(model, test);
        curve.push({ epoch: step / epochSteps, step, trainSeconds, accuracy: acc });
        if (reachedAt === null && acc >= target) reachedAt = trainSeconds;
        const doneEpochs = step / epochSteps;
        if (step >= maxSteps || (reachedAt !== null && doneEpochs >= minEpochs)) break outer;
        t0 = performance.now();
      }
    }
  }
  const figures: Record<string, number[]> = {};
  const notes: string[] = [];
  if (epochOneSeconds > 0) figures['epoch-1 images/s'] = [TRAIN_SIZE / epochOneSeconds];
  const atTwo = curve.find((p) => p.step === 2 * epochSteps);
  if (atTwo) figures['accuracy after 2 epochs'] = [atTwo.accuracy];
  if (reachedAt !== null) figures['seconds to target'] = [reachedAt];
  else notes.push(`test accuracy did not reach ${target} within ${step} steps (${(step / epochSteps).toFixed(2)} epochs)`);
  figures['best accuracy'] = [Math.max(...curve.map((p) => p.accuracy))];
  return { ok: true, figures, notes, curve };
}
