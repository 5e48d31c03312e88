/**
 * The dashboard's compute process: sampling a generative model (with its denoising steps streamed as frames), a VAE's
 * latent map and interpolation, and embedding projections (PCA / UMAP / t-SNE with k-means clusters). The server
 * forks it once (./jobs.ts) and sends it one job at a time over IPC, so the request thread never blocks on a model;
 * it answers `{ type: 'step' }` messages while a job runs and one `{ type: 'done' | 'failed' }` at its end. Opened
 * checkpoints are cached by path and modification time.
 */
import { statSync } from 'node:fs';
import type { Dataset } from '../data/dataset.ts';
import { attentionTiles, crossAttentionMaps } from '../explain/cross-attention.ts';
import { decodeInEval, generateImages, sampleLatents, tileGrid } from '../models/generative.ts';
import type { Text2ImgModel } from '../models/text2img.ts';
import { openGenerativeCheckpoint, type OpenedGenerativeModel } from '../models/registry.ts';
import { prepareEvalData } from '../runs/data-setup.ts';
import { openCheckpointModel } from '../runs/open-model.ts';
import { Generator } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';
import { penultimateEmbeddings, type Projection, projectEmbedding } from '../unsupervised/embed.ts';
import { kmeans } from '../unsupervised/kmeans.ts';
import type { Matrix } from '../unsupervised/matrix.ts';
import { clusteringAccuracy, normalizedMutualInfo } from '../unsupervised/metrics.ts';
import { DatasetCatalog } from './datasets.ts';
import { pngDataUrlSync } from './png-sync.ts';

export interface SampleJob {
  kind: 'sample';
  checkpoint: string;
  n: number;
  labels: number[];
  seed: number;
  steps?: number;
  sampler?: 'ddpm' | 'ddim';
  eta?: number;
  guidance?: number;
  /** Pixel transformer: sampling temperature and top-k (0 = off). */
  temperature?: number;
  topK?: number;
  /** Text to image: the prompt of every image ('' = unconditional), what guidance steers away from, and whether to map the prompt's cross-attention. */
  prompt?: string;
  negative?: string;
  attention?: boolean;
  /** Frames of the trajectory to send at most (evenly spaced; the last step always). */
  frames: number;
}

export interface LatentMapJob {
  kind: 'latent-map';
  checkpoint: string;
  dims: [number, number];
  size: number;
  range: number;
  label: number;
}

export interface InterpolateJob {
  kind: 'interpolate';
  checkpoint: string;
  a: number;
  b: number;
  steps: number;
  label: number;
}

export interface ProjectJob {
  kind: 'project';
  source: { kind: 'dataset'; name: string; dataRoot: string } | { kind: 'run'; checkpoint: string };
  method: Projection;
  n: number;
  k: number;
  seed: number;
}

export type Job = SampleJob | LatentMapJob | InterpolateJob | ProjectJob;

const models = new Map<string, { mtime: number; opened: OpenedGenerativeModel }>();

function generative(path: string): OpenedGenerativeModel {
  const mtime = statSync(path).mtimeMs;
  const hit = models.get(path);
  if (hit && hit.mtime === mtime) return hit.opened;
  const opened = openGenerativeCheckpoint(path);
  models.set(path, { mtime, opened });
  return opened;
}

function send(message: Record<string, unknown>): void {
  process.send?.(message);
}

/** A batch [N, C, H, W] as one PNG grid; x_t of a diffusion model may lie outside [0, 1] and is clamped. */
function gridUrl(images: Tensor, cols: number): string {
  const { image, shape } = tileGrid(images, cols);
  return pngDataUrlSync(image, shape);
}

function imageUrls(images: Tensor): string[] {
  const [n, c, h, w] = images.shape;
  const size = c * h * w;
  return Array.from({ length: n }, (_, i) => pngDataUrlSync(images.f32.subarray(i * size, (i + 1) * size), [c, h, w]));
}

function sample(job: SampleJob) {
  const { model, name } = generative(job.checkpoint);
  const started = performance.now();
  const cols = Math.min(8, job.n);
  let sent = 0;
  let lastStep = 0;
  const images = generateImages(model, {
    n: job.n,
    labels: model.conditional ? job.labels : undefined,
    seed: job.seed,
    steps: job.steps,
    sampler: job.sampler,
    eta: job.eta,
    guidance: job.guidance,
    temperature: job.temperature,
    topK: job.topK,
    ...(job.prompt !== undefined ? { prompts: Array.from({ length: job.n }, () => job.prompt as string), negativePrompt: job.negative || undefined } : {}),
    onStep(step: number, total: number, x0?: Tensor, xt?: Tensor) {
      lastStep = step;
      // Evenly spaced frames: step s is sent when it crosses the next of `frames` marks (the last step always).
      const due = step === total || Math.floor((step * job.frames) / total) > sent;
      if (!due) {
        send({ type: 'step', step, total });
        return;
      }
      sent++;
      send({ type: 'step', step, total, frame: x0 ? gridUrl(x0, cols) : undefined, noisy: xt ? gridUrl(xt, cols) : undefined });
    },
  });
  return {
    model: name,
    family: model.family,
    steps: lastStep,
    grid: gridUrl(images, cols),
    images: imageUrls(images),
    ...(job.attention && job.prompt ? { attention: attentionOf(model as unknown as Text2ImgModel, job) } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}

/** The prompt's cross-attention over image 0 (same seed and sampler as the samples), as PNG data URLs. */
function attentionOf(model: Text2ImgModel, job: SampleJob) {
  const r = crossAttentionMaps(model, job.prompt as string, {
    seed: job.seed,
    steps: job.steps,
    sampler: job.sampler,
    eta: job.eta,
    guidance: job.guidance,
    negativePrompt: job.negative || undefined,
  });
  const [image, ...maps] = attentionTiles(r).map((t) => pngDataUrlSync(t.data, t.shape));
  return { image, tokens: r.tokens.map((token, k) => ({ token, share: r.shares[k], map: maps[k] })), steps: r.steps.length };
}

function latentMap(job: LatentMapJob) {
  const { model } = generative(job.checkpoint);
  if (!model.decodeLatent || model.latentDim < 2) throw new RangeError(`${model.family} has no latent space of two or more dimensions to map`);
  const [a, b] = job.dims;
  if (a === b || a >= model.latentDim || b >= model.latentDim)
    throw new RangeError(`dims must be two different latent dimensions below ${model.latentDim}, got ${a},${b}`);
  const d = model.latentDim;
  const s = job.size;
  const z = new Float32Array(s * s * d);
  for (let row = 0; row < s; row++)
    for (let col = 0; col < s; col++) {
      const k = row * s + col;
      z[k * d + a] = -job.range + (2 * job.range * col) / (s - 1);
      z[k * d + b] = job.range - (2 * job.range * row) / (s - 1);
    }
  const images = decodeInEval(
    model,
    new Tensor(z, [s * s, d]),
    Array.from({ length: s * s }, () => job.label),
  );
  return { grid: gridUrl(images, s), size: s, dims: job.dims, range: job.range };
}

function interpolate(job: InterpolateJob) {
  const { model } = generative(job.checkpoint);
  if (!model.decodeLatent) throw new RangeError(`${model.family} has no latent space to walk`);
  const d = model.latentDim;
  const za = sampleLatents(1, d, new Generator(job.a)).f32;
  const zb = sampleLatents(1, d, new Generator(job.b)).f32;
  const z = new Float32Array(job.steps * d);
  for (let s = 0; s < job.steps; s++) {
    const t = s / (job.steps - 1);
    for (let k = 0; k < d; k++) z[s * d + k] = (1 - t) * za[k] + t * zb[k];
  }
  const images = decodeInEval(
    model,
    new Tensor(z, [job.steps, d]),
    Array.from({ length: job.steps }, () => job.label),
  );
  return { strip: gridUrl(images, job.steps), images: imageUrls(images) };
}

/** `n` evenly spaced indices of a dataset of `length` (all of them when it is smaller). */
function spaced(length: number, n: number): number[] {
  const m = Math.min(n, length);
  return Array.from({ length: m }, (_, i) => Math.floor((i * length) / m));
}

/** Tiles thumbnails into one atlas image (cells side by side, no gutter), as a PNG data URL. */
function atlas(images: Float32Array[], shape: [number, number, number], cols: number): string {
  const [c, h, w] = shape;
  const rows = Math.ceil(images.length / cols);
  const H = rows * h;
  const W = cols * w;
  const out = new Float32Array(c * H * W);
  images.forEach((im, k) => {
    const oy = Math.floor(k / cols) * h;
    const ox = (k % cols) * w;
    for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) out.set(im.subarray((ch * h + y) * w, (ch * h + y + 1) * w), ch * H * W + (oy + y) * W + ox);
  });
  return pngDataUrlSync(out, [c, H, W]);
}

async function project(job: ProjectJob) {
  const started = performance.now();
  let ds: Dataset;
  let embedding: Matrix;
  let labels: Int32Array;
  let layer: string | null = null;
  let split = 'train';
  const indices: number[] = [];
  const thumbs: Float32Array[] = [];
  let classes: string[];
  if (job.source.kind === 'dataset') {
    ds = await new DatasetCatalog(job.source.dataRoot).dataset(job.source.name);
    classes = ds.classes;
    const d = ds.channels * ds.height * ds.width;
    const picked = spaced(ds.length, job.n);
    const data = new Float32Array(picked.length * d);
    labels = new Int32Array(picked.length);
    for (const [row, i] of picked.entries()) {
      const s = await ds.get(i);
      if (s.image.length !== d) throw new RangeError(`sample ${i} has ${s.image.length} values, expected ${d}; the dataset needs one image size`);
      data.set(s.image, row * d);
      labels[row] = s.label;
      indices.push(i);
      thumbs.push(s.image);
    }
    embedding = { data, rows: picked.length, cols: d };
  } else {
    const opened = openCheckpointModel(job.source.checkpoint);
    const evalData = await prepareEvalData(opened.recipe, opened.inputShape, { storedSplit: opened.storedSplit });
    split = evalData.split;
    classes = evalData.classes;
    ds = evalData.source.dataset;
    await evalData.source.close?.();
    const picked = spaced(ds.length, job.n);
    const batches: { x: Tensor; y: number[] }[] = [];
    for (let s = 0; s < picked.length; s += 64) {
      const part = picked.slice(s, s + 64);
      const samples = await Promise.all(part.map((i) => ds.get(i)));
      const size = samples[0].image.length;
      const x = new Float32Array(part.length * size);
      samples.forEach((smp, j) => {
        x.set(smp.image, j * size);
        thumbs.push(smp.image);
      });
      indices.push(...part);
      batches.push({ x: new Tensor(x, [part.length, ...(samples[0].shape as [number, number, number])]), y: samples.map((smp) => smp.label) });
    }
    const emb = await penultimateEmbeddings(opened.model, batches);
    embedding = emb.embedding;
    labels = emb.labels;
    layer = emb.layer;
  }
  const n = embedding.rows;
  if (n < 3) throw new RangeError(`a projection needs at least 3 images; the source has ${n}`);
  const xy = await projectEmbedding(embedding, job.method, { seed: job.seed });
  const k = Math.min(job.k, n);
  const km = kmeans(embedding, { k, nInit: 4, seed: job.seed });
  const labelled = labels.every((l) => l >= 0);
  const shape: [number, number, number] = [ds.channels, ds.height, ds.width];
  const cols = Math.ceil(Math.sqrt(n));
  return {
    method: job.method,
    split,
    layer,
    dims: embedding.cols,
    classes,
    labels: Array.from(labels),
    indices,
    points: Array.from(xy.data, (v) => Number(v.toFixed(5))),
    clusters: Array.from(km.labels),
    k,
    scores: labelled ? { accuracy: clusteringAccuracy(labels, km.labels).accuracy, nmi: normalizedMutualInfo(labels, km.labels) } : null,
    atlas: { url: atlas(thumbs, shape, cols), cols, width: shape[2], height: shape[1] },
    seconds: (performance.now() - started) / 1000,
  };
}

async function run(job: Job): Promise<unknown> {
  switch (job.kind) {
    case 'sample':
      return sample(job);
    case 'latent-map':
      return latentMap(job);
    case 'interpolate':
      return interpolate(job);
    case 'project':
      return project(job);
  }
}

process.on('message', (m: { type?: string; id?: number; job?: Job }) => {
  if (m?.type !== 'job' || !m.job) return;
  const id = m.id;
  run(m.job).then(
    (result) => send({ type: 'done', id, result }),
    (e: Error) => send({ type: 'failed', id, error: e.message }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });
