/**
 * The pixel transformer's fixed codebook: an image is average-pooled to a small grid, each pixel quantised to a few
 * grey levels, and each p×p patch of quantised pixels is one token (token = Σ level_i · L^i over the patch, raster
 * order inside the patch), patches in raster order, channel after channel. Decoding is exact on the quantised grid
 * (dequantise then quantise gives the same levels back) and is resized back to the model's image size.
 * @example
 *   const tok = new PixelTokenizer({ imageShape: [1, 28, 28], grid: 14, levels: 4, patch: 2 });
 *   tok.vocabSize;            // 256 (4 levels ^ 4 pixels)
 *   tok.length;               // 49 tokens per image
 *   tok.decode(tok.encode(x)) // x at 14x14 with 4 grey levels, resized back to 28x28
 */
import { noGrad } from '../autograd/grad-mode.ts';
import { adaptiveAvgPool2d, upsample } from '../ops/pool.ts';
import { formatShape } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';

export interface PixelTokenizerOptions {
  /** [channels, height, width] of the model's images. */
  imageShape: [number, number, number];
  /** Side of the square grid the image is pooled to (default 14). */
  grid?: number;
  /** Grey levels per pixel (default 4). */
  levels?: number;
  /** Side of the square patch of pixels that makes one token (default 2; must divide grid). */
  patch?: number;
}

/** Level of a value in [0, 1] among `levels` evenly spaced ones (0 → 0, 1 → levels − 1). */
export function quantise(v: number, levels: number): number {
  const q = Math.round(v * (levels - 1));
  return q < 0 ? 0 : q > levels - 1 ? levels - 1 : q;
}

/** The value in [0, 1] of a level. */
export function dequantise(q: number, levels: number): number {
  return q / (levels - 1);
}

export class PixelTokenizer {
  readonly imageShape: [number, number, number];
  readonly grid: number;
  readonly levels: number;
  readonly patch: number;
  /** Tokens per image. */
  readonly length: number;
  /** Distinct tokens: levels ^ (patch²). */
  readonly vocabSize: number;
  private readonly side: number;

  constructor(o: PixelTokenizerOptions) {
    const [c, h, w] = o.imageShape;
    this.imageShape = [c, h, w];
    this.grid = o.grid ?? 14;
    this.levels = o.levels ?? 4;
    this.patch = o.patch ?? 2;
    if (!Number.isInteger(this.levels) || this.levels < 2) throw new RangeError(`pixel-transformer: levels must be an integer ≥ 2, got ${this.levels}`);
    if (!Number.isInteger(this.grid) || this.grid < 1 || this.grid % this.patch !== 0)
      throw new RangeError(`pixel-transformer: the patch (${this.patch}) must divide the grid (${this.grid})`);
    if (this.grid > Math.min(h, w))
      throw new RangeError(`pixel-transformer: the token grid (${this.grid}) is larger than the images (${h}x${w}); use a smaller grid or larger images`);
    this.side = this.grid / this.patch;
    this.length = c * this.side * this.side;
    this.vocabSize = this.levels ** (this.patch * this.patch);
    if (this.vocabSize > 65536)
      throw new RangeError(`pixel-transformer: ${this.levels} levels in ${this.patch}x${this.patch} patches make ${this.vocabSize} tokens; at most 65536`);
  }

  /** Images [N, C, H, W] in [0, 1] → int32 tokens [N, length]. */
  encode(images: Tensor): Tensor {
    const [c, h, w] = this.imageShape;
    if (images.rank !== 4 || images.shape[1] !== c || images.shape[2] !== h || images.shape[3] !== w)
      throw new RangeError(`pixel-transformer: expected images [N, ${c}, ${h}, ${w}], got ${formatShape(images.shape)}`);
    const n = images.shape[0];
    const g = this.grid;
    const small = noGrad(() => (h === g && w === g ? images : adaptiveAvgPool2d(images, [g, g]))).f32;
    const p = this.patch;
    const s = this.side;
    const out = new Int32Array(n * this.length);
    let k = 0;
    for (let i = 0; i < n; i++)
      for (let ch = 0; ch < c; ch++) {
        const plane = (i * c + ch) * g * g;
        for (let py = 0; py < s; py++)
          for (let px = 0; px < s; px++) {
            let token = 0;
            let mult = 1;
            for (let dy = 0; dy < p; dy++)
              for (let dx = 0; dx < p; dx++) {
                token += quantise(small[plane + (py * p + dy) * g + px * p + dx], this.levels) * mult;
                mult *= this.levels;
              }
            out[k++] = token;
          }
      }
    return new Tensor(out, [n, this.length]);
  }

  /** The dequantised grid [N, C, grid, grid] of tokens [N, ≤ length] (tokens not given yet are black). */
  decodeGrid(tokens: Int32Array, n: number, given = this.length): Tensor {
    const c = this.imageShape[0];
    const g = this.grid;
    const p = this.patch;
    const s = this.side;
    const out = new Float32Array(n * c * g * g);
    for (let i = 0; i < n; i++)
      for (let t = 0; t < given; t++) {
        const ch = Math.floor(t / (s * s));
        const py = Math.floor((t % (s * s)) / s);
        const px = t % s;
        let token = tokens[i * given + t];
        for (let dy = 0; dy < p; dy++)
          for (let dx = 0; dx < p; dx++) {
            out[((i * c + ch) * g + py * p + dy) * g + px * p + dx] = dequantise(token % this.levels, this.levels);
            token = Math.floor(token / this.levels);
          }
      }
    return new Tensor(out, [n, c, g, g]);
  }

  /** Tokens [N, length] → images [N, C, H, W] in [0, 1] (bilinear resize of the dequantised grid). */
  decode(tokens: Tensor): Tensor {
    if (tokens.dtype !== 'int32' || tokens.rank !== 2 || tokens.shape[1] !== this.length)
      throw new RangeError(`pixel-transformer: expected int32 tokens [N, ${this.length}], got ${tokens.dtype} ${formatShape(tokens.shape)}`);
    return this.resize(this.decodeGrid(tokens.data as Int32Array, tokens.shape[0]));
  }

  /** A grid [N, C, grid, grid] resized to the image size. */
  resize(grid: Tensor): Tensor {
    const [, h, w] = this.imageShape;
    if (h === this.grid && w === this.grid) return grid;
    return noGrad(() => upsample(grid, { size: [h, w], mode: 'bilinear' }));
  }
}
