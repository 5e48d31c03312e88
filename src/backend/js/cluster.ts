/** Reference k-means assignment: the same 16 interleaved partial sums and pairwise combination as the native kernel. */
import type { F32 } from '../backend.ts';

const LANES = 16;

export function kmeansAssign(x: F32, _n: number, d: number, centres: F32, k: number, rows: Int32Array, labels: Int32Array, nearest: F32, second: F32): void {
  const acc = new Float32Array(LANES);
  for (let t = 0; t < rows.length; t++) {
    const xo = rows[t] * d;
    let best = Number.POSITIVE_INFINITY;
    let next = Number.POSITIVE_INFINITY;
    let arg = 0;
    for (let j = 0; j < k; j++) {
      const co = j * d;
      acc.fill(0);
      for (let p = 0; p < d; p++) {
        const v = Math.fround(x[xo + p] - centres[co + p]);
        // fma(v, v, acc): v·v is exact in float64 (24-bit mantissas), one rounding to float32 after the add.
        acc[p % LANES] = v * v + acc[p % LANES];
      }
      for (let w = LANES / 2; w >= 1; w /= 2) for (let l = 0; l < w; l++) acc[l] += acc[l + w];
      const s = acc[0];
      if (s < best) {
        next = best;
        best = s;
        arg = j;
      } else if (s < next) next = s;
    }
    labels[t] = arg;
    nearest[t] = best;
    second[t] = next;
  }
}
