/**
 * An RL run as the CLI starts it: a run folder (runs/<id>/ with config.json, metrics.jsonl, summary.json and
 * checkpoints/last.safetensors, best.safetensors), progress lines (episode reward, steps/s, evaluations), a checkpoint
 * at every evaluation and at the end (and on SIGINT, through shouldStop), and resume from a run's last checkpoint with
 * the same budget, continuing exactly where it stopped. The caller makes the folder (the run store is the
 * application's, a floor above this one) and passes its paths.
 * @example
 *   const r = await runRl({ env: 'cartpole', algo: 'ppo', seed: 1 }, { createRun: (config) => createRun('runs', config) });
 *   r.result.solved; r.run.dir;
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import type { Agent } from './agent.ts';
import { type Algo, createAgent, loadAgent, saveAgent } from './checkpoint.ts';
import { mean } from './evaluate.ts';
import type { EnvName, EnvOptions } from './registry.ts';
import { type Evaluation, trainAgent, type TrainRlResult } from './train.ts';

export interface RlRunOptions {
  env: EnvName;
  algo: Algo;
  seed: number;
  envOptions?: EnvOptions;
  /** Budget in environment steps (default: PPO 100k, DQN 50k) or episodes (default: REINFORCE 1000). */
  steps?: number;
  episodes?: number;
  /** Overrides of the algorithm's hyper-parameters. */
  config?: Record<string, unknown>;
  evalEverySteps?: number;
  evalEveryEpisodes?: number;
  evalEpisodes?: number;
  /** Mean greedy return counted as solved (CartPole: 475). */
  solvedThreshold?: number;
  stopWhenSolved?: boolean;
}

export interface RlRunResult {
  run: RlRunPaths;
  agent: Agent;
  result: TrainRlResult;
  resumed: boolean;
}

export const DEFAULT_BUDGETS: Record<Algo, { steps?: number; episodes?: number; evalEverySteps?: number; evalEveryEpisodes?: number }> = {
  ppo: { steps: 100_000, evalEverySteps: 5_120 },
  dqn: { steps: 50_000, evalEverySteps: 2_500 },
  reinforce: { episodes: 1000, evalEveryEpisodes: 20 },
};

/**
 * Hyper-parameters for the gridworlds, where DQN's CartPole defaults (128 updates per 256 steps) would be wasteful:
 * one update every 4 steps, a smaller replay, ε over 10k steps (what scripts/rl-benchmark.ts measures on pixels).
 */
export const GRIDWORLD_DQN: Record<string, unknown> = {
  hidden: [64],
  bufferSize: 20_000,
  learningStarts: 500,
  batchSize: 32,
  trainFreq: 4,
  gradientSteps: 1,
  targetUpdateInterval: 250,
  epsilonSteps: 10_000,
  learningRate: 1e-3,
  chunk: 1000,
};

/** The files of a run folder (the shape of src/runs' RunPaths). */
export interface RlRunPaths {
  id: string;
  dir: string;
  config: string;
  metrics: string;
  summary: string;
  checkpoints: string;
}

export async function runRl(
  input: RlRunOptions | null,
  options: {
    /** Makes a new run folder holding this config (the CLI passes the run store's createRun). */
    createRun?: (config: Record<string, unknown>) => RlRunPaths;
    /** The run to continue from its last checkpoint. */
    resume?: RlRunPaths;
    log?: (line: string) => void;
    shouldStop?: () => boolean;
  },
): Promise<RlRunResult> {
  const log = options.log ?? (() => {});
  let run: RlRunPaths;
  let agent: Agent;
  let spec: RlRunOptions;
  let evaluations: Evaluation[] = [];
  if (options.resume) {
    run = options.resume;
    spec = JSON.parse(readFileSync(run.config, 'utf8')).rl as RlRunOptions;
    const last = join(run.checkpoints, 'last.safetensors');
    if (!existsSync(last)) throw new Error(`run ${run.id} has no checkpoint ${last} to resume from`);
    const loaded = loadAgent(last);
    agent = loaded.agent;
    evaluations = (loaded.extra.evaluations as Evaluation[] | undefined) ?? [];
    log(`resuming run ${run.id} at ${agent.envSteps} steps, ${agent.episodes} episodes`);
  } else {
    if (!input) throw new Error('runRl: give the run options, or resume a run');
    const budget = DEFAULT_BUDGETS[input.algo];
    spec = {
      evalEverySteps: input.steps !== undefined || input.episodes !== undefined ? undefined : budget.evalEverySteps,
      evalEveryEpisodes: input.steps !== undefined || input.episodes !== undefined ? undefined : budget.evalEveryEpisodes,
      ...input,
    };
    if (spec.steps === undefined && spec.episodes === undefined) {
      spec.steps = budget.steps;
      spec.episodes = budget.episodes;
    }
    if (!spec.evalEverySteps && !spec.evalEveryEpisodes) {
      if (spec.steps !== undefined) spec.evalEverySteps = Math.max(1, Math.round(spec.steps / 20));
      else spec.evalEveryEpisodes = Math.max(1, Math.round((spec.episodes ?? 1000) / 20));
    }
    if (spec.solvedThreshold === undefined && spec.env === 'cartpole') spec.solvedThreshold = 475;
    const envDefaults = spec.algo === 'dqn' && spec.env !== 'cartpole' ? GRIDWORLD_DQN : {};
    const algoConfig: Record<string, unknown> = { env: spec.env, envOptions: spec.envOptions, seed: spec.seed, ...envDefaults, ...(spec.config ?? {}) };
    if (spec.algo === 'ppo' && algoConfig.totalSteps === undefined) algoConfig.totalSteps = spec.steps ?? 100_000;
    agent = createAgent(spec.algo, algoConfig);
    if (!options.createRun) throw new Error('runRl: give createRun to make the run folder');
    run = options.createRun({ kind: 'rl', model: `rl-${spec.algo}-${spec.env}`, rl: spec, agent: agent.config });
    log(`run ${run.id} (${run.dir}): ${spec.algo} on ${spec.env}, seed ${spec.seed}`);
  }

  const metric = (record: Record<string, unknown>) => appendFileSync(run.metrics, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  const recent: number[] = [];
  let best = Math.max(-Infinity, ...evaluations.map((e) => e.meanReturn));
  let lastLog = 0;
  let windowStart = performance.now();
  let windowSteps = agent.envSteps;
  let stepsPerSec = 0;
  const checkpoint = () => saveAgent(join(run.checkpoints, 'last.safetensors'), agent, { evaluations });

  // A resumed run that already stopped because it was solved has nothing left to do.
  const stopWhenSolved = spec.stopWhenSolved ?? spec.solvedThreshold !== undefined;
  const alreadySolved = stopWhenSolved && spec.solvedThreshold !== undefined && evaluations.some((e) => e.meanReturn >= (spec.solvedThreshold as number));
  if (alreadySolved) log(`run ${run.id} was already solved; nothing left to train`);
  const result = await trainAgent(agent, {
    maxEnvSteps: alreadySolved ? agent.envSteps : spec.steps,
    maxEpisodes: alreadySolved ? agent.episodes : spec.episodes,
    evalEverySteps: spec.evalEverySteps,
    evalEveryEpisodes: spec.evalEveryEpisodes,
    evalEpisodes: spec.evalEpisodes ?? 100,
    solvedThreshold: spec.solvedThreshold,
    stopWhenSolved,
    shouldStop: options.shouldStop,
    onIteration: (a, report) => {
      for (const e of report.episodes) recent.push(e.return);
      if (recent.length > 20) recent.splice(0, recent.length - 20);
      const now = performance.now();
      if (now - windowStart > 500) {
        stepsPerSec = ((a.envSteps - windowSteps) * 1000) / (now - windowStart);
        windowStart = now;
        windowSteps = a.envSteps;
      }
      metric({
        type: 'iteration',
        envSteps: a.envSteps,
        episodes: a.episodes,
        episodeReward: recent.length ? mean(recent) : null,
        stepsPerSec,
        losses: report.losses,
      });
      if (now - lastLog > 1000) {
        lastLog = now;
        log(
          `steps ${a.envSteps} │ episodes ${a.episodes} │ episode reward (last 20) ${recent.length ? mean(recent).toFixed(1) : '-'} │ ${Math.round(stepsPerSec)} steps/s`,
        );
      }
    },
    onEvaluation: (a, e) => {
      evaluations.push(e);
      metric({ type: 'evaluation', ...e });
      log(`eval at ${e.envSteps} steps / ${e.episodes} episodes: greedy mean return ${e.meanReturn.toFixed(1)} over ${spec.evalEpisodes ?? 100} episodes`);
      checkpoint();
      if (e.meanReturn > best) {
        best = e.meanReturn;
        saveAgent(join(run.checkpoints, 'best.safetensors'), a, { evaluations });
      }
    },
  });
  checkpoint();
  const done = (spec.steps !== undefined && agent.envSteps >= spec.steps) || (spec.episodes !== undefined && agent.episodes >= spec.episodes) || result.solved;
  const summary = {
    status: done ? 'finished' : 'stopped',
    kind: 'rl',
    algo: spec.algo,
    env: spec.env,
    seed: spec.seed,
    solved: evaluations.some((e) => spec.solvedThreshold !== undefined && e.meanReturn >= spec.solvedThreshold),
    envSteps: agent.envSteps,
    episodes: agent.episodes,
    bestMeanReturn: best,
    evaluations,
    seconds: result.wallMs / 1000,
  };
  writeFileAtomic(run.summary, `${JSON.stringify(summary, null, 2)}\n`);
  return { run, agent, result, resumed: Boolean(options.resume) };
}
