/** Reference batched matmul with transposes: a plain i-k-j loop (row of A times rows of B streams memory in order). */
import type { F32, MatmulParams } from '../backend.ts';

export function matmul(a: F32, b: F32, c: F32, p: MatmulParams): void {
  const { m, n, k, transA, transB } = p;
  const row = new Float64Array(n);
  for (let bt = 0; bt < p.batch; bt++) {
    const oa = bt * p.strideA;
    const ob = bt * p.strideB;
    const oc = bt * p.strideC;
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let kk = 0; kk < k; kk++) {
        const av = transA ? a[oa + kk * m + i] : a[oa + i * k + kk];
        if (av === 0) continue;
        if (transB) for (let j = 0; j < n; j++) row[j] += av * b[ob + j * k + kk];
        else {
          const bo = ob + kk * n;
          for (let j = 0; j < n; j++) row[j] += av * b[bo + j];
        }
      }
      const co = oc + i * n;
      if (p.accumulate) for (let j = 0; j < n; j++) c[co + j] += row[j];
      else for (let j = 0; j < n; j++) c[co + j] = row[j];
    }
  }
}
