/**
 * Filters: gaussian blur (separable, edges clamped) and additive gaussian noise (clamped to [0, 1]).
 * @example
 *   const blurred = gaussianBlur(img, 1.2);
 *   const t = randomGaussianNoise(0.05);
 */
import { clamp01, type Img, type Transform, uniformIn, withProbability } from './image.ts';

/** Normalised 1-D gaussian kernel of radius ceil(3σ). */
function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/** Blurs with a gaussian of standard deviation `sigma` pixels (σ ≤ 0 returns a copy). */
export function gaussianBlur(img: Img, sigma: number): Img {
  if (!(sigma > 0)) return { data: img.data.slice(), shape: [...img.shape] };
  const [C, H, W] = img.shape;
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const tmp = new Float32Array(img.data.length);
  const out = new Float32Array(img.data.length);
  for (let ch = 0; ch < C; ch++) {
    const b = ch * H * W;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += k[i + r] * img.data[b + y * W + Math.min(W - 1, Math.max(0, x + i))];
        tmp[b + y * W + x] = s;
      }
    }
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += k[i + r] * tmp[b + Math.min(H - 1, Math.max(0, y + i)) * W + x];
        out[b + y * W + x] = s;
      }
    }
  }
  return { data: out, shape: [C, H, W] };
}

/** Blurs with σ drawn from [min, max]. */
export function randomGaussianBlur(sigma: [number, number] = [0.1, 1.5], p = 0.5): Transform {
  return withProbability(p, (img, g) => gaussianBlur(img, uniformIn(g, sigma[0], sigma[1])));
}

/** Adds N(0, std²) noise to every value and clamps to [0, 1]. */
export function gaussianNoise(std: number, p = 1): Transform {
  return withProbability(p, (img, g) => ({ data: img.data.map((v) => clamp01(v + std * g.normal())), shape: [...img.shape] }));
}
