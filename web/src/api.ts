/** Talking to the dashboard server: JSON helpers and the shapes the API returns. */

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

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  lr: number;
  imagesPerSec: number;
  stepMs: number;
  overfitting?: string;
}

export interface BatchRecord {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  globalStep: number;
  loss: number;
  epochLoss: number;
  epochAccuracy: number;
  imagesPerSec: number;
  lr: number;
  stepMs: number;
}

export interface RunDetail extends RunRow {
  epochs: EpochRecord[];
  batches: BatchRecord[];
}

export interface Prediction {
  index: number;
  label: number;
  predicted: number;
  confidence: number;
  trueProbability: number;
}

export interface Evaluation {
  classes: string[];
  split: string;
  checkpoint: string;
  accuracy: number;
  loss: number;
  count: number;
  confusion: number[][];
  perClass: { name: string; precision: number; recall: number; f1: number; support: number }[];
  mostConfidentlyWrong: Prediction[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, (body as { error?: string }).error ?? `${res.status} ${res.statusText}`);
  return body as T;
}

export function send<T>(path: string, data: unknown, method = 'POST'): Promise<T> {
  return api<T>(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
}

export const pct = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(digits)}%`);
export const fixed = (v: number | null | undefined, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
