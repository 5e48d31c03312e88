/**
 * Geometric transforms: flips, 90° and free rotations, translation, resize, center crop and random resized crop.
 * Flips and 90° rotations move pixels exactly; the others resample bilinearly (see warpAffine).
 * @example
 *   const t = compose(randomHorizontalFlip(0.5), randomResizedCrop(28, 28, { scale: [0.7, 1] }));
 *   const out = t({ data, shape: [1, 28, 28] }, new Generator(0));
 */
import { boxDownscale, deterministic, type Img, type Transform, uniformIn, warpAffine, withProbability } from './image.ts';

/** Mirrors left–right. */
export function hflip(img: Img): Img {
  const [C, H, W] = img.shape;
  const out = new Float32Array(img.data.length);
  for (let r = 0; r < C * H; r++) {
    const row = r * W;
    for (let x = 0; x < W; x++) out[row + x] = img.data[row + W - 1 - x];
  }
  return { data: out, shape: [C, H, W] };
}

/** Mirrors top–bottom. */
export function vflip(img: Img): Img {
  const [C, H, W] = img.shape;
  const out = new Float32Array(img.data.length);
  for (let ch = 0; ch < C; ch++) {
    for (let y = 0; y < H; y++) out.set(img.data.subarray((ch * H + y) * W, (ch * H + y + 1) * W), (ch * H + H - 1 - y) * W);
  }
  return { data: out, shape: [C, H, W] };
}

/** Rotates by k·90° counter-clockwise (k may be negative); a non-square image swaps H and W for odd k. */
export function rotate90(img: Img, k = 1): Img {
  k = ((k % 4) + 4) % 4;
  if (k === 0) return { data: img.data.slice(), shape: [...img.shape] };
  const [C, H, W] = img.shape;
  const [oh, ow] = k % 2 === 0 ? [H, W] : [W, H];
  const out = new Float32Array(img.data.length);
  for (let ch = 0; ch < C; ch++) {
    const ib = ch * H * W;
    const ob = ch * oh * ow;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        // Counter-clockwise: (y, x) → (W-1-x, y) for k=1; (H-1-y, W-1-x) for k=2; (x, H-1-y) for k=3.
        const [ny, nx] = k === 1 ? [W - 1 - x, y] : k === 2 ? [H - 1 - y, W - 1 - x] : [x, H - 1 - y];
        out[ob + ny * ow + nx] = img.data[ib + y * W + x];
      }
    }
  }
  return { data: out, shape: [C, oh, ow] };
}

/** Rotates by `degrees` counter-clockwise about the centre, same size, corners filled with `fill`. */
export function rotate(img: Img, degrees: number, fill = 0): Img {
  const [, H, W] = img.shape;
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cx = W / 2;
  const cy = H / 2;
  // Inverse map: rotate output coordinates clockwise (image y points down, so counter-clockwise on screen is -t here).
  return warpAffine(img, [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy], H, W, fill);
}

/** Shifts by (dx, dy) pixels (right, down), filling uncovered pixels with `fill`. */
export function translate(img: Img, dx: number, dy: number, fill = 0): Img {
  const [, H, W] = img.shape;
  return warpAffine(img, [1, 0, -dx, 0, 1, -dy], H, W, fill);
}

/** Crops the box (top, left, height, width) — which may be fractional — and resamples it to outH×outW. */
export function resizedCrop(img: Img, top: number, left: number, height: number, width: number, outH: number, outW: number): Img {
  let src = img;
  let [t, l, h, w] = [top, left, height, width];
  // Downscaling more than 2× by bilinear alone aliases; average whole-pixel blocks first.
  const fy = Math.max(1, Math.floor(h / outH));
  const fx = Math.max(1, Math.floor(w / outW));
  if (fy > 1 || fx > 1) {
    src = boxDownscale(img, fy, fx);
    [t, l, h, w] = [t / fy, l / fx, h / fy, w / fx];
  }
  const sy = h / outH;
  const sx = w / outW;
  return warpAffine(src, [sx, 0, l, 0, sy, t], outH, outW, 0);
}

/** Resizes to outH×outW (bilinear, area-averaged first for large reductions). */
export function resize(img: Img, outH: number, outW = outH): Img {
  const [, H, W] = img.shape;
  if (H === outH && W === outW) return { data: img.data.slice(), shape: [...img.shape] };
  return resizedCrop(img, 0, 0, H, W, outH, outW);
}

/** Crops the central outH×outW (pads with 0 when the image is smaller). */
export function centerCrop(img: Img, outH: number, outW = outH): Img {
  const [C, H, W] = img.shape;
  const top = Math.round((H - outH) / 2);
  const left = Math.round((W - outW) / 2);
  const out = new Float32Array(C * outH * outW);
  for (let ch = 0; ch < C; ch++) {
    for (let y = 0; y < outH; y++) {
      const sy = y + top;
      if (sy < 0 || sy >= H) continue;
      for (let x = 0; x < outW; x++) {
        const sx = x + left;
        if (sx >= 0 && sx < W) out[(ch * outH + y) * outW + x] = img.data[(ch * H + sy) * W + sx];
      }
    }
  }
  return { data: out, shape: [C, outH, outW] };
}

export const randomHorizontalFlip = (p = 0.5): Transform => withProbability(p, deterministic(hflip));
export const randomVerticalFlip = (p = 0.5): Transform => withProbability(p, deterministic(vflip));

/** Rotates by a random multiple of 90° (0, 90, 180 or 270). */
export function randomRotate90(p = 1): Transform {
  return withProbability(p, (img, g) => rotate90(img, g.int(0, 4)));
}

/** Rotates by an angle drawn uniformly from [-degrees, degrees]. */
export function randomRotation(degrees: number, fill = 0, p = 1): Transform {
  return withProbability(p, (img, g) => rotate(img, uniformIn(g, -degrees, degrees), fill));
}

/** Shifts by up to `fraction` of the width/height in each direction. */
export function randomTranslate(fraction: number, fill = 0, p = 1): Transform {
  return withProbability(p, (img, g) => {
    const [, H, W] = img.shape;
    return translate(img, Math.round(uniformIn(g, -fraction, fraction) * W), Math.round(uniformIn(g, -fraction, fraction) * H), fill);
  });
}

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image (default [0.5, 1] — small images lose too much below). */
  scale?: [number, number];
  /** Range of the crop's aspect ratio w/h, sampled log-uniformly (default [3/4, 4/3]). */
  ratio?: [number, number];
}

/** Crops a random box of random area and aspect and resizes it to outH×outW (the Inception crop). */
export function randomResizedCrop(outH: number, outW = outH, opts: RandomResizedCropOptions = {}): Transform {
  const [smin, smax] = opts.scale ?? [0.5, 1];
  const [rmin, rmax] = opts.ratio ?? [3 / 4, 4 / 3];
  return (img, g) => {
    const [, H, W] = img.shape;
    const area = H * W;
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = area * uniformIn(g, smin, smax);
      const ratio = Math.exp(uniformIn(g, Math.log(rmin), Math.log(rmax)));
      const w = Math.round(Math.sqrt(target * ratio));
      const h = Math.round(Math.sqrt(target / ratio));
      if (w > 0 && h > 0 && w <= W && h <= H) {
        const top = g.int(0, H - h + 1);
        const left = g.int(0, W - w + 1);
        return resizedCrop(img, top, left, h, w, outH, outW);
      }
    }
    // Fallback when no sampled box fits: the whole image.
    return resize(img, outH, outW);
  };
}
