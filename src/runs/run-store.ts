/**
 * The run store: every training run is a folder runs/<id>/ holding config.json, metrics.jsonl, checkpoints/ and
 * summary.json, so runs can be listed, compared, resumed and shown by the dashboard.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';

export interface RunPaths {
  id: string;
  dir: string;
  config: string;
  metrics: string;
  summary: string;
  checkpoints: string;
}

export interface RunInfo {
  id: string;
  dir: string;
  config: Record<string, unknown>;
  summary: Record<string, unknown> | null;
  /** 'running' (no summary yet, recently updated), 'finished', 'stopped' or 'failed'. */
  status: string;
  epochs: Record<string, unknown>[];
}

export function defaultRunsRoot(): string {
  return process.env.SIMMER_RUNS ?? 'runs';
}

export function runPaths(root: string, id: string): RunPaths {
  if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new RangeError(`run id '${id}' may only contain letters, digits, '.', '_' and '-'`);
  const dir = join(root, id);
  return {
    id,
    dir,
    config: join(dir, 'config.json'),
    metrics: join(dir, 'metrics.jsonl'),
    summary: join(dir, 'summary.json'),
    checkpoints: join(dir, 'checkpoints'),
  };
}

/** Creates a new run folder named <date>-<time>-<model>, with a suffix if it already exists. */
export function createRun(root: string, config: Record<string, unknown>): RunPaths {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = `${stamp}-${String(config.model ?? 'run').replace(/[^A-Za-z0-9-]/g, '')}`;
  let id = base;
  for (let i = 2; existsSync(join(root, id)); i++) id = `${base}-${i}`;
  const paths = runPaths(root, id);
  mkdirSync(paths.checkpoints, { recursive: true });
  writeFileAtomic(paths.config, `${JSON.stringify({ id, created: new Date().toISOString(), ...config }, null, 2)}\n`);
  return paths;
}

export function writeSummary(paths: RunPaths, summary: Record<string, unknown>): void {
  writeFileAtomic(paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
}

function readJson(path: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

export function readRun(root: string, id: string): RunInfo | null {
  const paths = runPaths(root, id);
  const config = readJson(paths.config);
  if (!config) return null;
  const summary = readJson(paths.summary);
  const epochs: Record<string, unknown>[] = [];
  if (existsSync(paths.metrics)) {
    for (const line of readFileSync(paths.metrics, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const rec = JSON.parse(line);
        if (rec.type === 'epoch') {
          // A run killed between its log and its checkpoint (before resume learned to drop such records) logged an
          // epoch twice: the later record is the one the checkpoint continued from.
          const same = epochs.findIndex((e) => e.epoch === rec.epoch);
          if (same >= 0) epochs.splice(same, epochs.length - same);
          epochs.push(rec);
        }
      } catch {
        // A line cut short by a crash: skip it, the rest is intact.
      }
    }
  }
  let status = (summary?.status as string | undefined) ?? 'running';
  if (!summary) {
    const touched = existsSync(paths.metrics) ? statSync(paths.metrics).mtimeMs : statSync(paths.config).mtimeMs;
    if (Date.now() - touched > 10 * 60_000) status = 'stopped';
  }
  return { id, dir: paths.dir, config, summary, status, epochs };
}

/** Every run under root, newest first. */
export function listRuns(root = defaultRunsRoot()): RunInfo[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => /^[A-Za-z0-9._-]+$/.test(name) && existsSync(join(root, name, 'config.json')))
    .sort()
    .reverse()
    .map((id) => readRun(root, id))
    .filter((r): r is RunInfo => r !== null);
}
