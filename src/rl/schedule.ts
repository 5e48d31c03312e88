/** Schedules over environment steps: the ε of ε-greedy exploration, annealed learning rates and clip ranges. */

/**
 * Goes linearly from `start` to `end` over `duration` steps, then stays at `end` (Stable-Baselines3's linear
 * exploration schedule).
 * @example const eps = linearSchedule(1, 0.05, 10_000); eps(0); // 1 · eps(5_000); // 0.525 · eps(20_000); // 0.05
 */
export function linearSchedule(start: number, end: number, duration: number): (step: number) => number {
  if (!(duration > 0)) throw new RangeError(`linearSchedule: duration must be > 0 steps, got ${duration}`);
  return (step) => start + (end - start) * Math.min(1, Math.max(0, step / duration));
}
