/**
 * The profiler's outputs: the table (one row per phase × kernel or op, sorted by total self time, summing to the
 * profiled wall time) and the Chrome trace-event JSON that Perfetto (ui.perfetto.dev) and chrome://tracing open.
 */
import { writeFileSync } from 'node:fs';
import type { ProfileReport, ProfileRow, TraceEvent } from './profiler.ts';

const KIND_NOTE: Record<ProfileRow['kind'], string> = {
  kernel: '',
  op: ' (JS)',
  phase: ' (JS between kernels)',
  other: '',
};

function label(r: ProfileRow): string {
  if (r.kind === 'phase') return r.phase === 'data' ? 'data wait' : `${r.name}${KIND_NOTE.phase}`;
  return `${r.name}${KIND_NOTE[r.kind]}`;
}

function shapes(r: ProfileRow): string {
  if (r.shapes.size === 0) return '';
  const sorted = [...r.shapes.entries()].sort((a, b) => b[1] - a[1]);
  const first = sorted
    .slice(0, 2)
    .map(([s, n]) => (sorted.length > 1 ? `${s} (${n})` : s))
    .join('; ');
  return sorted.length > 2 ? `${first}; +${sorted.length - 2} more` : first;
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** Rows sorted by self time, largest first. */
export function sortedRows(report: ProfileReport): ProfileRow[] {
  return [...report.rows].filter((r) => r.calls > 0 || r.ms !== 0).sort((a, b) => b.ms - a.ms);
}

/** Sum of the table's rows (equals report.totalMs up to rounding: the "other" row is what no span covered). */
export function rowsSumMs(report: ProfileReport): number {
  return report.rows.reduce((s, r) => s + r.ms, 0);
}

/** Totals per phase (data, forward, backward, optimizer, callbacks, other), in ms. */
export function phaseTotals(report: ProfileReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of report.rows) out[r.phase] = (out[r.phase] ?? 0) + r.ms;
  return out;
}

export interface FormatOptions {
  /** Show at most this many rows (the rest are summed into one line); default 40. */
  maxRows?: number;
}

/** The table as text: share of the total, ms per step, calls per step, GFLOP/s and the most frequent shapes. */
export function formatProfile(report: ProfileReport, options: FormatOptions = {}): string {
  const rows = sortedRows(report);
  const steps = Math.max(1, report.steps);
  const per = report.steps > 0 ? 'step' : 'run';
  const total = report.totalMs;
  const maxRows = options.maxRows ?? 40;
  const lines: string[] = [];
  const phases = phaseTotals(report);
  const share = (ms: number): string => `${((100 * ms) / Math.max(1e-9, total)).toFixed(1)}%`;
  lines.push(
    `Simmer profile: ${report.backend || 'backend'} backend, ${report.steps > 0 ? `${report.steps} steps, ${(total / steps).toFixed(2)} ms/step` : `${total.toFixed(1)} ms`}` +
      ` (${total.toFixed(1)} ms profiled)`,
  );
  lines.push(
    `phases: ${Object.entries(phases)
      .sort((a, b) => b[1] - a[1])
      .map(([p, ms]) => `${p} ${share(ms)}`)
      .join(', ')}`,
  );
  const header = `${pad('phase', 10)} ${pad('kernel / op', 44)} ${lpad('share', 6)} ${lpad(`ms/${per}`, 9)} ${lpad(`calls/${per}`, 11)} ${lpad('GFLOP/s', 8)}  shapes`;
  lines.push(header, '-'.repeat(header.length + 20));
  let restMs = 0;
  let restRows = 0;
  rows.forEach((r, i) => {
    if (i >= maxRows) {
      restMs += r.ms;
      restRows++;
      return;
    }
    const gflops = r.flops > 0 && r.ms > 0 ? (r.flops / (r.ms * 1e6)).toFixed(1) : '';
    lines.push(
      `${pad(r.phase, 10)} ${pad(label(r), 44)} ${lpad(share(r.ms), 6)} ${lpad((r.ms / steps).toFixed(3), 9)} ${lpad(
        (r.calls / steps).toFixed(r.calls % steps === 0 ? 0 : 1),
        11,
      )} ${lpad(gflops, 8)}  ${shapes(r)}`,
    );
  });
  if (restRows > 0) lines.push(`${pad('', 10)} ${pad(`(${restRows} smaller rows)`, 44)} ${lpad(share(restMs), 6)} ${lpad((restMs / steps).toFixed(3), 9)}`);
  const sum = rowsSumMs(report);
  lines.push(`rows sum to ${sum.toFixed(1)} ms of ${total.toFixed(1)} ms profiled (${share(sum)})`);
  if (report.droppedEvents > 0) lines.push(`trace: ${report.droppedEvents} events past the cap were not kept`);
  return lines.join('\n');
}

/** The Chrome trace-event document ({ traceEvents, displayTimeUnit }) for Perfetto or chrome://tracing. */
export function chromeTrace(report: ProfileReport): {
  traceEvents: (TraceEvent | Record<string, unknown>)[];
  displayTimeUnit: 'ms';
  otherData: Record<string, unknown>;
} {
  const meta = [
    { name: 'process_name', ph: 'M', pid: 1, tid: 1, args: { name: `simmer (${report.backend || 'backend'})` } },
    { name: 'thread_name', ph: 'M', pid: 1, tid: 1, args: { name: 'main (JS + kernel calls)' } },
  ];
  return {
    traceEvents: [...meta, ...report.events],
    displayTimeUnit: 'ms',
    otherData: { steps: report.steps, totalMs: report.totalMs, droppedEvents: report.droppedEvents },
  };
}

/** Writes chromeTrace(report) to a file. */
export function writeChromeTrace(report: ProfileReport, path: string): void {
  writeFileSync(path, JSON.stringify(chromeTrace(report)));
}
