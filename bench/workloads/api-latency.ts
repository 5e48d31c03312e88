/**
 * Dashboard latency while a run trains: starts the server on a free port in a throwaway folder, starts a 20-epoch
 * shapes run through POST /api/runs, waits for its first batch event, then times `requests` GET /api/runs calls one
 * after another (each fetched and parsed in full), and stops the run. Figures: p50 and p95 in ms (one of each per job).
 * This was an assertion (p95 < 200 ms) in test/server/api.test.ts; a latency on a shared 2-core machine is a
 * measurement, not a pass/fail property, so it is reported here.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/server/app.ts';
import type { JobResult, JobSpec } from '../protocol.ts';

const RUN = { dataset: 'shapes', model: 'cnn-small', epochs: 20, batchSize: 32, lr: 0.003, optimizer: 'adam', augment: 'none', limit: 2000 };

function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function json(base: string, path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(path, base), init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Reads the run's server-sent events until one named `event` arrives. */
async function waitForEvent(url: string, event: string, timeoutMs: number): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(url, { signal: controller.signal });
    if (!res.body) throw new Error(`SSE ${url}: status ${res.status}`);
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of res.body) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      if (text.includes(`event: ${event}\n`)) return;
    }
    throw new Error(`SSE ${url} ended before a '${event}' event`);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

export async function runApiLatency(spec: JobSpec): Promise<Omit<JobResult, 'rssMB' | 'threads'>> {
  const requests = spec.maxCalls ?? 60;
  const dir = mkdtempSync(join(tmpdir(), 'simmer-bench-api-'));
  mkdirSync(join(dir, 'data'), { recursive: true });
  const server = await startServer({ runsRoot: join(dir, 'runs'), dataRoot: join(dir, 'data'), port: 0, webDist: join(dir, 'no-web') });
  const notes: string[] = [];
  try {
    const started = await json(server.url, '/api/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(RUN) });
    if (started.status !== 201) throw new Error(`POST /api/runs answered ${started.status}: ${JSON.stringify(started.body)}`);
    const id = String(started.body.id);
    await waitForEvent(new URL(`/api/runs/${id}/events`, server.url).href, 'batch', 120_000);
    const times: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      const r = await json(server.url, '/api/runs');
      times.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`GET /api/runs answered ${r.status}`);
    }
    const detail = await json(server.url, `/api/runs/${id}`);
    if (detail.body.status !== 'running') notes.push(`the run was ${String(detail.body.status)} before the last request (not all measured during training)`);
    await json(server.url, `/api/runs/${id}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    for (let i = 0; i < 100; i++) {
      const r = await json(server.url, `/api/runs/${id}`);
      if (r.body.status !== 'running') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    notes.push(`${requests} sequential GET /api/runs while a shapes cnn-small run trains in a child process`);
    return { ok: true, figures: { 'GET /api/runs p50': [percentile(times, 50)], 'GET /api/runs p95': [percentile(times, 95)] }, notes };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
