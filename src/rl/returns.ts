/**
 * Discounted returns and generalised advantage estimation (Schulman et al. 2016) over a rollout. These are short
 * scalar recursions backwards in time, so they run in plain TypeScript (float64); the batched work (network forward
 * and backward) is on tensors.
 */

/**
 * G_t = r_t + γ·G_{t+1} within an episode, for one episode (or several, cut where `episodeEnds[t]` is set).
 * @example discountedReturns([1, 1, 1], 0.9); // [2.71, 1.9, 1]
 */
export function discountedReturns(rewards: ArrayLike<number>, gamma: number, episodeEnds?: ArrayLike<number | boolean>): Float64Array {
  const out = new Float64Array(rewards.length);
  let g = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    if (episodeEnds?.[t]) g = 0;
    g = rewards[t] + gamma * g;
    out[t] = g;
  }
  return out;
}

export interface GaeInput {
  /** [T · N], time-major (step t of env i at t·N + i). */
  rewards: ArrayLike<number>;
  /** V(s_t), [T · N]. */
  values: ArrayLike<number>;
  /** 1 where the episode ended at step t (terminated or truncated), [T · N]. */
  episodeEnds: ArrayLike<number>;
  /**
   * Where an episode ended at t: the value of its true next state — 0 when terminated, V(final observation) when
   * truncated by a time limit. Ignored elsewhere. [T · N]
   */
  endValues: ArrayLike<number>;
  /** V of each env's observation after the rollout's last step, [N]. */
  lastValues: ArrayLike<number>;
  numEnvs: number;
  gamma: number;
  lambda: number;
}

/**
 * Advantages Â_t = δ_t + γλ·Â_{t+1} with δ_t = r_t + γ·V(s_{t+1}) − V(s_t), cut at episode ends, and the returns
 * Â_t + V(s_t) that the value function is trained towards.
 */
export function generalizedAdvantages(input: GaeInput): { advantages: Float64Array; returns: Float64Array } {
  const { rewards, values, episodeEnds, endValues, lastValues, numEnvs: n, gamma, lambda } = input;
  const total = rewards.length;
  if (total % n !== 0) throw new RangeError(`generalizedAdvantages: ${total} rewards is not a whole number of steps for ${n} envs`);
  const steps = total / n;
  const advantages = new Float64Array(total);
  const returns = new Float64Array(total);
  for (let i = 0; i < n; i++) {
    let next = 0;
    for (let t = steps - 1; t >= 0; t--) {
      const k = t * n + i;
      const ended = episodeEnds[k] !== 0;
      const nextValue = ended ? endValues[k] : t === steps - 1 ? lastValues[i] : values[k + n];
      const delta = rewards[k] + gamma * nextValue - values[k];
      next = delta + (ended ? 0 : gamma * lambda * next);
      advantages[k] = next;
      returns[k] = next + values[k];
    }
  }
  return { advantages, returns };
}
