/**
 * Planning with a known model: value iteration on the gridworld's transition model (Bellman optimality backups until
 * the largest change is below a tolerance), and the greedy policy it implies. Exact answers for the learners to be
 * checked against.
 */
import type { Gridworld } from './envs/gridworld.ts';

export interface ValueIterationResult {
  /** V*(s) per state (0 for terminal states and walls). */
  values: Float64Array;
  /** Q*(s, a), [numStates · 4]. */
  qValues: Float64Array;
  /** The greedy action per state (−1 for terminal states and walls); ties go to the lowest action. */
  policy: Int32Array;
  iterations: number;
}

/**
 * V(s) ← max_a Σ_s′ P(s′ | s, a) [r(s′) + γ·V(s′)], with V = 0 at terminal states, until no value moves by more than
 * `tolerance` (in place, Gauss–Seidel order).
 * @example valueIteration(new Gridworld({ map: ['S.G'] }), { gamma: 0.9 }).values; // [0.9, 1, 0]
 */
export function valueIteration(grid: Gridworld, options: { gamma: number; tolerance?: number; maxIterations?: number }): ValueIterationResult {
  const { gamma } = options;
  const tolerance = options.tolerance ?? 1e-12;
  const maxIterations = options.maxIterations ?? 100_000;
  const n = grid.numStates;
  const actions = grid.actionSpace.n;
  const values = new Float64Array(n);
  const backup = (s: number, a: number) => {
    let q = 0;
    for (const t of grid.transitions(s, a)) q += t.probability * (t.reward + (t.terminal ? 0 : gamma * values[t.next]));
    return q;
  };
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let change = 0;
    for (let s = 0; s < n; s++) {
      if (grid.isTerminal(s) || grid.cells[s] === 'wall') continue;
      let best = -Infinity;
      for (let a = 0; a < actions; a++) best = Math.max(best, backup(s, a));
      change = Math.max(change, Math.abs(best - values[s]));
      values[s] = best;
    }
    if (change < tolerance) break;
  }
  if (iterations === maxIterations)
    throw new Error(`valueIteration: no convergence in ${maxIterations} sweeps; with gamma = 1 every state must be able to reach a terminal cell`);
  const qValues = new Float64Array(n * actions);
  const policy = new Int32Array(n).fill(-1);
  for (let s = 0; s < n; s++) {
    if (grid.isTerminal(s) || grid.cells[s] === 'wall') continue;
    let best = -Infinity;
    for (let a = 0; a < actions; a++) {
      const q = backup(s, a);
      qValues[s * actions + a] = q;
      if (q > best + 1e-12) {
        best = q;
        policy[s] = a;
      }
    }
  }
  return { values, qValues, policy, iterations: iterations + 1 };
}

/** The cells visited by following `policy` from the start without slipping, until a terminal cell (or maxSteps). */
export function greedyPath(grid: Gridworld, policy: ArrayLike<number>, maxSteps = grid.numStates): number[] {
  const path = [grid.start];
  let s = grid.start;
  for (let k = 0; k < maxSteps && !grid.isTerminal(s); k++) {
    s = grid.moved(s, policy[s]);
    path.push(s);
  }
  return path;
}
