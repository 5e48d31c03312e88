/**
 * Wall and CPU milliseconds per W3 training step (cnn-small, Adam, batch 64), or W2's (mlp, SGD momentum, batch 128)
 * with `W2` as the second argument, with nothing else in the loop: no
 * profiler, no loader wait (20 batches are read first and cycled). CPU time per step moves far less than wall time on a
 * loaded machine, so it is the figure to compare two builds by (run each with SIMMER_THREADS=1, alternating):
 *   SIMMER_THREADS=1 node --import tsx bench/step-time.ts [steps] [W2|W3]
 */
import { buildRecipe, endless, trainLoader, trainStep } from './workloads/common.ts';

const steps = Number(process.argv[2] ?? 100);
const w2 = (process.argv[3] ?? 'W3').toUpperCase() === 'W2';
const batch = w2 ? 128 : 64;
const { model, optimizer } = buildRecipe(w2 ? 'mlp' : 'cnn-small', 0);
const it = endless(await trainLoader(batch, 0));
const batches = [];
for (let i = 0; i < 20; i++) batches.push((await it.next()).value!);
for (let i = 0; i < 5; i++) trainStep(model, optimizer, batches[i % batches.length]);
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < steps; i++) trainStep(model, optimizer, batches[i % batches.length]);
const ms = (performance.now() - t0) / steps;
const cpu = process.cpuUsage(c0);
const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
console.log(`${ms.toFixed(2)} ms/step wall (${((batch * 1000) / ms).toFixed(0)} images/s), ${cpuMs.toFixed(2)} ms/step CPU (all threads)`);
process.exit(0);
