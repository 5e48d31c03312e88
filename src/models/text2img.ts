/**
 * Text to image: the diffusion model of diffusion.ts whose U-Net cross-attends to a prompt read by a small
 * transformer text encoder (text-encoder.ts), both trained together from scratch on captioned images.
 * - Words: a CaptionTokenizer whose vocabulary is built from the training captions and stored in the checkpoint's
 *   config (config.text); a prompt with a word outside it is refused, naming the word and the closest known words.
 * - Captions: the dataset's own (shapes), else a class name in a template (data/captions.ts; Fashion-MNIST).
 * - Guidance: the caption is replaced by the empty prompt with p = 0.1 in training; sampling runs the prompt and the
 *   empty prompt (or the negative prompt, which takes its place) as one batch and mixes ε̂ = ε̂_neg + w·(ε̂_c − ε̂_neg).
 *   An empty prompt samples unconditionally.
 * @example
 *   const model = new Text2ImgModel({ imageShape: [3, 32, 32], classes, captions: trainingCaptions });
 *   model.sample({ n: 4, prompts: Array(4).fill('a red circle above a blue square'), seed: 1, steps: 25, guidance: 3 });
 */
import { captionFor, templateCaptions, TRAINING_TEMPLATES } from '../data/captions.ts';
import { CaptionTokenizer, type EncodedCaption, type TokenizerJson } from '../data/tokenizer.ts';
import { cat, slice } from '../ops/shape.ts';
import type { Generator } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { Batch } from '../train/types.ts';
import { denoisingLoss, DiffusionModel, type DiffusionOptions, DiffusionTask, guide } from './diffusion.ts';
import type { SampleOptions } from './generative.ts';
import { TextEncoder } from './text-encoder.ts';
import type { UNetContext } from './unet.ts';

/** What the checkpoint stores about the text side (config.text). */
export interface TextConfig extends TokenizerJson {
  /** Caption templates for datasets without captions ('{}' = the class), or null when the dataset has captions. */
  templates: string[] | null;
  /** Text encoder width, blocks and heads. */
  dim: number;
  layers: number;
  heads: number;
}

export interface Text2ImgOptions extends Omit<DiffusionOptions, 'numClasses' | 'conditional' | 'contextDim'> {
  classes: readonly string[];
  /** The training captions (the vocabulary is built from them); absent = the templates over the classes. */
  captions?: Iterable<string>;
  /** A stored text side (reopening a checkpoint); wins over captions. */
  text?: TextConfig;
  textDim?: number;
  textLayers?: number;
  textHeads?: number;
}

/** A prompt with a word the model never saw. */
export class UnknownWordError extends RangeError {
  constructor(
    readonly words: string[],
    readonly suggestions: Record<string, string[]>,
  ) {
    const parts = words.map((w) => `'${w}' (closest known: ${suggestions[w].join(', ')})`);
    super(`the model never saw ${words.length === 1 ? 'the word' : 'the words'} ${parts.join('; ')} in its training captions; use words it knows`);
    this.name = 'UnknownWordError';
  }
}

export class Text2ImgModel extends DiffusionModel {
  override readonly family: string = 'text2img';
  readonly classes: readonly string[];
  /** Replaced (extended by one word) while a concept adapter is attached (concept.ts). */
  tokenizer: CaptionTokenizer;
  readonly templates: string[] | null;
  readonly textEncoder: TextEncoder;
  private readonly textShape: { dim: number; layers: number; heads: number };

  constructor(o: Text2ImgOptions) {
    const dim = o.text?.dim ?? o.textDim ?? 64;
    super({ ...o, numClasses: o.classes.length, conditional: false, contextDim: dim, defaultGuidance: o.defaultGuidance ?? 3 });
    this.classes = [...o.classes];
    this.templates = o.text ? o.text.templates : o.captions ? null : [...TRAINING_TEMPLATES];
    this.tokenizer = o.text
      ? CaptionTokenizer.fromJSON(o.text)
      : CaptionTokenizer.fromCaptions(o.captions ?? templateCaptions(this.classes, TRAINING_TEMPLATES));
    this.textShape = { dim, layers: o.text?.layers ?? o.textLayers ?? 2, heads: o.text?.heads ?? o.textHeads ?? 4 };
    this.textEncoder = new TextEncoder({ vocabSize: this.tokenizer.size, maxLength: this.tokenizer.maxLength, ...this.textShape });
  }

  /** The text side as the checkpoint stores it. */
  textConfig(): TextConfig {
    return { ...this.tokenizer.toJSON(), templates: this.templates, ...this.textShape };
  }

  /** A user's prompt, encoded; a word outside the vocabulary is an UnknownWordError. */
  encodePrompt(prompt: string): EncodedCaption {
    const unknown = this.tokenizer.unknownWords(prompt);
    if (unknown.length > 0) throw new UnknownWordError(unknown, Object.fromEntries(unknown.map((w) => [w, this.tokenizer.closestWords(w)])));
    return this.tokenizer.encode(prompt);
  }

  /** The encoded prompts as the U-Net's conditioning (training maps unknown words to <unk> instead of failing). */
  encodeText(captions: readonly (string | EncodedCaption)[]): UNetContext {
    return this.textEncoder.encode(captions.map((c) => (typeof c === 'string' ? this.tokenizer.encode(c) : c)));
  }

  /** The captions of a batch: its own, or a template (drawn from gen) filled with each image's class. */
  captionsOf(batch: Batch & { captions?: string[] }, gen: Generator): string[] {
    if (batch.captions && this.templates === null) return batch.captions;
    const templates = this.templates ?? TRAINING_TEMPLATES;
    const labels = batch.y.data as Int32Array;
    return Array.from(labels, (l) => {
      const template = templates[gen.int(0, templates.length)];
      return l >= 0 && l < this.classes.length ? captionFor(this.classes[l], template) : '';
    });
  }

  /** The guided output at timestep t: prompts `cond`, and `uncond` (empty or negative prompts) in the same batch. */
  predictText(x: Tensor, t: number, cond: UNetContext, uncond: UNetContext, guidance: number): Tensor {
    const n = x.shape[0];
    const steps = (k: number) => new Tensor(new Int32Array(k).fill(t), [k]);
    if (guidance === 1) return this.forwardText(x, steps(n), cond);
    const both: UNetContext = {
      tokens: cat([cond.tokens, uncond.tokens], 0),
      paddingMask: cat([cond.paddingMask as Tensor, uncond.paddingMask as Tensor], 0),
      pooled: cat([cond.pooled, uncond.pooled], 0),
    };
    const out = this.forwardText(cat([x, x], 0), steps(2 * n), both);
    return guide(slice(out, 0, 0, n), slice(out, 0, n, 2 * n), guidance);
  }

  /** Images in [0, 1] for o.prompts (one per image; absent = all empty, unconditional), guided away from o.negativePrompt. */
  override sample(o: SampleOptions): Tensor {
    const prompts = o.prompts ?? Array.from({ length: o.n }, () => '');
    if (prompts.length !== o.n) throw new RangeError(`text2img: give one prompt per image (${o.n}), got ${prompts.length}`);
    const encoded = prompts.map((p) => this.encodePrompt(p));
    const negative = this.encodePrompt(o.negativePrompt ?? '');
    return this.runSampler(o, (from, to, settings) => {
      const cond = this.textEncoder.encode(encoded.slice(from, to));
      const uncond = this.textEncoder.encode(Array.from({ length: to - from }, () => negative));
      return (x, t) => this.predictText(x, t, cond, uncond, settings.guidance);
    });
  }
}

/** Trains a Text2ImgModel: the diffusion task (EMA included) with captions for conditioning, dropped with p. */
export class Text2ImgTask extends DiffusionTask {
  protected override loss(model: DiffusionModel, batch: Batch, gen: Generator, dropout: number): Tensor {
    const m = model as Text2ImgModel;
    const captions = m.captionsOf(batch, gen);
    return denoisingLoss(m, batch.x, gen, (xt, timesteps) => {
      const prompts = captions.map((c) => (gen.uniform() < dropout ? '' : c));
      return m.forwardText(xt, timesteps, m.encodeText(prompts));
    });
  }
}
