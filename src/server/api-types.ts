/**
 * The shapes the dashboard's HTTP API returns, declared once: the server builds them (runs.ts, analysis.ts, app.ts)
 * and the front end (web/src/api.ts) imports them. Type-only and self-contained (its only imports are type-only files
 * that import nothing, such as src/runs/rl-types.ts), so web/ can import it without pulling any server code or Node
 * types into the browser bundle.
 */

/** One epoch as logged: the Trainer's EpochReport (src/train/types.ts) as JSON. Classification runs have the accuracies. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  valTopK?: number;
  trainMetrics?: Record<string, number>;
  valMetrics?: Record<string, number>;
  lr: number;
  imagesPerSec: number;
  stepMs: number;
  overfitting?: string;
}

/** One batch as reported: the Trainer's BatchReport as JSON. */
export interface BatchRecord {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  globalStep: number;
  loss: number;
  epochLoss: number;
  epochAccuracy?: number;
  imagesPerSec: number;
  lr: number;
  stepMs: number;
}

/** A row of GET /api/runs. */
export interface RunRow {
  id: string;
  status: string;
  live: boolean;
  recipe: Record<string, unknown>;
  epochsDone: number;
  last: EpochRecord | null;
  bestValAccuracy: number | null;
  seconds: number | null;
  error?: string;
}

/** GET /api/runs/:id (and the SSE snapshot). */
export interface RunDetail extends RunRow {
  epochs: EpochRecord[];
  batches: BatchRecord[];
  summary?: Record<string, unknown> | null;
  config?: Record<string, unknown>;
}

/** One image's prediction (src/explain/predictions.ts). */
export interface Prediction {
  /** Index of the image in its dataset. */
  index: number;
  label: number;
  predicted: number;
  /** Probability the model gave its prediction. */
  confidence: number;
  /** Probability the model gave the true class. */
  trueProbability: number;
}

/** GET /api/runs/:id/evaluation. */
export interface Evaluation {
  classes: string[];
  split: string;
  checkpoint: string;
  accuracy: number;
  loss: number;
  count: number;
  /** Rows are true classes, columns predictions. */
  confusion: number[][];
  perClass: { name: string; precision: number; recall: number; f1: number; support: number }[];
  mostConfidentlyWrong: Prediction[];
}

/** One recipe field of GET /api/recipe-schema (src/runs/recipe-fields.ts). */
export interface RecipeFieldInfo {
  name: string;
  type: 'string' | 'integer' | 'number';
  default: string | number;
  min?: number;
  max?: number;
  choices?: readonly string[];
  help: string;
}

/** GET /api/recipe-schema: the fields the dashboard's form may set, with their defaults, ranges and choices. */
export interface RecipeSchema {
  fields: RecipeFieldInfo[];
  /** The optimizer's default learning rate, used when lr is 0. */
  defaultLr: Record<string, number>;
}

// ── Generate, projector and RL pages ─────────────────────────────────────────────────────────────────────────────

/** A sampling option a generative family takes (src/models/generative.ts SampleOptions). */
export type SampleControl = 'steps' | 'sampler' | 'eta' | 'guidance' | 'temperature' | 'topK';

/** A row of GET /api/generate/runs: a generative run and what its model can be asked. */
export interface GenerativeRun {
  id: string;
  status: string;
  epochsDone: number;
  /** The zoo name (vae-cond, dcgan, ddpm, ...). */
  model: string;
  family: string;
  conditional: boolean;
  classes: string[];
  imageShape: number[];
  latentDim: number;
  /** Whether sampling takes steps that are reported one by one (ddpm, pixel-transformer). */
  sequential: boolean;
  /** Whether a 2-D latent map and interpolation can be drawn (a VAE). */
  hasLatent: boolean;
  controls: SampleControl[];
  defaults: { steps?: number; guidance?: number; maxSteps?: number; temperature?: number; topK?: number };
  dataset: string;
  /** Text to image: the sampler takes a prompt and a negative prompt, and answers with per-word attention maps. */
  prompted: boolean;
  /** False until the first checkpoint is written. */
  ready?: boolean;
}

/** GET /api/generate/:id. */
export interface GenerativeRunDetail {
  run: RunDetail;
  info: Omit<GenerativeRun, 'id' | 'status' | 'epochsDone'> | null;
  ready: boolean;
  /** The per-epoch sample grids, samples/epoch-NNN.png, oldest first. */
  samples: string[];
}

/** Server-sent events of POST /api/generate/:id/sample. */
export interface SampleStep {
  step: number;
  total: number;
  /** A grid of the current x̂_0 estimates (PNG data URL), on evenly spaced steps. */
  frame?: string;
  /** Diffusion: a grid of the noisy samples x_t at the same step (clamped to [0, 1] for display). */
  noisy?: string;
}

export interface SampleDone {
  model: string;
  family: string;
  steps: number;
  grid: string;
  images: string[];
  labels: number[];
  seconds: number;
  /** Text to image: the prompt's cross-attention maps over image 0 (explain/cross-attention.ts). */
  attention?: AttentionMaps;
}

/** Per-token cross-attention of image 0: the image, then one heat map (PNG data URL) per token with its share. */
export interface AttentionMaps {
  image: string;
  tokens: { token: string; share: number; map: string }[];
  steps: number;
}

/** POST /api/projector. */
export interface Projection2d {
  source: string;
  method: string;
  split: string;
  /** The layer whose input is the embedding (a model source), or null (raw pixels). */
  layer: string | null;
  dims: number;
  classes: string[];
  /** Label per point (−1 when the source has none). */
  labels: number[];
  /** Index of each point's image in its dataset. */
  indices: number[];
  /** x0, y0, x1, y1, … */
  points: number[];
  clusters: number[];
  k: number;
  scores: { accuracy: number; nmi: number } | null;
  /** All thumbnails in one PNG, point i at column i % cols, row ⌊i / cols⌋. */
  atlas: { url: string; cols: number; width: number; height: number };
  seconds: number;
  methods: string[];
}

/** GET /api/projector/sources. */
export interface ProjectorSources {
  datasets: string[];
  runs: { id: string; model: string; dataset: string }[];
  methods: string[];
}

/** GET /api/rl/runs rows, GET /api/rl/:id and its event stream: the run store's view (src/runs/rl-runs.ts). */
export type { RlDetail, RlEvaluation, RlIteration, RlRun } from '../runs/rl-types.ts';

/** POST /api/rl/:id/replay: one greedy episode as a sprite sheet of frames. */
export interface RlReplay {
  checkpoint: string;
  seed: number;
  return: number;
  length: number;
  frames: number;
  sprite: { url: string; perRow: number; gap: number; width: number; height: number };
}
