/** `simmer runs`: list runs and compare their results side by side. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { listRuns, type RunInfo, readRun } from '../../runs/run-store.ts';

/** The model's input [C, H, W], from the readable copy of the run's last checkpoint (config.json predates the data). */
function inputShapeOf(r: RunInfo): number[] | undefined {
  try {
    const state = JSON.parse(readFileSync(join(r.dir, 'checkpoints', 'last.json'), 'utf8')) as { config?: { inputShape?: number[] } };
    return state.config?.inputShape;
  } catch {
    return undefined; // no checkpoint yet
  }
}

function row(r: RunInfo): Record<string, string> {
  const recipe = (r.config.recipe ?? {}) as Record<string, unknown>;
  const last = r.epochs[r.epochs.length - 1] as Record<string, number> | undefined;
  const best = r.epochs.reduce<number | undefined>((b, e) => {
    const v = (e as Record<string, number>).valAccuracy;
    return v !== undefined && (b === undefined || v > b) ? v : b;
  }, undefined);
  const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);
  const shape = inputShapeOf(r);
  return {
    run: r.id,
    status: r.status,
    dataset: String(recipe.dataset ?? '-'),
    model: String(recipe.model ?? '-'),
    optim: `${recipe.optimizer ?? '-'} lr ${recipe.lr ?? '-'}`,
    augment: String(recipe.augment ?? '-'),
    size:
      Array.isArray(shape) && shape.length === 3 ? `${shape[1]}×${shape[2]}×${shape[0]}` : recipe.imageSize ? `${recipe.imageSize}×${recipe.imageSize}` : '-',
    epochs: `${r.epochs.length}/${recipe.epochs ?? '-'}`,
    'train acc': pct(last?.trainAccuracy),
    'val acc': pct(last?.valAccuracy),
    'best val': pct(best),
    'img/s': last ? String(Math.round(last.imagesPerSec)) : '-',
    time: r.summary?.seconds !== undefined ? `${Number(r.summary.seconds).toFixed(0)}s` : '-',
  };
}

export function formatTable(rows: Record<string, string>[]): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(width[i]))
      .join('  ')
      .trimEnd();
  return [line(cols), line(width.map((w) => '─'.repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c])))].join('\n');
}

export function register(program: Command): void {
  program
    .command('runs')
    .description('list training runs, newest first, with their results side by side; name runs to compare them epoch by epoch')
    .argument('[ids...]', 'runs to compare epoch by epoch')
    .option('--runs <dir>', 'folder holding runs', process.env.SIMMER_RUNS ?? 'runs')
    .option('--json', 'print JSON')
    .action((ids: string[], o: { runs: string; json?: boolean }) => {
      const runs = ids.length > 0 ? ids.map((id) => readRun(o.runs, id) ?? failMissing(id, o.runs)) : listRuns(o.runs);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
        return;
      }
      if (runs.length === 0) {
        process.stdout.write(`no runs in ${o.runs}/ yet; start one with \`simmer train shapes\`\n`);
        return;
      }
      process.stdout.write(`${formatTable(runs.map(row))}\n`);
      if (ids.length > 1) {
        const maxEpochs = Math.max(...runs.map((r) => r.epochs.length));
        const rows = Array.from({ length: maxEpochs }, (_, e) => {
          const cells: Record<string, string> = { epoch: String(e + 1) };
          for (const r of runs) {
            const ep = r.epochs[e] as Record<string, number> | undefined;
            cells[r.id] = ep
              ? `${ep.trainLoss.toFixed(3)} / ${ep.valLoss?.toFixed(3) ?? '-'} / ${ep.valAccuracy !== undefined ? `${(ep.valAccuracy * 100).toFixed(1)}%` : '-'}`
              : '';
          }
          return cells;
        });
        process.stdout.write(`\ntrain loss / val loss / val acc per epoch\n${formatTable(rows)}\n`);
      }
    });
}

function failMissing(id: string, root: string): never {
  throw new Error(`no run '${id}' in ${root}/ (list runs with \`simmer runs\`)`);
}
