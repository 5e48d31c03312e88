/**
 * Assembling one batch from a dataset — shared by the main thread and the loader's worker threads, so both produce
 * bit-identical batches. Sample i's augmentation draws from Generator(seed, epoch, i): the result does not depend on
 * which thread made it or on batch composition.
 */
import type { Dataset, Sample, SpecDataset } from './dataset.ts';
import type { SkippedFile } from './image-list.ts';
import { generatorFor } from './seed.ts';
import type { Img, Transform } from './transforms/image.ts';

export interface RawBatch {
  /** N*C*H*W floats. */
  x: Float32Array;
  y: Int32Array;
  /** [C, H, W] of every sample. */
  shape: [number, number, number];
  /** The dataset indices that made it in (unreadable samples are left out). */
  indices: number[];
  captions?: string[];
  skipped: SkippedFile[];
}

/** Tag mixed into the per-sample seed so augmentation streams differ from the shuffle stream. */
export const AUGMENT_STREAM = 0x41554721;

/** The fast path: synchronous reads straight into the batch buffer, no transform. */
export function readBatchSync(ds: SpecDataset, indices: ArrayLike<number>): RawBatch {
  const read = ds.readInto!.bind(ds);
  const n = indices.length;
  const per = ds.channels * ds.height * ds.width;
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  const idx = Array.from(indices);
  for (let i = 0; i < n; i++) y[i] = read(idx[i], x, i * per);
  const captions = ds.captionOf ? idx.map((i) => ds.captionOf!(i) ?? '') : undefined;
  return { x, y, shape: [ds.channels, ds.height, ds.width], indices: idx, captions, skipped: [] };
}

/** The samples of a batch, read (decoded) but not yet transformed; failures are kept as errors. */
export type FetchedSamples = { index: number; sample?: Sample; error?: unknown }[];

/** Phase 1 of the general path — the I/O: gets every sample (in parallel when the dataset is asynchronous). */
export async function fetchSamples(ds: Dataset, indices: ArrayLike<number>): Promise<FetchedSamples> {
  const idx = Array.from(indices);
  const settled = await Promise.allSettled(idx.map((i) => ds.get(i)));
  return settled.map((r, k) => (r.status === 'fulfilled' ? { index: idx[k], sample: r.value } : { index: idx[k], error: r.reason }));
}

/** Phase 2 — the CPU work: transform each sample with its own generator and pack the batch. */
export function assembleBatch(
  ds: Dataset,
  fetched: FetchedSamples,
  transform: Transform | null,
  seed: number,
  epoch: number,
  onError: 'skip' | 'throw',
): RawBatch {
  const kept: number[] = [];
  const samples: Img[] = [];
  const labels: number[] = [];
  const caps: (string | undefined)[] = [];
  const skipped: SkippedFile[] = [];
  for (const f of fetched) {
    if (!f.sample) {
      if (onError === 'throw') throw f.error;
      skipped.push({ path: (ds as SpecDataset).pathOf?.(f.index) ?? `#${f.index}`, reason: (f.error as Error)?.message?.split('\n')[0] ?? String(f.error) });
      continue;
    }
    const s = f.sample;
    let img: Img = { data: s.image, shape: s.shape };
    if (transform) img = transform(img, generatorFor(seed, epoch, f.index, AUGMENT_STREAM));
    samples.push(img);
    labels.push(s.label);
    caps.push(s.caption);
    kept.push(f.index);
  }
  const shape: [number, number, number] = samples[0]?.shape ?? [ds.channels, ds.height, ds.width];
  const per = shape[0] * shape[1] * shape[2];
  const x = new Float32Array(samples.length * per);
  samples.forEach((img, i) => {
    if (img.shape[0] !== shape[0] || img.shape[1] !== shape[1] || img.shape[2] !== shape[2]) {
      throw new RangeError(
        `batch: sample ${kept[i]} has shape [${img.shape}] but sample ${kept[0]} has [${shape}]; give the dataset a fixed size or end the transform with a resize/centerCrop`,
      );
    }
    x.set(img.data, i * per);
  });
  const captions = caps.some((c) => c !== undefined) ? caps.map((c) => c ?? '') : undefined;
  return { x, y: Int32Array.from(labels), shape, indices: kept, captions, skipped };
}

/** Both phases: get (possibly async) + transform per sample; unreadable samples are skipped or rethrown. */
export async function readBatch(
  ds: Dataset,
  indices: ArrayLike<number>,
  transform: Transform | null,
  seed: number,
  epoch: number,
  onError: 'skip' | 'throw',
): Promise<RawBatch> {
  return assembleBatch(ds, await fetchSamples(ds, indices), transform, seed, epoch, onError);
}
