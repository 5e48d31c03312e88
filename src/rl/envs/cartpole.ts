/**
 * CartPole-v1 with Gymnasium's exact dynamics (gymnasium/envs/classic_control/cartpole.py): a pole hinged on a cart,
 * pushed left (action 0) or right (action 1) with a force of 10 N; explicit Euler integration with tau = 0.02 s; the
 * episode terminates when |x| > 2.4 or |θ| > 12° and is truncated after 500 steps; reward 1 for every step, the
 * terminating one included. The state is kept in float64 and observed as float32, as Gymnasium does. The initial state
 * is uniform in [−0.05, 0.05]⁴ from the environment's own seeded generator (Simmer's xoshiro128**, so the same seed
 * gives the same episode here, not the same numbers as NumPy).
 */
import { Generator } from '../../tensor/random.ts';
import type { Env, EnvSnapshot, Info, ResetResult, RgbFrame, StepResult } from '../env.ts';
import { box, discrete } from '../spaces.ts';

export const CARTPOLE = {
  gravity: 9.8,
  massCart: 1.0,
  massPole: 0.1,
  totalMass: 1.1,
  /** Half the pole's length, as in Gymnasium. */
  length: 0.5,
  poleMassLength: 0.05,
  forceMag: 10.0,
  tau: 0.02,
  thetaThreshold: (12 * 2 * Math.PI) / 360,
  xThreshold: 2.4,
  maxEpisodeSteps: 500,
} as const;

export type CartPoleState = [x: number, xDot: number, theta: number, thetaDot: number];

/** One Euler step of the cart-pole equations (Florian 2007, as Gymnasium): the state after pushing with `action`. */
export function cartPoleTransition(state: readonly number[], action: number): CartPoleState {
  const c = CARTPOLE;
  const [x, xDot, theta, thetaDot] = state;
  const force = action === 1 ? c.forceMag : -c.forceMag;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const temp = (force + c.poleMassLength * thetaDot ** 2 * sin) / c.totalMass;
  const thetaAcc = (c.gravity * sin - cos * temp) / (c.length * (4.0 / 3.0 - (c.massPole * cos ** 2) / c.totalMass));
  const xAcc = temp - (c.poleMassLength * thetaAcc * cos) / c.totalMass;
  return [x + c.tau * xDot, xDot + c.tau * xAcc, theta + c.tau * thetaDot, thetaDot + c.tau * thetaAcc];
}

export class CartPole implements Env<Float32Array> {
  readonly observationSpace = box(
    [4],
    [-CARTPOLE.xThreshold * 2, -3.4028234663852886e38, -CARTPOLE.thetaThreshold * 2, -3.4028234663852886e38],
    [CARTPOLE.xThreshold * 2, 3.4028234663852886e38, CARTPOLE.thetaThreshold * 2, 3.4028234663852886e38],
  );
  readonly actionSpace = discrete(2);
  readonly maxEpisodeSteps: number;
  private rng = new Generator(0);
  private state: CartPoleState | null = null;
  private elapsed = 0;
  private stepsBeyondTerminated: number | null = null;

  constructor(options: { maxEpisodeSteps?: number } = {}) {
    this.maxEpisodeSteps = options.maxEpisodeSteps ?? CARTPOLE.maxEpisodeSteps;
  }

  /** The float64 physical state (x, ẋ, θ, θ̇), or null before the first reset. */
  get physicalState(): readonly number[] | null {
    return this.state;
  }

  reset(seed?: number): ResetResult<Float32Array> {
    if (seed !== undefined) this.rng.manualSeed(seed);
    const u = () => -0.05 + 0.1 * this.rng.uniform();
    this.state = [u(), u(), u(), u()];
    this.elapsed = 0;
    this.stepsBeyondTerminated = null;
    return { observation: Float32Array.from(this.state), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (this.state === null) throw new Error('CartPole.step: call reset() before step()');
    if (action !== 0 && action !== 1) throw new RangeError(`CartPole.step: the action must be 0 (push left) or 1 (push right), got ${action}`);
    this.state = cartPoleTransition(this.state, action);
    const [x, , theta] = this.state;
    const c = CARTPOLE;
    const terminated = x < -c.xThreshold || x > c.xThreshold || theta < -c.thetaThreshold || theta > c.thetaThreshold;
    const reward = 1;
    if (terminated) {
      if (this.stepsBeyondTerminated === null) this.stepsBeyondTerminated = 0;
      else {
        // Gymnasium warns and gives 0 for steps after termination; we refuse, since it always means a missing reset.
        throw new Error('CartPole.step: the episode has terminated; call reset() before stepping again');
      }
    }
    this.elapsed++;
    const truncated = this.elapsed >= this.maxEpisodeSteps;
    const info: Info = {};
    return { observation: Float32Array.from(this.state), reward, terminated, truncated, info };
  }

  render(): RgbFrame {
    return renderCartPole(this.state ?? [0, 0, 0, 0]);
  }

  snapshot(): EnvSnapshot {
    return { rng: this.rng.getState(), state: this.state, elapsed: this.elapsed, stepsBeyondTerminated: this.stepsBeyondTerminated };
  }

  restore(s: EnvSnapshot): void {
    this.rng.setState(s.rng);
    this.state = s.state === null ? null : ([...(s.state as number[])] as CartPoleState);
    this.elapsed = s.elapsed as number;
    this.stepsBeyondTerminated = (s.stepsBeyondTerminated as number | null) ?? null;
  }
}

/** Draws the cart and pole like Gymnasium's renderer (600 × 400 world scaled to width × height). */
export function renderCartPole(state: readonly number[], width = 150, height = 100): RgbFrame {
  const data = new Uint8Array(width * height * 3).fill(255);
  const scale = width / (CARTPOLE.xThreshold * 2);
  const put = (px: number, py: number, r: number, g: number, b: number) => {
    const xi = Math.round(px);
    const yi = Math.round(height - 1 - py); // y up, as Gymnasium flips its surface
    if (xi < 0 || xi >= width || yi < 0 || yi >= height) return;
    const o = (yi * width + xi) * 3;
    data[o] = r;
    data[o + 1] = g;
    data[o + 2] = b;
  };
  const cartY = height / 4;
  const cartX = state[0] * scale + width / 2;
  const cartW = width / 12;
  const cartH = cartW * 0.6;
  for (let px = 0; px < width; px++) put(px, cartY, 0, 0, 0); // the track
  for (let dx = -cartW / 2; dx <= cartW / 2; dx += 0.5) for (let dy = -cartH / 2; dy <= cartH / 2; dy += 0.5) put(cartX + dx, cartY + dy, 0, 0, 0);
  const poleLen = scale * 2 * CARTPOLE.length;
  const poleW = Math.max(1.5, width / 60);
  const axleY = cartY + cartH / 4;
  const sin = Math.sin(state[2]);
  const cos = Math.cos(state[2]);
  for (let along = 0; along <= poleLen; along += 0.5) {
    for (let across = -poleW / 2; across <= poleW / 2; across += 0.5)
      put(cartX + along * sin + across * cos, axleY + along * cos - across * sin, 202, 152, 101);
  }
  return { width, height, data };
}
