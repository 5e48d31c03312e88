/**
 * Wall and CPU milliseconds per training step with nothing else in the loop: no profiler, no loader wait (20 batches
 * are read first and cycled). W3 is cnn-small (Adam, batch 64), W2 the mlp (SGD momentum, batch 128), W6 the U-Net
 * diffusion step of bench/workloads/w6-unet.ts (diffusionLoss, Adam lr 2e-4, batch 64). CPU time per step moves far
 * less than wall time on a loaded machine, so it is the figure to compare two builds by (run each with
 * SIMMER_THREADS=1, alternating); the least CPU time of one step is printed beside the mean (the step interrupted least).
 *   SIMMER_THREADS=1 node --import tsx bench/step-time.ts [steps] [W2|W3|W6]
 */
import { backward } from '../src/autograd/backward.ts';
import type { Batch } from '../src/data/index.ts';
import { diffusionLoss } from '../src/models/diffusion.ts';
import { Adam } from '../src/optim/index.ts';
import { Generator } from '../src/tensor/random.ts';
import { buildRecipe, endless, trainLoader, trainStep } from './workloads/common.ts';
import { buildW6 } from './workloads/w6-unet.ts';

const steps = Number(process.argv[2] ?? 100);
const workload = (process.argv[3] ?? 'W3').toUpperCase();
const batch = workload === 'W2' ? 128 : 64;
const it = endless(await trainLoader(batch, 0));
const batches: Batch[] = [];
for (let i = 0; i < 20; i++) batches.push((await it.next()).value!);
let step: (i: number) => void;
if (workload === 'W6') {
  const unet = buildW6(0);
  unet.train();
  const optimizer = new Adam(unet.parameters(), { lr: 2e-4 });
  const gen = new Generator(0);
  step = (i) => {
    optimizer.zeroGrad();
    backward(diffusionLoss(unet, batches[i % batches.length], gen, 0.1));
    optimizer.step();
  };
} else {
  const { model, optimizer } = buildRecipe(workload === 'W2' ? 'mlp' : 'cnn-small', 0);
  step = (i) => trainStep(model, optimizer, batches[i % batches.length]);
}
for (let i = 0; i < (workload === 'W6' ? 1 : 5); i++) step(i);
const c0 = process.cpuUsage();
const t0 = performance.now();
let least = Infinity;
for (let i = 0; i < steps; i++) {
  const s0 = process.cpuUsage();
  step(i);
  const s = process.cpuUsage(s0);
  least = Math.min(least, (s.user + s.system) / 1000);
}
const ms = (performance.now() - t0) / steps;
const cpu = process.cpuUsage(c0);
const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
console.log(
  `${workload}: ${ms.toFixed(2)} ms/step wall (${((batch * 1000) / ms).toFixed(1)} images/s), ${cpuMs.toFixed(2)} ms/step CPU (all threads; least ${least.toFixed(2)}), ${((batch * 1000) / cpuMs).toFixed(1)} images per CPU-second`,
);
process.exit(0);
