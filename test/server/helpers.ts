/** Shared by the server and browser tests: a throwaway runs/data folder, a server on a free port, SSE and JSON helpers. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '../../src/data/image-file.ts';
import { type RunningServer, startServer } from '../../src/server/app.ts';

export interface TestServer extends RunningServer {
  dir: string;
  runsRoot: string;
  dataRoot: string;
  stop(): Promise<void>;
}

/** Writes an unlabelled folder of small PNGs (bright squares on dark, or dark on bright) for the labelling view. */
export async function writeUnlabelled(dir: string, count: number): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const size = 16;
    const img = new Float32Array(3 * size * size).map((_, k) => {
      const p = k % (size * size);
      const inside = Math.abs((p % size) - 8) < 4 && Math.abs(Math.floor(p / size) - 8) < 4;
      return (i % 2 === 0) === inside ? 0.9 : 0.1;
    });
    const name = `img-${String(i).padStart(2, '0')}.png`;
    writeFileSync(join(dir, name), await encodePng(img, [3, size, size]));
    names.push(name);
  }
  return names;
}

export async function startTestServer(options: { webDist?: string } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'simmer-dash-'));
  const runsRoot = join(dir, 'runs');
  const dataRoot = join(dir, 'data');
  await writeUnlabelled(join(dataRoot, 'unsorted'), 6);
  const server = await startServer({ runsRoot, dataRoot, port: 0, webDist: options.webDist ?? join(dir, 'no-web') });
  return {
    ...server,
    dir,
    runsRoot,
    dataRoot,
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function getJson(base: string, path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(path, base), init);
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

export function postJson(base: string, path: string, data: unknown, method = 'POST') {
  return getJson(base, path, { method, headers: { 'content-type': 'application/json' }, body: typeof data === 'string' ? data : JSON.stringify(data) });
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads server-sent events until `until` returns true for one of them (or the timeout), then closes the stream. */
export async function readEvents(url: string, until: (e: SseEvent, all: SseEvent[]) => boolean, timeoutMs = 60_000): Promise<SseEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: SseEvent[] = [];
  try {
    const res = await fetch(url, { signal: controller.signal });
    if (res.status !== 200 || !res.body) throw new Error(`SSE ${url}: status ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut = buffer.indexOf('\n\n');
      while (cut >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        cut = buffer.indexOf('\n\n');
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (!event || data === undefined) continue;
        const e = { event, data: JSON.parse(data) };
        events.push(e);
        if (until(e, events)) return events;
      }
    }
    return events;
  } catch (e) {
    if ((e as Error).name === 'AbortError')
      throw new Error(`SSE ${url}: timed out after ${timeoutMs} ms with ${events.length} events (${events.map((x) => x.event).join(', ')})`);
    throw e;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
