/**
 * The built-in synthetic `shapes` dataset: circles, squares, triangles and stars in several colours, sizes and positions
 * on varied backgrounds, each with a class label (the shape of the main object) and a caption such as
 * "a small red circle above a blue square". Generated on the fly, so it needs no download and no disk.
 *
 * Sample i depends only on (seed, i): it is drawn from its own Generator, so any subset, order or worker thread sees
 * the same image. Shapes are rasterised with 4x4 supersampling for anti-aliased edges.
 *
 * @example
 *   const ds = new ShapesDataset({ kind: 'shapes', count: 1000, size: 32, seed: 0 });
 *   const s = ds.get(7); // s.label in 0..3, s.caption e.g. 'a large yellow star on a gray background'
 */
import { checkIndex, type Sample, type ShapesSpec, type SpecDataset } from './dataset.ts';
import { generatorFor } from './seed.ts';

export const SHAPE_CLASSES = ['circle', 'square', 'triangle', 'star'];

/**
 * Shapes the dataset never draws (shape ids 4 and 5, after SHAPE_CLASSES): new concepts a trained text-to-image model
 * can be taught (models/concept.ts), rendered by the same rasteriser.
 */
export const NOVEL_SHAPES = ['cross', 'heart'] as const;
export type NovelShape = (typeof NOVEL_SHAPES)[number];

/** Object colours: name and RGB in [0, 1]. */
export const OBJECT_COLOURS: [string, number, number, number][] = [
  ['red', 0.9, 0.12, 0.1],
  ['green', 0.15, 0.75, 0.2],
  ['blue', 0.15, 0.35, 0.95],
  ['yellow', 0.95, 0.88, 0.1],
  ['purple', 0.6, 0.2, 0.8],
  ['orange', 1.0, 0.55, 0.05],
  ['white', 0.97, 0.97, 0.97],
];

// Backgrounds are kept darker or paler than the saturated objects so the main object always stands out.
export const BACKGROUNDS: [string, number, number, number][] = [
  ['black', 0.05, 0.05, 0.05],
  ['gray', 0.4, 0.4, 0.42],
  ['dark blue', 0.08, 0.1, 0.3],
  ['brown', 0.35, 0.22, 0.12],
  ['dark green', 0.06, 0.25, 0.1],
];

export const SIZES: [string, number, number][] = [
  // name, min and max half-extent as a fraction of the image side
  ['small', 0.11, 0.15],
  ['medium', 0.17, 0.22],
  ['large', 0.26, 0.33],
];

export const RELATIONS = ['above', 'below', 'left of', 'right of'] as const;
export type Relation = (typeof RELATIONS)[number];

export interface ShapeObject {
  shape: number;
  colour: number;
  sizeName: string;
  /** Centre and half-extent in pixels, rotation in radians. */
  cx: number;
  cy: number;
  r: number;
  angle: number;
}

export interface ShapesScene {
  background: { colour: number; style: 'solid' | 'gradient' | 'noise'; gradientAngle: number; noiseSeed: number };
  objects: ShapeObject[];
  relation?: (typeof RELATIONS)[number];
  caption: string;
  label: number;
}

/**
 * The combinations a text-to-image model never sees in training (ShapesSpec.text2img), so its eval can ask whether
 * it composes words it learned apart: colour–shape pairs on either object, and colour–shape–relation triples of the
 * main object (its colour and shape do appear, only never in that relation).
 */
export const HELD_OUT_PAIRS: readonly [string, string][] = [
  ['red', 'star'],
  ['blue', 'triangle'],
  ['green', 'circle'],
  ['yellow', 'square'],
];
export const HELD_OUT_TRIPLES: readonly [string, string, Relation][] = [
  ['purple', 'circle', 'above'],
  ['orange', 'square', 'left of'],
  ['white', 'triangle', 'below'],
  ['blue', 'star', 'right of'],
];

/** Whether a caption's objects (colour, shape) and relation use a held-out pair or triple. */
export function isHeldOutCombination(objects: readonly { colour: string; shape: string }[], relation?: string): boolean {
  if (objects.some((o) => HELD_OUT_PAIRS.some(([c, s]) => o.colour === c && o.shape === s))) return true;
  const main = objects[0];
  return relation !== undefined && HELD_OUT_TRIPLES.some(([c, s, r]) => main.colour === c && main.shape === s && relation === r);
}

function sceneIsHeldOut(scene: ShapesScene): boolean {
  const objects = scene.objects.map((o) => ({ colour: OBJECT_COLOURS[o.colour][0], shape: SHAPE_CLASSES[o.shape] }));
  return isHeldOutCombination(objects, scene.relation);
}

/**
 * The scene of a text-to-image sample: like shapesScene, but the second object is drawn at 0.7–0.85 of the main
 * one's size and at least 0.12 of the image side (4 px at 32 px, where the scene verifier reads its shape reliably),
 * and scenes with a held-out combination are drawn again (attempt k uses its own stream). A third of the captions
 * leave out the size word and a third of the single-object ones the background, so shorter prompts ("a red circle
 * above a blue square") are captions the model has seen.
 */
export function text2imgScene(seed: number, index: number, size: number): ShapesScene {
  for (let k = 0; ; k++) {
    const scene = shapesScene(seed, index, size, { attempt: k, second: [0.7, 0.85], minSecond: 0.12 });
    if (sceneIsHeldOut(scene)) continue;
    const g = generatorFor(seed, index, 0x7e47);
    let caption = scene.caption;
    if (g.uniform() < 1 / 3) caption = caption.replace(` ${scene.objects[0].sizeName} `, ' ');
    if (g.uniform() < 1 / 3) caption = caption.replace(/ on a [a-z ]+ background$/, '');
    return { ...scene, caption };
  }
}

export interface SceneOptions {
  /** Draws from another stream of the same (seed, index) (rejection sampling). Default 0. */
  attempt?: number;
  /** The second object's half-extent as a fraction range of the main one's (default [0.55, 0.7]). */
  second?: [number, number];
  /** And at least this fraction of the image side (default 0). */
  minSecond?: number;
}

/** Draws the scene of sample `index` (cheap: a few dozen random numbers, no pixels). */
export function shapesScene(seed: number, index: number, size: number, o: SceneOptions = {}): ShapesScene {
  const g = o.attempt ? generatorFor(seed, index, 0x5a4e, o.attempt) : generatorFor(seed, index, 0x5a4e);
  const label = g.int(0, SHAPE_CLASSES.length);
  const colour = g.int(0, OBJECT_COLOURS.length);
  const bgColour = g.int(0, BACKGROUNDS.length);
  const styles = ['solid', 'gradient', 'noise'] as const;
  const background = { colour: bgColour, style: styles[g.int(0, 3)], gradientAngle: g.uniform() * Math.PI * 2, noiseSeed: g.nextUint32() };
  const two = g.uniform() < 0.5;
  const angleOf = (shape: number) => (shape === 0 ? 0 : (g.uniform() - 0.5) * (shape === 3 ? Math.PI / 2.5 : Math.PI / 6));
  if (!two) {
    const sizeIdx = g.int(0, 3);
    const [sizeName, lo, hi] = SIZES[sizeIdx];
    const r = (lo + g.uniform() * (hi - lo)) * size;
    const margin = r + 1;
    const cx = margin + g.uniform() * Math.max(0, size - 2 * margin);
    const cy = margin + g.uniform() * Math.max(0, size - 2 * margin);
    const obj = { shape: label, colour, sizeName, cx, cy, r, angle: angleOf(label) };
    const caption = `a ${sizeName} ${OBJECT_COLOURS[colour][0]} ${SHAPE_CLASSES[label]} on a ${BACKGROUNDS[bgColour][0]} background`;
    return { background, objects: [obj], caption, label };
  }
  // Two objects: each gets one half of the image along the relation's axis; only small and medium main objects fit.
  const sizeIdx = g.int(0, 2);
  const [sizeName, lo, hi] = SIZES[sizeIdx];
  const r = (lo + g.uniform() * (hi - lo)) * size;
  // The second object is clearly smaller, so "the label is the larger shape" can be learned from pixels alone.
  const [lo2, hi2] = o.second ?? [0.55, 0.7];
  const r2 = Math.max(r * (lo2 + (hi2 - lo2) * g.uniform()), (o.minSecond ?? 0) * size);
  const relation = RELATIONS[g.int(0, 4)];
  const shape2 = g.int(0, SHAPE_CLASSES.length);
  let colour2 = g.int(0, OBJECT_COLOURS.length - 1);
  if (colour2 >= colour) colour2++;
  const half = size / 2;
  const place = (rad: number, lowHalf: boolean): [number, number] => {
    const along = lowHalf ? rad + 0.5 + g.uniform() * Math.max(0, half - 2 * rad - 0.5) : half + rad + g.uniform() * Math.max(0, half - 2 * rad - 0.5);
    const across = rad + 1 + g.uniform() * Math.max(0, size - 2 * rad - 2);
    return [along, across];
  };
  const mainFirst = relation === 'above' || relation === 'left of';
  const [a1, c1] = place(r, mainFirst);
  const [a2, c2] = place(r2, !mainFirst);
  const vertical = relation === 'above' || relation === 'below';
  const main: ShapeObject = { shape: label, colour, sizeName, cx: vertical ? c1 : a1, cy: vertical ? a1 : c1, r, angle: angleOf(label) };
  const other: ShapeObject = { shape: shape2, colour: colour2, sizeName: '', cx: vertical ? c2 : a2, cy: vertical ? a2 : c2, r: r2, angle: angleOf(shape2) };
  const caption = `a ${sizeName} ${OBJECT_COLOURS[colour][0]} ${SHAPE_CLASSES[label]} ${relation} a ${OBJECT_COLOURS[colour2][0]} ${SHAPE_CLASSES[shape2]}`;
  return { background, objects: [main, other], relation, caption, label };
}

/** Polygon vertices of a shape centred at the origin (square, triangle, star); null for the circle. */
function polygonOf(o: ShapeObject): [number, number][] | null {
  const pts: [number, number][] = [];
  const rot = (x: number, y: number): [number, number] => {
    const c = Math.cos(o.angle);
    const s = Math.sin(o.angle);
    return [x * c - y * s, x * s + y * c];
  };
  if (o.shape === 1) {
    const h = o.r * 0.85; // a square of half-side 0.85r has about the area of the circle of radius r
    for (const [x, y] of [
      [-h, -h],
      [h, -h],
      [h, h],
      [-h, h],
    ])
      pts.push(rot(x, y));
  } else if (o.shape === 2) {
    for (let k = 0; k < 3; k++) {
      const a = -Math.PI / 2 + (k * 2 * Math.PI) / 3;
      pts.push(rot(Math.cos(a) * o.r * 1.1, Math.sin(a) * o.r * 1.1 + o.r * 0.15));
    }
  } else if (o.shape === 3) {
    for (let k = 0; k < 10; k++) {
      const a = -Math.PI / 2 + (k * Math.PI) / 5;
      const rad = k % 2 === 0 ? o.r * 1.1 : o.r * 0.45;
      pts.push(rot(Math.cos(a) * rad, Math.sin(a) * rad));
    }
  } else if (o.shape === 4) {
    // A plus sign: arms of half-width 0.36r reaching r·1.05 (about the circle's area at the same r).
    const a = o.r * 1.05;
    const b = o.r * 0.36;
    for (const [x, y] of [
      [-b, -a],
      [b, -a],
      [b, -b],
      [a, -b],
      [a, b],
      [b, b],
      [b, a],
      [-b, a],
      [-b, b],
      [-a, b],
      [-a, -b],
      [-b, -b],
    ])
      pts.push(rot(x, y));
  } else if (o.shape === 5) {
    // The classic heart curve x = 16 sin³t, y = 13 cos t − 5 cos 2t − 2 cos 3t − cos 4t (y up), centred, 48 points.
    const k = (o.r * 1.1) / 16;
    for (let i = 0; i < 48; i++) {
      const t = (i / 48) * 2 * Math.PI;
      const x = 16 * Math.sin(t) ** 3;
      const y = 13 * Math.cos(t) - 5 * Math.cos(2 * t) - 2 * Math.cos(3 * t) - Math.cos(4 * t);
      pts.push(rot(x * k, -(y + 2.5) * k));
    }
  } else return null;
  return pts;
}

/** Whether any polygon vertex falls inside pixel (x, y). */
function pointsInPixel(pts: [number, number][], cx: number, cy: number, x: number, y: number): boolean {
  for (const [px, py] of pts) if (px + cx >= x && px + cx < x + 1 && py + cy >= y && py + cy < y + 1) return true;
  return false;
}

/** Even-odd point-in-polygon test; `pts` is x0, y0, x1, y1, … */
function insidePolygon(pts: Float64Array, x: number, y: number): boolean {
  let inside = false;
  const n = pts.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const xi = pts[i];
    const yi = pts[i + 1];
    const xj = pts[j];
    const yj = pts[j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Renders a scene into `out` (3*size*size floats, CHW) at `offset`. */
export function renderScene(scene: ShapesScene, size: number, out: Float32Array, offset: number): void {
  const plane = size * size;
  const [, br, bg, bb] = BACKGROUNDS[scene.background.colour];
  const { style, gradientAngle } = scene.background;
  const noise = generatorFor(scene.background.noiseSeed);
  const gx = Math.cos(gradientAngle);
  const gy = Math.sin(gradientAngle);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let f = 1;
      if (style === 'gradient') f = 0.6 + 0.8 * (((x / size - 0.5) * gx + (y / size - 0.5) * gy) * 0.7 + 0.5);
      else if (style === 'noise') f = 0.75 + 0.5 * noise.uniform();
      const p = offset + y * size + x;
      out[p] = Math.min(1, br * f + 0.03);
      out[p + plane] = Math.min(1, bg * f + 0.03);
      out[p + 2 * plane] = Math.min(1, bb * f + 0.03);
    }
  }
  // Later objects are drawn over earlier ones; the main object is drawn last so it is never hidden.
  for (let k = scene.objects.length - 1; k >= 0; k--) {
    const [, cr, cg, cb] = OBJECT_COLOURS[scene.objects[k].colour];
    rasterizeObject(scene.objects[k], size, (p, a) => {
      out[offset + p] += (cr - out[offset + p]) * a;
      out[offset + p + plane] += (cg - out[offset + p + plane]) * a;
      out[offset + p + 2 * plane] += (cb - out[offset + p + 2 * plane]) * a;
    });
  }
}

/**
 * Visits every pixel an object covers with its coverage a in (0, 1] (4x4 supersampled on edges), as pixel index
 * y * size + x. The renderer composites colours with it; the scene verifier (src/quality) fits shapes with it.
 */
export function rasterizeObject(o: ShapeObject, size: number, visit: (pixel: number, coverage: number) => void): void {
  const poly = polygonOf(o);
  const reach = o.r * 1.2 + 1;
  const x0 = Math.max(0, Math.floor(o.cx - reach));
  const x1 = Math.min(size - 1, Math.ceil(o.cx + reach));
  const y0 = Math.max(0, Math.floor(o.cy - reach));
  const y1 = Math.min(size - 1, Math.ceil(o.cy + reach));
  if (x0 > x1 || y0 > y1) return;
  const flat = poly === null ? null : Float64Array.from(poly.flat());
  const r2 = o.r * o.r;
  const inside = (px: number, py: number) => (flat === null ? px * px + py * py <= r2 : insidePolygon(flat, px, py));
  // Inside-ness of every pixel corner, computed once (neighbouring pixels share corners).
  const gw = x1 - x0 + 2;
  const grid = new Uint8Array(gw * (y1 - y0 + 2));
  for (let y = y0; y <= y1 + 1; y++) for (let x = x0; x <= x1 + 1; x++) grid[(y - y0) * gw + x - x0] = inside(x - o.cx, y - o.cy) ? 1 : 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      // Supersample only pixels on an edge: when all four corners agree the pixel is (almost surely) fully in or out.
      const g = (y - y0) * gw + x - x0;
      const corners = grid[g] + grid[g + 1] + grid[g + gw] + grid[g + gw + 1];
      let hits = corners === 4 ? 16 : 0;
      // A star tip thinner than a pixel can poke into a pixel without covering a corner, hence the vertex check.
      if ((corners > 0 && corners < 4) || (corners === 0 && poly !== null && pointsInPixel(poly, o.cx, o.cy, x, y))) {
        const px0 = x - o.cx;
        const py0 = y - o.cy;
        for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) if (inside(px0 + (sx + 0.5) / 4, py0 + (sy + 0.5) / 4)) hits++;
      }
      if (hits > 0) visit(y * size + x, hits / 16);
    }
  }
}

/**
 * Image `index` of a set of one shape, a novel one (NOVEL_SHAPES) or a dataset one (SHAPE_CLASSES): a medium or large
 * object of a random object colour, slightly rotated, at a random place on a solid background (gray by default),
 * with its caption ("a red heart on a gray background"). Depends only on (shape, seed, index, background).
 */
export function singleShapeScene(shape: string, seed: number, index: number, size: number, background = 'gray'): ShapesScene {
  const bg = BACKGROUNDS.findIndex(([name]) => name === background);
  if (bg < 0) throw new RangeError(`singleShapeScene: unknown background '${background}'; known: ${BACKGROUNDS.map(([n]) => n).join(', ')}`);
  const id = [...SHAPE_CLASSES, ...NOVEL_SHAPES].indexOf(shape);
  if (id < 0) throw new RangeError(`singleShapeScene: unknown shape '${shape}'; known: ${[...SHAPE_CLASSES, ...NOVEL_SHAPES].join(', ')}`);
  const g = generatorFor(seed, index, 0x4e0e, id);
  const colour = g.int(0, OBJECT_COLOURS.length);
  const [sizeName, lo, hi] = SIZES[1 + g.int(0, 2)];
  const r = (lo + g.uniform() * (hi - lo)) * size;
  const margin = r * 1.1 + 1;
  const cx = margin + g.uniform() * Math.max(0, size - 2 * margin);
  const cy = margin + g.uniform() * Math.max(0, size - 2 * margin);
  const obj: ShapeObject = { shape: id, colour, sizeName, cx, cy, r, angle: id === 0 ? 0 : (g.uniform() - 0.5) * (Math.PI / 6) };
  const caption = `a ${sizeName} ${OBJECT_COLOURS[colour][0]} ${shape} on a ${background} background`;
  return { background: { colour: bg, style: 'solid', gradientAngle: 0, noiseSeed: 0 }, objects: [obj], caption, label: id };
}

/** A novel shape's scene (singleShapeScene): the concept pictures a text-to-image model can be taught. */
export function novelShapeScene(shape: NovelShape, seed: number, index: number, size: number, background = 'gray'): ShapesScene {
  return singleShapeScene(shape, seed, index, size, background);
}

export class ShapesDataset implements SpecDataset {
  readonly spec: ShapesSpec;
  readonly length: number;
  readonly classes = [...SHAPE_CLASSES];
  readonly channels = 3;
  readonly height: number;
  readonly width: number;

  constructor(spec: ShapesSpec) {
    if (!Number.isInteger(spec.count) || spec.count < 1) throw new RangeError(`shapes: count must be a positive integer, got ${spec.count}`);
    if (!Number.isInteger(spec.size) || spec.size < 8) throw new RangeError(`shapes: size must be an integer of at least 8 pixels, got ${spec.size}`);
    this.spec = { ...spec };
    this.length = spec.count;
    this.height = this.width = spec.size;
  }

  scene(index: number): ShapesScene {
    if (this.spec.text2img) return text2imgScene(this.spec.seed, index, this.spec.size);
    return shapesScene(this.spec.seed, index, this.spec.size);
  }

  readInto(index: number, out: Float32Array, offset: number): number {
    const scene = this.scene(index);
    renderScene(scene, this.spec.size, out, offset);
    return scene.label;
  }

  get(index: number): Sample {
    checkIndex(index, this.length, 'ShapesDataset.get');
    const s = this.spec.size;
    const image = new Float32Array(3 * s * s);
    const scene = this.scene(index);
    renderScene(scene, s, image, 0);
    return { image, shape: [3, s, s], label: scene.label, caption: scene.caption };
  }

  captionOf(index: number): string {
    return this.scene(index).caption;
  }

  labels(): Int32Array {
    const out = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.scene(i).label;
    return out;
  }

  describe(): object {
    return {
      kind: 'shapes',
      samples: this.length,
      shape: [3, this.height, this.width],
      seed: this.spec.seed,
      classes: this.classes,
      ...(this.spec.text2img ? { text2img: 'held-out combinations excluded, second object ≥ 0.12 of the side' } : {}),
    };
  }
}
