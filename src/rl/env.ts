/**
 * The environment contract (Gymnasium's Env): reset(seed) starts an episode, step(action) advances it one step and
 * says whether it ended by reaching a terminal state (terminated) or by a time limit (truncated). The difference
 * matters for learning: a truncated episode's last state still has a future value to bootstrap from.
 * @example
 *   const env = new CartPole();
 *   let { observation } = env.reset(1);
 *   for (;;) {
 *     const r = env.step(observation[2] > 0 ? 1 : 0);
 *     if (r.terminated || r.truncated) break;
 *     observation = r.observation;
 *   }
 */
import type { RngState } from '../tensor/random.ts';
import type { DiscreteSpace, Space } from './spaces.ts';

export type Info = Record<string, unknown>;

export interface ResetResult<O> {
  observation: O;
  info: Info;
}

export interface StepResult<O> {
  observation: O;
  reward: number;
  /** The episode reached a terminal state (no future reward). */
  terminated: boolean;
  /** The episode was cut by a time limit (the state had a future). */
  truncated: boolean;
  info: Info;
}

/** An RGB image, row-major, 3 bytes per pixel (what the PNG strip of `simmer rl play` is made of). */
export interface RgbFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

/** What an environment saves into a checkpoint so a resumed run continues the same episodes. */
export interface EnvSnapshot {
  rng: RngState;
  [key: string]: unknown;
}

export interface Env<O = Float32Array> {
  readonly observationSpace: Space;
  readonly actionSpace: DiscreteSpace;
  /** Starts an episode; with a seed, first reseeds the environment's own generator (later resets continue it). */
  reset(seed?: number): ResetResult<O>;
  step(action: number): StepResult<O>;
  /** The current state drawn as an image. */
  render?(): RgbFrame;
  snapshot?(): EnvSnapshot;
  restore?(snapshot: EnvSnapshot): void;
}

/** An environment whose observations are float32 arrays (what the neural agents take). */
export type ArrayEnv = Env<Float32Array>;
