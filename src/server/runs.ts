/** Run records for the API: the run store's view of a folder, merged with what the supervisor knows live. */
import { existsSync, readFileSync } from 'node:fs';
import { listRuns, type RunInfo, readRun, runPaths } from '../runs/run-store.ts';
import type { EpochRecord, RunDetail, RunRow } from './api-types.ts';
import type { RunSupervisor } from './supervisor.ts';

export type { RunRow } from './api-types.ts';

export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function status(info: RunInfo, supervisor: RunSupervisor): { status: string; live: boolean; error?: string } {
  const live = supervisor.get(info.id);
  if (live) return { status: live.status, live: live.status === 'running' || live.status === 'stopping', error: live.error };
  return { status: info.status, live: false, error: info.summary?.error as string | undefined };
}

export function runRow(info: RunInfo, supervisor: RunSupervisor): RunRow {
  const last = (info.epochs[info.epochs.length - 1] ?? null) as unknown as EpochRecord | null;
  let best: number | null = null;
  for (const e of info.epochs) {
    const v = e.valAccuracy as number | undefined;
    if (typeof v === 'number' && (best === null || v > best)) best = v;
  }
  return {
    id: info.id,
    ...status(info, supervisor),
    recipe: (info.config.recipe ?? {}) as Record<string, unknown>,
    epochsDone: info.epochs.length,
    last,
    bestValAccuracy: best,
    seconds: typeof info.summary?.seconds === 'number' ? info.summary.seconds : null,
  };
}

/** The training runs of the store; reinforcement-learning runs have their own page (GET /api/rl/runs). */
export function listRunRows(root: string, supervisor: RunSupervisor): RunRow[] {
  return listRuns(root)
    .filter((r) => r.config.kind !== 'rl')
    .map((r) => runRow(r, supervisor));
}

/** Batch reports of a run: this session's every batch when the supervisor ran it, else the every-10th the log kept. */
function batches(root: string, id: string, supervisor: RunSupervisor): Record<string, unknown>[] {
  const live = supervisor.get(id);
  if (live) return live.batches;
  const path = runPaths(root, id).metrics;
  if (!existsSync(path)) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.startsWith('{"type":"batch"')) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line cut short by a crash
    }
  }
  return out;
}

export function runDetail(root: string, id: string, supervisor: RunSupervisor): RunDetail | null {
  const info = readRun(root, id);
  if (!info) return null;
  return {
    ...runRow(info, supervisor),
    epochs: info.epochs as unknown as EpochRecord[],
    batches: batches(root, id, supervisor) as unknown as RunDetail['batches'],
    summary: info.summary,
    config: info.config,
  };
}
