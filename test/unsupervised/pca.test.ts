// PCA against scikit-learn (svd_solver='full') on the small fixture, and the eigen-solvers against matrices with a
// known spectrum.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Generator } from '../../src/tensor/random.ts';
import { jacobiEigen, leadingEigenpairs, orthonormalizeRows, PCA } from '../../src/unsupervised/index.ts';
import { sklearnSmall, smallDataset } from './fixture.ts';

const ref = sklearnSmall.pca;

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('PCA matches scikit-learn: explained variance (ratio within 1e-4), mean, components up to sign', () => {
  const { x } = smallDataset();
  const pca = new PCA({ nComponents: ref.n_components }).fit(x);
  assert.ok(maxAbs(pca.explainedVarianceRatio, ref.explained_variance_ratio) < 1e-4, `${pca.explainedVarianceRatio}`);
  assert.ok(maxAbs(pca.explainedVarianceRatio, ref.explained_variance_ratio) < 1e-6);
  for (let i = 0; i < ref.n_components; i++) {
    assert.ok(Math.abs(pca.explainedVariance[i] / ref.explained_variance[i] - 1) < 1e-5);
    assert.ok(Math.abs(pca.singularValues[i] / ref.singular_values[i] - 1) < 1e-5);
    const row = pca.components.subarray(i * x.cols, (i + 1) * x.cols);
    let dot = 0;
    for (let j = 0; j < x.cols; j++) dot += row[j] * ref.components[i][j];
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-5, `component ${i}: |cos| = ${Math.abs(dot)}`);
  }
  assert.ok(maxAbs(pca.mean, ref.mean) < 1e-5);
});

test('PCA: transform / inverseTransform round trip, whitening gives unit variance', () => {
  const { x } = smallDataset();
  const full = new PCA().fit(x);
  assert.equal(full.nComponents, 6);
  const back = full.inverseTransform(full.transform(x));
  assert.ok(maxAbs(back.f32, x.data) < 1e-4);
  let ratioSum = 0;
  for (const r of full.explainedVarianceRatio) ratioSum += r;
  assert.ok(Math.abs(ratioSum - 1) < 1e-6);

  const white = new PCA({ nComponents: 3, whiten: true }).fit(x);
  const z = white.transform(x);
  for (let c = 0; c < 3; c++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < x.rows; i++) {
      s += z.f32[i * 3 + c];
      s2 += z.f32[i * 3 + c] ** 2;
    }
    assert.ok(Math.abs(s / x.rows) < 1e-4);
    assert.ok(Math.abs(s2 / (x.rows - 1) - 1) < 1e-4, `whitened variance of component ${c}: ${s2 / (x.rows - 1)}`);
  }
  // Whitened inverse undoes the scaling: the same reconstruction as unwhitened with 3 components.
  const plain = new PCA({ nComponents: 3 }).fit(x);
  assert.ok(maxAbs(white.inverseTransform(z).f32, plain.inverseTransform(plain.transform(x)).f32) < 1e-3);
  assert.throws(() => new PCA({ nComponents: 7 }).fit(x), /nComponents/);
  assert.throws(() => new PCA().transform(x), /fit/);
});

/** A symmetric n × n matrix Q·diag(values)·Qᵀ with a random orthogonal Q. */
function withSpectrum(values: number[], seed: number): Float64Array {
  const n = values.length;
  const gen = new Generator(seed);
  const q = new Float64Array(n * n);
  for (let i = 0; i < q.length; i++) q[i] = gen.normal();
  orthonormalizeRows(q, n, n, gen);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let r = 0; r < n; r++) a[i * n + j] += q[r * n + i] * values[r] * q[r * n + j];
  return a;
}

test('jacobiEigen recovers a known spectrum and orthonormal eigenvectors', () => {
  const values = [9, 5, 5, 2, 1, 0.5, 0];
  const a = withSpectrum(values, 1);
  const { values: got, vectors } = jacobiEigen(a, values.length);
  assert.ok(maxAbs(got, values) < 1e-10);
  const n = values.length;
  for (let r = 0; r < n; r++) {
    // A·v = λ·v for each row v.
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[r * n + j];
      assert.ok(Math.abs(av - got[r] * vectors[r * n + i]) < 1e-9);
    }
  }
});

test('subspace iteration finds the leading eigenpairs of a 120 × 120 matrix (SGEMM path)', () => {
  const n = 120;
  const values = Array.from({ length: n }, (_, i) => 100 * 0.93 ** i);
  const a = Float32Array.from(withSpectrum(values, 2));
  const r = leadingEigenpairs(a, n, 10, { seed: 4 });
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(r.values[i] / values[i] - 1) < 1e-5, `λ${i}: ${r.values[i]} vs ${values[i]}`);
  assert.ok(r.residual <= 1e-3);
  assert.ok(r.iterations > 1);
});
