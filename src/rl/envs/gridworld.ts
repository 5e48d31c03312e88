/**
 * A gridworld: walls, a start, goals and pits, and a slip probability. It exposes its transition model
 * (transitions(state, action)), so planning (value iteration) and learning (Q-learning, DQN) can be checked against
 * each other, and it samples its steps from that same model.
 *
 * The map is rows of characters: '#' wall, 'S' start, 'G' goal (terminal, goalReward), 'P' pit (terminal,
 * pitReward), '.' floor (stepReward on entering). Actions: 0 up, 1 right, 2 down, 3 left. With probability
 * 1 − slip the agent moves as asked, with slip / 2 to each side of it (Russell & Norvig's 4×3 world is slip 0.2);
 * moving into a wall or off the grid leaves it where it is (and still costs stepReward). The state is the cell index
 * row · width + col.
 * @example
 *   const g = new Gridworld({ map: ['...G', '.#.P', 'S...'], slip: 0.2, stepReward: -0.04 });
 *   g.transitions(g.start, 1); // [{ probability: 0.8, next: 9, reward: -0.04, terminal: false }, …]
 */
import { Generator } from '../../tensor/random.ts';
import type { Env, EnvSnapshot, ResetResult, RgbFrame, StepResult } from '../env.ts';
import { box, discrete, type DiscreteSpace } from '../spaces.ts';

export const ACTION_NAMES = ['up', 'right', 'down', 'left'] as const;
const MOVES: readonly [number, number][] = [
  [-1, 0],
  [0, 1],
  [1, 0],
  [0, -1],
];

export interface GridworldOptions {
  map: readonly string[];
  slip?: number;
  stepReward?: number;
  goalReward?: number;
  pitReward?: number;
  /** Episodes are truncated after this many steps (default 100). */
  maxEpisodeSteps?: number;
}

export interface Transition {
  probability: number;
  next: number;
  reward: number;
  terminal: boolean;
}

export type Cell = 'wall' | 'floor' | 'goal' | 'pit';

export class Gridworld implements Env<number> {
  readonly width: number;
  readonly height: number;
  readonly start: number;
  readonly cells: readonly Cell[];
  readonly slip: number;
  readonly stepReward: number;
  readonly goalReward: number;
  readonly pitReward: number;
  readonly maxEpisodeSteps: number;
  readonly observationSpace: DiscreteSpace;
  readonly actionSpace = discrete(4);
  private rng = new Generator(0);
  private position: number | null = null;
  private elapsed = 0;

  constructor(options: GridworldOptions) {
    const map = options.map;
    this.height = map.length;
    this.width = map[0]?.length ?? 0;
    if (this.height === 0 || this.width === 0) throw new RangeError('Gridworld: the map is empty; give rows of characters such as ["S..G"]');
    const cells: Cell[] = [];
    let start = -1;
    map.forEach((row, r) => {
      if (row.length !== this.width)
        throw new RangeError(`Gridworld: row ${r} has ${row.length} characters, the first row ${this.width}; rows must be equally long`);
      for (let c = 0; c < row.length; c++) {
        const ch = row[c];
        if (ch === '#') cells.push('wall');
        else if (ch === 'G') cells.push('goal');
        else if (ch === 'P') cells.push('pit');
        else if (ch === '.' || ch === 'S') cells.push('floor');
        else throw new RangeError(`Gridworld: unknown map character '${ch}' at row ${r}, column ${c}; use # S G P .`);
        if (ch === 'S') {
          if (start >= 0) throw new RangeError('Gridworld: the map has more than one start S');
          start = r * this.width + c;
        }
      }
    });
    if (start < 0) throw new RangeError('Gridworld: the map has no start cell S');
    this.cells = cells;
    this.start = start;
    this.slip = options.slip ?? 0;
    if (!(this.slip >= 0 && this.slip <= 1)) throw new RangeError(`Gridworld: slip must be a probability in [0, 1], got ${this.slip}`);
    this.stepReward = options.stepReward ?? 0;
    this.goalReward = options.goalReward ?? 1;
    this.pitReward = options.pitReward ?? -1;
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? 100;
    this.observationSpace = discrete(this.width * this.height);
  }

  get numStates(): number {
    return this.width * this.height;
  }

  /** Where the agent is now (a state index), or null before reset. */
  get agent(): number | null {
    return this.position;
  }

  isTerminal(state: number): boolean {
    const c = this.cells[state];
    return c === 'goal' || c === 'pit';
  }

  /** The cell one move away in direction `action`, or the same cell when a wall or the edge is in the way. */
  moved(state: number, action: number): number {
    const r = Math.floor(state / this.width) + MOVES[action][0];
    const c = (state % this.width) + MOVES[action][1];
    if (r < 0 || r >= this.height || c < 0 || c >= this.width) return state;
    const next = r * this.width + c;
    return this.cells[next] === 'wall' ? state : next;
  }

  private rewardFor(next: number): number {
    const c = this.cells[next];
    return c === 'goal' ? this.goalReward : c === 'pit' ? this.pitReward : this.stepReward;
  }

  /** The model: every outcome of taking `action` in `state`, with its probability (outcomes to the same cell merged). */
  transitions(state: number, action: number): Transition[] {
    if (this.isTerminal(state) || this.cells[state] === 'wall') return [];
    const outcomes: [number, number][] = [
      [action, 1 - this.slip],
      [(action + 1) % 4, this.slip / 2],
      [(action + 3) % 4, this.slip / 2],
    ];
    const out: Transition[] = [];
    for (const [dir, p] of outcomes) {
      if (p === 0) continue;
      const next = this.moved(state, dir);
      const same = out.find((t) => t.next === next);
      if (same) same.probability += p;
      else out.push({ probability: p, next, reward: this.rewardFor(next), terminal: this.isTerminal(next) });
    }
    return out;
  }

  reset(seed?: number): ResetResult<number> {
    if (seed !== undefined) this.rng.manualSeed(seed);
    this.position = this.start;
    this.elapsed = 0;
    return { observation: this.start, info: {} };
  }

  step(action: number): StepResult<number> {
    if (this.position === null) throw new Error('Gridworld.step: call reset() before step()');
    if (!Number.isInteger(action) || action < 0 || action > 3)
      throw new RangeError(`Gridworld.step: the action must be 0 up, 1 right, 2 down or 3 left, got ${action}`);
    if (this.isTerminal(this.position)) throw new Error('Gridworld.step: the episode has terminated; call reset() before stepping again');
    const options = this.transitions(this.position, action);
    const u = this.rng.uniform();
    let acc = 0;
    let chosen = options[options.length - 1];
    for (const t of options) {
      acc += t.probability;
      if (u < acc) {
        chosen = t;
        break;
      }
    }
    this.position = chosen.next;
    this.elapsed++;
    return { observation: chosen.next, reward: chosen.reward, terminated: chosen.terminal, truncated: this.elapsed >= this.maxEpisodeSteps, info: {} };
  }

  render(cellPixels = 16): RgbFrame {
    return renderGrid(this, this.position ?? this.start, cellPixels);
  }

  snapshot(): EnvSnapshot {
    return { rng: this.rng.getState(), position: this.position, elapsed: this.elapsed };
  }

  restore(s: EnvSnapshot): void {
    this.rng.setState(s.rng);
    this.position = s.position as number | null;
    this.elapsed = s.elapsed as number;
  }
}

/** Colours of the cells in renders and pixel observations. */
export const GRID_COLOURS: Record<Cell | 'agent', [number, number, number]> = {
  wall: [128, 128, 128],
  floor: [0, 0, 0],
  goal: [0, 255, 0],
  pit: [255, 0, 0],
  agent: [0, 0, 255],
};

/** The grid as an RGB image, cellPixels × cellPixels per cell, the agent drawn over its cell. */
export function renderGrid(grid: Gridworld, agent: number, cellPixels: number): RgbFrame {
  const width = grid.width * cellPixels;
  const height = grid.height * cellPixels;
  const data = new Uint8Array(width * height * 3);
  for (let s = 0; s < grid.numStates; s++) {
    const colour = GRID_COLOURS[s === agent ? 'agent' : grid.cells[s]];
    const r0 = Math.floor(s / grid.width) * cellPixels;
    const c0 = (s % grid.width) * cellPixels;
    for (let y = r0; y < r0 + cellPixels; y++) for (let x = c0; x < c0 + cellPixels; x++) data.set(colour, (y * width + x) * 3);
  }
  return { width, height, data };
}

/** The gridworld with one-hot float observations, for the neural agents (DQN, PPO) on the tabular world. */
export class OneHotGridworld implements Env<Float32Array> {
  readonly observationSpace;
  readonly actionSpace;

  constructor(readonly grid: Gridworld) {
    this.observationSpace = box([grid.numStates], 0, 1);
    this.actionSpace = grid.actionSpace;
  }

  private encode(state: number): Float32Array {
    const v = new Float32Array(this.grid.numStates);
    v[state] = 1;
    return v;
  }

  reset(seed?: number): ResetResult<Float32Array> {
    const r = this.grid.reset(seed);
    return { observation: this.encode(r.observation), info: r.info };
  }

  step(action: number): StepResult<Float32Array> {
    const r = this.grid.step(action);
    return { ...r, observation: this.encode(r.observation) };
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
