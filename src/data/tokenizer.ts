/**
 * The caption tokenizer of text-to-image models: a word-level vocabulary built from the training captions (lower-case
 * words and punctuation marks, one token each), with three reserved tokens: `<pad>` (0, fills a sequence to the fixed
 * context length and is masked out of attention), `<unk>` (1, a word the vocabulary lacks) and `<start>` (2, opens
 * every sequence, so even the empty prompt — the "no caption" of classifier-free guidance — has one real token).
 * The vocabulary is plain JSON (toJSON / fromJSON), stored in the checkpoint beside the weights.
 * @example
 *   const tok = CaptionTokenizer.fromCaptions(['a red circle above a blue square', 'a small green star on a gray background']);
 *   tok.encode('a red circle').ids;          // [2, 4, …, 0, 0] (start, words, padding up to maxLength)
 *   tok.unknownWords('a pink circle');       // ['pink']
 *   tok.closestWords('gren');                // ['green', …]
 */

export const PAD_TOKEN = '<pad>';
export const UNKNOWN_TOKEN = '<unk>';
export const START_TOKEN = '<start>';
const RESERVED = [PAD_TOKEN, UNKNOWN_TOKEN, START_TOKEN];

/** Lower-case words (letters, digits, apostrophes, hyphens inside a word) and single punctuation marks. */
export function splitWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu) ?? [];
}

/** Levenshtein distance (insertions, deletions, substitutions), for suggesting the known word a typo meant. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length];
}

export interface EncodedCaption {
  /** Token ids, `<start>` first, padded with `<pad>` to maxLength. */
  ids: Int32Array;
  /** Real tokens (start included); the rest is padding. */
  length: number;
}

/** Stored form of a tokenizer (the checkpoint's config.text.vocabulary and maxLength). */
export interface TokenizerJson {
  vocabulary: string[];
  maxLength: number;
}

export class CaptionTokenizer {
  readonly vocabulary: readonly string[];
  /** Sequence length of every encoded caption (start token included). */
  readonly maxLength: number;
  private readonly index: Map<string, number>;

  constructor(vocabulary: readonly string[], maxLength: number) {
    if (RESERVED.some((t, i) => vocabulary[i] !== t))
      throw new RangeError(`CaptionTokenizer: the vocabulary must begin with ${RESERVED.join(', ')}; got ${vocabulary.slice(0, 3).join(', ')}`);
    if (!Number.isInteger(maxLength) || maxLength < 2) throw new RangeError(`CaptionTokenizer: maxLength must be an integer ≥ 2, got ${maxLength}`);
    this.vocabulary = [...vocabulary];
    this.maxLength = maxLength;
    this.index = new Map(this.vocabulary.map((w, i) => [w, i]));
    if (this.index.size !== this.vocabulary.length) throw new RangeError('CaptionTokenizer: the vocabulary lists a word twice');
  }

  /**
   * The vocabulary of a set of captions, words sorted so the same captions always give the same ids. maxLength fits
   * the longest caption plus `slack` words (prompts may be a little longer than any caption).
   */
  static fromCaptions(captions: Iterable<string>, slack = 4): CaptionTokenizer {
    const words = new Set<string>();
    let longest = 0;
    for (const c of captions) {
      const w = splitWords(c);
      longest = Math.max(longest, w.length);
      for (const x of w) words.add(x);
    }
    return new CaptionTokenizer([...RESERVED, ...[...words].sort()], longest + 1 + slack);
  }

  static fromJSON(j: TokenizerJson): CaptionTokenizer {
    if (!j || !Array.isArray(j.vocabulary) || !j.vocabulary.every((w) => typeof w === 'string'))
      throw new RangeError('CaptionTokenizer.fromJSON: expected { vocabulary: string[], maxLength: number }');
    return new CaptionTokenizer(j.vocabulary, j.maxLength);
  }

  /**
   * This vocabulary with `words` appended (new ids after the last one, so every old id keeps its meaning): a concept
   * adapter teaching a trained model a new word. A word already known, or text that is not exactly one word, is refused.
   */
  withWords(words: readonly string[]): CaptionTokenizer {
    for (const w of words) {
      const split = splitWords(w);
      if (split.length !== 1 || split[0] !== w)
        throw new RangeError(`'${w}' is not one lower-case word (letters and digits, hyphens inside); the tokenizer would read it as ${JSON.stringify(split)}`);
      if (this.index.has(w))
        throw new RangeError(
          `'${w}' is already a word of this model's vocabulary (its training captions use it); choose a word it has never seen, e.g. '${w}-x' or 'zq${w}'`,
        );
    }
    return new CaptionTokenizer([...this.vocabulary, ...words], this.maxLength);
  }

  toJSON(): TokenizerJson {
    return { vocabulary: [...this.vocabulary], maxLength: this.maxLength };
  }

  get size(): number {
    return this.vocabulary.length;
  }

  get padId(): number {
    return 0;
  }

  /** The words of `text` the vocabulary does not hold, each once, in order. */
  unknownWords(text: string): string[] {
    return [...new Set(splitWords(text).filter((w) => !this.index.has(w)))];
  }

  /**
   * Up to `k` known words nearest to `word` by edit distance (ties alphabetical); reserved tokens are left out, and
   * punctuation marks too when `word` is a word.
   */
  closestWords(word: string, k = 3): string[] {
    const isWord = (w: string) => /[\p{L}\p{N}]/u.test(w);
    return this.vocabulary
      .slice(RESERVED.length)
      .filter((w) => isWord(w) === isWord(word))
      .map((w) => ({ w, d: editDistance(word, w) }))
      .sort((a, b) => a.d - b.d || (a.w < b.w ? -1 : 1))
      .slice(0, k)
      .map((x) => x.w);
  }

  /** Token ids of `text`; unknown words become `<unk>`. Longer than maxLength − 1 words is an error naming the limit. */
  encode(text: string): EncodedCaption {
    const words = splitWords(text);
    if (words.length > this.maxLength - 1)
      throw new RangeError(`the prompt has ${words.length} words and punctuation marks; this model reads at most ${this.maxLength - 1}`);
    const ids = new Int32Array(this.maxLength);
    ids[0] = 2;
    words.forEach((w, i) => (ids[i + 1] = this.index.get(w) ?? 1));
    return { ids, length: words.length + 1 };
  }

  /** The words of a sequence of ids, reserved tokens left out except `<unk>`. */
  decode(ids: ArrayLike<number>): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === 0 || id === 2) continue;
      out.push(this.vocabulary[id] ?? UNKNOWN_TOKEN);
    }
    return out.join(' ');
  }
}
