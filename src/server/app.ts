/**
 * The dashboard's HTTP server (fastify): a JSON API over the run store, the supervisor that trains runs in child
 * processes, run analysis and explanations, and the datasets; live training reports as server-sent events; and the
 * built front end (web/dist) as static files.
 *
 * Safety: binds 127.0.0.1 unless told otherwise, caps request bodies (413), validates every id and number in a URL
 * (400 malformed, 404 unknown), confines file paths to their dataset folder (403), and reports errors as JSON
 * { error } without taking the server down.
 * @example
 *   const server = await startServer({ runsRoot: 'runs', port: 8080 });
 *   console.log(server.url); // http://127.0.0.1:8080/
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { DEFAULT_LR, RECIPE_FIELDS, recipeJsonSchemaProperties } from '../runs/recipe-fields.ts';
import { readRun } from '../runs/run-store.ts';
import { NotReadyError, RunAnalysis } from './analysis.ts';
import type { RecipeSchema } from './api-types.ts';
import { DatasetCatalog, HttpError, NAME_PATTERN } from './datasets.ts';
import { guardRequests } from './guard.ts';
import { JobRunner } from './jobs.ts';
import { dataRoutes } from './routes-data.ts';
import { generateRoutes } from './routes-generate.ts';
import { projectorRoutes } from './routes-projector.ts';
import { rlRoutes } from './routes-rl.ts';
import { listRunRows, RUN_ID_PATTERN, runDetail } from './runs.ts';
import { openSse, type SseStream } from './sse.ts';
import { type LiveEvent, RunSupervisor, StartError } from './supervisor.ts';

export interface ServerOptions {
  /** Folder holding runs (default $SIMMER_RUNS or ./runs). */
  runsRoot?: string;
  /** Folder whose subfolders are datasets the dashboard can browse, label and train on (default ./data). */
  dataRoot?: string;
  /** Default 127.0.0.1: the dashboard starts training processes, so it is not for the open network. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** The built front end (default web/dist of this repository). */
  webDist?: string;
  /** Largest accepted request body in bytes (default 64 KiB). */
  bodyLimit?: number;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** web/dist of this repository, from src/server (run through tsx) or from dist/src/server (compiled). */
export const DEFAULT_WEB_DIST = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../web/dist' : '../../../web/dist', import.meta.url));

/** The form that starts a run, built from the one recipe table. Types are strict (no coercion) and unknown fields are refused. */
const recipeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['dataset'],
  properties: { dataset: { type: 'string', pattern: NAME_PATTERN.source }, ...recipeJsonSchemaProperties() },
};

/** What GET /api/recipe-schema returns: the fields the form may set, with defaults, ranges and choices. */
function recipeSchemaInfo(): RecipeSchema {
  const fields = RECIPE_FIELDS.filter((f) => f.api).map(({ name, type, default: d, min, max, choices, help }) => ({
    name,
    type,
    default: d,
    min,
    max,
    choices,
    help,
  }));
  return { fields, defaultLr: { ...DEFAULT_LR } };
}

/** A non-negative integer from a URL part, or a 400 naming it. */
export function intParam(value: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const s = String(value ?? '');
  if (!/^\d{1,9}$/.test(s) || Number(s) > max)
    throw new HttpError(400, `${name} must be a non-negative integer${max < Number.MAX_SAFE_INTEGER ? ` ≤ ${max}` : ''}, got '${s}'`);
  return Number(s);
}

export function buildServer(options: ServerOptions = {}): FastifyInstance {
  const runsRoot = resolve(options.runsRoot ?? process.env.SIMMER_RUNS ?? 'runs');
  const catalog = new DatasetCatalog(resolve(options.dataRoot ?? 'data'));
  const supervisor = new RunSupervisor(runsRoot);
  const analysis = new RunAnalysis(runsRoot);
  const streams = new Set<SseStream>();
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });

  guardRequests(app, { host: options.host }); // Host / Origin checks against DNS rebinding and cross-site requests
  // The API speaks JSON only: a text body is refused as 415 rather than parsed.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _req, reply) => {
    let status = error.statusCode ?? 500;
    if (error instanceof HttpError) status = error.statusCode;
    else if (error instanceof NotReadyError) status = 409;
    else if (error instanceof StartError) status = 400;
    else if (error instanceof RangeError && !error.statusCode) status = 400;
    reply.code(status).send({ error: status >= 500 ? `internal error: ${error.message}` : error.message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  /** The run named in the URL: 400 for an id that cannot be a run, 404 for one that does not exist. */
  const knownRun = (id: string): string => {
    if (!RUN_ID_PATTERN.test(id)) throw new HttpError(400, `'${id}' is not a valid run id`);
    if (!readRun(runsRoot, id)) throw new HttpError(404, `no run '${id}'`);
    return id;
  };

  app.get('/api/health', async () => ({ ok: true, runsRoot, dataRoot: catalog.dataRoot }));

  app.get('/api/recipe-schema', async () => recipeSchemaInfo());

  // ── runs ──────────────────────────────────────────────────────────────────────────────────────────────────────
  app.get('/api/runs', async () => ({ runs: listRunRows(runsRoot, supervisor) }));

  app.post<{ Body: Record<string, unknown> }>('/api/runs', { schema: { body: recipeSchema } }, async (req, reply) => {
    const body = req.body;
    const recipe = { ...body, dataset: catalog.recipeDataset(String(body.dataset)) };
    const run = await supervisor.start(recipe);
    reply.code(201);
    return { id: run.id, status: run.status };
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id', async (req) => runDetail(runsRoot, knownRun(req.params.id), supervisor));

  app.post<{ Params: { id: string } }>('/api/runs/:id/stop', async (req, reply) => {
    const id = knownRun(req.params.id);
    if (!supervisor.stop(id)) throw new HttpError(409, `run '${id}' is not training in this dashboard`);
    reply.code(202);
    return { id, status: 'stopping' };
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id/events', async (req, reply) => {
    const id = knownRun(req.params.id);
    reply.hijack();
    const sse = openSse(reply.raw);
    streams.add(sse);
    sse.send('snapshot', runDetail(runsRoot, id, supervisor));
    const live = supervisor.get(id);
    if (live) {
      const forward = (e: LiveEvent) => sse.send(e.type, e);
      live.events.on('event', forward);
      sse.onClose(() => live.events.off('event', forward));
    } else {
      // A run trained elsewhere (simmer train): follow its folder.
      let seen = readRun(runsRoot, id)?.epochs.length ?? 0;
      let lastStatus = readRun(runsRoot, id)?.status;
      const timer = setInterval(() => {
        const info = readRun(runsRoot, id);
        if (!info) return;
        for (const e of info.epochs.slice(seen)) sse.send('epoch', e);
        seen = info.epochs.length;
        if (info.status !== lastStatus) sse.send('status', { type: 'status', status: info.status });
        lastStatus = info.status;
      }, 2000);
      sse.onClose(() => clearInterval(timer));
    }
    sse.onClose(() => streams.delete(sse));
  });

  // ── evaluation and explanations ───────────────────────────────────────────────────────────────────────────────
  app.get<{ Params: { id: string } }>('/api/runs/:id/evaluation', async (req) => analysis.evaluation(knownRun(req.params.id)));

  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/api/runs/:id/evaluation/cell', async (req) => {
    const id = knownRun(req.params.id);
    const ev = await analysis.evaluation(id);
    const k = ev.classes.length - 1;
    const actual = intParam(req.query.actual, 'actual', k);
    const predicted = intParam(req.query.predicted, 'predicted', k);
    return { actual, predicted, images: await analysis.cell(id, actual, predicted) };
  });

  app.get<{ Params: { id: string; index: string } }>('/api/runs/:id/images/:index', async (req, reply) => {
    const id = knownRun(req.params.id);
    const index = intParam(req.params.index.replace(/\.png$/, ''), 'image index');
    if (index >= (await analysis.imageCount(id))) throw new HttpError(404, `no image ${index} in the evaluation set`);
    reply.type('image/png').header('cache-control', 'max-age=3600');
    return analysis.imagePng(id, index);
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id/model', async (req) => analysis.architecture(knownRun(req.params.id)));

  app.get<{ Params: { id: string; index: string }; Querystring: Record<string, string> }>('/api/runs/:id/explain/:index', async (req) => {
    const id = knownRun(req.params.id);
    const index = intParam(req.params.index, 'image index');
    if (index >= (await analysis.imageCount(id))) throw new HttpError(404, `no image ${index} in the evaluation set`);
    const cls = req.query.class === undefined || req.query.class === '' ? undefined : intParam(req.query.class, 'class');
    return analysis.explain(id, index, cls);
  });

  // ── datasets ──────────────────────────────────────────────────────────────────────────────────────────────────
  dataRoutes(app, catalog);

  // ── generate, embedding projector, reinforcement learning (models run in a compute process: jobs.ts) ─────────
  const jobs = new JobRunner();
  generateRoutes(app, { runsRoot, supervisor, jobs });
  projectorRoutes(app, { runsRoot, catalog, jobs });
  rlRoutes(app, { runsRoot, supervisor });

  // ── the front end ─────────────────────────────────────────────────────────────────────────────────────────────
  const webDist = options.webDist ?? DEFAULT_WEB_DIST;
  if (existsSync(webDist)) {
    // wildcard: files are looked up per request, so a rebuilt front end (new hashed asset names) is served without a restart.
    app.register(fastifyStatic, { root: webDist, prefix: '/', wildcard: true, index: ['index.html'] });
  } else {
    app.get('/', async (_req, reply: FastifyReply) => {
      reply.code(503).type('text/plain');
      return `The dashboard front end is not built (${webDist} is missing). Run \`npm run build:web\` and reload.\nThe API is up: /api/runs`;
    });
  }

  app.addHook('preClose', async () => {
    for (const s of streams) s.close();
    jobs.close();
    await supervisor.close();
  });
  return app;
}

/** Builds the server and listens; `url` is where to point a browser. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const app = buildServer(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 8080 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return { app, url: `http://${shownHost}:${port}/`, close: () => app.close() };
}
