/**
 * Turns the figures of a benchmark run into the Markdown report (printed, written to bench/results/latest.md and
 * copied into docs/bench.md) and the JSON file with every sample. Pure formatting: no timing happens here, so the
 * test (test/bench/bench.test.ts) runs it on fixed numbers.
 *
 * Ratios are always "Simmer's speed ÷ this system's speed": above 1 means Simmer native is faster. For throughputs
 * that is Simmer's figure over the row's; for seconds (T1) the row's seconds over Simmer's.
 *
 * @example
 *   const md = formatReport(results);
 *   writeResults(results, 'bench/results');
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BlasInfo, ratioRefusal } from './blas.ts';

export type SystemId = 'simmer-native' | 'simmer-js' | 'torch' | 'tfjs-cpu' | 'tfjs-wasm';

export interface SystemStatus {
  id: SystemId;
  name: string;
  available: boolean;
  /** Why it is missing, or what it is (version, SIMD path). */
  detail: string;
  /** PyTorch only: the BLAS its matmul runs on (W1/W2 ratios against reference BLAS are refused). */
  blas?: BlasInfo;
}

export type RowStatus = 'ok' | 'skipped' | 'failed' | 'unsupported';

export interface Row {
  /** W1…W4, T1, scaling, loader, contention. */
  section: string;
  /** The figure's name: a GEMM shape, 'images/s', 'accuracy', … */
  metric: string;
  /** A configuration within the section (batch, threads, load), '' when there is one. */
  config: string;
  system: SystemId;
  /** How the system ran, e.g. 'PyTorch 2t'. */
  label: string;
  threads: number;
  unit: string;
  samples: number[];
  status: RowStatus;
  reason?: string;
  rssMB?: number;
  notes: string[];
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export interface BenchResults {
  date: string;
  command: string;
  quick: boolean;
  durationS: number;
  machine: { model: string; cores: number; node: string; os: string };
  /** W5: fp32 FMA peak GFLOP/s samples per thread count, and the SIMD width used. */
  peak: { ok: boolean; isa?: string; error?: string; byThreads: Record<string, number[]> };
  systems: SystemStatus[];
  rows: Row[];
  /** The PyTorch thread count each section's ratio uses (its better setting). */
  torchBest: Record<string, number>;
  curves?: Record<string, { epoch: number; trainSeconds: number; accuracy: number }[]>;
}

export function stats(samples: readonly number[]): Stats {
  if (samples.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

/** Three significant digits, no exponent for the magnitudes a benchmark shows. */
export function fmt(x: number, unit = ''): string {
  if (!Number.isFinite(x)) return '–';
  if (unit === 'accuracy' || unit === 'fraction') return `${(100 * x).toFixed(1)}%`;
  const a = Math.abs(x);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return x.toFixed(digits);
}

function higherIsBetter(unit: string): boolean {
  return unit === 'GFLOP/s' || unit === 'images/s' || unit === 'images/CPU-s';
}

/** Simmer's speed ÷ the row's speed, or null when the figure is not a speed or a side is missing. */
export function speedRatio(simmer: number, other: number, unit: string): number | null {
  if (!Number.isFinite(simmer) || !Number.isFinite(other) || other <= 0 || simmer <= 0) return null;
  if (higherIsBetter(unit)) return simmer / other;
  if (unit === 's') return other / simmer;
  return null;
}

/** The FMA peak for a thread count: the best of its runs, since on a shared machine other work only ever lowers it. */
function peakFor(results: BenchResults, threads: number): number | null {
  const samples = results.peak.byThreads[String(threads)];
  return samples && samples.length > 0 ? stats(samples).max : null;
}

/** The BLAS the PyTorch peer's matmul runs on, when the bench detected it. */
function torchBlas(results: BenchResults): BlasInfo | undefined {
  return results.systems.find((s) => s.id === 'torch')?.blas;
}

function simmerRow(rows: readonly Row[], r: Row): Row | undefined {
  return rows.find((o) => o.system === 'simmer-native' && o.section === r.section && o.metric === r.metric && o.config === r.config && o.status === 'ok');
}

function cell(r: Row | undefined): string {
  if (!r) return '–';
  if (r.status !== 'ok') return r.status === 'unsupported' ? 'cannot run' : r.status;
  const s = stats(r.samples);
  return fmt(s.median, r.unit);
}

/** The median of a row with its spread, e.g. "1450 (1320–1510)". */
export function medianRange(r: Row): string {
  const s = stats(r.samples);
  if (s.n === 0) return '–';
  return s.n === 1 ? fmt(s.median, r.unit) : `${fmt(s.median, r.unit)} (${fmt(s.min, r.unit)}–${fmt(s.max, r.unit)})`;
}

function table(header: string[], body: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const b of body) lines.push(`| ${b.map((c) => c.replace(/\|/g, '/')).join(' | ')} |`);
  return lines.join('\n');
}

const SECTION_TITLES: Record<string, string> = {
  W1: 'W1 — SGEMM C = A·B (shape M×N×K: C is M×N, inner dimension K), GFLOP/s per call',
  W2: 'W2 — MLP 784-256-128-10, SGD lr 0.1 momentum 0.9, batch 128, one epoch',
  W3: 'W3 — CNN training, Adam lr 1e-3, batch 64',
  W4: 'W4 — CNN inference, batch 256, the 10,000 test images',
  W6: 'W6 — U-Net diffusion training (32/64/128 channels, attention at 7x7), Adam lr 2e-4, batch 64',
  W7: 'W7 — DDIM sampling with the W6 model, 25 steps, guidance 2 (one batch of 2B), B = 100',
  T1: 'T1 — time to 90% test accuracy with the W3 recipe (evaluated every 1/4 epoch; evaluation not timed)',
  scaling: 'Scaling — W3 training images/s by batch size and threads',
  loader: 'Data loader — W3 with augmentation (`standard`: flip, random resized crop, colour jitter) through DataLoader workers',
  contention: 'Contention — W3 training beside a busy-loop process (one core kept busy)',
  latency: 'Latency — the dashboard API (GET /api/runs, ms) while a shapes run trains in a child process',
  memory: 'Memory — RSS of a 3-epoch shapes run after each epoch (after GC and releasing freed pages); flat is 0% growth',
  ddp: 'DDP — W3 training (batch 64 per process) on 1 process × 2 threads, 1 × 1, and 2 MPI ranks × 1 thread; all-reduce shares of a step',
};

/** The side-by-side summary: one line per headline figure, one column per system. */
function summary(results: BenchResults): string {
  const rows = results.rows;
  const headline: { section: string; metric: string; config: string; title: string }[] = [
    { section: 'W1', metric: '1024x1024x1024', config: '', title: 'W1 SGEMM 1024³ (GFLOP/s)' },
    { section: 'W1', metric: '64x3136x128', config: '', title: 'W1 SGEMM 64×3136×128 (GFLOP/s)' },
    { section: 'W1', metric: '3136x64x288', config: '', title: 'W1 SGEMM 3136×64×288 (GFLOP/s)' },
    { section: 'W2', metric: 'images/s', config: '', title: 'W2 MLP train (images/s)' },
    { section: 'W3', metric: 'images/s', config: '', title: 'W3 CNN train (images/s)' },
    { section: 'W3', metric: 'epoch-1 images/s', config: '', title: 'W3 CNN train, whole epoch 1 (images/s)' },
    { section: 'W3', metric: 'accuracy after 2 epochs', config: '', title: 'W3 test accuracy after 2 epochs' },
    { section: 'W4', metric: 'images/s', config: '', title: 'W4 CNN inference (images/s)' },
    { section: 'W6', metric: 'images/s', config: '', title: 'W6 U-Net diffusion train (images/s)' },
    { section: 'W6', metric: 'images/CPU-s', config: '', title: 'W6 U-Net diffusion train (images per CPU-second)' },
    { section: 'W7', metric: 'images/s', config: '', title: 'W7 DDIM 25 steps, guidance 2 (images/s)' },
    { section: 'W7', metric: 'images/CPU-s', config: '', title: 'W7 DDIM sampling (images per CPU-second)' },
    { section: 'T1', metric: 'seconds to target', config: '', title: 'T1 seconds to 90% test accuracy' },
  ];
  const torch = (section: string, metric: string, config: string): Row | undefined => {
    const best = results.torchBest[section];
    const cands = rows.filter((r) => r.system === 'torch' && r.section === section && r.metric === metric && r.config === config);
    return cands.find((r) => r.threads === best) ?? cands.find((r) => r.status === 'ok') ?? cands[0];
  };
  const pick = (id: SystemId, section: string, metric: string, config: string) =>
    rows.find((r) => r.system === id && r.section === section && r.metric === metric && r.config === config);
  const body: string[][] = [];
  for (const h of headline) {
    const s = pick('simmer-native', h.section, h.metric, h.config);
    if (!rows.some((r) => r.section === h.section && r.metric === h.metric)) continue;
    const t = torch(h.section, h.metric, h.config);
    const peers = [t, pick('tfjs-cpu', h.section, h.metric, h.config), pick('tfjs-wasm', h.section, h.metric, h.config)];
    const ratio = (p: Row | undefined) => {
      if (p?.system === 'torch' && ratioRefusal(h.section, torchBlas(results))) return 'refused: reference BLAS';
      if (!s || !p || s.status !== 'ok' || p.status !== 'ok') return '–';
      const q = speedRatio(stats(s.samples).median, stats(p.samples).median, p.unit);
      return q === null ? '–' : `${fmt(q)}×`;
    };
    body.push([
      h.title,
      cell(s),
      t ? `${cell(t)}${t.status === 'ok' ? ` (${t.threads}t)` : ''}` : '–',
      ratio(t),
      cell(peers[1]),
      ratio(peers[1]),
      cell(peers[2]),
      ratio(peers[2]),
      cell(pick('simmer-js', h.section, h.metric, h.config)),
    ]);
  }
  return table(
    [
      'figure (median)',
      'Simmer native',
      'PyTorch (better of 1t/all)',
      'Simmer ÷ PyTorch',
      'TF.js cpu',
      'Simmer ÷ TF.js cpu',
      'TF.js wasm',
      'Simmer ÷ TF.js wasm',
      'Simmer JS',
    ],
    body,
  );
}

function sectionTable(results: BenchResults, section: string): string {
  const rows = results.rows.filter((r) => r.section === section);
  const withPeak = section === 'W1';
  const header = ['figure', 'system', 'threads', 'median (min–max)', 'n', 'Simmer ÷ this'];
  if (withPeak) header.push('of FMA peak');
  header.push('peak RSS', 'notes');
  const body = rows.map((r) => {
    const s = stats(r.samples);
    const ref = simmerRow(results.rows, r);
    const refused = r.system === 'torch' ? ratioRefusal(section, torchBlas(results)) : null;
    const q = ref && !refused && r.status === 'ok' && r.system !== 'simmer-native' ? speedRatio(stats(ref.samples).median, s.median, r.unit) : null;
    const figure = [r.metric, r.config].filter(Boolean).join(', ');
    const line = [
      figure,
      r.label,
      String(r.threads),
      r.status === 'ok'
        ? `${medianRange(r)} ${r.unit === 'accuracy' || r.unit === 'fraction' ? '' : r.unit}`.trim()
        : r.status === 'unsupported'
          ? 'cannot run'
          : r.status,
      r.status === 'ok' ? String(s.n) : '',
      refused ? 'refused: reference BLAS' : q === null ? '' : `${fmt(q)}×`,
    ];
    if (withPeak) {
      const peak = peakFor(results, r.threads);
      const share = s.median / (peak ?? 1);
      line.push(r.status === 'ok' && peak ? `${(100 * share).toFixed(share < 0.01 ? 2 : 0)}% of ${fmt(peak)}` : '');
    }
    line.push(r.rssMB ? `${r.rssMB.toFixed(0)} MB` : '', [r.reason, ...r.notes].filter(Boolean).join('; '));
    return line;
  });
  return `### ${SECTION_TITLES[section] ?? section}\n\n${table(header, body)}`;
}

/** Peak RSS of each system: its W3 training process, its T1 run, and the largest of all its child processes. */
function rssTable(results: BenchResults): string {
  const by = new Map<SystemId, { w3: number; t1: number; max: number; where: string }>();
  for (const r of results.rows) {
    if (!r.rssMB) continue;
    const e = by.get(r.system) ?? { w3: 0, t1: 0, max: 0, where: '' };
    if (r.rssMB > e.max) {
      e.max = r.rssMB;
      e.where = [r.section, r.config].filter(Boolean).join(' ');
    }
    if (r.section === 'W3' && r.metric === 'images/s') e.w3 = Math.max(e.w3, r.rssMB);
    if (r.section === 'T1') e.t1 = Math.max(e.t1, r.rssMB);
    by.set(r.system, e);
  }
  const name = (id: SystemId) => results.systems.find((s) => s.id === id)?.name ?? id;
  const mb = (x: number) => (x > 0 ? `${x.toFixed(0)} MB` : '–');
  const body = [...by.entries()].map(([id, e]) => [name(id), mb(e.w3), mb(e.t1), `${mb(e.max)} (${e.where})`]);
  return table(['system', 'W3 training (1/4 epoch)', 'T1 run (2+ epochs, with evaluation)', 'largest of any job'], body);
}

export function formatReport(results: BenchResults): string {
  const out: string[] = [];
  const m = results.machine;
  out.push(`## Benchmark results — ${results.date}${results.quick ? ' (--quick: small samples, figures are rough)' : ''}`);
  out.push('');
  out.push(`Machine: ${m.model}, ${m.cores} cores; ${m.os}; Node ${m.node}. Command: \`${results.command}\`. Took ${fmtDuration(results.durationS)}.`);
  out.push('');
  out.push('Systems:');
  for (const s of results.systems) out.push(`- ${s.name}: ${s.available ? s.detail : `**skipped** — ${s.detail}`}`);
  const blasRefusal = ratioRefusal('W1', torchBlas(results));
  if (blasRefusal) out.push('', `**No W1/W2 ratios against PyTorch:** ${blasRefusal}.`);
  out.push('');
  const p = results.peak;
  if (p.ok) {
    const parts = Object.entries(p.byThreads).map(
      ([t, v]) => `${t} thread${t === '1' ? '' : 's'}: ${medianRange({ samples: v, unit: 'GFLOP/s' } as Row)} GFLOP/s`,
    );
    out.push(`W5 — fp32 FMA peak (${p.isa}, independent FMA chains), median (min–max): ${parts.join('; ')}. W1's share of peak uses the best run.`);
  } else out.push(`W5 — fp32 FMA peak: not measured (${p.error}).`);
  out.push('');
  out.push(
    'Ratios are Simmer native\'s speed ÷ the other system\'s: above 1× Simmer is faster. PyTorch runs with 1 thread and with all cores; the summary uses its better setting per workload. Figures marked "extrapolated" come from the few steps a time budget allowed.',
  );
  out.push('');
  out.push(summary(results));
  for (const section of ['W1', 'W2', 'W3', 'W4', 'W6', 'W7', 'T1', 'scaling', 'loader', 'contention', 'latency', 'memory', 'ddp']) {
    if (!results.rows.some((r) => r.section === section)) continue;
    out.push('');
    out.push(sectionTable(results, section));
  }
  if (results.curves && Object.keys(results.curves).length > 0) {
    out.push('');
    out.push('### T1 curves (test accuracy at training seconds)');
    out.push('');
    for (const [label, curve] of Object.entries(results.curves)) {
      out.push(`- ${label}: ${curve.map((c) => `${c.epoch.toFixed(2)} ep ${c.trainSeconds.toFixed(0)} s ${(100 * c.accuracy).toFixed(1)}%`).join(' · ')}`);
    }
  }
  out.push('');
  out.push('### Peak RSS by system (each job runs in its own process)');
  out.push('');
  out.push(rssTable(results));
  return `${out.join('\n')}\n`;
}

export function fmtDuration(s: number): string {
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${Math.round(s - 60 * m)} s` : `${s.toFixed(0)} s`;
}

/** Writes `<dir>/<date>.json` (or jsonOut) with every sample and `<dir>/latest.md`; returns the paths. */
export function writeResults(results: BenchResults, dir: string, jsonOut?: string): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = jsonOut ?? join(dir, `${results.date.replace(/[: ]/g, '-')}.json`);
  const withStats = { ...results, rows: results.rows.map((r) => ({ ...r, stats: stats(r.samples) })) };
  writeFileSync(json, `${JSON.stringify(withStats, null, 2)}\n`);
  const md = join(dir, 'latest.md');
  writeFileSync(md, formatReport(results));
  return { json, md };
}
