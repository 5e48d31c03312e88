/**
 * N copies of an environment stepped together (Gymnasium's SyncVectorEnv), so a policy acts on a batch [N, …] of
 * observations with one forward pass. An episode that ends is reset at once (same-step autoreset, as
 * Stable-Baselines3): the returned observation is the new episode's first one and finalObservations[i] holds the
 * episode's true last observation, which a learner needs to bootstrap a truncated episode.
 * @example
 *   const envs = new VectorEnv(() => new CartPole(), 8);
 *   let obs = envs.reset(1);                 // [8 · 4] float32; env i seeded with 1 + i
 *   const r = envs.step(new Int32Array(8));  // r.rewards, r.terminated, r.truncated, r.episodes
 */
import type { ArrayEnv, EnvSnapshot } from './env.ts';
import { flatSize, type Space } from './spaces.ts';

export interface FinishedEpisode {
  env: number;
  return: number;
  length: number;
}

export interface VectorStepResult {
  /** [N · obsSize]: each env's next observation (the first of a new episode where one ended). */
  observations: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** Where an episode ended this step: its last observation (before the reset); null elsewhere. */
  finalObservations: (Float32Array | null)[];
  /** Episodes that ended this step, with their undiscounted return and length. */
  episodes: FinishedEpisode[];
}

export interface VectorSnapshot {
  envs: EnvSnapshot[];
  observations: number[];
  returns: number[];
  lengths: number[];
}

export class VectorEnv {
  readonly envs: ArrayEnv[];
  readonly observationSpace: Space;
  readonly numActions: number;
  readonly obsSize: number;
  private current: Float32Array;
  private returns: Float64Array;
  private lengths: Int32Array;

  constructor(
    makeEnv: (index: number) => ArrayEnv,
    readonly numEnvs: number,
  ) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`VectorEnv: numEnvs must be a positive integer, got ${numEnvs}`);
    this.envs = Array.from({ length: numEnvs }, (_, i) => makeEnv(i));
    this.observationSpace = this.envs[0].observationSpace;
    this.numActions = this.envs[0].actionSpace.n;
    this.obsSize = flatSize(this.observationSpace);
    this.current = new Float32Array(numEnvs * this.obsSize);
    this.returns = new Float64Array(numEnvs);
    this.lengths = new Int32Array(numEnvs);
  }

  /** Resets every copy, env i with seed + i (or continuing its generator without a seed); returns [N · obsSize]. */
  reset(seed?: number): Float32Array {
    this.envs.forEach((env, i) => this.current.set(env.reset(seed === undefined ? undefined : seed + i).observation, i * this.obsSize));
    this.returns.fill(0);
    this.lengths.fill(0);
    return this.current.slice();
  }

  step(actions: ArrayLike<number>): VectorStepResult {
    const n = this.numEnvs;
    if (actions.length !== n) throw new RangeError(`VectorEnv.step: expected ${n} actions (one per env), got ${actions.length}`);
    const rewards = new Float32Array(n);
    const terminated = new Uint8Array(n);
    const truncated = new Uint8Array(n);
    const finalObservations: (Float32Array | null)[] = new Array(n).fill(null);
    const episodes: FinishedEpisode[] = [];
    for (let i = 0; i < n; i++) {
      const env = this.envs[i];
      const r = env.step(actions[i]);
      rewards[i] = r.reward;
      terminated[i] = r.terminated ? 1 : 0;
      truncated[i] = r.truncated ? 1 : 0;
      this.returns[i] += r.reward;
      this.lengths[i]++;
      if (r.terminated || r.truncated) {
        finalObservations[i] = r.observation;
        episodes.push({ env: i, return: this.returns[i], length: this.lengths[i] });
        this.returns[i] = 0;
        this.lengths[i] = 0;
        this.current.set(env.reset().observation, i * this.obsSize);
      } else this.current.set(r.observation, i * this.obsSize);
    }
    return { observations: this.current.slice(), rewards, terminated, truncated, finalObservations, episodes };
  }

  snapshot(): VectorSnapshot {
    return {
      envs: this.envs.map((e, i) => {
        if (!e.snapshot) throw new Error(`VectorEnv.snapshot: env ${i} (${e.constructor.name}) cannot snapshot its state, so this run cannot be checkpointed`);
        return e.snapshot();
      }),
      observations: [...this.current],
      returns: [...this.returns],
      lengths: [...this.lengths],
    };
  }

  restore(s: VectorSnapshot): void {
    if (s.envs.length !== this.numEnvs) throw new RangeError(`VectorEnv.restore: the snapshot has ${s.envs.length} envs, this VectorEnv ${this.numEnvs}`);
    this.envs.forEach((e, i) => e.restore?.(s.envs[i]));
    this.current.set(s.observations);
    this.returns.set(s.returns);
    this.lengths.set(s.lengths);
  }
}
