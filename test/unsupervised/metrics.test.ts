// Clustering metrics against scikit-learn's functions on the same labels (test/fixtures/sklearn/small.json) and
// against values worked by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  adjustedRandIndex,
  clusteringAccuracy,
  contingencyTable,
  entropy,
  mutualInfo,
  normalizedMutualInfo,
  silhouetteScore,
} from '../../src/unsupervised/index.ts';
import { sklearnSmall, smallDataset } from './fixture.ts';

const { metrics } = sklearnSmall;

test('NMI (arithmetic) and ARI match scikit-learn within 1e-6', () => {
  assert.ok(Math.abs(normalizedMutualInfo(metrics.a, metrics.b) - metrics.nmi_ab) < 1e-6);
  assert.ok(Math.abs(adjustedRandIndex(metrics.a, metrics.b) - metrics.ari_ab) < 1e-6);
  assert.ok(Math.abs(normalizedMutualInfo(metrics.a, metrics.c) - metrics.nmi_ac) < 1e-6);
  assert.ok(Math.abs(adjustedRandIndex(metrics.a, metrics.c) - metrics.ari_ac) < 1e-6);
});

test('silhouette matches scikit-learn within 1e-6 (exact path) and to ~1e-5 on the engine path', () => {
  const { x, labels } = smallDataset();
  const sub = { data: x.data.subarray(0, 40 * x.cols), rows: 40, cols: x.cols };
  assert.ok(Math.abs(silhouetteScore(sub, metrics.silhouette_labels) - metrics.silhouette) < 1e-6);
  assert.ok(Math.abs(silhouetteScore(x, labels) - metrics.silhouette_true) < 1e-6);
  assert.ok(Math.abs(silhouetteScore(x, labels, { mode: 'engine' }) - metrics.silhouette_true) < 1e-4);
});

test('silhouette: hand-worked 1-D example and the sampled form', () => {
  // Points 0, 1 (cluster 0) and 4, 6 (cluster 1). Point 0: a = 1, b = (4 + 6)/2 = 5, s = 0.8. Point 1: a = 1, b = 4, s = 0.75.
  // Point 4: a = 2, b = (4 + 3)/2 = 3.5, s = 1.5/3.5. Point 6: a = 2, b = (6 + 5)/2 = 5.5, s = 3.5/5.5.
  const x = { data: new Float32Array([0, 1, 4, 6]), rows: 4, cols: 1 };
  const expected = (0.8 + 0.75 + 1.5 / 3.5 + 3.5 / 5.5) / 4;
  assert.ok(Math.abs(silhouetteScore(x, [0, 0, 1, 1]) - expected) < 1e-12);
  // A singleton cluster scores 0 for its point.
  const y = { data: new Float32Array([0, 1, 10]), rows: 3, cols: 1 };
  const s0 = (10 - 1) / 10; // a = 1, b = 10
  const s1 = (9 - 1) / 9;
  assert.ok(Math.abs(silhouetteScore(y, [0, 0, 1]) - (s0 + s1 + 0) / 3) < 1e-12);
  const { x: big, labels } = smallDataset();
  const sampled = silhouetteScore(big, labels, { sampleSize: 60, seed: 3 });
  assert.equal(sampled, silhouetteScore(big, labels, { sampleSize: 60, seed: 3 }));
  assert.ok(Math.abs(sampled - metrics.silhouette_true) < 0.1);
  assert.throws(() => silhouetteScore(x, [0, 0, 0, 0]), /2 ≤ clusters/);
});

test('hand-worked entropy, mutual information, NMI and ARI', () => {
  // a = [0,0,1,1], b = [0,0,0,1]: H(a) = ln 2; H(b) = −(3/4 ln 3/4 + 1/4 ln 1/4).
  const a = [0, 0, 1, 1];
  const b = [0, 0, 0, 1];
  const hb = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
  assert.ok(Math.abs(entropy(a) - Math.log(2)) < 1e-15);
  assert.ok(Math.abs(entropy(b) - hb) < 1e-15);
  // Table [[2,0],[1,1]]: MI = 2/4 ln(2·4/(2·3)) + 1/4 ln(1·4/(2·3)) + 1/4 ln(1·4/(2·1)).
  const mi = 0.5 * Math.log(8 / 6) + 0.25 * Math.log(4 / 6) + 0.25 * Math.log(2);
  assert.deepEqual(contingencyTable(a, b), [
    [2, 0],
    [1, 1],
  ]);
  assert.ok(Math.abs(mutualInfo(a, b) - mi) < 1e-15);
  assert.ok(Math.abs(normalizedMutualInfo(a, b) - mi / ((Math.log(2) + hb) / 2)) < 1e-15);
  // Pairs: 6. Same in a: {01, 23}; same in b: {01, 02, 12}. tp = 1 (01), fp' etc.: ARI via the formula
  // index = Σ C(n_ij, 2) = 1, expected = (Σ C(a_i,2))·(Σ C(b_j,2))/C(4,2) = 2·3/6 = 1, max = (2 + 3)/2 = 2.5 → ARI = 0.
  assert.ok(Math.abs(adjustedRandIndex(a, b)) < 1e-15);
  assert.equal(normalizedMutualInfo([1, 1, 1], [4, 4, 4]), 1);
  assert.equal(normalizedMutualInfo([0, 1, 2], [0, 0, 0]), 0);
  assert.equal(adjustedRandIndex([0, 1, 2], [5, 6, 7]), 1);
});

test('clustering accuracy matches clusters to classes one to one (Hungarian)', () => {
  // Cluster 2 ↔ class 0 (3 points), cluster 0 ↔ class 1 (2 of 3), cluster 1 ↔ class 2 (2 of 2): 7 of 8.
  const truth = [0, 0, 0, 1, 1, 1, 2, 2];
  const pred = [2, 2, 2, 0, 0, 1, 1, 1];
  const r = clusteringAccuracy(truth, pred);
  assert.equal(r.accuracy, 7 / 8);
  assert.deepEqual(
    [...r.mapping.entries()],
    [
      [0, 1],
      [1, 2],
      [2, 0],
    ],
  );
  // Greedy matching would give cluster 1 to class 1 or 2 wrongly; a permutation of the truth is perfect.
  assert.equal(clusteringAccuracy(metrics.a, metrics.c).accuracy, 1);
  // More clusters than classes: the extra cluster matches nothing.
  const more = clusteringAccuracy([0, 0, 1, 1], [0, 1, 2, 2]);
  assert.equal(more.accuracy, 3 / 4);
  assert.throws(() => clusteringAccuracy([0, 1], [0]), /true labels/);
});
