/**
 * The dataset audit: what is in the data before a model learns from it — class balance, unreadable files, exact and
 * near-duplicate images (within a split and across splits, i.e. train/test leakage), image sizes, channels and colour
 * modes, and blurry or blank images. `auditDataset` returns plain JSON; `formatAudit` renders it for a terminal.
 *
 * Near duplicates: a 64-bit perceptual hash (pHash: low DCT frequencies of a 32×32 thumbnail against their median) finds
 * candidates within `nearDistance` bits — searched by pigeonhole buckets, not all pairs — and a 16×16 thumbnail mean
 * absolute difference confirms them, which removes the look-alikes that hashes of tiny images produce.
 * Blur: the variance of the Laplacian of the grayscale image (0–255 scale); low variance means few edges.
 *
 * @example
 *   const report = await auditDataset({ train, test }, { limit: 5000 });
 *   console.log(formatAudit(report));
 */
import { createHash } from 'node:crypto';
import type { Dataset, Sample, SpecDataset } from './dataset.ts';
import { DEFAULT_MAX_PIXELS, readImageInfo } from './image-file.ts';
import type { ImageListDataset } from './image-list.ts';
import { grayscale } from './transforms/color.ts';
import { resize } from './transforms/geometric.ts';

export interface AuditOptions {
  /** Audit at most this many samples per split, evenly spaced through it. */
  limit?: number;
  /** Classes with fewer images are flagged (default 200). */
  minPerClass?: number;
  /** pHash Hamming distance for near-duplicate candidates (default 5, at most 15). */
  nearDistance?: number;
  /** Mean absolute difference (0–1) of 16×16 thumbnails under which a candidate is a near duplicate (default 0.01 — visually indistinguishable). */
  nearMaxDiff?: number;
  /** Laplacian variance under which an image is flagged as blurry or flat (default 100, on a 0–255 scale). */
  blurThreshold?: number;
  /** How many examples each list keeps in the report (default 20). */
  maxExamples?: number;
  /** Called now and then with samples done and total. */
  onProgress?: (done: number, total: number) => void;
}

export interface SampleRef {
  split: string;
  index: number;
  path?: string;
}

export interface DuplicateGroup {
  members: SampleRef[];
  /** Whether the group spans more than one split (leakage). */
  crossSplit: boolean;
}

export interface NearDuplicatePair {
  a: SampleRef;
  b: SampleRef;
  /** pHash Hamming distance. */
  distance: number;
  /** Mean absolute difference of the 16×16 thumbnails, 0–1. */
  diff: number;
  crossSplit: boolean;
}

export interface SplitAudit {
  samples: number;
  audited: number;
  classCounts: Record<string, number>;
  /** Largest class count / smallest (Infinity when a class has none; null when unlabelled). */
  imbalanceRatio: number | null;
  /** Classes under minPerClass images (counted over the audited samples, scaled when limited). */
  smallClasses: string[];
  unlabelled: number;
}

export interface AuditReport {
  version: 1;
  options: { limit: number | null; minPerClass: number; nearDistance: number; nearMaxDiff: number; blurThreshold: number };
  splits: Record<string, SplitAudit>;
  classes: string[];
  corrupt: (SampleRef & { reason: string })[];
  duplicates: {
    exactGroups: number;
    exactImages: number;
    nearPairs: number;
    exact: DuplicateGroup[];
    near: NearDuplicatePair[];
  };
  leakage: {
    /** Exact-duplicate groups spanning splits. */
    exactGroups: number;
    /** Near-duplicate pairs across splits. */
    nearPairs: number;
    examples: SampleRef[][];
  };
  images: {
    sizes: Record<string, number>;
    channels: Record<string, number>;
    colourModes: Record<string, number>;
    formats: Record<string, number>;
    /** Where the sizes come from: 'files' (headers of the files) or 'dataset' (the decoded size). */
    source: 'files' | 'dataset' | 'mixed';
  };
  blur: {
    threshold: number;
    flagged: number;
    percentiles: { p1: number; p5: number; p50: number; p95: number };
    examples: (SampleRef & { variance: number })[];
  };
  /** One line per finding worth acting on. */
  warnings: string[];
}

interface Entry {
  ref: SampleRef;
  hash: string;
  hashHi: number;
  hashLo: number;
  thumb: Uint8Array;
}

/** 64-bit dHash of a CHW image, as two uint32 words. */
export function dHash(img: Sample | { image: Float32Array; shape: [number, number, number] }): [number, number] {
  const g = grayscale({ data: img.image, shape: img.shape }, false);
  const t = resize(g, 8, 9).data;
  let hi = 0;
  let lo = 0;
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const bit = t[y * 9 + x] > t[y * 9 + x + 1] ? 1 : 0;
      const k = y * 8 + x;
      if (k < 32) lo |= bit << k;
      else hi |= bit << (k - 32);
    }
  }
  return [hi >>> 0, lo >>> 0];
}

const DCT_N = 32;
/** cos((2x+1)uπ / 2N) for the 8 lowest frequencies u, the only ones pHash keeps. */
const DCT_COS = (() => {
  const t = new Float64Array(8 * DCT_N);
  for (let u = 0; u < 8; u++) for (let x = 0; x < DCT_N; x++) t[u * DCT_N + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * DCT_N));
  return t;
})();

/**
 * 64-bit perceptual hash (pHash): the 8×8 lowest DCT frequencies of a 32×32 grayscale thumbnail, each bit set when the
 * coefficient is above their median. Unlike dHash its bits are balanced, which matters on small images with flat
 * backgrounds (Fashion-MNIST), where dHash gives thousands of images the same hash.
 */
export function pHash(img: { image: Float32Array; shape: [number, number, number] }): [number, number] {
  const t = resize(grayscale({ data: img.image, shape: img.shape }, false), DCT_N, DCT_N).data;
  // Separable DCT-II restricted to 8 frequencies: rows first (32×8), then columns (8×8).
  const rows = new Float64Array(DCT_N * 8);
  for (let y = 0; y < DCT_N; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < DCT_N; x++) s += t[y * DCT_N + x] * DCT_COS[u * DCT_N + x];
      rows[y * 8 + u] = s;
    }
  }
  const coef = new Float64Array(64);
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let y = 0; y < DCT_N; y++) s += rows[y * 8 + u] * DCT_COS[v * DCT_N + y];
      coef[v * 8 + u] = s;
    }
  }
  // The DC term (overall brightness) is left out of the median, as in the usual pHash.
  const median = Float64Array.from(coef.subarray(1)).sort()[31];
  let hi = 0;
  let lo = 0;
  for (let k = 0; k < 64; k++) {
    const bit = coef[k] > median ? 1 : 0;
    if (k < 32) lo |= bit << k;
    else hi |= bit << (k - 32);
  }
  return [hi >>> 0, lo >>> 0];
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Variance of the 4-neighbour Laplacian of the image's luminance on a 0–255 scale. */
export function laplacianVariance(img: { image: Float32Array; shape: [number, number, number] }): number {
  const g = grayscale({ data: img.image, shape: img.shape }, false).data;
  const [, H, W] = img.shape;
  if (H < 3 || W < 3) return 0;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < H - 1; y++) {
    for (let x = 1; x < W - 1; x++) {
      const i = y * W + x;
      const v = 255 * (g[i - 1] + g[i + 1] + g[i - W] + g[i + W] - 4 * g[i]);
      sum += v;
      sumSq += v * v;
      n++;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

function thumbnail(s: Sample): Uint8Array {
  const t = resize(grayscale({ data: s.image, shape: s.shape }, false), 16, 16).data;
  return Uint8Array.from(t, (v) => Math.round(v * 255));
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
}

const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

/**
 * Audits one dataset, or several named splits together (then duplicates across splits are reported as leakage).
 * @example
 *   const report = await auditDataset({ train: await loadDataset('fashion-mnist'), test: await loadDataset('fashion-mnist', { split: 'test' }) });
 *   report.leakage.exactGroups; // images that are in both train and test
 */
export async function auditDataset(datasets: Dataset | Record<string, Dataset>, opts: AuditOptions = {}): Promise<AuditReport> {
  const named: Record<string, Dataset> = isDataset(datasets) ? { all: datasets } : datasets;
  const minPerClass = opts.minPerClass ?? 200;
  const nearDistance = Math.min(15, Math.max(0, opts.nearDistance ?? 5));
  const nearMaxDiff = opts.nearMaxDiff ?? 0.01;
  const blurThreshold = opts.blurThreshold ?? 100;
  const maxExamples = opts.maxExamples ?? 20;
  const classes = Object.values(named)[0]?.classes ?? [];
  const splits: Record<string, SplitAudit> = {};
  const corrupt: AuditReport['corrupt'] = [];
  const entries: Entry[] = [];
  const sizes: Record<string, number> = {};
  const channels: Record<string, number> = {};
  const modes: Record<string, number> = {};
  const formats: Record<string, number> = {};
  const sources = new Set<'files' | 'dataset'>();
  const blurValues: number[] = [];
  const blurFlagged: (SampleRef & { variance: number })[] = [];
  const bump = (rec: Record<string, number>, k: string) => {
    rec[k] = (rec[k] ?? 0) + 1;
  };

  const plans = Object.entries(named).map(([split, ds]) => {
    const n = ds.length;
    const count = opts.limit && opts.limit < n ? opts.limit : n;
    const indices = Array.from({ length: count }, (_, i) => Math.floor((i * n) / count));
    return { split, ds, indices };
  });
  const total = plans.reduce((s, p) => s + p.indices.length, 0);
  let done = 0;

  for (const { split, ds, indices } of plans) {
    const counts = new Array(ds.classes.length).fill(0);
    let unlabelled = 0;
    let audited = 0;
    const list = ds as Partial<ImageListDataset>;
    // Files skipped when the dataset was opened (0 bytes, missing) are corrupt entries too.
    for (const s of list.skipped ?? []) corrupt.push({ split, index: -1, path: s.path, reason: s.reason });
    const pathOf = (i: number) => (ds as SpecDataset).pathOf?.(i);
    const chunk = 16;
    for (let c = 0; c < indices.length; c += chunk) {
      const part = indices.slice(c, c + chunk);
      const results = await Promise.allSettled(
        part.map(async (i) => {
          const sample = await ds.get(i);
          const path = sample.path ?? pathOf(i);
          const info = path ? await readImageInfo(path, DEFAULT_MAX_PIXELS * 100).catch(() => null) : null;
          return { sample, path, info };
        }),
      );
      results.forEach((r, k) => {
        const index = part[k];
        if (r.status === 'rejected') {
          const path = pathOf(index);
          const msg = String((r.reason as Error)?.message ?? r.reason).split('\n')[0];
          // DataError messages start with the path; the report already has it.
          corrupt.push({ split, index, path, reason: path ? msg.replace(`${path}: `, '').replace(`${path} `, '') : msg });
          return;
        }
        const { sample, path, info } = r.value;
        const ref: SampleRef = path ? { split, index, path } : { split, index };
        audited++;
        if (sample.label >= 0) counts[sample.label]++;
        else unlabelled++;
        if (info) {
          sources.add('files');
          bump(sizes, `${info.width}x${info.height}`);
          bump(channels, String(info.channels));
          bump(modes, info.hasAlpha ? `${info.space}+alpha` : info.space);
          bump(formats, info.format);
        } else {
          sources.add('dataset');
          bump(sizes, `${sample.shape[2]}x${sample.shape[1]}`);
          bump(channels, String(sample.shape[0]));
          bump(modes, sample.shape[0] === 1 ? 'grayscale' : sample.shape[0] === 3 ? 'srgb' : `${sample.shape[0]}-channel`);
          bump(formats, (ds as SpecDataset).spec?.kind ?? 'in-memory');
        }
        const q = Uint8Array.from(sample.image, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
        const hash = createHash('sha1').update(q).update(String(sample.shape)).digest('hex');
        const [hashHi, hashLo] = pHash(sample);
        entries.push({ ref, hash, hashHi, hashLo, thumb: thumbnail(sample) });
        const variance = laplacianVariance(sample);
        blurValues.push(variance);
        if (variance < blurThreshold) blurFlagged.push({ ...ref, variance: round(variance) });
      });
      done += part.length;
      opts.onProgress?.(done, total);
    }
    const scale = audited > 0 ? ds.length / audited : 1;
    const classCounts = Object.fromEntries(ds.classes.map((name, i) => [name, counts[i]]));
    const labelledCounts = counts.filter((_, i) => i < ds.classes.length);
    const max = Math.max(0, ...labelledCounts);
    const min = Math.min(...labelledCounts);
    splits[split] = {
      samples: ds.length,
      audited,
      classCounts,
      imbalanceRatio: ds.classes.length === 0 || max === 0 ? null : min === 0 ? Number.POSITIVE_INFINITY : round(max / min, 2),
      smallClasses: ds.classes.filter((_, i) => counts[i] * scale < minPerClass),
      unlabelled,
    };
  }

  // Exact duplicates: identical decoded pixels.
  const byHash = new Map<string, number[]>();
  entries.forEach((e, i) => {
    const list = byHash.get(e.hash);
    if (list) list.push(i);
    else byHash.set(e.hash, [i]);
  });
  const exactGroups = [...byHash.values()].filter((g) => g.length > 1);
  const groupOf = new Int32Array(entries.length).fill(-1);
  exactGroups.forEach((g, gi) => {
    for (const i of g) groupOf[i] = gi;
  });
  const exact: DuplicateGroup[] = exactGroups.map((g) => {
    const members = g.map((i) => entries[i].ref);
    return { members, crossSplit: new Set(members.map((m) => m.split)).size > 1 };
  });

  // Near duplicates: pigeonhole on the 64-bit pHash — two hashes within d bits agree exactly on at least one of d+1
  // bands. A pair is examined only in the first band where it agrees, so no pair is counted twice.
  const near: NearDuplicatePair[] = [];
  const bands = nearDistance + 1;
  const bandBits = Math.ceil(64 / bands);
  const bandVals = new Int32Array(entries.length * bands);
  entries.forEach((e, i) => {
    for (let b = 0; b < bands; b++) {
      let v = 0;
      for (let k = b * bandBits; k < Math.min(64, (b + 1) * bandBits); k++) v = v * 2 + (k < 32 ? (e.hashLo >>> k) & 1 : (e.hashHi >>> (k - 32)) & 1);
      bandVals[i * bands + b] = v;
    }
  });
  const maxDiff = nearMaxDiff * 255;
  for (let b = 0; b < bands; b++) {
    const buckets = new Map<number, number[]>();
    for (let i = 0; i < entries.length; i++) {
      const key = bandVals[i * bands + b];
      const l = buckets.get(key);
      if (l) l.push(i);
      else buckets.set(key, [i]);
    }
    for (const members of buckets.values()) {
      for (let x = 0; x < members.length; x++) {
        const i = members[x];
        const ei = entries[i];
        for (let y = x + 1; y < members.length; y++) {
          const j = members[y];
          if (groupOf[i] >= 0 && groupOf[i] === groupOf[j]) continue;
          const ej = entries[j];
          const d = popcount((ei.hashHi ^ ej.hashHi) >>> 0) + popcount((ei.hashLo ^ ej.hashLo) >>> 0);
          if (d > nearDistance) continue;
          let earlier = false;
          for (let c = 0; c < b && !earlier; c++) earlier = bandVals[i * bands + c] === bandVals[j * bands + c];
          if (earlier) continue;
          let diff = 0;
          for (let k = 0; k < 256; k++) diff += Math.abs(ei.thumb[k] - ej.thumb[k]);
          diff /= 256;
          if (diff > maxDiff) continue;
          near.push({ a: ei.ref, b: ej.ref, distance: d, diff: round(diff / 255, 4), crossSplit: ei.ref.split !== ej.ref.split });
        }
      }
    }
  }
  near.sort((p, q) => p.distance - q.distance || p.diff - q.diff);

  const crossExact = exact.filter((g) => g.crossSplit);
  const crossNear = near.filter((p) => p.crossSplit);
  const sortedBlur = Float64Array.from(blurValues).sort();
  const report: AuditReport = {
    version: 1,
    options: { limit: opts.limit ?? null, minPerClass, nearDistance, nearMaxDiff, blurThreshold },
    splits,
    classes,
    corrupt,
    duplicates: {
      exactGroups: exact.length,
      exactImages: exact.reduce((s, g) => s + g.members.length, 0),
      nearPairs: near.length,
      exact: exact.slice(0, maxExamples),
      near: near.slice(0, maxExamples),
    },
    leakage: {
      exactGroups: crossExact.length,
      nearPairs: crossNear.length,
      examples: [...crossExact.map((g) => g.members), ...crossNear.map((p) => [p.a, p.b])].slice(0, maxExamples),
    },
    images: { sizes, channels, colourModes: modes, formats, source: sources.size > 1 ? 'mixed' : sources.has('files') ? 'files' : 'dataset' },
    blur: {
      threshold: blurThreshold,
      flagged: blurFlagged.length,
      percentiles: {
        p1: round(percentile(sortedBlur, 0.01)),
        p5: round(percentile(sortedBlur, 0.05)),
        p50: round(percentile(sortedBlur, 0.5)),
        p95: round(percentile(sortedBlur, 0.95)),
      },
      examples: blurFlagged.sort((p, q) => p.variance - q.variance).slice(0, maxExamples),
    },
    warnings: [],
  };
  report.warnings = warningsOf(report, minPerClass);
  return report;
}

function isDataset(x: unknown): x is Dataset {
  return typeof (x as Dataset).get === 'function' && typeof (x as Dataset).length === 'number';
}

function warningsOf(r: AuditReport, minPerClass: number): string[] {
  const w: string[] = [];
  for (const [name, s] of Object.entries(r.splits)) {
    if (s.smallClasses.length)
      w.push(`${name}: ${s.smallClasses.length} class(es) under ${minPerClass} images (${s.smallClasses.join(', ')}) — collect more or merge them`);
    if (s.imbalanceRatio !== null && s.imbalanceRatio > 3)
      w.push(`${name}: classes are imbalanced (ratio ${s.imbalanceRatio}) — consider class weights or resampling`);
  }
  if (r.corrupt.length) w.push(`${r.corrupt.length} unreadable file(s) — they are skipped during training; delete or replace them`);
  if (r.leakage.exactGroups || r.leakage.nearPairs) {
    w.push(
      `train/test leakage: ${r.leakage.exactGroups} exact and ${r.leakage.nearPairs} near-duplicate(s) across splits — remove them from one side, or test scores will be optimistic`,
    );
  }
  if (r.duplicates.exactGroups) w.push(`${r.duplicates.exactGroups} group(s) of exact duplicates (${r.duplicates.exactImages} images)`);
  if (Object.keys(r.images.sizes).length > 1)
    w.push(`${Object.keys(r.images.sizes).length} different image sizes — they are resized to one (see the resize policy)`);
  if (Object.keys(r.images.colourModes).length > 1) w.push(`mixed colour modes (${Object.keys(r.images.colourModes).join(', ')}) — they are converted on load`);
  return w;
}

const fmtInt = (n: number) => n.toLocaleString('en-US');
const refText = (r: SampleRef) => `${r.split}#${r.index}${r.path ? ` (${r.path})` : ''}`;

/** Top entries of a count table as "k: v, k: v" (most frequent first). */
function table(rec: Record<string, number>, top = 6): string {
  const e = Object.entries(rec).sort((a, b) => b[1] - a[1]);
  const shown = e.slice(0, top).map(([k, v]) => `${k}: ${fmtInt(v)}`);
  return e.length > top ? `${shown.join(', ')}, … (${e.length} kinds)` : shown.join(', ');
}

/**
 * Renders an audit report as plain text for a terminal.
 * @example
 *   process.stdout.write(formatAudit(await auditDataset(ds)));
 */
export function formatAudit(r: AuditReport, opts: { examples?: number } = {}): string {
  const ex = opts.examples ?? 5;
  const lines: string[] = [];
  const head = (s: string) => lines.push('', s);
  lines.push('Dataset audit');
  for (const [name, s] of Object.entries(r.splits)) {
    lines.push(
      `  ${name}: ${fmtInt(s.samples)} images${s.audited < s.samples ? ` (${fmtInt(s.audited)} audited)` : ''}${s.unlabelled ? `, ${fmtInt(s.unlabelled)} unlabelled` : ''}`,
    );
  }
  if (r.classes.length) {
    head(`Classes (${r.classes.length})`);
    const names = Object.keys(r.splits);
    const w = Math.max(5, ...r.classes.map((c) => c.length));
    lines.push(`  ${'class'.padEnd(w)}  ${names.map((n) => n.padStart(9)).join('  ')}`);
    for (const c of r.classes) {
      const small = names.some((n) => r.splits[n].smallClasses.includes(c));
      lines.push(
        `  ${c.padEnd(w)}  ${names.map((n) => fmtInt(r.splits[n].classCounts[c] ?? 0).padStart(9)).join('  ')}${small ? `  ← under ${r.options.minPerClass}` : ''}`,
      );
    }
    lines.push(`  imbalance ratio (largest/smallest): ${names.map((n) => `${n} ${r.splits[n].imbalanceRatio ?? '-'}`).join(', ')}`);
  }
  head('Images');
  lines.push(`  sizes: ${table(r.images.sizes)}`);
  lines.push(`  channels: ${table(r.images.channels)}; colour modes: ${table(r.images.colourModes)}; formats: ${table(r.images.formats)}`);
  head(`Unreadable files: ${r.corrupt.length}`);
  for (const c of r.corrupt.slice(0, ex)) lines.push(`  ${c.path ?? `${c.split}#${c.index}`}: ${c.reason}`);
  if (r.corrupt.length > ex) lines.push(`  … and ${r.corrupt.length - ex} more (--json for all)`);
  head(`Duplicates: ${r.duplicates.exactGroups} exact group(s) (${r.duplicates.exactImages} images), ${r.duplicates.nearPairs} near pair(s)`);
  for (const g of r.duplicates.exact.slice(0, ex)) lines.push(`  exact: ${g.members.map(refText).join(' = ')}`);
  for (const p of r.duplicates.near.slice(0, ex)) lines.push(`  near (pHash ${p.distance}, diff ${p.diff}): ${refText(p.a)} ~ ${refText(p.b)}`);
  const splitCount = Object.keys(r.splits).length;
  head(`Leakage across splits: ${splitCount < 2 ? 'n/a (one split audited)' : `${r.leakage.exactGroups} exact, ${r.leakage.nearPairs} near`}`);
  for (const m of r.leakage.examples.slice(0, ex)) lines.push(`  ${m.map(refText).join(' ~ ')}`);
  head(`Blurry or flat (Laplacian variance < ${r.blur.threshold}): ${fmtInt(r.blur.flagged)}`);
  const p = r.blur.percentiles;
  lines.push(`  variance percentiles: p1 ${p.p1}, p5 ${p.p5}, median ${p.p50}, p95 ${p.p95}`);
  for (const b of r.blur.examples.slice(0, Math.min(ex, 3))) lines.push(`  ${refText(b)}: ${b.variance}`);
  head(r.warnings.length ? 'Findings' : 'Findings: none');
  for (const w of r.warnings) lines.push(`  ! ${w}`);
  return `${lines.join('\n')}\n`;
}
