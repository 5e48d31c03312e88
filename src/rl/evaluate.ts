/**
 * Greedy evaluation: runs `episodes` episodes at once (one environment each, one batched forward per step) with the
 * agent's best action, and returns each episode's undiscounted return. Seeds are base + k, apart from training's.
 */
import { flatSize } from './spaces.ts';
import type { ArrayEnv } from './env.ts';
import { observationBatch } from './nets.ts';
import type { Tensor } from '../tensor/tensor.ts';

export function evaluateGreedy(act: (observations: Tensor) => Int32Array, makeEnv: () => ArrayEnv, options: { episodes: number; seed: number }): number[] {
  const envs = Array.from({ length: options.episodes }, makeEnv);
  const space = envs[0].observationSpace;
  const shape = space.kind === 'box' ? space.shape : [1];
  const d = flatSize(space);
  const obs = new Float32Array(envs.length * d);
  envs.forEach((e, k) => obs.set(e.reset(options.seed + k).observation, k * d));
  const returns = new Array<number>(envs.length).fill(0);
  let active = envs.map((_, k) => k);
  while (active.length > 0) {
    const batch = new Float32Array(active.length * d);
    active.forEach((k, j) => batch.set(obs.subarray(k * d, (k + 1) * d), j * d));
    const actions = act(observationBatch(batch, shape));
    const still: number[] = [];
    active.forEach((k, j) => {
      const r = envs[k].step(actions[j]);
      returns[k] += r.reward;
      obs.set(r.observation, k * d);
      if (!r.terminated && !r.truncated) still.push(k);
    });
    active = still;
  }
  return returns;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}
