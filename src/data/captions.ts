/**
 * Captions for labelled datasets that have none (Fashion-MNIST, image folders): a class name put into a template,
 * "a photo of a sneaker", "an ankle boot, black and white". Training draws from TRAINING_TEMPLATES; the
 * PARAPHRASE_TEMPLATES are never used in training (new arrangements of the training words, so a model's vocabulary
 * covers them) and measure whether it follows a prompt worded differently.
 * @example
 *   captionFor('Ankle boot', TRAINING_TEMPLATES[1]);  // 'an ankle boot, black and white'
 */

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
