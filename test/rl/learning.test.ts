/**
 * Short learning runs in the default suite (a few thousand steps each): DQN and PPO find the optimal path of a small
 * gridworld from one-hot observations, REINFORCE improves on CartPole; and a checkpointed run resumed from disk ends
 * with exactly the weights of an uninterrupted run, for every algorithm. The long CartPole solves are in
 * scripts/rl-benchmark.ts (SIMMER_LONG=1 runs a short version of them here).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Agent } from '../../src/rl/agent.ts';
import { DQN } from '../../src/rl/agents/dqn.ts';
import { PPO } from '../../src/rl/agents/ppo.ts';
import { Reinforce } from '../../src/rl/agents/reinforce.ts';
import { type Algo, createAgent, loadAgent, saveAgent } from '../../src/rl/checkpoint.ts';
import { CartPole } from '../../src/rl/envs/cartpole.ts';
import { evaluateGreedy, mean } from '../../src/rl/evaluate.ts';
import { greedyPath, valueIteration } from '../../src/rl/planning.ts';
import { observationBatch } from '../../src/rl/nets.ts';
import { makeGridworld } from '../../src/rl/registry.ts';
import '../../src/index.ts';

/** A 2 × 4 world: two shortest ways to G (4 moves), one along the pit. */
const SMALL = { map: ['S..P', '...G'], stepReward: -0.05, maxEpisodeSteps: 20 };

/** The cells the agent's greedy policy visits from the start without slips (one-hot observation per state). */
function learnedPath(agent: Agent): number[] {
  const grid = makeGridworld(SMALL);
  const policy = Int32Array.from({ length: grid.numStates }, (_, s) => {
    const obs = new Float32Array(grid.numStates);
    obs[s] = 1;
    return agent.greedyActions(observationBatch(obs, [grid.numStates]))[0];
  });
  return greedyPath(grid, policy);
}

/** Reaches the goal in as few moves as the planner's policy (ties between equally short paths are fine). */
function assertOptimal(path: number[]): void {
  const grid = makeGridworld(SMALL);
  const best = greedyPath(grid, valueIteration(grid, { gamma: 0.99 }).policy);
  assert.equal(grid.cells[path[path.length - 1]], 'goal', `path ${path} ends at the goal`);
  assert.equal(path.length, best.length, `path ${path} is as short as the planner's ${best}`);
}

describe('learning', () => {
  test('DQN (double, target network, replay) learns the optimal path of a small gridworld in 3,000 steps', () => {
    const agent = new DQN({
      env: 'gridworld',
      envOptions: SMALL,
      seed: 1,
      hidden: [32],
      bufferSize: 5000,
      learningStarts: 200,
      batchSize: 32,
      trainFreq: 1,
      gradientSteps: 1,
      targetUpdateInterval: 100,
      epsilonSteps: 1500,
      learningRate: 1e-3,
      chunk: 500,
    });
    while (agent.envSteps < 3000) agent.iterate();
    assertOptimal(learnedPath(agent));
  });

  test('PPO (GAE, clipping, minibatch epochs, 4 envs) learns the optimal path of a small gridworld in 4,096 steps', () => {
    const agent = new PPO({
      env: 'gridworld',
      envOptions: SMALL,
      seed: 1,
      totalSteps: 4096,
      numEnvs: 4,
      numSteps: 32,
      epochs: 4,
      minibatches: 2,
      learningRate: 3e-3,
      entropyCoef: 0.01,
    });
    while (agent.envSteps < 4096) agent.iterate();
    assertOptimal(learnedPath(agent));
  });

  test('REINFORCE with a baseline: 60 CartPole episodes raise the greedy return well above a random policy’s (~20)', () => {
    const agent = new Reinforce({ env: 'cartpole', seed: 1 });
    while (agent.episodes < 60) agent.iterate();
    const score = mean(
      evaluateGreedy(
        (o) => agent.greedyActions(o),
        () => new CartPole(),
        { episodes: 20, seed: 1e6 },
      ),
    );
    assert.ok(score > 60, `greedy mean return ${score}`);
  });

  const small: Record<Algo, Record<string, unknown>> = {
    ppo: { env: 'cartpole', seed: 3, totalSteps: 2048, numEnvs: 4, numSteps: 64, epochs: 2, minibatches: 2 },
    dqn: {
      env: 'cartpole',
      seed: 3,
      hidden: [32],
      learningStarts: 100,
      trainFreq: 4,
      gradientSteps: 2,
      chunk: 150,
      bufferSize: 1000,
      targetUpdateInterval: 50,
    },
    reinforce: { env: 'cartpole', seed: 3, episodesPerUpdate: 2, hidden: [16] },
  };
  for (const algo of ['ppo', 'dqn', 'reinforce'] as const) {
    test(`${algo}: a run saved after one iteration and resumed from disk matches an uninterrupted run bit for bit`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'simmer-rl-'));
      const straight = createAgent(algo, small[algo]);
      for (let k = 0; k < 3; k++) straight.iterate();
      const first = createAgent(algo, small[algo]);
      first.iterate();
      saveAgent(join(dir, 'ckpt.safetensors'), first);
      const { agent: resumed } = loadAgent(join(dir, 'ckpt.safetensors'));
      resumed.iterate();
      resumed.iterate();
      assert.equal(resumed.envSteps, straight.envSteps);
      const a = straight.actor.stateDict();
      for (const [name, t] of resumed.actor.stateDict()) assert.deepEqual(t.data, a.get(name)?.data, name);
    });
  }
});

if (process.env.SIMMER_LONG === '1') {
  test('long: PPO solves CartPole-v1 (greedy mean ≥ 475 over 100 episodes) within 100k steps, seed 1', () => {
    const agent = new PPO({ env: 'cartpole', seed: 1, totalSteps: 100_000 });
    let best = 0;
    while (agent.envSteps < 100_000 && best < 475) {
      agent.iterate();
      if (agent.envSteps % 10_240 === 0)
        best = Math.max(
          best,
          mean(
            evaluateGreedy(
              (o) => agent.greedyActions(o),
              () => new CartPole(),
              { episodes: 100, seed: 1e6 },
            ),
          ),
        );
    }
    assert.ok(best >= 475, `best greedy mean ${best}`);
  });
}
