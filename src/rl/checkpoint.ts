/**
 * RL checkpoints: one safetensors file holding every tensor of the agent's state (networks, optimizer buffers, the
 * replay buffer) with its metadata holding the algorithm, its config, and the JSON state (generator, environments,
 * counters, optimizer scalars), written atomically (temp file, fsync, rename). Loading rebuilds the agent from its
 * config and restores the state, so training resumes exactly where it stopped; nothing in the file is executed.
 * @example
 *   saveAgent('runs/x/checkpoints/last.safetensors', agent, { evaluations });
 *   const { agent } = loadAgent('runs/x/checkpoints/last.safetensors');
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.ts';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.ts';
import type { Agent } from './agent.ts';
import { DQN, type DqnConfig } from './agents/dqn.ts';
import { PPO, type PpoConfig } from './agents/ppo.ts';
import { Reinforce, type ReinforceConfig } from './agents/reinforce.ts';

export const RL_CHECKPOINT_FORMAT = 'simmer-rl-checkpoint/1';
export const ALGOS = ['ppo', 'dqn', 'reinforce'] as const;
export type Algo = (typeof ALGOS)[number];

/** A fresh agent of the named algorithm (config: the algorithm's options; unspecified ones take its defaults). */
export function createAgent(algo: Algo, config: Record<string, unknown>): Agent {
  switch (algo) {
    case 'ppo':
      return new PPO(config as unknown as PpoConfig);
    case 'dqn':
      return new DQN(config as unknown as DqnConfig);
    case 'reinforce':
      return new Reinforce(config as unknown as ReinforceConfig);
    default:
      throw new RangeError(`createAgent: unknown algorithm '${algo as string}'; choose one of ${ALGOS.join(', ')}`);
  }
}

export function saveAgent(path: string, agent: Agent, extra: Record<string, unknown> = {}): void {
  const state = agent.stateDict();
  const bytes = encodeSafetensors(state.tensors, {
    format: RL_CHECKPOINT_FORMAT,
    algo: agent.algo,
    config: JSON.stringify(agent.config),
    state: JSON.stringify(state.json),
    extra: JSON.stringify(extra),
  });
  writeFileAtomic(path, bytes);
}

export function loadAgent(path: string): { agent: Agent; extra: Record<string, unknown> } {
  const { tensors, metadata } = decodeSafetensors(readFileSync(path), path);
  if (metadata.format !== RL_CHECKPOINT_FORMAT)
    throw new Error(
      `${path}: not an RL checkpoint (format '${metadata.format ?? 'none'}', expected ${RL_CHECKPOINT_FORMAT}); was it written by \`simmer rl\`?`,
    );
  const algo = metadata.algo as Algo;
  if (!ALGOS.includes(algo)) throw new Error(`${path}: unknown algorithm '${algo}' in the checkpoint`);
  const agent = createAgent(algo, JSON.parse(metadata.config));
  agent.loadStateDict({ tensors, json: JSON.parse(metadata.state) });
  return { agent, extra: JSON.parse(metadata.extra ?? '{}') };
}
