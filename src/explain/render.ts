/**
 * Turning explanation maps into images: a perceptual colour map for heat, an overlay on the input, and a tiled grid of
 * feature maps. Images are CHW float32 in [0, 1], as the data layer's encodePng expects.
 */
import type { Map2d } from './maps.ts';

/** Stops of the 'inferno' colour map (dark → purple → orange → pale yellow): ordered in lightness, readable in grey. */
const INFERNO: [number, number, number][] = [
  [0, 0, 4],
  [40, 11, 84],
  [101, 21, 110],
  [159, 42, 99],
  [212, 72, 66],
  [245, 125, 21],
  [250, 193, 39],
  [252, 255, 164],
];

/** The colour of a value in [0, 1] as [r, g, b] in [0, 1]. */
export function inferno(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (INFERNO.length - 1);
  const i = Math.min(INFERNO.length - 2, Math.floor(t));
  const f = t - i;
  const a = INFERNO[i];
  const b = INFERNO[i + 1];
  return [0, 1, 2].map((c) => (a[c] + (b[c] - a[c]) * f) / 255) as [number, number, number];
}

/** A [0, 1] map drawn with the colour map: a 3-channel CHW image. */
export function colorize(map: Map2d): { image: Float32Array; shape: [number, number, number] } {
  const plane = map.height * map.width;
  const image = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    const [r, g, b] = inferno(map.data[i]);
    image[i] = r;
    image[plane + i] = g;
    image[2 * plane + i] = b;
  }
  return { image, shape: [3, map.height, map.width] };
}

/** The input image (1 or 3 channels) blended with the coloured heat map; alpha is the heat's weight. */
export function overlay(image: Float32Array, shape: readonly number[], map: Map2d, alpha = 0.5): { image: Float32Array; shape: [number, number, number] } {
  const [c, h, w] = shape;
  if (h !== map.height || w !== map.width) throw new RangeError(`overlay: image is ${h}x${w} but the map is ${map.height}x${map.width}`);
  const heat = colorize(map).image;
  const plane = h * w;
  const out = new Float32Array(3 * plane);
  for (let ch = 0; ch < 3; ch++) {
    const src = Math.min(ch, c - 1);
    for (let i = 0; i < plane; i++) out[ch * plane + i] = (1 - alpha) * image[src * plane + i] + alpha * heat[ch * plane + i];
  }
  return { image: out, shape: [3, h, w] };
}

/** Min–max scales each channel of a [channels, h, w] stack on its own and tiles them into one grayscale grid image. */
export function tileChannels(data: Float32Array, channels: number, h: number, w: number, options: { columns?: number; gap?: number } = {}) {
  const cols = options.columns ?? Math.ceil(Math.sqrt(channels));
  const rows = Math.ceil(channels / cols);
  const gap = options.gap ?? 1;
  const gridH = rows * h + (rows - 1) * gap;
  const gridW = cols * w + (cols - 1) * gap;
  const image = new Float32Array(gridH * gridW).fill(1);
  for (let ch = 0; ch < channels; ch++) {
    const plane = data.subarray(ch * h * w, (ch + 1) * h * w);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of plane) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const span = hi - lo;
    const top = Math.floor(ch / cols) * (h + gap);
    const left = (ch % cols) * (w + gap);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) image[(top + y) * gridW + left + x] = span > 0 ? (plane[y * w + x] - lo) / span : 0;
  }
  return { image, shape: [1, gridH, gridW] as [number, number, number], columns: cols, rows };
}
