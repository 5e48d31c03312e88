/**
 * The gridworld's transition model, value iteration exact against a grid solved by hand and against Russell &
 * Norvig's published 4×3 values, Q-learning converging to the planner's values, and the pixel observation.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QLearning } from '../../src/rl/agents/q-learning.ts';
import { Gridworld } from '../../src/rl/envs/gridworld.ts';
import { PixelGridworld } from '../../src/rl/envs/pixel-gridworld.ts';
import { greedyPath, valueIteration } from '../../src/rl/planning.ts';
import { DEFAULT_GRID, makeGridworld } from '../../src/rl/registry.ts';

const [UP, RIGHT, DOWN, LEFT] = [0, 1, 2, 3];

describe('gridworld', () => {
  test('transition model: slip to each side, walls and edges keep the agent in place, probabilities sum to 1', () => {
    const g = new Gridworld({ map: ['S.#', '..G'], slip: 0.2, stepReward: -0.1 });
    // From S (0) moving right: 0.8 → cell 1, 0.1 up (edge: stay), 0.1 down → cell 3.
    const t = g.transitions(0, RIGHT).sort((a, b) => a.next - b.next);
    assert.deepEqual(
      t.map((x) => [x.next, Number(x.probability.toFixed(12)), x.reward, x.terminal]),
      [
        [0, 0.1, -0.1, false],
        [1, 0.8, -0.1, false],
        [3, 0.1, -0.1, false],
      ],
    );
    // From cell 1 moving right hits the wall and slipping up leaves the grid (both stay); slipping down reaches cell 4, next to G.
    const w = g.transitions(1, RIGHT);
    assert.equal(w.find((x) => x.next === 1)?.probability.toFixed(12), '0.900000000000', 'wall 0.8 + edge 0.1');
    assert.deepEqual(
      w.find((x) => x.next === 4),
      { probability: 0.1, next: 4, reward: -0.1, terminal: false },
    );
    assert.deepEqual(
      g.transitions(4, RIGHT).find((x) => x.next === 5),
      { probability: 0.8, next: 5, reward: 1, terminal: true },
    );
    for (let s = 0; s < 6; s++)
      for (let a = 0; a < 4; a++) {
        const p = g.transitions(s, a).reduce((acc, x) => acc + x.probability, 0);
        if (g.cells[s] === 'floor') assert.ok(Math.abs(p - 1) < 1e-12);
      }
    assert.throws(() => new Gridworld({ map: ['S.X'] }), /unknown map character 'X'/);
    assert.throws(() => new Gridworld({ map: ['...'] }), /no start/);
  });

  test('sampled steps follow the model', () => {
    const g = new Gridworld({ map: ['...', '.S.', '...'], slip: 0.5, maxEpisodeSteps: 1 });
    const counts = new Map<number, number>();
    g.reset(3);
    for (let k = 0; k < 4000; k++) {
      g.reset();
      const r = g.step(UP);
      assert.equal(r.truncated, true);
      counts.set(r.observation, (counts.get(r.observation) ?? 0) + 1);
    }
    // up (cell 1) 0.5, left (3) 0.25, right (5) 0.25
    assert.ok(Math.abs((counts.get(1) ?? 0) / 4000 - 0.5) < 0.04);
    assert.ok(Math.abs((counts.get(3) ?? 0) / 4000 - 0.25) < 0.04);
    assert.ok(Math.abs((counts.get(5) ?? 0) / 4000 - 0.25) < 0.04);
  });

  test('value iteration on a slippery corridor P S . G solved by hand', () => {
    // r = −0.1 per move, γ = 0.9, slip 0.2 (a sideways slip in a one-row world stays put). Going right is optimal:
    //   V(2) = 0.8·1 + 0.2·(r + γV(2))            ⇒ V(2) = (0.8 + 0.2r) / (1 − 0.2γ)
    //   V(1) = 0.8·(r + γV(2)) + 0.2·(r + γV(1))  ⇒ V(1) = (r + 0.8γV(2)) / (1 − 0.2γ)
    const r = -0.1;
    const gamma = 0.9;
    const v2 = (0.8 + 0.2 * r) / (1 - 0.2 * gamma);
    const v1 = (r + 0.8 * gamma * v2) / (1 - 0.2 * gamma);
    const g = new Gridworld({ map: ['PS.G'], slip: 0.2, stepReward: r });
    const vi = valueIteration(g, { gamma });
    assert.ok(Math.abs(vi.values[2] - v2) < 1e-12, `${vi.values[2]} vs ${v2}`);
    assert.ok(Math.abs(vi.values[1] - v1) < 1e-12, `${vi.values[1]} vs ${v1}`);
    assert.equal(vi.values[0], 0);
    assert.equal(vi.values[3], 0);
    assert.deepEqual([...vi.policy], [-1, RIGHT, RIGHT, -1]);
    // Deterministic corridor: V = γ^(distance − 1).
    const d = valueIteration(new Gridworld({ map: ['S..G'] }), { gamma: 0.9 });
    assert.deepEqual(
      [...d.values].map((v) => Number(v.toFixed(12))),
      [0.81, 0.9, 1, 0],
    );
  });

  test("value iteration reproduces Russell & Norvig's 4×3 world (Fig. 17.3: R = −0.04, γ = 1, 0.8 / 0.1 / 0.1)", () => {
    const g = new Gridworld({ map: ['...G', '.#.P', 'S...'], slip: 0.2, stepReward: -0.04 });
    const vi = valueIteration(g, { gamma: 1 });
    // The book's utilities include the state's own reward R(s) = −0.04; ours count the reward on arrival, so
    // V(s) = U(s) + 0.04 for non-terminal states.
    const book = [0.812, 0.868, 0.918, null, 0.762, null, 0.66, null, 0.705, 0.655, 0.611, 0.388];
    book.forEach((u, s) => {
      if (u !== null) assert.ok(Math.abs(vi.values[s] - (u + 0.04)) < 6e-4, `state ${s}: ${vi.values[s] - 0.04} vs ${u}`);
    });
    assert.deepEqual([...vi.policy], [RIGHT, RIGHT, RIGHT, -1, UP, -1, UP, -1, UP, LEFT, LEFT, LEFT]);
  });

  test('Q-learning on a 4-state chain converges to the value-iteration values', () => {
    const g = new Gridworld({ map: ['S..G'], maxEpisodeSteps: 20 });
    const agent = new QLearning({ numStates: g.numStates, numActions: 4, gamma: 0.9, learningRate: 0.5, epsilonSteps: 2000, seed: 1 });
    agent.train(g, { steps: 3000, seed: 1 });
    const vi = valueIteration(g, { gamma: 0.9 });
    for (let s = 0; s < 3; s++) {
      assert.equal(agent.greedyAction(s), RIGHT);
      assert.ok(Math.abs(agent.values()[s] - vi.values[s]) < 1e-3, `state ${s}: ${agent.values()[s]} vs ${vi.values[s]}`);
    }
  });

  test('Q-learning on the slippery default grid finds the planner’s path', () => {
    const g = makeGridworld({ slip: 0.1, maxEpisodeSteps: 50 });
    const agent = new QLearning({ numStates: g.numStates, numActions: 4, gamma: 0.95, learningRate: 0.1, epsilonSteps: 30_000, seed: 2 });
    agent.train(g, { steps: 60_000, seed: 2 });
    const vi = valueIteration(g, { gamma: 0.95 });
    const learned = greedyPath(
      g,
      Int32Array.from({ length: g.numStates }, (_, s) => agent.greedyAction(s)),
    );
    assert.deepEqual(learned, greedyPath(g, vi.policy));
    assert.equal(learned.length - 1, 8, 'eight moves from S to G');
  });

  test('pixel observation: 3 × H·c × W·c in [0, 1], the agent blue, walls grey, goal green', () => {
    const env = new PixelGridworld(new Gridworld({ map: DEFAULT_GRID }), 3);
    assert.deepEqual(env.observationSpace.shape, [3, 15, 15]);
    const obs = env.reset(0).observation;
    const plane = 15 * 15;
    const px = (ch: number, row: number, col: number) => obs[ch * plane + row * 15 + col];
    assert.deepEqual([px(0, 1, 1), px(1, 1, 1), px(2, 1, 1)], [0, 0, 1], 'the agent at S (cell 0,0)');
    assert.deepEqual([px(0, 7, 7), px(1, 7, 7), px(2, 7, 7)], [0, 0, 0], 'floor');
    const grey = 128 / 255;
    assert.deepEqual([px(0, 1, 7), px(1, 1, 7), px(2, 1, 7)], [Math.fround(grey), Math.fround(grey), Math.fround(grey)], 'wall at cell (0, 2)');
    assert.deepEqual([px(0, 13, 13), px(1, 13, 13), px(2, 13, 13)], [0, 1, 0], 'goal');
    const next = env.step(DOWN).observation;
    assert.equal(next[2 * plane + 4 * 15 + 1], 1, 'the agent moved to cell (1, 0)');
    assert.equal(next[2 * plane + 1 * 15 + 1], 0);
  });
});
