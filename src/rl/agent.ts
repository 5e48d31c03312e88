/**
 * What every neural agent (REINFORCE, DQN, PPO) offers the training loop, the CLI and checkpoints: one unit of
 * training at a time (iterate), greedy actions for evaluation, and its whole state (networks, optimizer, generator,
 * environments, replay) as tensors plus JSON so a run can stop and resume exactly where it was.
 */
import type { Module } from '../nn/module.ts';
import type { Optimizer, OptimizerState } from '../optim/optimizer.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { FinishedEpisode } from './vector-env.ts';

export interface IterationReport {
  /** Episodes that finished during this iteration. */
  episodes: FinishedEpisode[];
  /** Mean losses and diagnostics of the updates made (empty before learning starts). */
  losses: Record<string, number>;
}

export interface AgentState {
  json: Record<string, unknown>;
  tensors: Map<string, Tensor>;
}

export interface Agent {
  readonly algo: 'ppo' | 'dqn' | 'reinforce';
  /** Environment steps taken for training so far. */
  readonly envSteps: number;
  /** Training episodes finished so far. */
  readonly episodes: number;
  /** The agent's constructor options (JSON), stored in checkpoints to rebuild it. */
  readonly config: object;
  /** The network that picks actions (policy logits or Q-values), [N, …obs] → [N, actions]. */
  readonly actor: Module;
  /** A PPO rollout and update, a REINFORCE batch of episodes, or a chunk of DQN steps. */
  iterate(): IterationReport;
  /** The best action for each observation of a batch. */
  greedyActions(observations: Tensor): Int32Array;
  stateDict(): AgentState;
  loadStateDict(state: AgentState): void;
}

/** A module's parameters and buffers under `prefix.` (shared tensors; encode them before changing the module). */
export function moduleTensors(prefix: string, module: Module): [string, Tensor][] {
  return [...module.stateDict()].map(([k, v]) => [`${prefix}.${k}`, v]);
}

/** Loads the `prefix.`-named tensors of a state into a module (strict: every key must be there). */
export function loadModuleTensors(prefix: string, module: Module, tensors: Map<string, Tensor>): void {
  const own = new Map<string, Tensor>();
  for (const [k, v] of tensors) if (k.startsWith(`${prefix}.`)) own.set(k.slice(prefix.length + 1), v);
  module.loadStateDict(own);
}

/** An optimizer's buffers as `prefix.<param>.<buffer>` tensors, the rest (options, step counts) as JSON. */
export function optimizerTensors(
  prefix: string,
  optimizer: Optimizer<{ lr: number }>,
): { tensors: [string, Tensor][]; json: Omit<OptimizerState, 'buffers'> & { bufferNames: string[][] } } {
  const s = optimizer.stateDict();
  const tensors: [string, Tensor][] = [];
  const bufferNames = s.buffers.map((b, i) =>
    Object.entries(b).map(([name, data]) => {
      tensors.push([`${prefix}.${i}.${name}`, new Tensor(data, [data.length])]);
      return name;
    }),
  );
  return { tensors, json: { kind: s.kind, groups: s.groups, scalars: s.scalars, bufferNames } };
}

export function loadOptimizerTensors(prefix: string, optimizer: Optimizer<{ lr: number }>, json: unknown, tensors: Map<string, Tensor>): void {
  const j = json as Omit<OptimizerState, 'buffers'> & { bufferNames: string[][] };
  const buffers = j.bufferNames.map((names, i) =>
    Object.fromEntries(
      names.map((name) => {
        const t = tensors.get(`${prefix}.${i}.${name}`);
        if (!t) throw new Error(`loadOptimizerTensors: the checkpoint has no '${prefix}.${i}.${name}'; it is incomplete`);
        return [name, t.data as Float32Array];
      }),
    ),
  );
  optimizer.loadStateDict({ kind: j.kind, groups: j.groups, scalars: j.scalars, buffers });
}
