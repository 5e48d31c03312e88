/**
 * Tabular Q-learning (Watkins 1989): Q(s, a) ← Q(s, a) + α [r + γ·max_a′ Q(s′, a′) − Q(s, a)], with ε-greedy
 * exploration on a linear schedule. Terminal transitions do not bootstrap; time-limit truncations do.
 * @example
 *   const agent = new QLearning({ numStates: grid.numStates, numActions: 4, gamma: 0.9, seed: 1 });
 *   agent.train(grid, { steps: 5_000 });
 *   agent.greedyAction(grid.start);
 */
import { Generator } from '../../tensor/random.ts';
import type { Env } from '../env.ts';
import { linearSchedule } from '../schedule.ts';

export interface QLearningOptions {
  numStates: number;
  numActions: number;
  gamma: number;
  /** Step size α (default 0.5). */
  learningRate?: number;
  epsilonStart?: number;
  epsilonEnd?: number;
  /** Steps over which ε goes from start to end (default 1000). */
  epsilonSteps?: number;
  seed?: number;
}

export class QLearning {
  readonly q: Float64Array;
  readonly numStates: number;
  readonly numActions: number;
  private readonly rng: Generator;
  private readonly epsilon: (step: number) => number;
  private steps = 0;

  constructor(private readonly options: QLearningOptions) {
    this.numStates = options.numStates;
    this.numActions = options.numActions;
    this.q = new Float64Array(options.numStates * options.numActions);
    this.rng = new Generator(options.seed ?? 0);
    this.epsilon = linearSchedule(options.epsilonStart ?? 1, options.epsilonEnd ?? 0.05, options.epsilonSteps ?? 1000);
  }

  /** argmax_a Q(s, a), ties to the lowest action. */
  greedyAction(state: number): number {
    let best = 0;
    for (let a = 1; a < this.numActions; a++) if (this.q[state * this.numActions + a] > this.q[state * this.numActions + best]) best = a;
    return best;
  }

  act(state: number): number {
    return this.rng.uniform() < this.epsilon(this.steps) ? this.rng.int(0, this.numActions) : this.greedyAction(state);
  }

  /** One backup from an observed transition. */
  update(state: number, action: number, reward: number, next: number, terminated: boolean): void {
    const na = this.numActions;
    let target = reward;
    if (!terminated) target += this.options.gamma * this.q[next * na + this.greedyAction(next)];
    const k = state * na + action;
    this.q[k] += (this.options.learningRate ?? 0.5) * (target - this.q[k]);
  }

  /** Interacts with the environment for `steps` steps; returns the undiscounted return of each finished episode. */
  train(env: Env<number>, options: { steps: number; seed?: number }): number[] {
    const returns: number[] = [];
    let state = env.reset(options.seed ?? this.options.seed ?? 0).observation;
    let episodeReturn = 0;
    for (let k = 0; k < options.steps; k++) {
      const action = this.act(state);
      const r = env.step(action);
      this.update(state, action, r.reward, r.observation, r.terminated);
      this.steps++;
      episodeReturn += r.reward;
      if (r.terminated || r.truncated) {
        returns.push(episodeReturn);
        episodeReturn = 0;
        state = env.reset().observation;
      } else state = r.observation;
    }
    return returns;
  }

  /** max_a Q(s, a) per state. */
  values(): Float64Array {
    const v = new Float64Array(this.numStates);
    for (let s = 0; s < this.numStates; s++) v[s] = this.q[s * this.numActions + this.greedyAction(s)];
    return v;
  }
}
