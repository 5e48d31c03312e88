// k-means: seeding determinism, one Lloyd step against a float64 reference written here, scikit-learn's optimum on
// well-separated blobs, empty-cluster relocation, and mini-batch k-means.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tensor } from '../../src/index.ts';
import { assignPass, type CentreSet } from '../../src/unsupervised/assign.ts';
import { Generator } from '../../src/tensor/random.ts';
import {
  clusteringAccuracy,
  KMeans,
  kmeans,
  kmeansPlusPlus,
  miniBatchKMeans,
  normalizedMutualInfo,
  restartGenerators,
  rowSquaredNorms,
} from '../../src/unsupervised/index.ts';
import { sklearnSmall, smallDataset } from './fixture.ts';

test('k-means++ seeding is deterministic per seed, and restart r does not depend on how many restarts run', () => {
  const { x } = smallDataset();
  const norms = rowSquaredNorms(x);
  const a = kmeansPlusPlus(x, norms, 4, restartGenerators(11, 3));
  const b = kmeansPlusPlus(x, norms, 4, restartGenerators(11, 3));
  const c = kmeansPlusPlus(x, norms, 4, restartGenerators(11, 5));
  const other = kmeansPlusPlus(x, norms, 4, restartGenerators(12, 3));
  for (let r = 0; r < 3; r++) {
    assert.deepEqual(a[r], b[r]);
    assert.deepEqual(a[r], c[r]);
  }
  assert.notDeepEqual(a[0], other[0]);
  // Every seed centre is a data point, and on these separated blobs k-means++ puts one in each blob.
  const { labels } = smallDataset();
  for (const centres of a) {
    const blobs = new Set<number>();
    for (let j = 0; j < 4; j++) {
      const row = centres.subarray(j * x.cols, (j + 1) * x.cols);
      let found = -1;
      for (let i = 0; i < x.rows && found < 0; i++) if (row.every((v, c) => v === x.data[i * x.cols + c])) found = i;
      assert.ok(found >= 0, 'a k-means++ centre is one of the points');
      blobs.add(labels[found]);
    }
    assert.equal(blobs.size, 4);
  }
});

test('one Lloyd step equals the float64 means of the nearest-centre assignment', () => {
  const gen = new Generator(5);
  const n = 57;
  const d = 9;
  const k = 4;
  const data = Float32Array.from({ length: n * d }, () => gen.normal() * 2 + (gen.uniform() < 0.5 ? 3 : 0));
  const init = data.slice(0, k * d);
  const r = kmeans({ data, rows: n, cols: d }, { k, init, maxIter: 1 });
  // Reference: assign by float64 squared distance to init, then average.
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (data[i * d + c] - init[j * d + c]) ** 2;
      if (s < bestD) {
        bestD = s;
        best = j;
      }
    }
    counts[best]++;
    for (let c = 0; c < d; c++) sums[best * d + c] += data[i * d + c];
  }
  for (let j = 0; j < k; j++) for (let c = 0; c < d; c++) assert.ok(Math.abs(r.centres[j * d + c] - sums[j * d + c] / counts[j]) < 1e-5);
  // The returned labels and inertia belong to the returned centres.
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const j = r.labels[i];
    let s = 0;
    for (let c = 0; c < d; c++) s += (data[i * d + c] - r.centres[j * d + c]) ** 2;
    inertia += s;
  }
  assert.ok(Math.abs(r.inertia / inertia - 1) < 1e-5);
  assert.equal(r.nIter, 1);
});

test("k-means on separated blobs reaches scikit-learn's optimum (inertia, accuracy, NMI)", () => {
  const { x, labels } = smallDataset();
  const ref = sklearnSmall.kmeans;
  const km = new KMeans({ k: ref.k, nInit: 10, seed: 0 }).fit(x);
  assert.ok(km.inertia <= ref.inertia * (1 + 1e-5), `inertia ${km.inertia} vs scikit-learn ${ref.inertia}`);
  assert.ok(km.inertia >= ref.inertia * (1 - 1e-5));
  assert.ok(Math.abs(clusteringAccuracy(labels, km.labels).accuracy - ref.accuracy) <= 0.02);
  assert.ok(Math.abs(normalizedMutualInfo(labels, km.labels) - ref.nmi) <= 0.02);
  assert.deepEqual(km.predict(x), km.labels);
  assert.equal(km.restarts.length, 10);
  assert.ok(km.restarts.every((r) => r.converged));
  assert.deepEqual(km.clusterCenters.shape, [4, 6]);
  // The same seed gives the same answer; a Tensor input works like a Matrix.
  const again = new KMeans({ k: ref.k, nInit: 10, seed: 0 }).fit(tensor(x.data, 'float32', [x.rows, x.cols]));
  assert.deepEqual(again.labels, km.labels);
});

test('an empty cluster is moved onto the farthest point instead of staying empty', () => {
  const { x } = smallDataset();
  const init = new Float32Array(4 * x.cols);
  init.set(x.data.subarray(0, 3 * x.cols));
  init.fill(1e4, 3 * x.cols); // far from everything: gets no points in the first step
  const r = kmeans(x, { k: 4, init });
  const used = new Set(r.labels);
  assert.equal(used.size, 4);
  assert.ok(r.centres.every((v) => v < 1e3));
});

test('mini-batch k-means separates the blobs and is deterministic per seed', () => {
  const { x, labels } = smallDataset();
  const a = miniBatchKMeans(x, { k: 4, batchSize: 32, seed: 1 });
  const b = miniBatchKMeans(x, { k: 4, batchSize: 32, seed: 1 });
  assert.deepEqual(a.labels, b.labels);
  assert.equal(clusteringAccuracy(labels, a.labels).accuracy, 1);
  assert.ok(a.inertia <= sklearnSmall.kmeans.inertia * 1.05);
});

test('k-means errors name the problem', () => {
  const { x } = smallDataset();
  assert.throws(() => kmeans(x, { k: 0 }), /positive integer/);
  assert.throws(() => kmeans({ data: new Float32Array(6), rows: 3, cols: 2 }, { k: 4 }), /cannot form 4 clusters/);
  assert.throws(() => kmeans(x, { k: 2, init: new Float32Array(3) }), /init has 3 values/);
  assert.throws(() => new KMeans({ k: 2 }).labels, /fit/);
});

test("assignPass: 'delta' sums (changed points only) equal a full recomputation", () => {
  const gen = new Generator(9);
  const n = 300;
  const d = 7;
  const k = 5;
  const data = Float32Array.from({ length: n * d }, () => gen.normal());
  const x = { data, rows: n, cols: d };
  const norms = rowSquaredNorms(x);
  const first = Float32Array.from({ length: k * d }, () => gen.normal());
  const second = first.map((v) => v + 0.3 * gen.normal());
  const incremental: CentreSet = { centres: first, labels: new Int32Array(n).fill(-1), distances: new Float32Array(n) };
  assignPass(x, norms, [incremental], k, ['full']);
  incremental.centres = second;
  const r = assignPass(x, norms, [incremental], k, ['delta']);
  assert.ok(r.changed[0] > 0 && r.changed[0] < n, `some but not all points move (${r.changed[0]})`);
  const fresh: CentreSet = { centres: second, labels: new Int32Array(n).fill(-1), distances: new Float32Array(n) };
  assignPass(x, norms, [fresh], k, ['full']);
  assert.deepEqual(incremental.labels, fresh.labels);
  assert.deepEqual(incremental.counts, fresh.counts);
  for (let i = 0; i < k * d; i++) assert.ok(Math.abs(incremental.sums![i] - fresh.sums![i]) < 1e-4);
});
