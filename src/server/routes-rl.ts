/**
 * RL page routes over src/runs/rl-runs.ts: the RL runs of the run store (trained by `simmer rl` or started here), each
 * one's episode-reward curve and greedy evaluations followed live as server-sent events while it trains, a replay of
 * one greedy episode of its current policy as a sprite sheet, and starting / stopping a run in a worker process.
 */
import type { FastifyInstance } from 'fastify';
import { ALGOS } from '../rl/checkpoint.ts';
import { ENV_NAMES } from '../rl/registry.ts';
import { RunError } from '../runs/errors.ts';
import { listRlRuns, MAX_REPLAY_FRAMES, readRlRun, replayRlRun, RlCurveReader } from '../runs/rl-runs.ts';
import type { Recipe } from '../runs/recipe.ts';
import type { RlReplay } from './api-types.ts';
import { HttpError } from './datasets.ts';
import { RUN_ID_PATTERN } from './runs.ts';
import { openSse, type SseStream } from './sse.ts';
import type { RunSupervisor } from './supervisor.ts';

/** The run store's errors as HTTP: no such RL run is a 404, no checkpoint yet a 409. */
function asHttp(e: unknown): unknown {
  return e instanceof RunError ? new HttpError(e.code === 'no-checkpoint' ? 409 : 404, e.message) : e;
}

function http<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw asHttp(e);
  }
}

const startSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['env', 'algo'],
  properties: {
    env: { enum: [...ENV_NAMES] },
    algo: { enum: [...ALGOS] },
    seed: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 },
    steps: { type: 'integer', minimum: 1, maximum: 10_000_000 },
    episodes: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
};

export function rlRoutes(app: FastifyInstance, o: { runsRoot: string; supervisor: RunSupervisor }): void {
  const { runsRoot, supervisor } = o;
  const streams = new Set<SseStream>();

  const rlId = (id: string): string => {
    if (!RUN_ID_PATTERN.test(id)) throw new HttpError(400, `'${id}' is not a valid run id`);
    http(() => readRlRun(runsRoot, id));
    return id;
  };

  app.get('/api/rl/runs', async () => ({ runs: listRlRuns(runsRoot) }));

  app.post<{ Body: { env: string; algo: string; seed?: number; steps?: number; episodes?: number } }>(
    '/api/rl/runs',
    { schema: { body: startSchema } },
    async (req, reply) => {
      const run = await supervisor.start({ seed: 1, ...req.body } as unknown as Partial<Recipe>, 120_000, 'rl');
      reply.code(201);
      return { id: run.id, status: run.status };
    },
  );

  app.post<{ Params: { id: string } }>('/api/rl/:id/stop', async (req, reply) => {
    const id = rlId(req.params.id);
    if (!supervisor.stop(id)) throw new HttpError(409, `run '${id}' is not training in this dashboard`);
    reply.code(202);
    return { id, status: 'stopping' };
  });

  app.get<{ Params: { id: string } }>('/api/rl/:id', async (req) => http(() => new RlCurveReader(runsRoot, rlId(req.params.id)).detail()));

  app.get<{ Params: { id: string } }>('/api/rl/:id/events', async (req, reply) => {
    const curve = new RlCurveReader(runsRoot, rlId(req.params.id));
    reply.hijack();
    const sse = openSse(reply.raw);
    streams.add(sse);
    const first = curve.detail();
    sse.send('snapshot', first);
    let status = first.status;
    const timer = setInterval(() => {
      const fresh = curve.read();
      if (fresh.iterations.length || fresh.evaluations.length) sse.send('records', fresh);
      const row = curve.row();
      if (row.status !== status) {
        status = row.status;
        sse.send('status', row);
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
      const id = rlId(req.params.id);
      const r = await replayRlRun(runsRoot, id, { seed: req.body?.seed, frames: req.body?.frames }).catch((e) => {
        throw asHttp(e);
      });
      const { png, perRow, gap, width, height, ...episode } = r;
      return { ...episode, sprite: { url: `data:image/png;base64,${png.toString('base64')}`, perRow, gap, width, height } };
    },
  );

  app.addHook('preClose', async () => {
    for (const s of streams) s.close();
  });
}
