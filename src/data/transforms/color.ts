/**
 * Colour transforms: brightness, contrast, saturation, hue (and colour jitter, which draws all four), grayscale,
 * black-and-white, and normalize. All but normalize keep values in [0, 1]. On 1-channel images saturation and hue do nothing.
 * @example
 *   const t = colorJitter({ brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.05 });
 */
import { clamp01, type Img, type Transform, uniformIn, withProbability } from './image.ts';

const LUMA = [0.299, 0.587, 0.114];

/** Per-pixel luminance plane (the image itself when it has one channel). */
function luminance(img: Img): Float32Array {
  const [C, H, W] = img.shape;
  const n = H * W;
  if (C < 3) return img.data.subarray(0, n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = LUMA[0] * img.data[i] + LUMA[1] * img.data[n + i] + LUMA[2] * img.data[2 * n + i];
  return out;
}

/** Multiplies every value by `factor` (1 = unchanged). */
export function adjustBrightness(img: Img, factor: number): Img {
  return { data: img.data.map((v) => clamp01(v * factor)), shape: [...img.shape] };
}

/** Scales the distance from the mean grey level by `factor` (0 = flat grey, 1 = unchanged). */
export function adjustContrast(img: Img, factor: number): Img {
  const lum = luminance(img);
  let mean = 0;
  for (let i = 0; i < lum.length; i++) mean += lum[i];
  mean /= lum.length;
  return { data: img.data.map((v) => clamp01(mean + (v - mean) * factor)), shape: [...img.shape] };
}

/** Blends each pixel with its own grey (0 = grayscale, 1 = unchanged, >1 = more vivid). */
export function adjustSaturation(img: Img, factor: number): Img {
  const [C, H, W] = img.shape;
  if (C < 3) return { data: img.data.slice(), shape: [...img.shape] };
  const n = H * W;
  const lum = luminance(img);
  const out = new Float32Array(img.data.length);
  for (let ch = 0; ch < C; ch++) for (let i = 0; i < n; i++) out[ch * n + i] = clamp01(lum[i] + (img.data[ch * n + i] - lum[i]) * factor);
  return { data: out, shape: [C, H, W] };
}

/** Rotates hue by `shift` turns (in [-0.5, 0.5]) through HSV. */
export function adjustHue(img: Img, shift: number): Img {
  const [C, H, W] = img.shape;
  if (C < 3) return { data: img.data.slice(), shape: [...img.shape] };
  const n = H * W;
  const d = img.data;
  const out = new Float32Array(d.length);
  for (let i = 0; i < n; i++) {
    const r = d[i];
    const g = d[n + i];
    const b = d[2 * n + i];
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const delta = max - min;
    let h = 0;
    if (delta > 0) {
      if (max === r) h = ((g - b) / delta) % 6;
      else if (max === g) h = (b - r) / delta + 2;
      else h = (r - g) / delta + 4;
      h /= 6;
    }
    h = (((h + shift) % 1) + 1) % 1;
    const s = max === 0 ? 0 : delta / max;
    const v = max;
    const hi = Math.floor(h * 6) % 6;
    const f = h * 6 - Math.floor(h * 6);
    const p = v * (1 - s);
    const q = v * (1 - f * s);
    const t = v * (1 - (1 - f) * s);
    const rgb = [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ][hi];
    out[i] = rgb[0];
    out[n + i] = rgb[1];
    out[2 * n + i] = rgb[2];
  }
  for (let i = 3 * n; i < d.length; i++) out[i] = d[i];
  return { data: out, shape: [C, H, W] };
}

/** Luminance copied into every channel (so the shape is kept), or a single channel with `keepChannels: false`. */
export function grayscale(img: Img, keepChannels = true): Img {
  const [C, H, W] = img.shape;
  const lum = luminance(img);
  if (!keepChannels) return { data: Float32Array.from(lum), shape: [1, H, W] };
  const out = new Float32Array(C * H * W);
  for (let ch = 0; ch < C; ch++) out.set(lum, ch * H * W);
  return { data: out, shape: [C, H, W] };
}

/** Pure black and white: luminance thresholded at `threshold` (default: the image's mean luminance), in every channel. */
export function blackAndWhite(img: Img, threshold?: number): Img {
  const g = grayscale(img);
  const t = threshold ?? g.data.reduce((s, v) => s + v, 0) / g.data.length;
  return { data: g.data.map((v) => (v > t ? 1 : 0)), shape: g.shape };
}

/** (x - mean[c]) / std[c] per channel; a single mean/std applies to every channel. Values leave [0, 1] by design. */
export function normalize(img: Img, mean: number[], std: number[]): Img {
  const [C, H, W] = img.shape;
  const n = H * W;
  const out = new Float32Array(img.data.length);
  for (let ch = 0; ch < C; ch++) {
    const m = mean[Math.min(ch, mean.length - 1)];
    const s = std[Math.min(ch, std.length - 1)];
    if (!(s > 0)) throw new RangeError(`normalize: std must be positive, got ${s} for channel ${ch}`);
    for (let i = 0; i < n; i++) out[ch * n + i] = (img.data[ch * n + i] - m) / s;
  }
  return { data: out, shape: [C, H, W] };
}

export interface ColorJitterOptions {
  /** Factor drawn from [1-b, 1+b]. */
  brightness?: number;
  /** Factor drawn from [1-c, 1+c]. */
  contrast?: number;
  /** Factor drawn from [1-s, 1+s]. */
  saturation?: number;
  /** Shift drawn from [-h, h] turns (h ≤ 0.5). */
  hue?: number;
}

/** Brightness, contrast, saturation and hue, each by a random amount, in that order. */
export function colorJitter(o: ColorJitterOptions, p = 1): Transform {
  const { brightness = 0, contrast = 0, saturation = 0, hue = 0 } = o;
  return withProbability(p, (img, g) => {
    // Draw all four factors even when unused so one option does not shift the randomness of the others.
    const fb = uniformIn(g, Math.max(0, 1 - brightness), 1 + brightness);
    const fc = uniformIn(g, Math.max(0, 1 - contrast), 1 + contrast);
    const fs = uniformIn(g, Math.max(0, 1 - saturation), 1 + saturation);
    const fh = uniformIn(g, -hue, hue);
    let out = img;
    if (brightness > 0) out = adjustBrightness(out, fb);
    if (contrast > 0) out = adjustContrast(out, fc);
    if (saturation > 0) out = adjustSaturation(out, fs);
    if (hue > 0) out = adjustHue(out, fh);
    return out;
  });
}
