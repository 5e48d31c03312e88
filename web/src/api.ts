/** Talking to the dashboard server: JSON helpers and the shapes the API returns. */

// The response shapes are declared once, beside the server that builds them (type-only: nothing of the server is bundled).
export type { BatchRecord, EpochRecord, Evaluation, Prediction, RecipeFieldInfo, RecipeSchema, RunDetail, RunRow } from '../../src/server/api-types.ts';

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
