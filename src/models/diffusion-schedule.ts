/**
 * The numbers of a diffusion process, kept apart from any tensor so they can be checked by hand: the noise schedules
 * (linear betas of Ho et al. 2020; the cosine ᾱ of Nichol & Dhariwal 2021), the sampling timesteps for any step
 * count, and the per-step coefficients of DDIM (Song et al. 2021, any η) and of DDPM's ancestral step on a respaced
 * schedule. ᾱ_t = Π_{s≤t} (1 − β_s) for t = 0..T−1; "t = −1" stands for the clean image (ᾱ = 1).
 * @example
 *   const s = noiseSchedule('cosine', 1000);
 *   const ts = samplingTimesteps(1000, 25);                    // [999, 959, …, 39]
 *   const c = ddimCoefficients(s.alphaBar[999], s.alphaBar[959], 0);
 */

export type ScheduleKind = 'linear' | 'cosine';

export interface NoiseSchedule {
  kind: ScheduleKind;
  /** Number of diffusion steps T. */
  steps: number;
  betas: Float64Array;
  /** ᾱ_t, decreasing from about 1 to about 0. */
  alphaBar: Float64Array;
}

/** β_t, ᾱ_t for t = 0..T−1. Linear: β from 1e-4 to 0.02 (scaled by 1000/T). Cosine: ᾱ(t) = f(t)/f(0), f = cos²(((t/T + s)/(1 + s))·π/2), β ≤ 0.999. */
export function noiseSchedule(kind: ScheduleKind, steps = 1000): NoiseSchedule {
  if (!Number.isInteger(steps) || steps < 2) throw new RangeError(`noiseSchedule: steps must be an integer ≥ 2, got ${steps}`);
  const betas = new Float64Array(steps);
  if (kind === 'linear') {
    const scale = 1000 / steps;
    const lo = scale * 1e-4;
    const hi = scale * 0.02;
    for (let t = 0; t < steps; t++) betas[t] = lo + ((hi - lo) * t) / (steps - 1);
  } else if (kind === 'cosine') {
    const s = 0.008;
    const f = (t: number) => Math.cos((((t / steps + s) / (1 + s)) * Math.PI) / 2) ** 2;
    for (let t = 0; t < steps; t++) betas[t] = Math.min(0.999, 1 - f(t + 1) / f(t));
  } else throw new RangeError(`noiseSchedule: kind must be 'linear' or 'cosine', got '${String(kind)}'`);
  const alphaBar = new Float64Array(steps);
  let prod = 1;
  for (let t = 0; t < steps; t++) {
    prod *= 1 - betas[t];
    alphaBar[t] = prod;
  }
  return { kind, steps, betas, alphaBar };
}

/**
 * The timesteps a sampler visits with `count` steps, from the noisiest down: evenly spaced and "trailing"
 * (t_i = round(T − i·T/count) − 1), so the first step always starts at T − 1, where the image is nearly pure noise
 * (Lin et al. 2024 show leading spacing leaves signal the model never saw). count = T gives T−1, T−2, …, 0.
 */
export function samplingTimesteps(total: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1 || count > total) throw new RangeError(`sampling steps must be an integer in 1..${total}, got ${count}`);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(Math.round(total - (i * total) / count) - 1);
  return out;
}

/** ᾱ at a timestep, with t = −1 (past the last step) meaning the clean image. */
export function alphaBarAt(s: NoiseSchedule, t: number): number {
  return t < 0 ? 1 : s.alphaBar[t];
}

/** The model's output turned into (x̂_0, ε̂) coefficients on x_t and the output: x̂_0 = a·x_t + b·out, ε̂ = c·x_t + d·out. */
export interface PredictionCoefficients {
  x0FromXt: number;
  x0FromOut: number;
  epsFromXt: number;
  epsFromOut: number;
}

/**
 * ε-prediction: x̂_0 = (x_t − √(1−ᾱ)·ε̂)/√ᾱ. v-prediction (Salimans & Ho 2022, v = √ᾱ·ε − √(1−ᾱ)·x_0):
 * x̂_0 = √ᾱ·x_t − √(1−ᾱ)·v, ε̂ = √(1−ᾱ)·x_t + √ᾱ·v.
 */
export function predictionCoefficients(prediction: 'eps' | 'v', alphaBar: number): PredictionCoefficients {
  const a = Math.sqrt(alphaBar);
  const b = Math.sqrt(1 - alphaBar);
  if (prediction === 'eps') return { x0FromXt: 1 / a, x0FromOut: -b / a, epsFromXt: 0, epsFromOut: 1 };
  return { x0FromXt: a, x0FromOut: -b, epsFromXt: b, epsFromOut: a };
}

/** One update x_prev = x0·x̂_0 + eps·ε̂ + noise·z (z ~ N(0, I)). */
export interface StepCoefficients {
  x0: number;
  eps: number;
  noise: number;
}

/**
 * DDIM from ᾱ_t to ᾱ_prev: σ = η·√((1−ᾱ_prev)/(1−ᾱ_t))·√(1−ᾱ_t/ᾱ_prev);
 * x_prev = √ᾱ_prev·x̂_0 + √(1−ᾱ_prev−σ²)·ε̂ + σ·z. η = 0 is deterministic; η = 1 has DDPM's posterior variance.
 */
export function ddimCoefficients(alphaBarT: number, alphaBarPrev: number, eta: number): StepCoefficients {
  const sigma = eta * Math.sqrt((1 - alphaBarPrev) / (1 - alphaBarT)) * Math.sqrt(Math.max(0, 1 - alphaBarT / alphaBarPrev));
  return { x0: Math.sqrt(alphaBarPrev), eps: Math.sqrt(Math.max(0, 1 - alphaBarPrev - sigma * sigma)), noise: sigma };
}

/**
 * DDPM's ancestral step on a (possibly respaced) schedule, with β = 1 − ᾱ_t/ᾱ_prev: the posterior mean
 * μ = (√ᾱ_prev·β/(1−ᾱ_t))·x̂_0 + (√(1−β)·(1−ᾱ_prev)/(1−ᾱ_t))·x_t and variance β̃ = β·(1−ᾱ_prev)/(1−ᾱ_t).
 * Returned with the x_t term folded into ε̂ (x_t = √ᾱ_t·x̂_0 + √(1−ᾱ_t)·ε̂) so both samplers share one update.
 */
export function ddpmCoefficients(alphaBarT: number, alphaBarPrev: number): StepCoefficients {
  const beta = 1 - alphaBarT / alphaBarPrev;
  const cx0 = (Math.sqrt(alphaBarPrev) * beta) / (1 - alphaBarT);
  const cxt = (Math.sqrt(1 - beta) * (1 - alphaBarPrev)) / (1 - alphaBarT);
  return { x0: cx0 + cxt * Math.sqrt(alphaBarT), eps: cxt * Math.sqrt(1 - alphaBarT), noise: Math.sqrt((beta * (1 - alphaBarPrev)) / (1 - alphaBarT)) };
}
