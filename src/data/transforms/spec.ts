/**
 * Transforms as plain JSON, so the same pipeline can be rebuilt in a worker thread, stored with a run, and named on the
 * command line. A TransformSpec is a preset name or a list of steps applied in order.
 * @example
 *   const t = buildTransform([{ op: 'hflip', p: 0.5 }, { op: 'rotate', degrees: 10 }]);
 *   const out = t({ data, shape: [3, 32, 32] }, new Generator(42));
 *   buildTransform('standard'); // flip + random resized crop + colour jitter
 */
import { blackAndWhite, colorJitter, grayscale, normalize } from './color.ts';
import { randomErasing } from './erase.ts';
import { gaussianBlur, gaussianNoise, randomGaussianBlur } from './filter.ts';
import {
  centerCrop,
  randomHorizontalFlip,
  randomResizedCrop,
  randomRotate90,
  randomRotation,
  randomTranslate,
  randomVerticalFlip,
  resize,
  rotate90,
} from './geometric.ts';
import { compose, deterministic, type Transform, withProbability } from './image.ts';

type Size = number | [number, number];

export type TransformStep =
  | { op: 'hflip'; p?: number }
  | { op: 'vflip'; p?: number }
  /** A fixed k·90° rotation when k is given, else a random multiple of 90°. */
  | { op: 'rotate90'; k?: number; p?: number }
  | { op: 'rotate'; degrees: number; fill?: number; p?: number }
  /** Output size defaults to the input size. */
  | { op: 'randomResizedCrop'; size?: Size; scale?: [number, number]; ratio?: [number, number] }
  | { op: 'translate'; fraction: number; fill?: number; p?: number }
  | { op: 'colorJitter'; brightness?: number; contrast?: number; saturation?: number; hue?: number; p?: number }
  | { op: 'grayscale'; p?: number }
  | { op: 'blackAndWhite'; threshold?: number; p?: number }
  /** A fixed σ, or a range to draw from. */
  | { op: 'gaussianBlur'; sigma?: number | [number, number]; p?: number }
  | { op: 'gaussianNoise'; std: number; p?: number }
  | { op: 'randomErasing'; p?: number; scale?: [number, number]; ratio?: [number, number]; value?: number | 'random' }
  | { op: 'resize'; size: Size }
  | { op: 'centerCrop'; size: Size }
  | { op: 'normalize'; mean: number[]; std: number[] };

export type PresetName = 'none' | 'light' | 'standard' | 'strong' | 'standard-noflip' | 'digits';
export type TransformSpec = PresetName | TransformStep[];

/** The named augmentation presets the CLI offers (`--augment light`). */
export const PRESETS: Record<PresetName, TransformStep[]> = {
  none: [],
  light: [
    { op: 'hflip', p: 0.5 },
    { op: 'translate', fraction: 0.1, p: 0.5 },
  ],
  standard: [
    { op: 'hflip', p: 0.5 },
    { op: 'randomResizedCrop', scale: [0.6, 1] },
    { op: 'colorJitter', brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.02, p: 0.8 },
  ],
  strong: [
    { op: 'hflip', p: 0.5 },
    { op: 'randomResizedCrop', scale: [0.5, 1] },
    { op: 'rotate', degrees: 15, p: 0.5 },
    { op: 'colorJitter', brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.05, p: 0.8 },
    { op: 'randomErasing', p: 0.25 },
  ],
  // Mirroring turns a 2 into something that is not a 2 (and costs 2–3 points on digits): these two never flip.
  'standard-noflip': [
    { op: 'randomResizedCrop', scale: [0.6, 1] },
    { op: 'colorJitter', brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.02, p: 0.8 },
  ],
  /** Handwriting and text: small shifts and tilts only (no flips, no crops that cut strokes off). */
  digits: [
    { op: 'translate', fraction: 0.1, p: 0.5 },
    { op: 'rotate', degrees: 10, p: 0.5 },
  ],
};

/**
 * Single transforms by name, with moderate settings, for `--augment translate,rotate,jitter` (applied in the order
 * given).
 */
export const NAMED_TRANSFORMS: Record<string, TransformStep> = {
  hflip: { op: 'hflip', p: 0.5 },
  vflip: { op: 'vflip', p: 0.5 },
  translate: { op: 'translate', fraction: 0.1, p: 0.5 },
  rotate: { op: 'rotate', degrees: 10, p: 0.5 },
  rotate90: { op: 'rotate90', p: 0.5 },
  crop: { op: 'randomResizedCrop', scale: [0.6, 1] },
  jitter: { op: 'colorJitter', brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.02, p: 0.8 },
  grayscale: { op: 'grayscale', p: 0.2 },
  blur: { op: 'gaussianBlur', sigma: [0.1, 1.5], p: 0.3 },
  noise: { op: 'gaussianNoise', std: 0.03, p: 0.5 },
  erase: { op: 'randomErasing', p: 0.25 },
};

/**
 * An `--augment` value as a spec: a preset name, or a comma list of NAMED_TRANSFORMS. Throws a RangeError naming the
 * unknown word and every valid one.
 * @example
 *   parseAugment('digits'); // 'digits'
 *   parseAugment('translate, rotate,jitter'); // [{ op: 'translate', ... }, { op: 'rotate', ... }, { op: 'colorJitter', ... }]
 */
export function parseAugment(text: string): TransformSpec {
  const value = text.trim();
  if (value in PRESETS) return value as PresetName;
  const names = value.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(n in NAMED_TRANSFORMS));
  if (value === '' || unknown.length > 0) {
    const what = value === '' ? 'an empty augmentation' : `unknown augmentation ${unknown.map((n) => `'${n}'`).join(', ')}`;
    throw new RangeError(
      `${what}; give a preset (${Object.keys(PRESETS).join(', ')}) or a comma list of transforms (${Object.keys(NAMED_TRANSFORMS).join(', ')}), e.g. translate,rotate,jitter`,
    );
  }
  return names.map((n) => NAMED_TRANSFORMS[n]);
}

/** The problem with an `--augment` value, or null when it is a preset or a list of known transforms. */
export function augmentProblem(text: string): string | null {
  try {
    parseAugment(text);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The steps of a spec, with a preset expanded; throws on an unknown preset name. */
export function transformSteps(spec: TransformSpec | undefined): TransformStep[] {
  if (spec === undefined) return [];
  if (typeof spec === 'string') {
    const steps = PRESETS[spec as PresetName];
    if (!steps) throw new RangeError(`unknown augmentation preset '${spec}' (choose one of: ${Object.keys(PRESETS).join(', ')})`);
    return steps;
  }
  if (!Array.isArray(spec)) throw new TypeError('a TransformSpec is a preset name or an array of { op, ... } steps');
  return spec;
}

/** Whether the spec does nothing (so the loader can take its no-copy fast path). */
export function isIdentity(spec: TransformSpec | undefined): boolean {
  return transformSteps(spec).length === 0;
}

const hw = (s: Size): [number, number] => (typeof s === 'number' ? [s, s] : s);

/** One step as a Transform. */
export function buildStep(step: TransformStep): Transform {
  switch (step.op) {
    case 'hflip':
      return randomHorizontalFlip(step.p ?? 0.5);
    case 'vflip':
      return randomVerticalFlip(step.p ?? 0.5);
    case 'rotate90':
      return step.k === undefined
        ? randomRotate90(step.p ?? 1)
        : withProbability(
            step.p ?? 1,
            deterministic((img) => rotate90(img, step.k)),
          );
    case 'rotate':
      return randomRotation(step.degrees, step.fill ?? 0, step.p ?? 1);
    case 'randomResizedCrop': {
      const opts = { scale: step.scale, ratio: step.ratio };
      if (step.size !== undefined) return randomResizedCrop(...hw(step.size), opts);
      return (img, g) => randomResizedCrop(img.shape[1], img.shape[2], opts)(img, g);
    }
    case 'translate':
      return randomTranslate(step.fraction, step.fill ?? 0, step.p ?? 1);
    case 'colorJitter':
      return colorJitter(step, step.p ?? 1);
    case 'grayscale':
      return withProbability(
        step.p ?? 1,
        deterministic((img) => grayscale(img)),
      );
    case 'blackAndWhite':
      return withProbability(
        step.p ?? 1,
        deterministic((img) => blackAndWhite(img, step.threshold)),
      );
    case 'gaussianBlur': {
      const s = step.sigma ?? [0.1, 1.5];
      return typeof s === 'number'
        ? withProbability(
            step.p ?? 1,
            deterministic((img) => gaussianBlur(img, s)),
          )
        : randomGaussianBlur(s, step.p ?? 1);
    }
    case 'gaussianNoise':
      return gaussianNoise(step.std, step.p ?? 1);
    case 'randomErasing':
      return randomErasing(step);
    case 'resize':
      return deterministic((img) => resize(img, ...hw(step.size)));
    case 'centerCrop':
      return deterministic((img) => centerCrop(img, ...hw(step.size)));
    case 'normalize':
      return deterministic((img) => normalize(img, step.mean, step.std));
    default:
      throw new RangeError(`unknown transform op '${(step as { op: string }).op}'`);
  }
}

/** The whole pipeline of a spec as one Transform (the identity for 'none' or []). */
export function buildTransform(spec: TransformSpec | undefined): Transform {
  return compose(...transformSteps(spec).map(buildStep));
}
