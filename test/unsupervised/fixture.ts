/**
 * The small deterministic dataset of scripts/sklearn-reference.py (`small_dataset`), rebuilt from the same integer
 * formula, and the scikit-learn values that script wrote to test/fixtures/sklearn/small.json.
 */
import { readFileSync } from 'node:fs';
import type { Matrix } from '../../src/unsupervised/index.ts';

/** 120 points in 6-D: 4 blobs of 30, offsets from a fixed integer hash; labels are the blob index. */
export function smallDataset(): { x: Matrix; labels: Int32Array } {
  const perBlob = 30;
  const k = 4;
  const d = 6;
  const data = new Float32Array(perBlob * k * d);
  const labels = new Int32Array(perBlob * k);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < perBlob; i++) {
      const row = c * perBlob + i;
      labels[row] = c;
      for (let j = 0; j < d; j++) {
        const h = (c * 7919 + i * 104729 + j * 1299709) % 1000;
        const centre = 10 * ((c * (j + 1)) % 3) + (j === c ? 5 : 0);
        data[row * d + j] = centre + (h - 500) / 250;
      }
    }
  }
  return { x: { data, rows: perBlob * k, cols: d }, labels };
}

export interface SmallFixture {
  sklearn: string;
  pca: {
    n_components: number;
    explained_variance: number[];
    explained_variance_ratio: number[];
    singular_values: number[];
    mean: number[];
    components: number[][];
  };
  kmeans: { k: number; inertia: number; accuracy: number; nmi: number };
  metrics: {
    a: number[];
    b: number[];
    c: number[];
    nmi_ab: number;
    ari_ab: number;
    nmi_ac: number;
    ari_ac: number;
    silhouette_labels: number[];
    silhouette: number;
    silhouette_true: number;
  };
}

export const sklearnSmall: SmallFixture = JSON.parse(readFileSync(new URL('../fixtures/sklearn/small.json', import.meta.url), 'utf8'));
