/**
 * The per-op profile of W2 (an MLP training step), W3 (a CNN training step), W4 (an inference batch) or W6 (a U-Net
 * diffusion training step), as in docs/bench.md:
 *   node --import tsx bench/profile.ts W3 [--steps 60] [--rounds 6] [--warmup 5] [--trace w3.json] [--json]
 *   node --import tsx bench/profile.ts W2 --steps 120
 *   node --import tsx bench/profile.ts W6 --steps 6 --warmup 1
 *   SIMMER_BACKEND=js node --import tsx bench/profile.ts W4 --steps 4
 * It times the same number of steps with the profiler off and on (so its cost is visible), prints the table of the
 * profiled steps and says how far the table's sum is from the measured wall time of those steps and from the step
 * time with the profiler off (the profiled step runs the same kernels: the module timers are not hooks).
 */
import { backward } from '../src/autograd/backward.ts';
import { noGrad } from '../src/autograd/grad-mode.ts';
import { backend } from '../src/backend/index.ts';
import type { Batch } from '../src/data/index.ts';
import { diffusionLoss } from '../src/models/diffusion.ts';
import type { Module } from '../src/nn/module.ts';
import { crossEntropy } from '../src/ops/loss.ts';
import { Adam, type Optimizer } from '../src/optim/index.ts';
import { Generator } from '../src/tensor/random.ts';
import type { Tensor } from '../src/tensor/tensor.ts';
import { beginSpan, endSpan, markStep, profileModules, recordSpan, rowsSumMs, startProfile, stopProfile } from '../src/profile/index.ts';
import { formatProfile, phaseTotals, writeChromeTrace } from '../src/profile/report.ts';
import { buildRecipe, endless, testLoader, trainLoader } from './workloads/common.ts';
import { buildW6 } from './workloads/w6-unet.ts';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const workload = (process.argv[2] ?? 'W3').toUpperCase();
const steps = Number(flag('steps', workload === 'W4' ? '20' : workload === 'W6' ? '6' : '60'));
const warmup = Number(flag('warmup', '5'));
const tracePath = flag('trace', '');
const json = process.argv.includes('--json');

async function main(): Promise<void> {
  if (!['W2', 'W3', 'W4', 'W6'].includes(workload)) throw new Error(`bench/profile.ts: workload must be W2, W3, W4 or W6, got ${workload}`);
  let model: Module;
  let optimizer: Optimizer<{ lr: number }>;
  let loss: (b: Batch) => Tensor;
  if (workload === 'W6') {
    const unet = buildW6(0);
    const gen = new Generator(0);
    model = unet;
    optimizer = new Adam(unet.parameters(), { lr: 2e-4 });
    loss = (b) => diffusionLoss(unet, b, gen, 0.1);
  } else {
    ({ model, optimizer } = buildRecipe(workload === 'W2' ? 'mlp' : 'cnn-small', 0));
    loss = (b) => crossEntropy(model.forward(b.x), b.y);
  }
  const unhook = profileModules(model);
  let run: (profiled: boolean) => Promise<void>;
  if (workload !== 'W4') {
    const it = endless(await trainLoader(workload === 'W2' ? 128 : 64, 0));
    run = async (profiled) => {
      const w0 = performance.now();
      const b: Batch = (await it.next()).value!;
      const t0 = performance.now();
      if (profiled) recordSpan('phase', 'data', 'data', w0, t0);
      optimizer.zeroGrad();
      if (profiled) beginSpan('phase', 'forward', 'forward');
      const l = loss(b);
      if (profiled) endSpan();
      backward(l);
      optimizer.step();
      if (profiled) markStep();
    };
  } else {
    model.eval();
    const loader = await testLoader(256);
    const batches: Batch[] = [];
    for await (const b of loader.epoch(0)) batches.push(b);
    let i = 0;
    run = async (profiled) => {
      const x = batches[i++ % batches.length].x;
      if (profiled) beginSpan('phase', 'forward', 'forward');
      noGrad(() => model.forward(x));
      if (profiled) {
        endSpan();
        markStep();
      }
    };
  }
  for (let s = 0; s < warmup; s++) await run(false);
  // Off and on, alternating in short rounds, so drift on a shared machine hits both.
  const rounds = Number(flag('rounds', '6'));
  const per = Math.max(1, Math.ceil(steps / rounds));
  const offMs: number[] = [];
  const onMs: number[] = [];
  const reports = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    for (let s = 0; s < per; s++) await run(false);
    offMs.push((performance.now() - t) / per);
    startProfile({ trace: tracePath !== '' });
    t = performance.now();
    for (let s = 0; s < per; s++) await run(true);
    const wall = performance.now() - t;
    const report = stopProfile();
    onMs.push(wall / per);
    reports.push({ report, wall });
  }
  unhook();
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // The round shown is the one whose table-vs-unprofiled ratio is the median (each round against the off round
  // just before it), so neither a lucky nor an unlucky round stands for the profile.
  const ratios = reports.map((x, r) => rowsSumMs(x.report) / per / offMs[r]);
  const shown = ratios.indexOf(median(ratios));
  const last = reports[shown];
  const sum = rowsSumMs(last.report);
  const summary = {
    workload,
    backend: backend().name,
    stepsPerRound: per,
    rounds,
    msPerStepOff: median(offMs),
    msPerStepOn: median(onMs),
    tableSumMs: sum,
    measuredMs: last.wall,
    tableVsMeasured: sum / last.wall,
    // What the issue asks: the table's time per step against the step time measured with the profiler off.
    tablePerStepMs: sum / per,
    tableVsUnprofiled: median(ratios),
    tableVsUnprofiledRounds: ratios,
    unattributedShare: (last.report.rows.find((x) => x.kind === 'other')?.ms ?? 0) / last.wall,
    phases: phaseTotals(last.report),
  };
  if (tracePath) writeChromeTrace(last.report, tracePath);
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.stdout.write(`${formatProfile(last.report)}\n`);
  process.stdout.write(
    `\n${workload} on ${summary.backend}: ${summary.msPerStepOff.toFixed(2)} ms/step with the profiler off, ${summary.msPerStepOn.toFixed(2)} ms/step on ` +
      `(medians of ${rounds} alternating rounds of ${per}); the table (round ${shown + 1}) sums to ${sum.toFixed(1)} ms of the ${last.wall.toFixed(1)} ms ` +
      `measured around it (${(100 * summary.tableVsMeasured).toFixed(1)}%), ${(100 * summary.unattributedShare).toFixed(1)}% in no span; ` +
      `table per step ÷ unprofiled step of the same round: median ${(100 * summary.tableVsUnprofiled).toFixed(1)}% ` +
      `(rounds: ${ratios.map((x) => `${(100 * x).toFixed(0)}%`).join(' ')}).` +
      `${tracePath ? ` Trace: ${tracePath}` : ''}\n`,
  );
}

await main();
process.exit(0);
