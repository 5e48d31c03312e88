/**
 * The RL training loop around any agent: iterate until a step or episode budget is spent, evaluate the greedy policy
 * on 100 fresh episodes at regular points, and (optionally) stop at the first evaluation that reaches the "solved"
 * threshold (CartPole-v1: mean return ≥ 475). Reports progress through callbacks, so the CLI, scripts and tests share
 * it. Evaluation episodes are not counted as training steps; their time is counted in the wall time.
 * @example
 *   const result = await trainAgent(new PPO({ env: 'cartpole', seed: 1, totalSteps: 100_000 }), { maxEnvSteps: 100_000, evalEverySteps: 10_240 });
 *   result.solved; result.solvedAtSteps;
 */
import type { Agent, IterationReport } from './agent.ts';
import { evaluateGreedy, mean } from './evaluate.ts';
import { type EnvName, type EnvOptions, makeEnv } from './registry.ts';

export interface Evaluation {
  envSteps: number;
  episodes: number;
  meanReturn: number;
  wallMs: number;
}

export interface TrainRlOptions {
  maxEnvSteps?: number;
  maxEpisodes?: number;
  /** Evaluate each time training passes another multiple of this many env steps (or episodes, below). */
  evalEverySteps?: number;
  evalEveryEpisodes?: number;
  evalEpisodes?: number;
  evalSeed?: number;
  /** The mean greedy return that counts as solved (CartPole-v1: 475). */
  solvedThreshold?: number;
  stopWhenSolved?: boolean;
  onIteration?: (agent: Agent, report: IterationReport) => void;
  onEvaluation?: (agent: Agent, evaluation: Evaluation) => void;
  /** Checked after every iteration (e.g. a SIGINT flag); true stops the loop. */
  shouldStop?: () => boolean;
}

export interface TrainRlResult {
  solved: boolean;
  solvedAtSteps: number | null;
  solvedAtEpisodes: number | null;
  evaluations: Evaluation[];
  wallMs: number;
  /** CPU time of this process (user + system, all threads) over the run: steadier than wall time on a busy machine. */
  cpuMs: number;
  envSteps: number;
  episodes: number;
}

/** The environment an agent trains on, rebuilt from its config. */
export function agentEnv(agent: Agent): () => ReturnType<typeof makeEnv> {
  const c = agent.config as { env: EnvName; envOptions?: EnvOptions };
  return () => makeEnv(c.env, c.envOptions);
}

export function evaluateAgent(agent: Agent, episodes = 100, seed = 1_000_000): number[] {
  return evaluateGreedy((o) => agent.greedyActions(o), agentEnv(agent), { episodes, seed });
}

/**
 * Trains until a budget is spent or the policy is solved. Between iterations it gives the event loop one turn, so a
 * SIGINT handler or a 'stop' message from a parent process is seen and shouldStop() can end the run.
 */
export async function trainAgent(agent: Agent, options: TrainRlOptions): Promise<TrainRlResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const maxSteps = options.maxEnvSteps ?? Infinity;
  const maxEpisodes = options.maxEpisodes ?? Infinity;
  if (maxSteps === Infinity && maxEpisodes === Infinity) throw new RangeError('trainAgent: give maxEnvSteps or maxEpisodes, or training never ends');
  const threshold = options.solvedThreshold ?? Infinity;
  const evaluations: Evaluation[] = [];
  let solvedAt: Evaluation | null = null;
  const bucket = () => [
    options.evalEverySteps ? Math.floor(agent.envSteps / options.evalEverySteps) : 0,
    options.evalEveryEpisodes ? Math.floor(agent.episodes / options.evalEveryEpisodes) : 0,
  ];
  let last = bucket();
  while (agent.envSteps < maxSteps && agent.episodes < maxEpisodes) {
    const report = agent.iterate();
    options.onIteration?.(agent, report);
    const now = bucket();
    const due = now[0] > last[0] || now[1] > last[1] || agent.envSteps >= maxSteps || agent.episodes >= maxEpisodes;
    last = now;
    if (due && (options.evalEverySteps || options.evalEveryEpisodes)) {
      const e: Evaluation = {
        envSteps: agent.envSteps,
        episodes: agent.episodes,
        meanReturn: mean(evaluateAgent(agent, options.evalEpisodes ?? 100, options.evalSeed ?? 1_000_000)),
        wallMs: performance.now() - t0,
      };
      evaluations.push(e);
      options.onEvaluation?.(agent, e);
      if (solvedAt === null && e.meanReturn >= threshold) {
        solvedAt = e;
        if (options.stopWhenSolved) break;
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
    if (options.shouldStop?.()) break;
  }
  return {
    solved: solvedAt !== null,
    solvedAtSteps: solvedAt?.envSteps ?? null,
    solvedAtEpisodes: solvedAt?.episodes ?? null,
    evaluations,
    wallMs: performance.now() - t0,
    cpuMs: (() => {
      const c = process.cpuUsage(cpu0);
      return (c.user + c.system) / 1000;
    })(),
    envSteps: agent.envSteps,
    episodes: agent.episodes,
  };
}
