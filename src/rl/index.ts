/**
 * Reinforcement learning: Gymnasium-style environments (CartPole-v1, a gridworld with its transition model, the
 * gridworld seen as pixels, N copies vectorised), planning (value iteration), and agents (tabular Q-learning,
 * REINFORCE with a baseline, DQN, PPO) whose networks run forward and backward on the engine, seeded and
 * deterministic, with checkpoints that resume exactly.
 * @example
 *   import { PPO, trainAgent } from 'simmer-ml/rl';
 *   const agent = new PPO({ env: 'cartpole', seed: 1, totalSteps: 100_000 });
 *   const r = await trainAgent(agent, { maxEnvSteps: 100_000, evalEverySteps: 5_120, solvedThreshold: 475, stopWhenSolved: true });
 */
import '../autograd/index.ts';
import '../ops/index.ts';

export * from './agent.ts';
export * from './agents/dqn.ts';
export * from './agents/ppo.ts';
export * from './agents/q-learning.ts';
export * from './agents/reinforce.ts';
export * from './checkpoint.ts';
export type * from './env.ts';
export * from './envs/cartpole.ts';
export * from './envs/gridworld.ts';
export * from './envs/pixel-gridworld.ts';
export * from './evaluate.ts';
export * from './nets.ts';
export * from './planning.ts';
export * from './registry.ts';
export * from './replay-buffer.ts';
export * from './returns.ts';
export * from './run.ts';
export * from './schedule.ts';
export * from './spaces.ts';
export * from './strip.ts';
export * from './train.ts';
export * from './vector-env.ts';
