/**
 * The shapes the dashboard's HTTP API returns, declared once: the server builds them (runs.ts, analysis.ts, app.ts)
 * and the front end (web/src/api.ts) imports them. Type-only and self-contained (no imports), so web/ can import it
 * without pulling any server code or Node types into the browser bundle.
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
