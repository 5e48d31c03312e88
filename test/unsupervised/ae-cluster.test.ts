/** ae-kmeans on a tiny planted case: the autoencoder's codes (and a UMAP of them) separate images of four kinds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Generator } from '../../src/tensor/random.ts';
import { aeKmeans, matrixImageSource } from '../../src/unsupervised/ae-cluster.ts';
import { clusterImages, formatClusterReport } from '../../src/unsupervised/cluster-report.ts';
import { umapReduce } from '../../src/unsupervised/embed.ts';
import type { Matrix } from '../../src/unsupervised/matrix.ts';
import { clusteringAccuracy } from '../../src/unsupervised/metrics.ts';

const shape: [number, number, number] = [1, 8, 8];

/** n 8×8 images in [0, 1]: kind k lights up quadrant k, with noise. */
function planted(n: number, seed = 1): { x: Matrix; labels: Int32Array } {
  const gen = new Generator(seed);
  const data = new Float32Array(n * 64);
  const labels = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const kind = s % 4;
    labels[s] = kind;
    for (let i = 0; i < 64; i++) {
      const quadrant = (i < 32 ? 0 : 2) + (i % 8 < 4 ? 0 : 1);
      data[s * 64 + i] = Math.min(1, Math.max(0, (quadrant === kind ? 0.8 : 0.1) + (gen.uniform() - 0.5) * 0.3));
    }
  }
  return { x: { data, rows: n, cols: 64 }, labels };
}

test('ae-kmeans: the matrix source yields every row once per epoch, in an order fixed by (seed, epoch)', async () => {
  const { x } = planted(10);
  const rowsOf = async (seed: number, epoch: number) => {
    const seen: number[] = [];
    for await (const b of matrixImageSource(x, shape, 4, seed).epoch(epoch)) {
      assert.deepEqual(b.x.shape.slice(1), shape);
      for (let j = 0; j < b.x.shape[0]; j++) seen.push(findRow(x, b.x.f32.subarray(j * 64, (j + 1) * 64)));
    }
    return seen;
  };
  const a = await rowsOf(0, 0);
  assert.deepEqual(
    [...a].sort((p, q) => p - q),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.deepEqual(await rowsOf(0, 0), a);
  assert.notDeepEqual(await rowsOf(0, 1), a);
  assert.throws(() => matrixImageSource(x, [1, 4, 4], 4), /not 1×4×4 images/);
});

function findRow(x: Matrix, row: Float32Array): number {
  for (let i = 0; i < x.rows; i++) if (row.every((v, c) => v === x.data[i * x.cols + c])) return i;
  return -1;
}

test('ae-kmeans: autoencoder codes recover four planted kinds, with and without UMAP of the codes', async () => {
  const { x, labels } = planted(240);
  const o = { k: 4, architecture: 'conv' as const, bottleneck: 3, width: 4, epochs: 4, batchSize: 32, lr: 1e-2, nInit: 4, seed: 0 };
  const plain = await aeKmeans(x, shape, { ...o, umapDims: 0 });
  assert.deepEqual([plain.codes.rows, plain.codes.cols], [240, 3]);
  assert.equal(plain.clustered, plain.codes);
  assert.ok(plain.loss.last < plain.loss.first, `loss ${plain.loss.first} → ${plain.loss.last}`);
  const accPlain = clusteringAccuracy(labels, plain.labels).accuracy;
  assert.ok(accPlain >= 0.95, `accuracy on the codes ${accPlain}`);
  // The same seed trains the same autoencoder: UMAP only changes what k-means sees.
  const withUmap = await aeKmeans(x, shape, { ...o, umapDims: 2, umapSample: 160, umapNeighbors: 30 });
  assert.deepEqual(Array.from(withUmap.codes.data), Array.from(plain.codes.data));
  assert.deepEqual([withUmap.clustered.rows, withUmap.clustered.cols], [240, 2]);
  const accUmap = clusteringAccuracy(labels, withUmap.labels).accuracy;
  assert.ok(accUmap >= 0.95, `accuracy on the UMAP of the codes ${accUmap}`);
});

test("ae-kmeans: the dense autoencoder's codes recover the planted kinds too, trained on MSE by default", async () => {
  const { x, labels } = planted(240, 4);
  const o = { k: 4, architecture: 'dense' as const, hidden: [32, 16], bottleneck: 3, epochs: 8, batchSize: 32, lr: 3e-3, nInit: 4, seed: 0, umapDims: 0 };
  const mse = await aeKmeans(x, shape, o);
  assert.deepEqual([mse.codes.rows, mse.codes.cols], [240, 3]);
  assert.ok(mse.loss.last < mse.loss.first, `loss ${mse.loss.first} → ${mse.loss.last}`);
  // Summed squared error per 64-pixel image is far below the summed BCE of the same reconstruction (≥ 64·H(0.1) ≈ 21).
  assert.ok(mse.loss.last < 10, `an MSE-sized loss ${mse.loss.last}`);
  const acc = clusteringAccuracy(labels, mse.labels).accuracy;
  assert.ok(acc >= 0.95, `accuracy on the dense codes ${acc}`);
  const bce = await aeKmeans(x, shape, { ...o, epochs: 1, reconstruction: 'bce' });
  assert.ok(bce.loss.first > 20, `a BCE-sized loss ${bce.loss.first}`);
});

test('ae-kmeans: the cluster report names the stages and scores against the labels', async () => {
  const { x, labels } = planted(120, 2);
  const r = await clusterImages(x, shape, labels, {
    k: 4,
    method: 'ae-kmeans',
    nInit: 2,
    seed: 0,
    autoencoder: { architecture: 'conv', bottleneck: 2, width: 4, epochs: 3, batchSize: 32, lr: 1e-2, umapDims: 0 },
  });
  assert.equal(r.autoencoder?.bottleneck, 2);
  assert.ok(r.metrics && r.metrics.accuracy >= 0.9, `accuracy ${r.metrics?.accuracy}`);
  const text = formatClusterReport(r);
  assert.match(text, /autoencoder \+ k-means/);
  assert.match(text, /convolutional autoencoder to 2-d codes: 3 epochs/);
  assert.equal(r.autoencoder?.architecture, 'conv');
  await assert.rejects(clusterImages(x, shape, labels, { k: 4, method: 'ae-kmeans', pca: 5 }), /--pca applies to kmeans/);
});

test('umapReduce: fitted on a sample, every other row lands on its nearest fitted row', async () => {
  const { x } = planted(60, 3);
  const u = await umapReduce(x, { nComponents: 3, nNeighbors: 5, fitSample: 20, seed: 1 });
  assert.deepEqual([u.rows, u.cols], [60, 3]);
  const fitted = Array.from({ length: 20 }, (_, j) => j * 3);
  for (let i = 0; i < 60; i++) {
    if (fitted.includes(i)) continue;
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    for (const f of fitted) {
      let s = 0;
      for (let c = 0; c < 64; c++) s += (x.data[i * 64 + c] - x.data[f * 64 + c]) ** 2;
      if (s < bestD) [best, bestD] = [f, s];
    }
    assert.deepEqual(Array.from(u.data.subarray(i * 3, i * 3 + 3)), Array.from(u.data.subarray(best * 3, best * 3 + 3)), `row ${i} sits on fitted row ${best}`);
  }
});
