/**
 * Embedding projector routes: the sources (datasets as raw pixels, classifier runs as their penultimate-layer
 * embeddings, the input of the last Linear layer as `simmer embed` takes it), and a 2-D projection of up to
 * MAX_POINTS of their images (PCA, UMAP, and any other method src/unsupervised/embed.ts lists) with k-means clusters
 * and one thumbnail atlas. Computed in the dashboard's compute process and cached per request and checkpoint.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { isGenerativeModel } from '../models/registry.ts';
import { listRuns, runPaths } from '../runs/run-store.ts';
import { PROJECTIONS, type Projection } from '../unsupervised/embed.ts';
import type { Projection2d, ProjectorSources } from './api-types.ts';
import { type DatasetCatalog, HttpError } from './datasets.ts';
import type { JobRunner } from './jobs.ts';
import { RUN_ID_PATTERN } from './runs.ts';

export const MAX_POINTS = 2000;
const CACHE_SIZE = 16;

interface ProjectBody {
  source: string;
  method?: string;
  n?: number;
  k?: number;
  seed?: number;
}

const projectSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['source'],
  properties: {
    source: { type: 'string', pattern: '^(dataset|run):[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
    method: { type: 'string', maxLength: 20 },
    n: { type: 'integer', minimum: 3, maximum: MAX_POINTS },
    k: { type: 'integer', minimum: 2, maximum: 30 },
    seed: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 },
  },
};

export function projectorRoutes(app: FastifyInstance, o: { runsRoot: string; catalog: DatasetCatalog; jobs: JobRunner }): void {
  const { runsRoot, catalog, jobs } = o;
  const cache = new Map<string, Promise<Projection2d>>();

  /** The checkpoint a classifier run is projected with: its best, else its last. */
  const classifierCheckpoint = (id: string): string | null => {
    const dir = runPaths(runsRoot, id).checkpoints;
    for (const name of ['best.safetensors', 'last.safetensors']) if (existsSync(join(dir, name))) return join(dir, name);
    return null;
  };

  const isClassifierRun = (config: Record<string, unknown>): boolean => {
    const model = (config.recipe as { model?: string } | undefined)?.model;
    return config.kind !== 'rl' && typeof model === 'string' && !isGenerativeModel(model);
  };

  app.get('/api/projector/sources', async (): Promise<ProjectorSources> => {
    const runs = listRuns(runsRoot)
      .filter((r) => isClassifierRun(r.config) && classifierCheckpoint(r.id))
      .map((r) => {
        const recipe = r.config.recipe as { model: string; dataset?: string };
        return {
          id: r.id,
          model: recipe.model,
          dataset:
            String(recipe.dataset ?? '')
              .split('/')
              .pop() ?? '',
        };
      });
    return {
      datasets: catalog
        .list()
        .filter((d) => d.kind !== 'unlabelled')
        .map((d) => d.name),
      runs,
      methods: [...PROJECTIONS],
    };
  });

  app.post<{ Body: ProjectBody }>('/api/projector', { schema: { body: projectSchema } }, async (req) => {
    const b = req.body;
    const method = (b.method ?? 'pca') as Projection;
    if (!PROJECTIONS.includes(method)) throw new HttpError(400, `unknown projection '${b.method}'; choose ${PROJECTIONS.join(', ')}`);
    const [kind, name] = [b.source.slice(0, b.source.indexOf(':')), b.source.slice(b.source.indexOf(':') + 1)];
    let source: { kind: 'dataset'; name: string; dataRoot: string } | { kind: 'run'; checkpoint: string };
    let version = '';
    if (kind === 'dataset') {
      const entry = catalog.entry(name);
      if (entry.kind === 'unlabelled') throw new HttpError(400, `dataset '${name}' is not labelled yet; label it on the Data page, or project a labelled one`);
      source = { kind: 'dataset', name, dataRoot: catalog.dataRoot };
    } else {
      if (!RUN_ID_PATTERN.test(name)) throw new HttpError(400, `'${name}' is not a valid run id`);
      const config = runPaths(runsRoot, name).config;
      if (!existsSync(config)) throw new HttpError(404, `no run '${name}'`);
      const run = listRuns(runsRoot).find((r) => r.id === name);
      if (!run || !isClassifierRun(run.config))
        throw new HttpError(400, `run '${name}' is not a classifier run; the projector embeds a classifier's penultimate layer (or project a dataset)`);
      const checkpoint = classifierCheckpoint(name);
      if (!checkpoint) throw new HttpError(409, `run '${name}' has no checkpoint yet; it is written at the end of the first epoch`);
      source = { kind: 'run', checkpoint };
      version = String(statSync(checkpoint).mtimeMs);
    }
    const job = { kind: 'project' as const, source, method, n: b.n ?? 1000, k: b.k ?? 10, seed: b.seed ?? 0 };
    const key = JSON.stringify([b.source, version, job.method, job.n, job.k, job.seed]);
    let pending = cache.get(key);
    if (!pending) {
      pending = jobs.run<Omit<Projection2d, 'source' | 'methods'>>('project', job).result.then((r) => ({ ...r, source: b.source, methods: [...PROJECTIONS] }));
      cache.set(key, pending);
      pending.catch(() => cache.delete(key));
      while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    }
    return pending;
  });
}
