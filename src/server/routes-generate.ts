/**
 * Generate page routes: the generative runs (vae, dcgan, ddpm, pixel-transformer and their conditional forms) with
 * what each can be asked (class, steps, sampler, η, guidance), a run's per-epoch sample grids and curves, sampling
 * streamed as server-sent events (every step of a sequential sampler, with frames of its x̂_0 trajectory), and a
 * VAE's latent map and interpolation. Models run in the dashboard's compute process (./jobs.ts), never on the request
 * thread. Sampling and the maps are POST with a JSON body, so guard.ts refuses them from other sites.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SAMPLER_CONTROLS } from '../models/generative.ts';
import { isGenerativeModel, openGenerativeCheckpoint } from '../models/registry.ts';
import { listRuns, runPaths } from '../runs/run-store.ts';
import type { GenerativeRun, GenerativeRunDetail, SampleControl } from './api-types.ts';
import type { SampleJob } from './dashboard-worker.ts';
import { HttpError } from './datasets.ts';
import { type JobRunner } from './jobs.ts';
import { runDetail, RUN_ID_PATTERN } from './runs.ts';
import { openSse } from './sse.ts';
import type { RunSupervisor } from './supervisor.ts';

/** Largest batch one request may sample (a sequential sampler's cost grows with it). */
export const MAX_SAMPLES = 64;
export const MAX_STEPS = 1000;
/** Frames of a sampling trajectory sent to the browser at most. */
export const MAX_FRAMES = 24;

interface ModelInfo {
  key: string;
  info: Omit<GenerativeRun, 'id' | 'status' | 'epochsDone'>;
}

export function generateRoutes(app: FastifyInstance, o: { runsRoot: string; supervisor: RunSupervisor; jobs: JobRunner }): void {
  const { runsRoot, supervisor, jobs } = o;
  const infos = new Map<string, ModelInfo>();

  const checkpointOf = (id: string): string | null => {
    const path = join(runPaths(runsRoot, id).checkpoints, 'last.safetensors');
    return existsSync(path) ? path : null;
  };

  /** What the run's model is and can be asked, from its checkpoint (opened once per checkpoint write). */
  const modelInfo = (id: string, model: string): ModelInfo['info'] | null => {
    const path = checkpointOf(id);
    if (!path) return null;
    const key = `${path}:${statSync(path).mtimeMs}`;
    const hit = infos.get(id);
    if (hit?.key === key) return hit.info;
    const opened = openGenerativeCheckpoint(path);
    const m = opened.model as typeof opened.model & {
      defaultSteps?: number;
      defaultGuidance?: number;
      schedule?: { steps?: number };
      defaults?: { temperature?: number; topK?: number };
    };
    // Guidance mixes in a class (conditional models) or a prompt (text to image); an unconditional model has neither.
    const controls: SampleControl[] = (SAMPLER_CONTROLS[m.family] ?? []).filter((c) => c !== 'guidance' || m.conditional || m.family === 'text2img');
    const info: ModelInfo['info'] = {
      model,
      family: m.family,
      conditional: m.conditional,
      classes: opened.classes,
      imageShape: m.imageShape,
      latentDim: m.latentDim,
      sequential: typeof m.sample === 'function',
      hasLatent: m.family === 'vae' && typeof m.decodeLatent === 'function' && m.latentDim >= 2,
      controls,
      defaults: {
        steps: m.defaultSteps,
        guidance: m.defaultGuidance,
        maxSteps: Math.min(MAX_STEPS, m.schedule?.steps ?? MAX_STEPS),
        temperature: m.defaults?.temperature,
        topK: m.defaults?.topK,
      },
      dataset: String(opened.recipe.dataset ?? ''),
      prompted: m.family === 'text2img',
    };
    infos.set(id, { key, info });
    return info;
  };

  const samplesOf = (id: string): string[] => {
    const dir = join(runPaths(runsRoot, id).dir, 'samples');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => /^epoch-\d{3,}\.png$/.test(f))
      .sort();
  };

  /** The run named in the URL, which must exist and be a generative (sampling) run. */
  const generativeRun = (id: string): { model: string } => {
    if (!RUN_ID_PATTERN.test(id)) throw new HttpError(400, `'${id}' is not a valid run id`);
    const path = runPaths(runsRoot, id).config;
    if (!existsSync(path)) throw new HttpError(404, `no run '${id}'`);
    const model = (JSON.parse(readFileSync(path, 'utf8')) as { recipe?: { model?: string } }).recipe?.model;
    if (!model || !isGenerativeModel(model) || model === 'autoencoder')
      throw new HttpError(400, `run '${id}' trained '${model ?? 'no model'}', which does not generate images; pick a vae, dcgan or ddpm run`);
    return { model };
  };

  const readyInfo = (id: string) => {
    const { model } = generativeRun(id);
    const info = modelInfo(id, model);
    if (!info) throw new HttpError(409, `run '${id}' has no checkpoint yet; it is written at the end of the first epoch`);
    return { info, checkpoint: checkpointOf(id) as string };
  };

  app.get('/api/generate/runs', async () => {
    const runs: GenerativeRun[] = [];
    for (const r of listRuns(runsRoot)) {
      const model = (r.config.recipe as { model?: string } | undefined)?.model;
      if (!model || !isGenerativeModel(model) || model === 'autoencoder') continue;
      let info: ModelInfo['info'] | null = null;
      try {
        info = modelInfo(r.id, model);
      } catch {
        continue; // a checkpoint being written or from another version: left out, not an error for the whole list
      }
      const live = supervisor.get(r.id);
      runs.push({
        id: r.id,
        status: live?.status ?? r.status,
        epochsDone: r.epochs.length,
        ...(info ?? {
          model,
          family: model.split('-')[0],
          conditional: false,
          classes: [],
          imageShape: [0, 0, 0],
          latentDim: 0,
          sequential: false,
          hasLatent: false,
          controls: [],
          defaults: {},
          dataset: '',
          prompted: false,
        }),
        ready: info !== null,
      });
    }
    return { runs };
  });

  app.get<{ Params: { id: string } }>('/api/generate/:id', async (req): Promise<GenerativeRunDetail> => {
    const { id } = req.params;
    const { model } = generativeRun(id);
    const detail = runDetail(runsRoot, id, supervisor);
    if (!detail) throw new HttpError(404, `no run '${id}'`);
    const info = modelInfo(id, model);
    return { run: detail, info, ready: info !== null, samples: samplesOf(id) };
  });

  app.get<{ Params: { id: string; file: string } }>('/api/generate/:id/samples/:file', async (req, reply) => {
    generativeRun(req.params.id);
    const file = req.params.file;
    if (!/^(epoch-\d{3,}|latest)\.png$/.test(file)) throw new HttpError(400, `'${file}' is not a sample grid name (epoch-NNN.png or latest.png)`);
    const path = join(runPaths(runsRoot, req.params.id).dir, 'samples', file);
    if (!existsSync(path)) throw new HttpError(404, `run '${req.params.id}' has no sample grid ${file}`);
    reply.type('image/png').header('cache-control', file === 'latest.png' ? 'no-cache' : 'max-age=3600');
    return readFileSync(path);
  });

  app.post<{ Params: { id: string }; Body: SampleBody }>('/api/generate/:id/sample', { schema: { body: sampleSchema } }, async (req, reply) => {
    const { info, checkpoint } = readyInfo(req.params.id);
    const b = req.body;
    const labels = labelsFor(info, b.class ?? null, b.n);
    const sequential = info.sequential;
    const job = {
      kind: 'sample' as const,
      checkpoint,
      n: b.n,
      labels,
      seed: b.seed,
      ...(info.controls.includes('steps') && b.steps !== undefined ? { steps: Math.min(b.steps, info.defaults.maxSteps ?? MAX_STEPS) } : {}),
      ...(info.controls.includes('sampler') && b.sampler ? { sampler: b.sampler } : {}),
      ...(info.controls.includes('eta') && b.eta !== undefined ? { eta: b.eta } : {}),
      ...(info.controls.includes('guidance') && b.guidance !== undefined ? { guidance: b.guidance } : {}),
      ...(info.controls.includes('temperature') && b.temperature !== undefined ? { temperature: b.temperature } : {}),
      ...(info.controls.includes('topK') && b.topK !== undefined ? { topK: b.topK } : {}),
      ...promptFields(info, b),
      frames: Math.min(b.frames ?? MAX_FRAMES, MAX_FRAMES),
    };
    reply.hijack();
    const sse = openSse(reply.raw);
    sse.send('start', { n: b.n, labels, sequential, family: info.family });
    const { result, cancel } = jobs.run<Record<string, unknown>>('sample', job, (m) =>
      sse.send('step', { step: m.step, total: m.total, frame: m.frame, noisy: m.noisy }),
    );
    let finished = false;
    sse.onClose(() => {
      if (!finished) cancel();
    });
    try {
      const r = await result;
      finished = true;
      sse.send('done', { ...r, labels });
    } catch (e) {
      finished = true;
      sse.send('error', { error: (e as Error).message });
    }
    sse.close();
  });

  app.post<{ Params: { id: string }; Body: LatentBody }>('/api/generate/:id/latent-map', { schema: { body: latentSchema } }, async (req) => {
    const { info, checkpoint } = readyInfo(req.params.id);
    if (!info.hasLatent) throw new HttpError(400, `${info.model} has no latent space to map; the latent map is for VAEs`);
    const dims = req.body.dims ?? [0, 1];
    if (dims[0] === dims[1] || dims[0] >= info.latentDim || dims[1] >= info.latentDim)
      throw new HttpError(400, `dims must be two different latent dimensions below ${info.latentDim}, got ${dims.join(',')}`);
    const label = labelsFor(info, req.body.class ?? null, 1)[0];
    return jobs.run('project', { kind: 'latent-map', checkpoint, dims, size: req.body.size ?? 15, range: req.body.range ?? 2.5, label }).result;
  });

  app.post<{ Params: { id: string }; Body: InterpolateBody }>('/api/generate/:id/interpolate', { schema: { body: interpolateSchema } }, async (req) => {
    const { info, checkpoint } = readyInfo(req.params.id);
    if (!info.hasLatent) throw new HttpError(400, `${info.model} has no latent space to walk; interpolation is for VAEs`);
    const label = labelsFor(info, req.body.class ?? null, 1)[0];
    return jobs.run('project', { kind: 'interpolate', checkpoint, a: req.body.a, b: req.body.b, steps: req.body.steps ?? 10, label }).result;
  });
}

/** A text-to-image run's prompt, negative prompt and attention maps (a prompt is refused by other models). */
function promptFields(info: { prompted: boolean; model: string }, b: SampleBody): Pick<SampleJob, 'prompt' | 'negative' | 'attention'> {
  if (!info.prompted) {
    if (b.prompt || b.negative)
      throw new HttpError(400, `${info.model} does not read prompts; prompts are for text-to-image runs (simmer train shapes --model text2img)`);
    return {};
  }
  return { prompt: b.prompt ?? '', negative: b.negative ?? '', attention: (b.prompt ?? '').trim() !== '' };
}

/** The label of each of n images: the asked class (conditional models), else every class in turn (or 0s). */
function labelsFor(info: { conditional: boolean; classes: string[]; model: string }, cls: number | null, n: number): number[] {
  if (cls !== null && cls >= info.classes.length)
    throw new HttpError(
      400,
      `class ${cls} is out of range; ${info.model} has ${info.classes.length} classes (${info.classes.map((c, i) => `${i} ${c}`).join(', ')})`,
    );
  if (!info.conditional) {
    if (cls !== null) throw new HttpError(400, `${info.model} is unconditional, so it cannot be asked for a class; leave class out or pick a conditional run`);
    return Array.from({ length: n }, () => 0);
  }
  return Array.from({ length: n }, (_, i) => cls ?? i % info.classes.length);
}

/** The request asks for one class (or none) where the job takes a label per image; frames has a default. */
type SampleBody = Omit<SampleJob, 'kind' | 'checkpoint' | 'labels' | 'frames' | 'attention'> & { class?: number | null; frames?: number };

const classField = { anyOf: [{ type: 'integer', minimum: 0, maximum: 9999 }, { type: 'null' }] };
const seedField = { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 };

const sampleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['n', 'seed'],
  properties: {
    class: classField,
    n: { type: 'integer', minimum: 1, maximum: MAX_SAMPLES },
    seed: seedField,
    steps: { type: 'integer', minimum: 1, maximum: MAX_STEPS },
    sampler: { enum: ['ddpm', 'ddim'] },
    eta: { type: 'number', minimum: 0, maximum: 1 },
    guidance: { type: 'number', minimum: 0, maximum: 20 },
    temperature: { type: 'number', minimum: 0, maximum: 5 },
    topK: { type: 'integer', minimum: 0, maximum: 4096 },
    frames: { type: 'integer', minimum: 1, maximum: MAX_FRAMES },
    prompt: { type: 'string', maxLength: 400 },
    negative: { type: 'string', maxLength: 400 },
  },
};

interface LatentBody {
  dims?: [number, number];
  size?: number;
  range?: number;
  class?: number | null;
}

const latentSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dims: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 4095 }, minItems: 2, maxItems: 2 },
    size: { type: 'integer', minimum: 2, maximum: 24 },
    range: { type: 'number', exclusiveMinimum: 0, maximum: 10 },
    class: classField,
  },
};

interface InterpolateBody {
  a: number;
  b: number;
  steps?: number;
  class?: number | null;
}

const interpolateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['a', 'b'],
  properties: { a: seedField, b: seedField, steps: { type: 'integer', minimum: 2, maximum: 32 }, class: classField },
};
