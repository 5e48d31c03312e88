/**
 * Batch-level mixing: mixup (blend two images and their labels) and cutmix (paste a box of one image into another, labels
 * weighted by area). Each returns the mixed batch, soft targets [N, K], and (lam, perm) for losses that prefer
 * `lam·loss(ŷ, y) + (1-lam)·loss(ŷ, y[perm])`.
 * @example
 *   const { x, targets } = mixup(batch.x, batch.y, 10, { alpha: 0.2 }, new Generator(epoch));
 */
import type { Generator } from '../../tensor/random.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { permutation } from '../seed.ts';

export interface MixResult {
  x: Tensor;
  /** float32 [N, numClasses]: the mixed one-hot labels. */
  targets: Tensor;
  /** Weight of the original labels (after cutmix's area correction). */
  lam: number;
  /** Sample i was mixed with sample perm[i]. */
  perm: Int32Array;
  /** Labels of the partner samples, int32 [N]. */
  yB: Tensor;
}

/** Beta(α, α) by two gamma draws (Marsaglia–Tsang), for the mixing weight. */
export function sampleBeta(alpha: number, g: Generator): number {
  const gamma = (a: number): number => {
    if (a < 1) return gamma(a + 1) * g.uniform() ** (1 / a);
    const d = a - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = g.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = g.uniform();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  };
  const a = gamma(alpha);
  const b = gamma(alpha);
  return a / (a + b);
}

function softTargets(y: Tensor, perm: Int32Array, lam: number, numClasses: number): Tensor {
  const n = y.shape[0];
  const out = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    const a = y.data[i];
    const b = y.data[perm[i]];
    if (a < 0 || a >= numClasses || b < 0 || b >= numClasses)
      throw new RangeError(`mix: label ${a < 0 || a >= numClasses ? a : b} outside 0..${numClasses - 1}`);
    out[i * numClasses + a] += lam;
    out[i * numClasses + b] += 1 - lam;
  }
  return new Tensor(out, [n, numClasses]);
}

function checkBatch(x: Tensor, y: Tensor, what: string): void {
  if (x.rank !== 4 || y.rank !== 1 || x.shape[0] !== y.shape[0]) {
    throw new RangeError(`${what}: expected x [N,C,H,W] and y [N], got x [${x.shape}] and y [${y.shape}]`);
  }
}

/** mixup (Zhang et al. 2018): x = lam·x + (1-lam)·x[perm], lam ~ Beta(α, α). */
export function mixup(x: Tensor, y: Tensor, numClasses: number, opts: { alpha?: number } = {}, g: Generator): MixResult {
  checkBatch(x, y, 'mixup');
  const lam = sampleBeta(opts.alpha ?? 0.2, g);
  const n = x.shape[0];
  const perm = permutation(n, g);
  const per = x.size / n;
  const src = x.f32;
  const out = new Float32Array(src.length);
  for (let i = 0; i < n; i++) {
    const a = i * per;
    const b = perm[i] * per;
    for (let k = 0; k < per; k++) out[a + k] = lam * src[a + k] + (1 - lam) * src[b + k];
  }
  return {
    x: new Tensor(out, x.shape),
    targets: softTargets(y, perm, lam, numClasses),
    lam,
    perm,
    yB: new Tensor(
      Int32Array.from(perm, (p) => y.data[p]),
      [n],
    ),
  };
}

/** cutmix (Yun et al. 2019): a box of area ≈ (1-lam) from x[perm] pasted into x; lam is then corrected to the true area. */
export function cutmix(x: Tensor, y: Tensor, numClasses: number, opts: { alpha?: number } = {}, g: Generator): MixResult {
  checkBatch(x, y, 'cutmix');
  const [n, C, H, W] = x.shape;
  const lam0 = sampleBeta(opts.alpha ?? 1, g);
  const perm = permutation(n, g);
  const cutH = Math.floor(H * Math.sqrt(1 - lam0));
  const cutW = Math.floor(W * Math.sqrt(1 - lam0));
  const cy = g.int(0, H);
  const cx = g.int(0, W);
  const y0 = Math.max(0, cy - (cutH >> 1));
  const y1 = Math.min(H, cy + (cutH >> 1));
  const x0 = Math.max(0, cx - (cutW >> 1));
  const x1 = Math.min(W, cx + (cutW >> 1));
  const src = x.f32;
  const out = src.slice();
  const per = C * H * W;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      for (let yy = y0; yy < y1; yy++) {
        const row = c * H * W + yy * W;
        out.set(src.subarray(perm[i] * per + row + x0, perm[i] * per + row + x1), i * per + row + x0);
      }
    }
  }
  const lam = 1 - ((y1 - y0) * (x1 - x0)) / (H * W);
  return {
    x: new Tensor(out, x.shape),
    targets: softTargets(y, perm, lam, numClasses),
    lam,
    perm,
    yB: new Tensor(
      Int32Array.from(perm, (p) => y.data[p]),
      [n],
    ),
  };
}
