/**
 * A dataset as one n × (C·H·W) float32 matrix plus its labels, the form clustering and PCA take.
 * Uses the dataset's synchronous readInto fast path (in-memory IDX, synthetic shapes) when it has one.
 *
 * @example
 *   const ds = await loadDataset('fashion-mnist');
 *   const { x, labels } = await datasetMatrix(ds); // x: 60000 × 784, values in [0, 1]
 */
import type { Dataset, SpecDataset } from '../data/dataset.ts';
import type { Matrix } from './matrix.ts';

export interface DatasetMatrix {
  x: Matrix;
  /** Label per row, or null when the dataset is unlabelled (every label −1). */
  labels: Int32Array | null;
  classes: string[];
  /** [C, H, W] of one image. */
  shape: [number, number, number];
}

/** Reads the first `limit` samples (all when 0 or absent) into one matrix. */
export async function datasetMatrix(ds: Dataset | SpecDataset, limit = 0): Promise<DatasetMatrix> {
  const n = limit > 0 ? Math.min(limit, ds.length) : ds.length;
  const shape: [number, number, number] = [ds.channels, ds.height, ds.width];
  const d = shape[0] * shape[1] * shape[2];
  const data = new Float32Array(n * d);
  const labels = new Int32Array(n);
  const fast = 'readInto' in ds && typeof ds.readInto === 'function' ? ds.readInto.bind(ds) : null;
  for (let i = 0; i < n; i++) {
    if (fast) labels[i] = fast(i, data, i * d);
    else {
      const s = await ds.get(i);
      if (s.image.length !== d) {
        throw new RangeError(`sample ${i} has ${s.image.length} values, expected ${d} (${shape.join('×')}); give the dataset a fixed image size`);
      }
      data.set(s.image, i * d);
      labels[i] = s.label;
    }
  }
  const labelled = labels.every((v) => v >= 0);
  return { x: { data, rows: n, cols: d }, labels: labelled && n > 0 ? labels : null, classes: ds.classes, shape };
}
