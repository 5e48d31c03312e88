/**
 * The gridworld observed from pixels: each observation is the grid drawn as a 3 × (H·cell) × (W·cell) float32 image
 * in [0, 1] (walls grey, goal green, pits red, the agent blue, floor black), so the policy must be an image model (a
 * conv net) that finds the agent in the picture. Dynamics, rewards and the transition model are the wrapped
 * Gridworld's.
 */
import type { Env, EnvSnapshot, ResetResult, RgbFrame, StepResult } from '../env.ts';
import { box, type BoxSpace } from '../spaces.ts';
import { type Gridworld, renderGrid } from './gridworld.ts';

export class PixelGridworld implements Env<Float32Array> {
  readonly observationSpace: BoxSpace;
  readonly actionSpace;

  constructor(
    readonly grid: Gridworld,
    readonly cellPixels = 3,
  ) {
    this.observationSpace = box([3, grid.height * cellPixels, grid.width * cellPixels], 0, 1);
    this.actionSpace = grid.actionSpace;
  }

  /** The CHW float image of the grid with the agent at `state`. */
  observe(state: number): Float32Array {
    const frame = renderGrid(this.grid, state, this.cellPixels);
    const plane = frame.width * frame.height;
    const out = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) for (let ch = 0; ch < 3; ch++) out[ch * plane + i] = frame.data[i * 3 + ch] / 255;
    return out;
  }

  reset(seed?: number): ResetResult<Float32Array> {
    const r = this.grid.reset(seed);
    return { observation: this.observe(r.observation), info: { state: r.observation } };
  }

  step(action: number): StepResult<Float32Array> {
    const r = this.grid.step(action);
    return { ...r, observation: this.observe(r.observation), info: { state: r.observation } };
  }

  render(): RgbFrame {
    return this.grid.render();
  }

  snapshot(): EnvSnapshot {
    return this.grid.snapshot();
  }

  restore(s: EnvSnapshot): void {
    this.grid.restore(s);
  }
}
