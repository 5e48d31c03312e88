/**
 * Formula-driven pretraining data in the style of FractalDB (Kataoka et al., 2020): images no one photographed, so
 * they can ship with the package and be made in any number. Three families of classes, all grayscale, bright on dark
 * like Fashion-MNIST:
 * - fractals: each class is an iterated function system (2–4 contractive affine maps, drawn from the seed and kept
 *   only when its attractor fills enough of the image); each image renders it by the chaos game with one map's
 *   parameters jittered (FractalDB's intra-category weighting), a random flip, rotation, scale and position;
 * - shapes: the library's own `shapes` scenes (circle, square, triangle, star), converted to luma;
 * - textures: stripes at four orientations, checkerboards, dots, rings and band-limited noise, with jittered
 *   frequency, phase and contrast.
 * Sample i depends only on (seed, i), so any subset, order or thread sees the same image, and nothing is stored.
 * @example
 *   const ds = new ProceduralDataset({ count: 20000, size: 28, seed: 0 });
 *   ds.classes.length; // 40 fractals + 4 shapes + 9 textures = 53
 */
import { checkIndex, type Dataset, type Sample } from '../data/dataset.ts';
import { generatorFor } from '../data/seed.ts';
import { renderScene, SHAPE_CLASSES, shapesScene } from '../data/shapes.ts';
import type { Generator } from '../tensor/random.ts';

export interface ProceduralOptions {
  /** Images in the dataset (as many as the recipe needs: they are made on the fly). */
  count: number;
  /** Square side in pixels (default 28). */
  size?: number;
  /** Fractal classes (default 40). */
  fractalClasses?: number;
  seed?: number;
  /** Sample i is image `offset + i` of the endless sequence (a held-out set is the same seed at another offset). */
  offset?: number;
  /** Keep each image once rendered (memory: count × size² floats), so later epochs do not draw it again. */
  cache?: boolean;
}

const TEXTURES = ['stripes-0', 'stripes-45', 'stripes-90', 'stripes-135', 'checker', 'dots', 'rings', 'noise-fine', 'noise-coarse'] as const;

/** One affine map x' = a x + b y + e, y' = c x + d y + f. */
type Affine = [number, number, number, number, number, number];

const FILL_GRID = 32;

/** Chaos-game points of an IFS (after a burn-in), choosing maps with probability ∝ |det|. */
function ifsPoints(maps: Affine[], n: number, g: Generator): Float64Array {
  const dets = maps.map((m) => Math.max(0.02, Math.abs(m[0] * m[3] - m[1] * m[2])));
  const total = dets.reduce((a, b) => a + b, 0);
  const cum: number[] = [];
  let acc = 0;
  for (const d of dets) cum.push((acc += d / total));
  const pts = new Float64Array(2 * n);
  let x = 0;
  let y = 0;
  for (let i = -20; i < n; i++) {
    const u = g.uniform();
    let k = 0;
    while (k < maps.length - 1 && u > cum[k]) k++;
    const m = maps[k];
    const nx = m[0] * x + m[1] * y + m[4];
    const ny = m[2] * x + m[3] * y + m[5];
    x = nx;
    y = ny;
    if (i >= 0) {
      pts[2 * i] = x;
      pts[2 * i + 1] = y;
    }
  }
  return pts;
}

/** Fraction of a grid's cells the points touch after fitting their bounding box to the grid. */
function fillRate(pts: Float64Array): number {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < pts.length; i += 2) {
    x0 = Math.min(x0, pts[i]);
    x1 = Math.max(x1, pts[i]);
    y0 = Math.min(y0, pts[i + 1]);
    y1 = Math.max(y1, pts[i + 1]);
  }
  if (!Number.isFinite(x0 + x1 + y0 + y1) || x1 - x0 < 1e-6 || y1 - y0 < 1e-6) return 0;
  const s = Math.max(x1 - x0, y1 - y0);
  const seen = new Uint8Array(FILL_GRID * FILL_GRID);
  for (let i = 0; i < pts.length; i += 2) {
    const gx = Math.min(FILL_GRID - 1, Math.floor(((pts[i] - x0) / s) * FILL_GRID));
    const gy = Math.min(FILL_GRID - 1, Math.floor(((pts[i + 1] - y0) / s) * FILL_GRID));
    seen[gy * FILL_GRID + gx] = 1;
  }
  return seen.reduce((a, b) => a + b, 0) / seen.length;
}

/** The IFS of fractal class k: random contractive maps, redrawn until the attractor fills ≥ 12% of the grid. */
export function fractalCategory(seed: number, k: number): Affine[] {
  const g = generatorFor(seed, k, 0xf4ac);
  let best: { maps: Affine[]; fill: number } | null = null;
  for (let attempt = 0; attempt < 200; attempt++) {
    const n = 2 + g.int(0, 3);
    const maps: Affine[] = [];
    for (let i = 0; i < n; i++) {
      let m: Affine;
      do {
        m = [0, 0, 0, 0, 0, 0].map(() => g.uniform() * 2 - 1) as Affine;
      } while (!contractive(m));
      maps.push(m);
    }
    const fill = fillRate(ifsPoints(maps, 1500, g));
    if (fill >= 0.12) return maps;
    if (!best || fill > best.fill) best = { maps, fill };
  }
  return best!.maps;
}

/** Both singular values of the linear part below 1 (so the chaos game converges to an attractor). */
function contractive(m: Affine): boolean {
  const [a, b, c, d] = m;
  const s = a * a + b * b + c * c + d * d;
  const det = a * d - b * c;
  const disc = Math.sqrt(Math.max(0, s * s - 4 * det * det));
  return (s + disc) / 2 < 0.95 && Math.abs(det) > 0.01;
}

export class ProceduralDataset implements Dataset {
  readonly length: number;
  readonly classes: string[];
  readonly channels = 1;
  readonly height: number;
  readonly width: number;
  readonly seed: number;
  readonly offset: number;
  private readonly fractals: Affine[][];
  private readonly cached: Float32Array | null;
  private readonly done: Uint8Array | null;

  constructor(readonly options: ProceduralOptions) {
    this.length = options.count;
    this.height = this.width = options.size ?? 28;
    this.seed = options.seed ?? 0;
    this.offset = options.offset ?? 0;
    const nf = options.fractalClasses ?? 40;
    this.fractals = Array.from({ length: nf }, (_, k) => fractalCategory(this.seed, k));
    this.cached = options.cache ? new Float32Array(this.length * this.height * this.width) : null;
    this.done = options.cache ? new Uint8Array(this.length) : null;
    this.classes = [...this.fractals.map((_, k) => `fractal-${String(k).padStart(2, '0')}`), ...SHAPE_CLASSES, ...TEXTURES];
  }

  /** The class of sample i: classes take turns, so every class is equally common. */
  labelOf(index: number): number {
    return (this.offset + index) % this.classes.length;
  }

  labels(): Int32Array {
    return Int32Array.from({ length: this.length }, (_, i) => this.labelOf(i));
  }

  readInto(index: number, out: Float32Array, offset: number): number {
    const n = this.height * this.width;
    if (this.cached && this.done) {
      const slot = this.cached.subarray(index * n, (index + 1) * n);
      if (!this.done[index]) {
        this.render(index, slot);
        this.done[index] = 1;
      }
      out.set(slot, offset);
      return this.labelOf(index);
    }
    return this.render(index, out.subarray(offset, offset + n));
  }

  private render(index: number, img: Float32Array): number {
    const label = this.labelOf(index);
    const at = this.offset + index;
    const g = generatorFor(this.seed, at, 0x9c0d);
    const nf = this.fractals.length;
    if (label < nf) this.renderFractal(this.fractals[label], g, img);
    else if (label < nf + SHAPE_CLASSES.length) this.renderShape(label - nf, at, img);
    else this.renderTexture(label - nf - SHAPE_CLASSES.length, g, img);
    return label;
  }

  get(index: number): Sample {
    checkIndex(index, this.length, 'ProceduralDataset.get');
    const image = new Float32Array(this.height * this.width);
    const label = this.readInto(index, image, 0);
    return { image, shape: [1, this.height, this.width], label };
  }

  private renderFractal(category: Affine[], g: Generator, img: Float32Array): void {
    const size = this.width;
    const maps = category.map((m) => [...m] as Affine);
    // FractalDB's intra-category variation: one parameter of one map weighted by 0.8–1.2.
    const which = g.int(0, maps.length);
    const param = g.int(0, 4);
    maps[which][param] *= 0.8 + 0.4 * g.uniform();
    const pts = ifsPoints(maps, 1200 + size * size * 2, g);
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    const angle = g.uniform() * Math.PI * 2;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const flip = g.uniform() < 0.5 ? -1 : 1;
    for (let i = 0; i < pts.length; i += 2) {
      const x = pts[i] * flip;
      const y = pts[i + 1];
      pts[i] = x * cos - y * sin;
      pts[i + 1] = x * sin + y * cos;
      x0 = Math.min(x0, pts[i]);
      x1 = Math.max(x1, pts[i]);
      y0 = Math.min(y0, pts[i + 1]);
      y1 = Math.max(y1, pts[i + 1]);
    }
    const span = Math.max(1e-6, x1 - x0, y1 - y0);
    const extent = size * (0.6 + 0.35 * g.uniform());
    const scale = extent / span;
    const ox = (size - (x1 - x0) * scale) * g.uniform();
    const oy = (size - (y1 - y0) * scale) * g.uniform();
    const acc = new Float32Array(size * size);
    for (let i = 0; i < pts.length; i += 2) {
      const px = Math.floor((pts[i] - x0) * scale + ox);
      const py = Math.floor((pts[i + 1] - y0) * scale + oy);
      if (px >= 0 && px < size && py >= 0 && py < size) acc[py * size + px] += 1;
    }
    let peak = 0;
    for (let i = 0; i < acc.length; i++) peak = Math.max(peak, acc[i]);
    const bright = 0.6 + 0.4 * g.uniform();
    const bg = 0.15 * g.uniform();
    // log-density so sparse and dense parts both show
    const norm = Math.log1p(Math.max(1, peak));
    for (let i = 0; i < acc.length; i++) img[i] = bg + (bright - bg) * Math.min(1, (Math.log1p(acc[i]) / norm) * 1.6);
  }

  private renderShape(shape: number, index: number, img: Float32Array): void {
    const size = this.width;
    // The scenes of the shapes dataset, redrawn until the main object is the wanted shape.
    let scene = shapesScene(this.seed, index, size);
    for (let k = 1; scene.label !== shape; k++) scene = shapesScene(this.seed, index + k * 7919 * 64, size);
    const rgb = new Float32Array(3 * size * size);
    renderScene(scene, size, rgb, 0);
    const n = size * size;
    for (let i = 0; i < n; i++) img[i] = 0.299 * rgb[i] + 0.587 * rgb[n + i] + 0.114 * rgb[2 * n + i];
  }

  private renderTexture(kind: number, g: Generator, img: Float32Array): void {
    const size = this.width;
    const name = TEXTURES[kind];
    const freq = (2 + 4 * g.uniform()) / size; // cycles per pixel
    const phase = g.uniform() * Math.PI * 2;
    const contrast = 0.5 + 0.5 * g.uniform();
    const base = 0.5 * (1 - contrast) * g.uniform();
    const jitter = (g.uniform() - 0.5) * 0.3;
    const cx = size * (0.3 + 0.4 * g.uniform());
    const cy = size * (0.3 + 0.4 * g.uniform());
    const noise = name.startsWith('noise') ? smoothNoise(size, name === 'noise-fine' ? 2 : 6, g) : null;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let v: number;
        switch (name) {
          case 'stripes-0':
          case 'stripes-45':
          case 'stripes-90':
          case 'stripes-135': {
            const a = (Number(name.slice(8)) * Math.PI) / 180 + jitter;
            v = 0.5 + 0.5 * Math.sin(2 * Math.PI * freq * (x * Math.cos(a) + y * Math.sin(a)) + phase);
            break;
          }
          case 'checker':
            v = (Math.floor(x * freq * 2 + phase) + Math.floor(y * freq * 2 + phase)) % 2 === 0 ? 1 : 0;
            break;
          case 'dots': {
            const sx = Math.sin(2 * Math.PI * freq * x + phase);
            const sy = Math.sin(2 * Math.PI * freq * y + phase);
            v = sx * sy > 0.5 ? 1 : 0;
            break;
          }
          case 'rings':
            v = 0.5 + 0.5 * Math.sin(2 * Math.PI * freq * Math.hypot(x - cx, y - cy) + phase);
            break;
          default:
            v = noise![y * size + x];
        }
        img[y * size + x] = base + contrast * v;
      }
    }
  }
}

/** Value noise in [0, 1]: a random grid every `cell` pixels, bilinearly interpolated. */
function smoothNoise(size: number, cell: number, g: Generator): Float32Array {
  const n = Math.ceil(size / cell) + 2;
  const grid = Float32Array.from({ length: n * n }, () => g.uniform());
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const fx = x / cell;
      const fy = y / cell;
      const ix = Math.floor(fx);
      const iy = Math.floor(fy);
      const tx = fx - ix;
      const ty = fy - iy;
      const at = (i: number, j: number) => grid[j * n + i];
      out[y * size + x] = (at(ix, iy) * (1 - tx) + at(ix + 1, iy) * tx) * (1 - ty) + (at(ix, iy + 1) * (1 - tx) + at(ix + 1, iy + 1) * tx) * ty;
    }
  }
  return out;
}
