/**
 * Measures the CartPole-v1 solves of the "done when": for each algorithm and seed, train with early stopping
 * at the first greedy evaluation (100 episodes) with mean return ≥ 475, and print the steps / episodes and wall time
 * it took, then the count of solved seeds and the median wall time. Wall times are noisy on a shared machine.
 *   node --import tsx scripts/rl-benchmark.ts [ppo|dqn|reinforce|pixel ...] [--seeds 1,2,3,4,5] [--config '{"lr":…}'] [--json]
 */
import { loadavg } from 'node:os';
import '../src/index.ts';
import { createAgent } from '../src/rl/checkpoint.ts';
import { greedyPath, valueIteration } from '../src/rl/planning.ts';
import { makeGridworld } from '../src/rl/registry.ts';
import { trainAgent } from '../src/rl/train.ts';
import { observationBatch } from '../src/rl/nets.ts';
import { PixelGridworld } from '../src/rl/envs/pixel-gridworld.ts';
import { DQN } from '../src/rl/agents/dqn.ts';
import { GRIDWORLD_DQN } from '../src/rl/run.ts';

const args = process.argv.slice(2);
const seedArg = args.indexOf('--seeds');
const seeds = seedArg >= 0 ? args[seedArg + 1].split(',').map(Number) : [1, 2, 3, 4, 5];
const json = args.includes('--json');
const configArg = args.indexOf('--config');
const overrides = configArg >= 0 ? (JSON.parse(args[configArg + 1]) as Record<string, unknown>) : {};
const algos = args.filter((a, i) => !a.startsWith('--') && (seedArg < 0 || i !== seedArg + 1) && (configArg < 0 || i !== configArg + 1));
const which = algos.length > 0 ? algos : ['ppo', 'dqn', 'reinforce', 'pixel'];

const budgets = {
  ppo: { config: { totalSteps: 100_000 }, train: { maxEnvSteps: 100_000, evalEverySteps: 5_120 }, limit: 'steps ≤ 100k, wall ≤ 15 s' },
  dqn: { config: {}, train: { maxEnvSteps: 50_000, evalEverySteps: 2_500 }, limit: 'steps ≤ 50k, wall ≤ 60 s' },
  reinforce: { config: {}, train: { maxEpisodes: 1000, evalEveryEpisodes: 20 }, limit: 'episodes ≤ 1000' },
} as const;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Wall times on a shared machine scale with its load: the 1-minute load average is printed at the start and the end.
const load = () => loadavg()[0].toFixed(1);
const out: Record<string, unknown> = { loadAtStart: load() };
if (!json) console.log(`load average ${out.loadAtStart} at the start`);
for (const algo of which) {
  if (algo === 'pixel') {
    out.pixel = seeds.map((seed) => pixelRun(seed));
    continue;
  }
  const b = budgets[algo as keyof typeof budgets];
  if (!b) throw new Error(`unknown benchmark '${algo}'; use ppo, dqn, reinforce or pixel`);
  const rows = [];
  for (const seed of seeds) {
    const agent = createAgent(algo as 'ppo', { env: 'cartpole', seed, ...b.config, ...overrides });
    const r = await trainAgent(agent, { ...b.train, solvedThreshold: 475, stopWhenSolved: true });
    const row = {
      seed,
      solved: r.solved,
      steps: r.solvedAtSteps ?? r.envSteps,
      episodes: r.solvedAtEpisodes ?? r.episodes,
      wallS: r.wallMs / 1000,
      cpuS: r.cpuMs / 1000,
      best: Math.max(...r.evaluations.map((e) => e.meanReturn)),
    };
    if (!json)
      console.log(
        `${algo} seed ${seed}: ${row.solved ? 'solved' : 'NOT solved'} at ${row.steps} steps / ${row.episodes} episodes, ${row.wallS.toFixed(1)} s wall, ${row.cpuS.toFixed(1)} s CPU (best greedy mean ${row.best.toFixed(1)})`,
      );
    rows.push(row);
  }
  const solved = rows.filter((r) => r.solved);
  const summary = {
    solved: solved.length,
    of: rows.length,
    medianWallS: median(solved.map((r) => r.wallS)),
    medianCpuS: median(solved.map((r) => r.cpuS)),
    medianSteps: median(solved.map((r) => r.steps)),
    medianEpisodes: median(solved.map((r) => r.episodes)),
    limit: b.limit,
    rows,
  };
  out[algo] = summary;
  if (!json)
    console.log(
      `${algo}: solved ${solved.length}/${rows.length} seeds; median ${summary.medianSteps} steps, ${summary.medianEpisodes} episodes, ${summary.medianWallS.toFixed(1)} s wall, ${summary.medianCpuS.toFixed(1)} s CPU (${b.limit})`,
    );
}
out.loadAtEnd = load();
if (json) console.log(JSON.stringify(out, null, 2));
else console.log(`load average ${out.loadAtEnd} at the end`);

/** DQN with a conv net on the pixel gridworld: is the greedy path from S the planner's optimal (8-move) path? */
function pixelRun(seed: number) {
  const t0 = performance.now();
  const agent = new DQN({ env: 'pixel-gridworld', seed, ...GRIDWORLD_DQN });
  const grid = makeGridworld();
  const pixels = new PixelGridworld(grid, 3);
  const optimal = greedyPath(grid, valueIteration(grid, { gamma: 0.99 }).policy);
  let path: number[] = [];
  while (agent.envSteps < 30_000) {
    agent.iterate();
    const policy = Int32Array.from({ length: grid.numStates }, (_, s) =>
      grid.cells[s] === 'floor' ? agent.greedyActions(observationBatch(pixels.observe(s), pixels.observationSpace.shape))[0] : 0,
    );
    path = greedyPath(grid, policy);
    if (grid.cells[path[path.length - 1]] === 'goal' && path.length === optimal.length) break;
  }
  const ok = grid.cells[path[path.length - 1]] === 'goal' && path.length === optimal.length;
  const row = { seed, optimal: ok, steps: agent.envSteps, moves: path.length - 1, wallS: (performance.now() - t0) / 1000 };
  if (!json)
    console.log(`pixel DQN seed ${seed}: ${ok ? 'optimal path' : 'NOT optimal'} (${row.moves} moves) after ${row.steps} steps, ${row.wallS.toFixed(1)} s`);
  return row;
}
