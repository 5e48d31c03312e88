/** Dataset routes: list and browse by class, sample images, the audit, an augmentation preview, and labelling. */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type AuditReport, auditDataset, formatAudit } from '../data/audit.ts';
import { encodePng } from '../data/image-file.ts';
import { generatorFor } from '../data/seed.ts';
import { buildTransform, PRESETS, type PresetName } from '../data/transforms/spec.ts';
import { pngDataUrl } from './analysis.ts';
import { type DatasetCatalog, HttpError } from './datasets.ts';

/** Audits look at up to this many images (evenly spaced), so a large dataset is audited in seconds. */
const AUDIT_LIMIT = 3000;

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

function intOf(value: unknown, name: string, max: number): number {
  const s = String(value ?? '');
  if (!/^\d{1,9}$/.test(s) || Number(s) > max) throw new HttpError(400, `${name} must be an integer from 0 to ${max}, got '${s}'`);
  return Number(s);
}

const labelSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['labels'],
  properties: {
    labels: {
      type: 'object',
      maxProperties: 1000,
      propertyNames: { maxLength: 255 },
      additionalProperties: { type: 'string', maxLength: 100, pattern: '^[^\\n\\r]*$' },
    },
  },
} as const;

export function dataRoutes(app: FastifyInstance, catalog: DatasetCatalog): void {
  const audits = new Map<string, Promise<AuditReport>>();
  app.get('/api/datasets', async () => ({ datasets: catalog.list(), dataRoot: catalog.dataRoot }));

  app.get<{ Params: { name: string } }>('/api/datasets/:name', async (req) => {
    const entry = catalog.entry(req.params.name);
    if (entry.kind === 'unlabelled') return { ...entry, classes: [], counts: [], indices: [], length: catalog.labelling(entry.name).images.length };
    return { ...entry, ...(await catalog.byClass(entry.name)) };
  });

  app.get<{ Params: { name: string; index: string } }>('/api/datasets/:name/samples/:index', async (req, reply) => {
    const ds = await catalog.dataset(req.params.name);
    const index = intOf(req.params.index.replace(/\.png$/, ''), 'sample index', ds.length - 1);
    const s = await ds.get(index);
    reply.type('image/png').header('cache-control', 'max-age=3600');
    return encodePng(s.image, s.shape);
  });

  app.get<{ Params: { name: string } }>('/api/datasets/:name/audit', async (req) => {
    const ds = await catalog.dataset(req.params.name);
    let pending = audits.get(req.params.name);
    if (!pending) {
      pending = auditDataset(ds, { limit: AUDIT_LIMIT });
      audits.set(req.params.name, pending);
      pending.catch(() => audits.delete(req.params.name));
    }
    const report = await pending;
    return { report, text: formatAudit(report) };
  });

  app.get<{ Params: { name: string }; Querystring: Record<string, string> }>('/api/datasets/:name/augment', async (req) => {
    const ds = await catalog.dataset(req.params.name);
    const index = intOf(req.query.index ?? '0', 'index', ds.length - 1);
    const preset = (req.query.preset ?? 'standard') as PresetName;
    if (!(preset in PRESETS)) throw new HttpError(400, `unknown augmentation preset '${preset}' (choose ${Object.keys(PRESETS).join(', ')})`);
    const count = intOf(req.query.count ?? '8', 'count', 32);
    const sample = await ds.get(index);
    const transform = buildTransform(preset);
    const variants = [];
    for (let i = 0; i < count; i++) {
      // The same seeds as training would use for this sample in epochs 0, 1, 2, …
      const out = transform({ data: sample.image, shape: sample.shape }, generatorFor(1, i, index));
      variants.push(await pngDataUrl(out.data, out.shape));
    }
    return { index, preset, steps: PRESETS[preset], original: await pngDataUrl(sample.image, sample.shape), variants };
  });

  // ── labelling ────────────────────────────────────────────────────────────────────────────────────────────────
  app.get<{ Params: { name: string } }>('/api/label/:name', async (req) => catalog.labelling(req.params.name));

  app.put<{ Params: { name: string }; Body: { labels: Record<string, string> } }>('/api/label/:name', { schema: { body: labelSchema } }, async (req) => {
    const labels = catalog.setLabels(req.params.name, req.body.labels);
    audits.delete(req.params.name); // the audit described the labels as they were
    const entry = catalog.entry(req.params.name);
    // kind turns 'labelled' with the last label: the page then offers it for training.
    return { labels, kind: entry.kind, description: entry.description };
  });

  app.get<{ Params: { name: string; '*': string } }>('/api/files/:name/*', async (req, reply) => {
    const full = catalog.file(req.params.name, req.params['*']);
    reply.type(MIME[extname(full).toLowerCase()] ?? 'application/octet-stream');
    return readFileSync(full);
  });
}
