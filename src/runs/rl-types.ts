/**
 * The shapes of an RL run as front ends read it (src/runs/rl-runs.ts builds them). Type-only and self-contained (no
 * imports), so the dashboard's API types (src/server/api-types.ts) re-export them into the browser bundle.
 */

/** A row of the RL run list. */
export interface RlRun {
  id: string;
  status: string;
  algo: string;
  env: string;
  seed: number;
  envSteps: number;
  episodes: number;
  bestMeanReturn: number | null;
  solved: boolean;
}

/** One training iteration of metrics.jsonl: the mean reward of the last 20 finished episodes. */
export interface RlIteration {
  envSteps: number;
  episodes: number;
  episodeReward: number | null;
  stepsPerSec: number;
}

/** One greedy evaluation of metrics.jsonl (mean return over fresh episodes). */
export interface RlEvaluation {
  envSteps: number;
  episodes: number;
  meanReturn: number;
}

/** A run's row with its whole curve so far. */
export interface RlDetail extends RlRun {
  iterations: RlIteration[];
  evaluations: RlEvaluation[];
  budget: { steps?: number; episodes?: number };
  solvedThreshold?: number;
  config: Record<string, unknown>;
}
