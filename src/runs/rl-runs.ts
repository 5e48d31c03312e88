/**
 * RL runs in the run store, as front ends show them: the runs `simmer rl` (or the dashboard's RL worker) wrote
 * (config.kind 'rl'), each one's episode-reward curve and greedy evaluations read from metrics.jsonl — incrementally,
 * so a live view follows a run while it trains — and a replay of one greedy episode of its current policy (the last
 * checkpoint, written at every evaluation) as a sprite sheet of rendered frames.
 * @example
 *   const curve = new RlCurveReader(root, id);
 *   curve.read(); // { iterations, evaluations } added since the last read
 *   const replay = await replayRlRun(root, id, { seed: 1_000_000 });
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
// The barrel, not the files: it installs the tensor methods and backward() the agents call.
import { agentEnv, framesToPng, loadAgent, recordEpisode, type RlRunOptions, type RlRunResult, runRl, STRIP_GAP } from '../rl/index.ts';
import { RunError } from './errors.ts';
import { createRun, listRuns, readRun, type RunInfo, type RunPaths, runPaths } from './run-store.ts';
import type { RlDetail, RlEvaluation, RlIteration, RlRun } from './rl-types.ts';

export type { RlDetail, RlEvaluation, RlIteration, RlRun } from './rl-types.ts';

/** One greedy episode: its frames tiled into a PNG sprite sheet (`perRow` frames a row, `gap`-pixel gutters). */
export interface RlReplayEpisode {
  checkpoint: string;
  seed: number;
  return: number;
  length: number;
  frames: number;
  png: Buffer;
  perRow: number;
  gap: number;
  width: number;
  height: number;
}

/** Frames of a replay at most (evenly spaced over the episode, the first and last kept). */
export const MAX_REPLAY_FRAMES = 300;
const PER_ROW = 20;

interface RlSpec {
  env?: string;
  algo?: string;
  seed?: number;
  steps?: number;
  episodes?: number;
  solvedThreshold?: number;
}

function rlRow(r: RunInfo, last?: { envSteps: number; episodes: number }): RlRun {
  const spec = (r.config.rl ?? {}) as RlSpec;
  const s = (r.summary ?? {}) as { envSteps?: number; episodes?: number; bestMeanReturn?: number; solved?: boolean };
  return {
    id: r.id,
    status: r.status,
    algo: String(spec.algo ?? '?'),
    env: String(spec.env ?? '?'),
    seed: Number(spec.seed ?? 0),
    envSteps: s.envSteps ?? last?.envSteps ?? 0,
    episodes: s.episodes ?? last?.episodes ?? 0,
    bestMeanReturn: typeof s.bestMeanReturn === 'number' && Number.isFinite(s.bestMeanReturn) ? s.bestMeanReturn : null,
    solved: Boolean(s.solved),
  };
}

/** The RL runs under root, newest first (a run still training counts its steps from its curve). */
export function listRlRuns(root: string): RlRun[] {
  return listRuns(root)
    .filter((r) => r.config.kind === 'rl')
    .map((r) => {
      if (r.summary) return rlRow(r);
      const curve = new RlCurveReader(root, r.id);
      curve.read();
      return rlRow(r, curve.iterations[curve.iterations.length - 1]);
    });
}

/** The run store's record of an RL run; a RunError when there is no such run or it is not an RL run. */
export function readRlRun(root: string, id: string): RunInfo {
  const info = readRun(root, id);
  if (!info) throw new RunError('unknown-run', `no run '${id}' in ${root}`, { id });
  if (info.config.kind !== 'rl') throw new RunError('unknown-run', `run '${id}' is not an RL run (it has no rl section in its config.json)`, { id });
  return info;
}

/**
 * An RL run's curve, read from metrics.jsonl from a byte offset on: whole lines only (a line still being written
 * waits for the next read), so polling it follows a run that another process is training.
 */
export class RlCurveReader {
  private offset = 0;
  private readonly path: string;
  readonly iterations: RlIteration[] = [];
  readonly evaluations: RlEvaluation[] = [];

  constructor(
    readonly root: string,
    readonly id: string,
  ) {
    this.path = runPaths(root, id).metrics;
  }

  /** The records added since the last read (also appended to `iterations` and `evaluations`). */
  read(): { iterations: RlIteration[]; evaluations: RlEvaluation[] } {
    const out = { iterations: [] as RlIteration[], evaluations: [] as RlEvaluation[] };
    if (!existsSync(this.path)) return out;
    const size = statSync(this.path).size;
    if (size <= this.offset) return out;
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    const end = buf.lastIndexOf(10);
    if (end < 0) return out;
    this.offset += end + 1;
    for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line);
      } catch {
        continue; // a line cut short by a crash
      }
      if (rec.type === 'iteration') {
        out.iterations.push({
          envSteps: Number(rec.envSteps),
          episodes: Number(rec.episodes),
          episodeReward: typeof rec.episodeReward === 'number' ? rec.episodeReward : null,
          stepsPerSec: Number(rec.stepsPerSec ?? 0),
        });
      } else if (rec.type === 'evaluation') {
        out.evaluations.push({ envSteps: Number(rec.envSteps), episodes: Number(rec.episodes), meanReturn: Number(rec.meanReturn) });
      }
    }
    this.iterations.push(...out.iterations);
    this.evaluations.push(...out.evaluations);
    return out;
  }

  /** The run's row as of now (the store's status, the newest counts). */
  row(): RlRun {
    return rlRow(readRlRun(this.root, this.id), this.iterations[this.iterations.length - 1]);
  }

  /** Reads what is new, then the run with its whole curve so far. */
  detail(): RlDetail {
    this.read();
    const info = readRlRun(this.root, this.id);
    const spec = (info.config.rl ?? {}) as RlSpec;
    return {
      ...rlRow(info, this.iterations[this.iterations.length - 1]),
      iterations: [...this.iterations],
      evaluations: [...this.evaluations],
      budget: { steps: spec.steps, episodes: spec.episodes },
      solvedThreshold: spec.solvedThreshold,
      config: info.config,
    };
  }
}

/**
 * Trains an agent into a new run folder under root (what the dashboard's RL worker runs; `simmer rl` does the same
 * with its flags). onRunCreated is called with the folder before the first environment step.
 */
export function trainRlRun(
  root: string,
  spec: RlRunOptions,
  options: { onRunCreated?: (run: RunPaths) => void; shouldStop?: () => boolean; log?: (line: string) => void } = {},
): Promise<RlRunResult> {
  return runRl(spec, {
    createRun: (config) => {
      const run = createRun(root, config);
      options.onRunCreated?.(run);
      return run;
    },
    shouldStop: options.shouldStop,
    log: options.log,
  });
}

/**
 * Plays one greedy episode of the run's current policy (checkpoints/last.safetensors, else best) from `seed` and
 * tiles up to `frames` evenly spaced frames into a sprite sheet. A RunError 'no-checkpoint' before the first one.
 */
export async function replayRlRun(root: string, id: string, options: { seed?: number; frames?: number } = {}): Promise<RlReplayEpisode> {
  const info = readRlRun(root, id);
  const dir = runPaths(root, info.id).checkpoints;
  const checkpoint = ['last.safetensors', 'best.safetensors'].map((f) => join(dir, f)).find((p) => existsSync(p));
  if (!checkpoint) throw new RunError('no-checkpoint', `run '${info.id}' has no checkpoint yet; one is written at its first evaluation`, { id: info.id });
  const { agent } = loadAgent(checkpoint);
  const seed = options.seed ?? 1_000_000;
  const episode = recordEpisode((x) => agent.greedyActions(x), agentEnv(agent)(), seed);
  const frames = Math.min(options.frames ?? MAX_REPLAY_FRAMES, MAX_REPLAY_FRAMES, episode.frames.length);
  const png = await framesToPng(episode.frames, { maxFrames: frames, perRow: PER_ROW });
  const { width, height } = episode.frames[0];
  return {
    checkpoint: checkpoint.split('/').pop() ?? checkpoint,
    seed,
    return: episode.return,
    length: episode.length,
    frames,
    png,
    perRow: Math.min(PER_ROW, frames),
    gap: STRIP_GAP,
    width,
    height,
  };
}
