/** The Fréchet distance's linear algebra against hand-computed values and the closed form for Gaussians. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frechetDistance, matmulSquare, meanAndCovariance, sqrtPsd, symmetricEigen } from '../../src/quality/linalg.ts';

const close = (a: number, b: number, tol = 1e-9, what = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what} ${a} vs ${b}`);

test('sqrtPsd: the hand example [[2,1],[1,2]] (eigenvalues 3 and 1) has root ½[[√3+1, √3−1],[√3−1, √3+1]]', () => {
  const r = sqrtPsd(Float64Array.from([2, 1, 1, 2]), 2);
  const s3 = Math.sqrt(3);
  const want = [(s3 + 1) / 2, (s3 - 1) / 2, (s3 - 1) / 2, (s3 + 1) / 2];
  want.forEach((w, i) => close(r[i], w, 1e-12, `entry ${i}`));
  // and a diagonal one
  const d = sqrtPsd(Float64Array.from([4, 0, 0, 9]), 2);
  assert.deepEqual(Array.from(d), [2, 0, 0, 3]);
});

test('symmetricEigen and sqrtPsd on a random 40×40 PSD matrix: V·diag·Vᵀ = A and root·root = A', () => {
  const n = 40;
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  const b = Float64Array.from({ length: n * n }, rnd);
  const bt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) bt[i * n + j] = b[j * n + i];
  const a = matmulSquare(b, bt, n); // B·Bᵀ is PSD
  const { values, vectors } = symmetricEigen(a, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i * n + k] * values[k] * vectors[j * n + k];
      close(s, a[i * n + j], 1e-9, `A[${i}][${j}]`);
    }
  const root = sqrtPsd(a, n);
  const sq = matmulSquare(root, root, n);
  for (let i = 0; i < n * n; i++) close(sq[i], a[i], 1e-8, `root² entry ${i}`);
});

test('frechetDistance equals the closed form |μ1−μ2|² + Σ(σ1ᵢ − σ2ᵢ)² for Gaussians with shared (rotated) axes', () => {
  // Σ = R·diag·Rᵀ with a rotation by θ in the (0, 1) plane and a third independent axis.
  const theta = 0.7;
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const rot = (d: number[]) => {
    const r = [c, -s, 0, s, c, 0, 0, 0, 1];
    const out = new Float64Array(9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += r[i * 3 + k] * d[k] * r[j * 3 + k];
    return out;
  };
  const var1 = [4, 1, 0.25];
  const var2 = [1, 9, 0.25];
  const mu1 = Float64Array.from([1, 2, 3]);
  const mu2 = Float64Array.from([0, 2, 5]);
  const want = 1 + 0 + 4 + (2 - 1) ** 2 + (1 - 3) ** 2 + (0.5 - 0.5) ** 2;
  close(frechetDistance(mu1, rot(var1), mu2, rot(var2), 3), want, 1e-10, 'FD');
  close(frechetDistance(mu1, rot(var1), mu1, rot(var1), 3), 0, 1e-10, 'FD to itself');
});

test('frechetDistance between non-commuting covariances matches Tr(Σ1+Σ2−2(Σ1Σ2)^½) computed by hand', () => {
  // Σ1 = diag(1, 4), Σ2 = [[2,1],[1,2]]: (Σ1^½ Σ2 Σ1^½) = [[2,2],[2,8]], eigenvalues 5 ± √13.
  const fd = frechetDistance(new Float64Array(2), Float64Array.from([1, 0, 0, 4]), new Float64Array(2), Float64Array.from([2, 1, 1, 2]), 2);
  const traceRoot = Math.sqrt(5 + Math.sqrt(13)) + Math.sqrt(5 - Math.sqrt(13));
  close(fd, 5 + 4 - 2 * traceRoot, 1e-12, 'FD');
});

test('meanAndCovariance: mean and unbiased covariance of three 2-d rows', () => {
  const { mean, cov } = meanAndCovariance(Float64Array.from([1, 2, 3, 6, 5, 10]), 3, 2);
  assert.deepEqual(Array.from(mean), [3, 6]);
  // deviations (−2,−4), (0,0), (2,4): Σ = [[8, 16], [16, 32]] / 2
  assert.deepEqual(Array.from(cov), [4, 8, 8, 16]);
});
