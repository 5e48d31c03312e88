/**
 * A programmatic judge of `shapes` scenes: given an image and the caption it should show ("a small red circle above a
 * blue square"), it says per attribute whether the picture agrees — colour, shape, size, relation, background — with
 * no learned weights, so a text-to-image model cannot fool it by fooling a classifier.
 *
 * How it looks at a picture:
 * 1. every pixel is given the nearest object colour of the dataset's palette, unless a background colour (at any of the
 *    brightness factors the renderer uses for gradients and noise) is nearer or no colour is close: a colour mask;
 * 2. each colour's mask is split into 4-connected components; small specks are dropped;
 * 3. a component's shape is the one whose rendered template (the dataset's own rasteriser, at the component's centroid,
 *    the size its area implies and the rotations the dataset draws) overlaps it best (IoU); its size class follows
 *    from the fitted radius; fill ratio and circularity are reported beside it;
 * 4. the relation of two objects is read from their centroids.
 * @example
 *   const j = judgeScene(image, 32, 'a small red circle above a blue square');
 *   j.colour && j.shape && j.relation; // true when the picture shows it
 */
import { BACKGROUNDS, OBJECT_COLOURS, RELATIONS, type Relation, rasterizeObject, SHAPE_CLASSES, type ShapeObject, SIZES } from '../data/shapes.ts';

export interface CaptionObject {
  /** 'small' | 'medium' | 'large', when the caption names it. */
  size?: string;
  colour: string;
  shape: string;
}

export interface ShapesCaption {
  /** The main object first; a second object when the caption has a relation. */
  objects: CaptionObject[];
  relation?: Relation;
  background?: string;
}

const COLOUR_NAMES = OBJECT_COLOURS.map((c) => c[0]);
const SIZE_NAMES = SIZES.map((s) => s[0]);
const BACKGROUND_NAMES = BACKGROUNDS.map((b) => b[0]);

/**
 * Reads a shapes caption: "a [size] <colour> <shape> on a <background> background" or
 * "a [size] <colour> <shape> <relation> a <colour> <shape>". An unknown word is an error naming it and the vocabulary.
 */
export function parseShapesCaption(caption: string): ShapesCaption {
  const words = caption.trim().toLowerCase().split(/\s+/);
  let i = 0;
  const fail = (what: string): never => {
    throw new RangeError(
      `cannot read '${caption}' as a shapes caption: ${what}; captions look like 'a small red circle above a blue square' or 'a large green star on a gray background' (colours: ${COLOUR_NAMES.join(', ')}; shapes: ${SHAPE_CLASSES.join(', ')}; sizes: ${SIZE_NAMES.join(', ')}; relations: ${RELATIONS.join(', ')})`,
    );
  };
  const expect = (word: string) => {
    if (words[i] !== word) fail(`expected '${word}' at word ${i + 1}, found '${words[i] ?? 'the end'}'`);
    i++;
  };
  const object = (sized: boolean): CaptionObject => {
    expect(words[i] === 'an' ? 'an' : 'a');
    const o: Partial<CaptionObject> = {};
    if (sized && SIZE_NAMES.includes(words[i])) o.size = words[i++];
    if (!COLOUR_NAMES.includes(words[i])) fail(`'${words[i] ?? 'the end'}' is not a colour`);
    o.colour = words[i++];
    if (!SHAPE_CLASSES.includes(words[i])) fail(`'${words[i] ?? 'the end'}' is not a shape`);
    o.shape = words[i++];
    return o as CaptionObject;
  };
  const main = object(true);
  if (words[i] === 'on') {
    i++;
    expect('a');
    const rest = words.slice(i, -1).join(' ');
    if (!BACKGROUND_NAMES.includes(rest) || words[words.length - 1] !== 'background') fail(`'${words.slice(i).join(' ')}' is not a background`);
    return { objects: [main], background: rest };
  }
  const two = `${words[i] ?? ''} ${words[i + 1] ?? ''}`;
  const relation = RELATIONS.find((r) => r === words[i] || r === two);
  if (!relation) {
    if (i === words.length) return { objects: [main] };
    fail(`'${words[i]}' is neither 'on' nor a relation`);
  }
  i += relation!.split(' ').length;
  const other = object(false);
  if (i !== words.length) fail(`unexpected '${words.slice(i).join(' ')}' after the second object`);
  return { objects: [main, other], relation };
}

/** One object found in a picture. */
export interface DetectedObject {
  colour: string;
  /** One of SHAPE_CLASSES, or 'unclear' when no template fits well. */
  shape: string;
  /** 'small' | 'medium' | 'large', or 'tiny' below the smallest size a caption names. */
  size: string;
  /** Centroid and fitted half-extent, in pixels. */
  cx: number;
  cy: number;
  r: number;
  /** Pixels in the component. */
  area: number;
  /** IoU of the best-fitting template (1 = exact). */
  fit: number;
  /** Area ÷ bounding-box area, and 4π·area ÷ perimeter² (1 for a disc): the classic shape cues, reported for reading. */
  fillRatio: number;
  circularity: number;
}

const MAX_COLOUR_DISTANCE = 0.3;

/** Distance from pixel (r, g, b) to a background colour at its best brightness factor (the renderer's 0.6–1.4, + 0.03). */
function backgroundDistance(r: number, g: number, b: number, bg: readonly number[]): number {
  const [br, bgc, bb] = bg;
  const f = Math.min(1.4, Math.max(0.6, ((r - 0.03) * br + (g - 0.03) * bgc + (b - 0.03) * bb) / (br * br + bgc * bgc + bb * bb)));
  return Math.hypot(r - Math.min(1, br * f + 0.03), g - Math.min(1, bgc * f + 0.03), b - Math.min(1, bb * f + 0.03));
}

/** Per pixel: the index of its object colour, or -1 for background / no colour. Also the background vote per colour. */
function colourMask(image: Float32Array, size: number): { mask: Int8Array; backgroundVotes: number[] } {
  const plane = size * size;
  const mask = new Int8Array(plane).fill(-1);
  const backgroundVotes = BACKGROUNDS.map(() => 0);
  for (let p = 0; p < plane; p++) {
    const r = image[p];
    const g = image[p + plane];
    const b = image[p + 2 * plane];
    let best = -1;
    let bestD = MAX_COLOUR_DISTANCE;
    for (let c = 0; c < OBJECT_COLOURS.length; c++) {
      const [, cr, cg, cb] = OBJECT_COLOURS[c];
      const d = Math.hypot(r - cr, g - cg, b - cb);
      if (d < bestD) [best, bestD] = [c, d];
    }
    let bgBest = 0;
    let bgD = Infinity;
    for (let k = 0; k < BACKGROUNDS.length; k++) {
      const d = backgroundDistance(r, g, b, BACKGROUNDS[k].slice(1) as number[]);
      if (d < bgD) [bgBest, bgD] = [k, d];
    }
    if (best >= 0 && bestD < bgD) mask[p] = best;
    else backgroundVotes[bgBest]++;
  }
  return { mask, backgroundVotes };
}

/** 4-connected components of each colour, as pixel lists, largest first; specks under `minArea` are dropped. */
function components(mask: Int8Array, size: number, minArea: number): { colour: number; pixels: number[] }[] {
  const seen = new Uint8Array(mask.length);
  const out: { colour: number; pixels: number[] }[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] < 0 || seen[start]) continue;
    const colour = mask[start];
    const pixels: number[] = [];
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const p = stack.pop()!;
      pixels.push(p);
      const x = p % size;
      const y = (p - x) / size;
      for (const q of [x > 0 ? p - 1 : -1, x < size - 1 ? p + 1 : -1, y > 0 ? p - size : -1, y < size - 1 ? p + size : -1])
        if (q >= 0 && !seen[q] && mask[q] === colour) {
          seen[q] = 1;
          stack.push(q);
        }
    }
    if (pixels.length >= minArea) out.push({ colour, pixels });
  }
  return out.sort((a, b) => b.pixels.length - a.pixels.length);
}

// Area of each shape at half-extent r, in units of r² (as polygonOf in src/data/shapes.ts draws them).
const AREA_PER_R2 = [Math.PI, 1.7 * 1.7, ((3 * Math.sqrt(3)) / 4) * 1.1 * 1.1, 5 * 1.1 * 0.45 * Math.sin(Math.PI / 5)];
// The rotations the dataset draws (±15° for squares and triangles, ±36° for stars), sampled for the template fit.
const ANGLES = [[0], range(-15, 15, 5), range(-15, 15, 5), range(-36, 36, 6)].map((a) => a.map((d) => (d * Math.PI) / 180));
const SCALES = [0.9, 1, 1.1];

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to + 1e-9; v += step) out.push(v);
  return out;
}

/**
 * A component's coverage per pixel, in [0, 1]: anti-aliased edges (and a generator's soft edges) are blends of the
 * object's colour and the background, so a pixel's coverage is where its colour falls between the two. Covers the
 * component dilated by one pixel, never pixels of another colour's object.
 */
function softCoverage(image: Float32Array, size: number, mask: Int8Array, colour: number, pixels: number[]): Map<number, number> {
  const plane = size * size;
  const inComp = new Set(pixels);
  const ring = new Set<number>();
  for (const p of pixels) {
    const x = p % size;
    const y = (p - x) / size;
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const q = (y + dy) * size + x + dx;
        if (x + dx >= 0 && x + dx < size && y + dy >= 0 && y + dy < size && !inComp.has(q) && mask[q] < 0) ring.add(q);
      }
  }
  // The local background: pixels one step further out than the ring, of no object colour.
  const bg = [0, 0, 0];
  let nbg = 0;
  for (const p of ring) {
    const x = p % size;
    const y = (p - x) / size;
    for (const q of [x > 0 ? p - 1 : -1, x < size - 1 ? p + 1 : -1, y > 0 ? p - size : -1, y < size - 1 ? p + size : -1])
      if (q >= 0 && mask[q] < 0 && !ring.has(q)) {
        for (let ch = 0; ch < 3; ch++) bg[ch] += image[q + ch * plane];
        nbg++;
      }
  }
  const cov = new Map<number, number>();
  for (const p of pixels) cov.set(p, 1);
  if (nbg === 0) return cov;
  const [, cr, cg, cb] = OBJECT_COLOURS[colour];
  const d = [cr - bg[0] / nbg, cg - bg[1] / nbg, cb - bg[2] / nbg];
  const dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
  if (dd < 1e-3) return cov;
  for (const p of ring) {
    let t = 0;
    for (let ch = 0; ch < 3; ch++) t += (image[p + ch * plane] - bg[ch] / nbg) * d[ch];
    const a = Math.min(1, Math.max(0, t / dd));
    if (a > 0.05) cov.set(p, a);
  }
  return cov;
}

/** Best template (shape, rotation, scale) for a component: soft IoU of the template's coverage with the component's. */
function fitShape(cov: Map<number, number>, size: number): { shape: number; r: number; fit: number; cx: number; cy: number } {
  let area = 0;
  let sx = 0;
  let sy = 0;
  for (const [p, a] of cov) {
    area += a;
    sx += a * (p % size);
    sy += a * Math.floor(p / size);
  }
  // Pixel (x, y) covers [x, x+1): its centre is x + 0.5.
  const mx = sx / area + 0.5;
  const my = sy / area + 0.5;
  const iouOf = (o: ShapeObject): number => {
    let inter = 0;
    let cover = 0;
    rasterizeObject(o, size, (p, t) => {
      cover += t;
      inter += Math.min(t, cov.get(p) ?? 0);
    });
    return inter / (cover + area - inter);
  };
  let best = { shape: 0, r: 0, fit: -1, cx: mx, cy: my };
  for (let shape = 0; shape < SHAPE_CLASSES.length; shape++) {
    // A coarse grid over scale and rotation, from the centroid...
    const r0 = Math.sqrt(area / AREA_PER_R2[shape]);
    let top = { o: null as ShapeObject | null, fit: -1 };
    for (const scale of SCALES)
      for (const angle of ANGLES[shape]) {
        const r = r0 * scale;
        // The triangle's vertices sit 0.15r below its centre (polygonOf), so its centroid is offset by that, rotated.
        const off = shape === 2 ? 0.15 * r : 0;
        const o: ShapeObject = { shape, colour: 0, sizeName: '', cx: mx + off * Math.sin(angle), cy: my - off * Math.cos(angle), r, angle };
        const fit = iouOf(o);
        if (fit > top.fit) top = { o, fit };
      }
    // ...then a few rounds of local search over position, scale and rotation with halving steps: small objects (a
    // star 4 px across) are only told apart when the template sits within a fraction of a pixel.
    let step = { xy: 0.5, r: 0.05, angle: (4 * Math.PI) / 180 };
    for (let round = 0; round < 3; round++) {
      let improved = true;
      while (improved) {
        improved = false;
        const o = top.o!;
        const moves: Partial<ShapeObject>[] = [
          { cx: o.cx + step.xy },
          { cx: o.cx - step.xy },
          { cy: o.cy + step.xy },
          { cy: o.cy - step.xy },
          { r: o.r * (1 + step.r) },
          { r: o.r * (1 - step.r) },
          ...(shape === 0 ? [] : [{ angle: o.angle + step.angle }, { angle: o.angle - step.angle }]),
        ];
        for (const m of moves) {
          const cand = { ...o, ...m };
          const fit = iouOf(cand);
          if (fit > top.fit + 1e-9) {
            top = { o: cand, fit };
            improved = true;
          }
        }
      }
      step = { xy: step.xy / 2, r: step.r / 2, angle: step.angle / 2 };
    }
    if (top.fit > best.fit) best = { shape, r: top.o!.r, fit: top.fit, cx: top.o!.cx, cy: top.o!.cy };
  }
  return best;
}

function sizeName(r: number, size: number): string {
  // Half-way between the dataset's size ranges (small 0.11–0.15, medium 0.17–0.22, large 0.26–0.33 of the side);
  // under 0.08 it is no size a caption names (a speck, or the smaller object of a pair).
  const f = r / size;
  if (f < 0.08) return 'tiny';
  return f < (SIZES[0][2] + SIZES[1][1]) / 2 ? SIZES[0][0] : f < (SIZES[1][2] + SIZES[2][1]) / 2 ? SIZES[1][0] : SIZES[2][0];
}

/** Below this template IoU a blob is no shape at all ('unclear'); the dataset's own objects fit at ≥ 0.78. */
const MIN_SHAPE_FIT = 0.7;

function describe(image: Float32Array, size: number, mask: Int8Array, colour: number, pixels: number[]): DetectedObject {
  const f = fitShape(softCoverage(image, size, mask, colour, pixels), size);
  let x0 = size;
  let x1 = 0;
  let y0 = size;
  let y1 = 0;
  let perimeter = 0;
  const inComp = new Set(pixels);
  for (const p of pixels) {
    const x = p % size;
    const y = (p - x) / size;
    [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
    for (const q of [x > 0 ? p - 1 : -1, x < size - 1 ? p + 1 : -1, y > 0 ? p - size : -1, y < size - 1 ? p + size : -1])
      if (q < 0 || !inComp.has(q)) perimeter++;
  }
  return {
    colour: COLOUR_NAMES[colour],
    shape: f.fit >= MIN_SHAPE_FIT ? SHAPE_CLASSES[f.shape] : 'unclear',
    size: sizeName(f.r, size),
    cx: f.cx,
    cy: f.cy,
    r: f.r,
    area: pixels.length,
    fit: f.fit,
    fillRatio: pixels.length / ((x1 - x0 + 1) * (y1 - y0 + 1)),
    circularity: (4 * Math.PI * pixels.length) / (perimeter * perimeter),
  };
}

/** What a picture shows: its objects (largest first) and its background colour. `image` is CHW RGB in [0, 1]. */
export function detectScene(image: Float32Array, size: number): { objects: DetectedObject[]; background: string } {
  if (image.length !== 3 * size * size)
    throw new RangeError(`detectScene: expected a 3×${size}×${size} RGB image (${3 * size * size} values), got ${image.length}`);
  const { mask, backgroundVotes } = colourMask(image, size);
  // The smallest object the dataset draws covers ~6 px at 32×32; anything under a third of that is a speck.
  const minArea = Math.max(2, Math.round((2 * size * size) / 1024));
  const objects = components(mask, size, minArea).map((c) => describe(image, size, mask, c.colour, c.pixels));
  const background = BACKGROUNDS[backgroundVotes.indexOf(Math.max(...backgroundVotes))][0];
  return { objects, background };
}

/** The verdict per attribute; null where the caption does not name it. */
export interface SceneJudgement {
  colour: boolean;
  shape: boolean;
  size: boolean | null;
  background: boolean | null;
  /** The second object's colour and shape (two-object captions). */
  second: { colour: boolean; shape: boolean } | null;
  relation: boolean | null;
  /** Every attribute the caption names is right. */
  all: boolean;
  /** What was found, for reports. */
  found: { objects: DetectedObject[]; background: string };
}

/** Whether `a` stands in `relation` to `b`, by a margin of `margin` pixels between centroids. */
export function relationHolds(a: { cx: number; cy: number }, b: { cx: number; cy: number }, relation: Relation, margin: number): boolean {
  if (relation === 'above') return a.cy < b.cy - margin;
  if (relation === 'below') return a.cy > b.cy + margin;
  if (relation === 'left of') return a.cx < b.cx - margin;
  return a.cx > b.cx + margin;
}

/**
 * Judges a picture against the caption it should show. The main object is the largest component of the caption's
 * colour (or, when that colour is missing, the largest object of any colour, whose colour is then wrong); the second
 * object likewise, among the rest.
 */
export function judgeScene(image: Float32Array, size: number, caption: string | ShapesCaption): SceneJudgement {
  const want = typeof caption === 'string' ? parseShapesCaption(caption) : caption;
  const found = detectScene(image, size);
  const pick = (o: CaptionObject, exclude: DetectedObject | null) => {
    const rest = found.objects.filter((d) => d !== exclude);
    return rest.find((d) => d.colour === o.colour) ?? rest[0] ?? null;
  };
  const [wantMain, wantSecond] = want.objects;
  const main = pick(wantMain, null);
  const colour = main?.colour === wantMain.colour;
  const shape = main?.shape === wantMain.shape;
  const sizeOk = wantMain.size === undefined ? null : main?.size === wantMain.size;
  const background = want.background === undefined ? null : found.background === want.background;
  let second: SceneJudgement['second'] = null;
  let relation: boolean | null = null;
  if (wantSecond) {
    const other = pick(wantSecond, main);
    second = { colour: other?.colour === wantSecond.colour, shape: other?.shape === wantSecond.shape };
    relation = !!(main && other && want.relation && relationHolds(main, other, want.relation, size / 16));
  }
  const all = colour && shape && sizeOk !== false && background !== false && (second === null || (second.colour && second.shape)) && relation !== false;
  return { colour, shape, size: sizeOk, background, second, relation, all, found };
}
