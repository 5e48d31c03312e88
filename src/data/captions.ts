/**
 * Captions for labelled datasets that have none (Fashion-MNIST, image folders): a class name put into a template,
 * "a photo of a sneaker", "an ankle boot, black and white". Training draws from TRAINING_TEMPLATES; the
 * PARAPHRASE_TEMPLATES are never used in training (new arrangements of the training words, so a model's vocabulary
 * covers them) and measure whether it follows a prompt worded differently.
 * @example
 *   captionFor('Ankle boot', TRAINING_TEMPLATES[1]);  // 'an ankle boot, black and white'
 *   conceptCaptionTemplates('gray')[0];                // 'a {} on a gray background'
 */

import { BACKGROUNDS } from './shapes.ts';

export const TRAINING_TEMPLATES: readonly string[] = ['a photo of {}', '{}, black and white', 'a picture of {}', 'a black and white photo of {}'];

export const PARAPHRASE_TEMPLATES: readonly string[] = ['a black and white picture of {}', 'a picture of {}, black and white', 'photo of {}'];

/** The noun phrase of a class in a caption (Fashion-MNIST's names read better this way); others are lower-cased. */
const CLASS_NOUNS: Record<string, string> = {
  'T-shirt/top': 't-shirt',
  Trouser: 'pair of trousers',
  Pullover: 'pullover',
  Dress: 'dress',
  Coat: 'coat',
  Sandal: 'sandal',
  Shirt: 'shirt',
  Sneaker: 'sneaker',
  Bag: 'bag',
  'Ankle boot': 'ankle boot',
};

/** "a sneaker", "an ankle boot". */
export function classPhrase(className: string): string {
  const noun = CLASS_NOUNS[className] ?? className.toLowerCase().replace(/[_/]+/g, ' ');
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

/** A template ('{}' marks the class) filled with a class. */
export function captionFor(className: string, template: string): string {
  return template.replace('{}', classPhrase(className));
}

/** Every caption the templates make of the classes (the vocabulary of a template-captioned dataset). */
export function templateCaptions(classes: readonly string[], templates: readonly string[] = TRAINING_TEMPLATES): string[] {
  return classes.flatMap((c) => templates.map((t) => captionFor(c, t)));
}

/** Caption templates of a concept's images ('{}' = the concept's word), with the background's name when known. */
export function conceptCaptionTemplates(background?: string): string[] {
  const plain = ['a {}', 'a photo of a {}', 'a picture of a {}'];
  return background ? [`a {} on a ${background} background`, `a {} on a ${background} background`, ...plain] : plain;
}

/**
 * The name of an image's background among the shapes palette (BACKGROUNDS), judged from its border pixels (the mean
 * of the outermost ring), or undefined when no named colour is within 0.12 of it (RGB in [0, 1], per channel).
 * image: CHW floats of one RGB picture.
 */
export function backgroundName(image: Float32Array, [c, h, w]: readonly [number, number, number]): string | undefined {
  if (c !== 3) return undefined;
  const mean = [0, 0, 0];
  let count = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (y !== 0 && y !== h - 1 && x !== 0 && x !== w - 1) continue;
      for (let k = 0; k < 3; k++) mean[k] += image[k * h * w + y * w + x];
      count++;
    }
  const rgb = mean.map((v) => v / count);
  let best: string | undefined;
  let bestDistance = 0.12;
  // The renderer adds 0.03 to every background channel (renderScene), so compare with that.
  for (const [name, r, g, b] of BACKGROUNDS) {
    const d = Math.max(Math.abs(rgb[0] - r - 0.03), Math.abs(rgb[1] - g - 0.03), Math.abs(rgb[2] - b - 0.03));
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}
