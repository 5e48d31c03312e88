/**
 * RL page routes: the runs `simmer rl` wrote to the run store (config.kind 'rl'), each one's episode-reward curve
 * and greedy evaluations from metrics.jsonl, followed live as server-sent events while the CLI trains, and a replay
 * of one greedy episode of the run's policy (its best checkpoint, else its last) as a sprite sheet of rendered frames.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadAgent } from '../rl/checkpoint.ts';
import { framesToPng, recordEpisode } from '../rl/strip.ts';
import { agentEnv } from '../rl/train.ts';
import { listRuns, readRun, type RunInfo, runPaths } from '../runs/run-store.ts';
import type { RlDetail, RlEvaluation, RlIteration, RlReplay, RlRun } from './api-types.ts';
import { HttpError } from './datasets.ts';
import { RUN_ID_PATTERN } from './runs.ts';
import { openSse, type SseStream } from './sse.ts';

/** Frames of a replay at most (evenly spaced over the episode, the first and last kept). */
export const MAX_REPLAY_FRAMES = 300;
const PER_ROW = 20;
const GAP = 2;

interface RlSpec {
  env?: string;
  algo?: string;
  seed?: number;
  steps?: number;
  episodes?: number;
  solvedThreshold?: number;
}

function rlRow(r: RunInfo, tail?: { envSteps: number; episodes: number }): RlRun {
  const spec = (r.config.rl ?? {}) as RlSpec;
  const s = (r.summary ?? {}) as { envSteps?: number; episodes?: number; bestMeanReturn?: number; solved?: boolean };
  return {
    id: r.id,
    status: r.status,
    algo: String(spec.algo ?? '?'),
    env: String(spec.env ?? '?'),
    seed: Number(spec.seed ?? 0),
    envSteps: s.envSteps ?? tail?.envSteps ?? 0,
    episodes: s.episodes ?? tail?.episodes ?? 0,
    bestMeanReturn: typeof s.bestMeanReturn === 'number' && Number.isFinite(s.bestMeanReturn) ? s.bestMeanReturn : null,
    solved: Boolean(s.solved),
  };
}

/** Reads metrics.jsonl from a byte offset on: whole lines only (a line still being written waits for the next read). */
class MetricsTail {
  offset = 0;
  readonly iterations: RlIteration[] = [];
  readonly evaluations: RlEvaluation[] = [];

  constructor(private readonly path: string) {}

  /** The records added since the last read. */
  read(): { iterations: RlIteration[]; evaluations: RlEvaluation[] } {
    const out = { iterations: [] as RlIteration[], evaluations: [] as RlEvaluation[] };
    if (!existsSync(this.path)) return out;
    const size = statSync(this.path).size;
    if (size <= this.offset) return out;
    const fd = openSync(this.path, 'r');
    const buf = Buffer.alloc(size - this.offset);
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
        continue;
      }
      if (rec.type === 'iteration') {
        const it = {
          envSteps: Number(rec.envSteps),
          episodes: Number(rec.episodes),
          episodeReward: typeof rec.episodeReward === 'number' ? rec.episodeReward : null,
          stepsPerSec: Number(rec.stepsPerSec ?? 0),
        };
        out.iterations.push(it);
        this.iterations.push(it);
      } else if (rec.type === 'evaluation') {
        const ev = { envSteps: Number(rec.envSteps), episodes: Number(rec.episodes), meanReturn: Number(rec.meanReturn) };
        out.evaluations.push(ev);
        this.evaluations.push(ev);
      }
    }
    return out;
  }
}

export function rlRoutes(app: FastifyInstance, o: { runsRoot: string }): void {
  const { runsRoot } = o;
  const streams = new Set<SseStream>();

  const rlRun = (id: string): RunInfo => {
    if (!RUN_ID_PATTERN.test(id)) throw new HttpError(400, `'${id}' is not a valid run id`);
    const info = readRun(runsRoot, id);
    if (!info) throw new HttpError(404, `no run '${id}'`);
    if (info.config.kind !== 'rl') throw new HttpError(400, `run '${id}' is not an RL run (train one with simmer rl cartpole --algo ppo)`);
    return info;
  };

  const detail = (info: RunInfo, tail: MetricsTail): RlDetail => {
    tail.read();
    const spec = (info.config.rl ?? {}) as RlSpec;
    const last = tail.iterations[tail.iterations.length - 1];
    return {
      ...rlRow(info, last),
      iterations: tail.iterations,
      evaluations: tail.evaluations,
      budget: { steps: spec.steps, episodes: spec.episodes },
      solvedThreshold: spec.solvedThreshold,
      config: info.config,
    };
  };

  app.get('/api/rl/runs', async () => ({
    runs: listRuns(runsRoot)
      .filter((r) => r.config.kind === 'rl')
      .map((r) => rlRow(r)),
  }));

  app.get<{ Params: { id: string } }>('/api/rl/:id', async (req) => {
    const info = rlRun(req.params.id);
    return detail(info, new MetricsTail(runPaths(runsRoot, info.id).metrics));
  });

  app.get<{ Params: { id: string } }>('/api/rl/:id/events', async (req, reply) => {
    const info = rlRun(req.params.id);
    const tail = new MetricsTail(runPaths(runsRoot, info.id).metrics);
    reply.hijack();
    const sse = openSse(reply.raw);
    streams.add(sse);
    sse.send('snapshot', detail(info, tail));
    let status = info.status;
    const timer = setInterval(() => {
      const fresh = tail.read();
      if (fresh.iterations.length || fresh.evaluations.length) sse.send('records', fresh);
      const now = readRun(runsRoot, info.id);
      if (now && now.status !== status) {
        status = now.status;
        sse.send('status', rlRow(now, tail.iterations[tail.iterations.length - 1]));
      }
    }, 1000);
    sse.onClose(() => {
      clearInterval(timer);
      streams.delete(sse);
    });
  });

  app.post<{ Params: { id: string }; Body: { seed?: number; frames?: number } }>(
    '/api/rl/:id/replay',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { seed: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 }, frames: { type: 'integer', minimum: 1, maximum: MAX_REPLAY_FRAMES } },
        },
      },
    },
    async (req): Promise<RlReplay> => {
      const info = rlRun(req.params.id);
      const dir = runPaths(runsRoot, info.id).checkpoints;
      const checkpoint = ['best.safetensors', 'last.safetensors'].map((f) => join(dir, f)).find((p) => existsSync(p));
      if (!checkpoint) throw new HttpError(409, `run '${info.id}' has no checkpoint yet; one is written at its first evaluation`);
      const { agent } = loadAgent(checkpoint);
      const seed = req.body?.seed ?? 1_000_000;
      const episode = recordEpisode((x) => agent.greedyActions(x), agentEnv(agent)(), seed);
      const frames = Math.min(req.body?.frames ?? MAX_REPLAY_FRAMES, episode.frames.length);
      const png = await framesToPng(episode.frames, { maxFrames: frames, perRow: PER_ROW });
      const { width, height } = episode.frames[0];
      return {
        checkpoint: checkpoint.split('/').pop() ?? checkpoint,
        seed,
        return: episode.return,
        length: episode.length,
        frames,
        sprite: { url: `data:image/png;base64,${png.toString('base64')}`, perRow: Math.min(PER_ROW, frames), gap: GAP, width, height },
      };
    },
  );

  app.addHook('preClose', async () => {
    for (const s of streams) s.close();
  });
}
