/**
 * Environments by name, so agents, checkpoints and the CLI can rebuild the same environment from JSON:
 * 'cartpole' (CartPole-v1), 'gridworld' (one-hot observations), 'pixel-gridworld' (3 × H × W images).
 */
import type { ArrayEnv } from './env.ts';
import { CartPole } from './envs/cartpole.ts';
import { Gridworld, OneHotGridworld } from './envs/gridworld.ts';
import { PixelGridworld } from './envs/pixel-gridworld.ts';

export const ENV_NAMES = ['cartpole', 'gridworld', 'pixel-gridworld'] as const;
export type EnvName = (typeof ENV_NAMES)[number];

export interface EnvOptions {
  map?: string[];
  slip?: number;
  stepReward?: number;
  maxEpisodeSteps?: number;
  cellPixels?: number;
}

/**
 * The default 5 × 5 world: the only shortest way from S to G (8 moves) runs down the left column, along the middle
 * row past two pits, and down the right column.
 */
export const DEFAULT_GRID = ['S.#..', '.##P.', '.....', '.#P#.', '...#G'];

export function makeGridworld(options: EnvOptions = {}): Gridworld {
  return new Gridworld({
    map: options.map ?? DEFAULT_GRID,
    slip: options.slip ?? 0,
    stepReward: options.stepReward ?? -0.01,
    maxEpisodeSteps: options.maxEpisodeSteps ?? 50,
  });
}

export function makeEnv(name: EnvName, options: EnvOptions = {}): ArrayEnv {
  switch (name) {
    case 'cartpole':
      return new CartPole({ maxEpisodeSteps: options.maxEpisodeSteps });
    case 'gridworld':
      return new OneHotGridworld(makeGridworld(options));
    case 'pixel-gridworld':
      return new PixelGridworld(makeGridworld(options), options.cellPixels ?? 3);
    default:
      throw new RangeError(`makeEnv: unknown environment '${name as string}'; choose one of ${ENV_NAMES.join(', ')}`);
  }
}
