/**
 * The image type transforms work on — CHW float32, values in [0, 1] until `normalize` — and the sampling helpers the
 * geometric transforms share.
 */
import type { Generator } from '../../tensor/random.ts';

export interface Img {
  data: Float32Array;
  shape: [number, number, number];
}

/** A per-sample transform: returns a new image (the input is never changed), drawing randomness only from `g`. */
export type Transform = (img: Img, g: Generator) => Img;

/** A transform that uses no randomness. */
export function deterministic(fn: (img: Img) => Img): Transform {
  return (img) => fn(img);
}

/** Runs `t` with probability p. */
export function withProbability(p: number, t: Transform): Transform {
  if (p >= 1) return t;
  return (img, g) => (g.uniform() < p ? t(img, g) : img);
}

/** Applies transforms left to right. */
export function compose(...ts: Transform[]): Transform {
  return (img, g) => ts.reduce((acc, t) => t(acc, g), img);
}

/** A uniform draw in [lo, hi). */
export function uniformIn(g: Generator, lo: number, hi: number): number {
  return lo + (hi - lo) * g.uniform();
}

/**
 * Inverse-mapped affine warp with bilinear sampling: output pixel (x, y) (pixel centres) reads the input at
 * (a*x + b*y + c, d*x + e*y + f). Points outside the input take `fill`.
 */
export function warpAffine(img: Img, m: [number, number, number, number, number, number], outH: number, outW: number, fill = 0): Img {
  const [C, H, W] = img.shape;
  const src = img.data;
  const out = new Float32Array(C * outH * outW);
  const [a, b, c, d, e, f] = m;
  const inPlane = H * W;
  const outPlane = outH * outW;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      // Work in pixel-centre coordinates so identity maps pixel i to pixel i exactly.
      const sx = a * (x + 0.5) + b * (y + 0.5) + c - 0.5;
      const sy = d * (x + 0.5) + e * (y + 0.5) + f - 0.5;
      const o = y * outW + x;
      if (sx < -0.5 || sy < -0.5 || sx > W - 0.5 || sy > H - 0.5) {
        for (let ch = 0; ch < C; ch++) out[ch * outPlane + o] = fill;
        continue;
      }
      const x0f = Math.floor(sx);
      const y0f = Math.floor(sy);
      const fx = sx - x0f;
      const fy = sy - y0f;
      const x0 = Math.max(0, x0f);
      const y0 = Math.max(0, y0f);
      const x1 = Math.min(W - 1, x0f + 1);
      const y1 = Math.min(H - 1, y0f + 1);
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      for (let ch = 0; ch < C; ch++) {
        const base = ch * inPlane;
        out[ch * outPlane + o] = w00 * src[base + y0 * W + x0] + w01 * src[base + y0 * W + x1] + w10 * src[base + y1 * W + x0] + w11 * src[base + y1 * W + x1];
      }
    }
  }
  return { data: out, shape: [C, outH, outW] };
}

/** Box-filters by integer factors (area averaging), so big downscales do not alias. */
export function boxDownscale(img: Img, fy: number, fx: number): Img {
  const [C, H, W] = img.shape;
  const oh = Math.floor(H / fy);
  const ow = Math.floor(W / fx);
  const out = new Float32Array(C * oh * ow);
  const inv = 1 / (fx * fy);
  for (let ch = 0; ch < C; ch++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let s = 0;
        for (let dy = 0; dy < fy; dy++) for (let dx = 0; dx < fx; dx++) s += img.data[ch * H * W + (y * fy + dy) * W + x * fx + dx];
        out[ch * oh * ow + y * ow + x] = s * inv;
      }
    }
  }
  return { data: out, shape: [C, oh, ow] };
}

export function clamp01(v: number): number {
  return v < 0 ? 0 : Math.min(v, 1);
}
