/**
 * W6 and W7 on Simmer: the U-Net denoiser of shared/WORKLOADS.md (docs/bench.md spells it out) built with the zoo's
 * DiffusionModel — base 32, levels 32/64/128 at 28 → 14 → 7, attention (4 heads) at 7x7, 128 sinusoidal time features
 * → 512 → 512, 11 label rows, linear schedule over 1,000 steps, ε-prediction.
 *
 * runUnetTrain (W6) — the diffusion training step the Trainer runs (diffusionLoss: t uniform, x_t from the schedule,
 *   the label dropped to the null row with p 0.1, MSE against ε), backward and Adam lr 2e-4, batch 64; untimed
 *   warm-up steps, then timed steps up to maxSteps or the time budget. The EMA update of DiffusionTask is not part of
 *   the workload (the PyTorch peer has none either).
 * Both also report images per CPU-second of the process (all threads): on a machine shared with other work it counts
 * the work done rather than the time waited for a core.
 * runUnetSample (W7) — DiffusionModel.sample: DDIM, 25 steps, guidance 2 (conditional and null halves in one batch of
 *   2B), B = 100, labels 0..9 in turn; one untimed warm-up call of one step, then `passes` timed calls.
 */
import { backward } from '../../src/autograd/backward.ts';
import { DiffusionModel, diffusionLoss } from '../../src/models/diffusion.ts';
import { Adam } from '../../src/optim/index.ts';
import { Generator, manualSeed } from '../../src/tensor/random.ts';
import type { JobResult, JobSpec } from '../protocol.ts';
import { endless, keepGoing, seconds, trainLoader } from './common.ts';

/** The W6 model (untrained weights, initialised as PyTorch does; zero-initialised last convs as in DDPM). */
export function buildW6(seed: number): DiffusionModel {
  manualSeed(seed);
  return new DiffusionModel({
    imageShape: [1, 28, 28],
    numClasses: 10,
    conditional: true,
    schedule: 'linear',
    timesteps: 1000,
    prediction: 'eps',
    base: 32,
    mults: [1, 2, 4],
    timeFeatures: 128,
    embDim: 512,
  });
}

function parameterCount(model: DiffusionModel): number {
  return model.parameters().reduce((n, p) => n + p.size, 0);
}

export async function runUnetTrain(spec: JobSpec): Promise<Omit<JobResult, 'rssMB' | 'threads'>> {
  const batch = spec.batch ?? 64;
  const model = buildW6(spec.seed ?? 0);
  model.train();
  const optimizer = new Adam(model.parameters(), { lr: 2e-4 });
  const gen = new Generator(spec.seed ?? 0);
  const loader = await trainLoader(batch, spec.seed ?? 0);
  const it = endless(loader);
  const step = async () => {
    const b = (await it.next()).value!;
    optimizer.zeroGrad();
    backward(diffusionLoss(model, b, gen, 0.1));
    optimizer.step();
    return b.x.shape[0];
  };
  for (let w = 0; w < (spec.warmupSteps ?? 2); w++) await step();
  let steps = 0;
  let images = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const limits = { minSteps: spec.minSteps ?? 1, maxSteps: spec.maxSteps || 20, budgetS: spec.budgetS };
  while (keepGoing(steps, t0, limits)) {
    images += await step();
    steps++;
  }
  const s = seconds(t0);
  const cpu = cpuSeconds(cpu0);
  await it.return(undefined);
  void loader.close();
  const notes = steps < (spec.maxSteps ?? 0) ? [`extrapolated from ${steps} steps (time budget)`] : [];
  return { ok: true, figures: { 'images/s': [images / s], 'images/CPU-s': [images / cpu], parameters: [parameterCount(model)] }, notes, info: { steps } };
}

export async function runUnetSample(spec: JobSpec): Promise<Omit<JobResult, 'rssMB' | 'threads'>> {
  const n = spec.batch ?? 100;
  const steps = spec.samplerSteps ?? 25;
  const model = buildW6(spec.seed ?? 0);
  model.eval();
  const labels = Array.from({ length: n }, (_, i) => i % 10);
  const options = { n, labels, seed: 1, steps, guidance: 2, sampler: 'ddim' as const, batchSize: n };
  model.sample({ ...options, steps: 1 });
  const samples: number[] = [];
  const perCpu: number[] = [];
  for (let pass = 0; pass < (spec.passes ?? 1); pass++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    model.sample(options);
    samples.push(n / seconds(t0));
    perCpu.push(n / cpuSeconds(cpu0));
  }
  return { ok: true, figures: { 'images/s': samples, 'images/CPU-s': perCpu }, notes: [], info: { steps } };
}

/** CPU seconds of this process (all its threads, user + system) since `from`: on a shared machine it counts only the work done. */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}
