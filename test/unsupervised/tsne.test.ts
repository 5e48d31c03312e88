/**
 * Exact t-SNE: the kernels against independent float64 arithmetic (the perplexity each affinity row reaches, the
 * gradient against finite differences of KL(P ‖ Q)), planted clusters staying apart, and trustworthiness (checked
 * against scikit-learn's function) next to scikit-learn's exact TSNE on the same data (test/fixtures/sklearn/tsne.json).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { backend } from '../../src/backend/index.ts';
import { Generator } from '../../src/tensor/random.ts';
import { clusteringAccuracy, trustworthiness } from '../../src/unsupervised/metrics.ts';
import { kmeans } from '../../src/unsupervised/kmeans.ts';
import type { Matrix } from '../../src/unsupervised/matrix.ts';
import { tsne, tsneJointAffinities } from '../../src/unsupervised/tsne.ts';
import { smallDataset } from './fixture.ts';

/** scripts/sklearn-reference.py --tsne: scikit-learn 1.2.1's exact TSNE of smallDataset() (perplexity 30, three seeds). */
const sklearnTsne: {
  perplexity: number;
  runs: { random_state: number; kl_divergence: number; embedding: number[][]; trustworthiness: Record<number, number> }[];
} = JSON.parse(readFileSync(new URL('../fixtures/sklearn/tsne.json', import.meta.url), 'utf8'));

/** k Gaussian blobs of `per` points in d dimensions, centres `spacing` (10) out on the axes. */
function blobs(k: number, per: number, d: number, seed = 1, spacing = 10): { x: Matrix; labels: Int32Array } {
  const gen = new Generator(seed);
  const data = new Float32Array(k * per * d);
  const labels = new Int32Array(k * per);
  for (let c = 0; c < k; c++)
    for (let i = 0; i < per; i++) {
      const row = c * per + i;
      labels[row] = c;
      for (let j = 0; j < d; j++) data[row * d + j] = (j === c % d ? spacing * (1 + Math.floor(c / d)) : 0) + gen.normal();
    }
  return { x: { data, rows: k * per, cols: d }, labels };
}

test('t-SNE: every affinity row has the asked perplexity, and P is symmetric and sums to 1', () => {
  const { x } = smallDataset();
  const n = x.rows;
  const p = tsneJointAffinities(x, 10);
  let total = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      total += p[i * n + j];
      assert.ok(Math.abs(p[i * n + j] - p[j * n + i]) < 1e-9, `P[${i},${j}] ≠ P[${j},${i}]`);
    }
  assert.ok(Math.abs(total - 1) < 1e-4, `ΣP = ${total}`);
  // The conditional rows themselves: 2^H(row) with H in bits is the perplexity.
  const d2 = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < x.cols; c++) s += (x.data[i * x.cols + c] - x.data[j * x.cols + c]) ** 2;
      d2[i * n + j] = s;
    }
  const cond = new Float32Array(n * n);
  backend().tsneAffinities(d2, n, 10, cond);
  for (let i = 0; i < n; i++) {
    let h = 0;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const v = cond[i * n + j];
      sum += v;
      if (v > 0) h -= v * Math.log(v);
    }
    assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i} sums to ${sum}`);
    assert.ok(Math.abs(Math.exp(h) - 10) < 0.01, `row ${i}: perplexity ${Math.exp(h)}`);
    assert.equal(cond[i * n + i], 0);
  }
});

test('t-SNE: the gradient kernel matches finite differences of KL(P ‖ Q) computed in float64', () => {
  const n = 9;
  const dims = 2;
  const gen = new Generator(4);
  const raw = Float64Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) === k % n ? 0 : gen.uniform() + 0.1));
  const p = new Float32Array(n * n);
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += raw[i * n + j] + raw[j * n + i];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) p[i * n + j] = (raw[i * n + j] + raw[j * n + i]) / s;
  const y = Float64Array.from({ length: n * dims }, () => gen.normal());
  const kl = (yy: Float64Array) => {
    let z = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) z += 1 / (1 + (yy[2 * i] - yy[2 * j]) ** 2 + (yy[2 * i + 1] - yy[2 * j + 1]) ** 2);
    let total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const q = 1 / (1 + (yy[2 * i] - yy[2 * j]) ** 2 + (yy[2 * i + 1] - yy[2 * j + 1]) ** 2) / z;
        total += p[i * n + j] * Math.log(p[i * n + j] / q);
      }
    return total;
  };
  const grad = new Float32Array(n * dims);
  const loss = new Float32Array(1);
  backend().tsneGradient(p, Float32Array.from(y), n, dims, grad, true, loss);
  assert.ok(Math.abs(loss[0] - kl(y)) < 1e-5, `KL ${loss[0]} vs ${kl(y)}`);
  const h = 1e-5;
  for (let k = 0; k < n * dims; k++) {
    const up = Float64Array.from(y);
    const down = Float64Array.from(y);
    up[k] += h;
    down[k] -= h;
    const fd = (kl(up) - kl(down)) / (2 * h);
    assert.ok(Math.abs(grad[k] - fd) < 1e-4 + 1e-3 * Math.abs(fd), `∂KL/∂y[${k}]: kernel ${grad[k]}, finite difference ${fd}`);
  }
});

test('t-SNE: well-separated planted clusters stay separated in 2-D', () => {
  const { x, labels } = blobs(5, 40, 10);
  const r = tsne(x, { perplexity: 15, maxIter: 500, seed: 0 });
  assert.equal(r.embedding.cols, 2);
  assert.ok(r.embedding.data.every(Number.isFinite));
  const km = kmeans(r.embedding, { k: 5, nInit: 4, seed: 0 });
  assert.equal(clusteringAccuracy(labels, km.labels).accuracy, 1, 'k-means on the 2-D layout recovers every planted cluster');
  assert.ok(r.kl > 0 && r.kl < 2, `KL ${r.kl}`);
  assert.throws(() => tsne(x, { perplexity: 500 }), /perplexity must be between/);
  // Fewer points than PCA components wanted, in many dimensions: PCA keeps as many components as there are points.
  const few = blobs(3, 10, 80, 2, 40);
  const small = tsne(few.x, { perplexity: 5, maxIter: 300, seed: 0 });
  assert.equal(clusteringAccuracy(few.labels, kmeans(small.embedding, { k: 3, nInit: 4, seed: 0 }).labels).accuracy, 1);
});

test('t-SNE: trustworthiness as scikit-learn computes it, and our layout as trustworthy as its exact TSNE', () => {
  const { x } = smallDataset();
  for (const run of sklearnTsne.runs) {
    const theirs: Matrix = { data: Float32Array.from(run.embedding.flat()), rows: x.rows, cols: 2 };
    for (const k of [5, 10]) {
      const t = trustworthiness(x, theirs, k);
      // Up to a few rank swaps: the fixture layout is rounded to 6 decimals and scikit-learn ranks float32 distances.
      assert.ok(Math.abs(t - run.trustworthiness[k]) < 1e-4, `trustworthiness k=${k}: ${t} vs scikit-learn ${run.trustworthiness[k]}`);
    }
  }
  const worst = Math.min(...sklearnTsne.runs.map((r) => r.trustworthiness[10]));
  const best = Math.max(...sklearnTsne.runs.map((r) => r.kl_divergence));
  for (const seed of [0, 1]) {
    const r = tsne(x, { perplexity: sklearnTsne.perplexity, seed });
    const t = trustworthiness(x, r.embedding, 10);
    assert.ok(t >= worst - 0.005, `seed ${seed}: trustworthiness ${t.toFixed(4)}, scikit-learn's runs ≥ ${worst.toFixed(4)}`);
    assert.ok(r.kl < best * 1.5, `seed ${seed}: KL ${r.kl.toFixed(4)}, scikit-learn's runs ≤ ${best.toFixed(4)}`);
  }
});
