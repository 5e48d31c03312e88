/**
 * Random erasing (cutout): blanks a random rectangle, which teaches a model not to rely on any one region.
 * @example
 *   const t = randomErasing({ p: 0.5, scale: [0.02, 0.2], value: 'random' });
 */
import { type Img, type Transform, uniformIn, withProbability } from './image.ts';

export interface RandomErasingOptions {
  p?: number;
  /** Erased area as a fraction of the image (default [0.02, 0.33]). */
  scale?: [number, number];
  /** Aspect ratio h/w of the box, sampled log-uniformly (default [0.3, 3.3]). */
  ratio?: [number, number];
  /** A fill value, or 'random' for uniform noise in [0, 1]. Default 0. */
  value?: number | 'random';
}

/** Erases the box (top, left, h, w) with `value` in every channel. */
export function erase(img: Img, top: number, left: number, h: number, w: number, value = 0): Img {
  const [C, H, W] = img.shape;
  const out = img.data.slice();
  for (let ch = 0; ch < C; ch++)
    for (let y = top; y < Math.min(H, top + h); y++) out.fill(value, (ch * H + y) * W + left, (ch * H + y) * W + Math.min(W, left + w));
  return { data: out, shape: [C, H, W] };
}

export function randomErasing(o: RandomErasingOptions = {}): Transform {
  const [smin, smax] = o.scale ?? [0.02, 0.33];
  const [rmin, rmax] = o.ratio ?? [0.3, 3.3];
  return withProbability(o.p ?? 0.5, (img, g) => {
    const [C, H, W] = img.shape;
    for (let attempt = 0; attempt < 10; attempt++) {
      const area = H * W * uniformIn(g, smin, smax);
      const ratio = Math.exp(uniformIn(g, Math.log(rmin), Math.log(rmax)));
      const h = Math.round(Math.sqrt(area * ratio));
      const w = Math.round(Math.sqrt(area / ratio));
      if (h < 1 || w < 1 || h > H || w > W) continue;
      const top = g.int(0, H - h + 1);
      const left = g.int(0, W - w + 1);
      if (o.value !== 'random') return erase(img, top, left, h, w, o.value ?? 0);
      const out = img.data.slice();
      for (let ch = 0; ch < C; ch++) for (let y = top; y < top + h; y++) for (let x = left; x < left + w; x++) out[(ch * H + y) * W + x] = g.uniform();
      return { data: out, shape: [C, H, W] };
    }
    return img;
  });
}
