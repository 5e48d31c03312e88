/**
 * Your own concept: a trained text-to-image model learns a new word from a few images (textual inversion's new token
 * plus LoRA, as in the DreamBooth-LoRA recipes). The word gets a new token id and a learned embedding row; low-rank
 * adapters (nn/layers/lora.ts) go on the attention projections (q, k, v, out) of the U-Net's cross-attention and,
 * optionally, of the text encoder's self-attention. Everything of the base model stays frozen, so an adapter file
 * holds only the new row and the A, B matrices (a few percent of the model), and with B zero at the start the
 * adapted model draws exactly what the base model drew until training moves it.
 * The file is safetensors: tensors `<module path>.lora_A` / `.lora_B` and `textEncoder.tokenEmbedding.rows`, and in
 * its metadata the word, rank, alpha and a fingerprint of the base model's weights and vocabulary, so an adapter is
 * refused by a model it was not trained on.
 * @example
 *   const adapter = ConceptAdapter.create(model, { concept: 'zorb', rank: 4 });   // attached: model knows 'zorb'
 *   trainConcept(model, adapter, images, { captions: conceptCaptions(model, 'zorb', 'gray'), steps: 200 });
 *   writeFileSync('zorb.safetensors', adapter.encode());
 *   ConceptAdapter.load(readFileSync('zorb.safetensors'), otherCopyOfModel);      // then sample "a zorb on a gray background"
 */
import { createHash } from 'node:crypto';
import { conceptCaptionTemplates } from '../data/captions.ts';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.ts';
import { MultiheadAttention } from '../nn/layers/attention.ts';
import { EmbeddingRows, LoRA } from '../nn/layers/lora.ts';
import type { Parameter } from '../nn/module.ts';
import { Adam } from '../optim/optimizers.ts';
import { Generator } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';
import { denoisingLoss } from './diffusion.ts';
import type { Text2ImgModel } from './text2img.ts';
import { SpatialCrossAttention } from './unet.ts';

const FORMAT = 'simmer-concept-adapter/1';
const PROJECTIONS = ['qProj', 'kProj', 'vProj', 'outProj'] as const;
const ROWS_NAME = 'textEncoder.tokenEmbedding.rows';

export interface ConceptOptions {
  /** The new word (lower case, one word; the model must never have seen it). */
  concept: string;
  /** LoRA rank r (default 4) and alpha (default r: scale alpha / r = 1). */
  rank?: number;
  alpha?: number;
  /** Adapters on the text encoder's self-attention too (default true). */
  textEncoder?: boolean;
  /** Seed of A's initialisation and of the new embedding row (default 0). */
  seed?: number;
}

/** An adapter file that does not fit the model, or is not an adapter file at all. */
export class AdapterError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterError';
  }
}

/**
 * A fingerprint of a text-to-image model's weights and vocabulary (sha256, hex): equal for the same checkpoint,
 * different for any other one (another run, another epoch, another architecture).
 */
export function modelFingerprint(model: Text2ImgModel, vocabulary: readonly string[] = model.tokenizer.vocabulary): string {
  const h = createHash('sha256').update(JSON.stringify(vocabulary));
  for (const [name, p] of model.namedParameters())
    h.update(`${name}[${p.shape.join(',')}]`).update(new Uint8Array(p.f32.buffer, p.f32.byteOffset, p.f32.byteLength));
  return h.digest('hex');
}

/** The attention layers an adapter targets, by module path: every cross-attention of the U-Net, and the text encoder's. */
function attentionTargets(model: Text2ImgModel, textEncoder: boolean): [string, MultiheadAttention][] {
  const out: [string, MultiheadAttention][] = [];
  for (const [name, m] of model.namedModules()) {
    if (m instanceof SpatialCrossAttention) out.push([`${name}.attn`, m.attn]);
    else if (textEncoder && m instanceof MultiheadAttention && name.startsWith('textEncoder.')) out.push([name, m]);
  }
  return out;
}

interface AdapterMeta {
  concept: string;
  rank: number;
  alpha: number;
  textEncoder: boolean;
  fingerprint: string;
  baseVocabulary: number;
}

export class ConceptAdapter {
  /** LoRA per projection, by the projection's module path (e.g. 'unet.midCross.attn.qProj'). */
  readonly loras = new Map<string, LoRA>();
  readonly rows: EmbeddingRows;
  private attachedTo: Text2ImgModel | null = null;
  private readonly baseTokenizer: Text2ImgModel['tokenizer'];

  private constructor(
    model: Text2ImgModel,
    readonly meta: AdapterMeta,
    seed = 0,
  ) {
    const gen = new Generator(seed);
    for (const [path, attn] of attentionTargets(model, meta.textEncoder))
      for (const p of PROJECTIONS) this.loras.set(`${path}.${p}`, new LoRA(attn[p], { rank: meta.rank, alpha: meta.alpha, gen }));
    this.rows = new EmbeddingRows(model.textEncoder.tokenEmbedding, 1, gen);
    this.baseTokenizer = model.tokenizer;
  }

  get concept(): string {
    return this.meta.concept;
  }

  /** A fresh adapter for `model` (B = 0: the model still draws as before), attached. */
  static create(model: Text2ImgModel, o: ConceptOptions): ConceptAdapter {
    model.tokenizer.withWords([o.concept]); // refuses a known word or a phrase before anything is built
    const rank = o.rank ?? 4;
    const meta = {
      concept: o.concept,
      rank,
      alpha: o.alpha ?? rank,
      textEncoder: o.textEncoder ?? true,
      fingerprint: modelFingerprint(model),
      baseVocabulary: model.tokenizer.size,
    };
    return new ConceptAdapter(model, meta, o.seed ?? 0).attach(model);
  }

  /** An adapter file (bytes) for `model`, attached; refused when it was trained on another model. */
  static load(bytes: Uint8Array, model: Text2ImgModel, source = 'adapter'): ConceptAdapter {
    const { tensors, metadata } = decodeSafetensors(bytes, source);
    if (metadata.format !== FORMAT)
      throw new AdapterError(
        `${source} is not a concept adapter (its metadata has no format '${FORMAT}'); make one with simmer train <folder> --from <text2img run> --concept <word>`,
      );
    const meta = JSON.parse(metadata.adapter ?? '{}') as AdapterMeta;
    const fingerprint = modelFingerprint(model);
    if (meta.fingerprint !== fingerprint || meta.baseVocabulary !== model.tokenizer.size)
      throw new AdapterError(
        `${source} was made for another model: it teaches '${meta.concept}' to the checkpoint with fingerprint ${String(meta.fingerprint).slice(0, 12)}…, and this one's is ${fingerprint.slice(0, 12)}…; use the checkpoint the adapter was trained from (simmer train --from), or train the concept again on this one`,
      );
    const adapter = new ConceptAdapter(model, meta);
    const expected = new Map(adapter.namedTensors());
    for (const [name, t] of expected) {
      const stored = tensors.get(name);
      if (!stored || stored.size !== t.size)
        throw new AdapterError(`${source}: tensor '${name}' is ${stored ? `of ${stored.size} values, not ${t.size}` : 'missing'}; the file is damaged`);
      t.f32.set(stored.f32);
    }
    const extra = [...tensors.keys()].filter((k) => !expected.has(k));
    if (extra.length > 0)
      throw new AdapterError(`${source}: unexpected tensors ${extra.slice(0, 3).join(', ')}; the file was not written by this version of simmer`);
    return adapter.attach(model);
  }

  /** The trainable tensors: the new embedding row, then A and B of every adapted projection. */
  parameters(): Parameter[] {
    return [this.rows.weight, ...[...this.loras.values()].flatMap((l) => [l.A, l.B])];
  }

  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /** The tensors as the file names them. */
  namedTensors(): [string, Parameter][] {
    return [
      [ROWS_NAME, this.rows.weight],
      ...[...this.loras].flatMap(([path, l]): [string, Parameter][] => [
        [`${path}.lora_A`, l.A],
        [`${path}.lora_B`, l.B],
      ]),
    ];
  }

  /** The adapter file: safetensors with the word, rank, alpha and base fingerprint in the metadata. */
  encode(): Buffer {
    return encodeSafetensors(new Map(this.namedTensors()), { format: FORMAT, adapter: JSON.stringify(this.meta) });
  }

  /** Puts the adapter into `model`: its tokenizer knows the word, its attention projections add the LoRA updates. */
  attach(model: Text2ImgModel): this {
    if (this.attachedTo && this.attachedTo !== model) throw new AdapterError('this adapter is attached to another model; detach it first');
    for (const l of this.loras.values()) l.attach();
    this.rows.attach();
    model.tokenizer = this.baseTokenizer.withWords([this.concept]);
    this.attachedTo = model;
    return this;
  }

  /** Takes the adapter out again: the model is the base model (its vocabulary too). */
  detach(): void {
    for (const l of this.loras.values()) l.detach();
    this.rows.detach();
    if (this.attachedTo) this.attachedTo.tokenizer = this.baseTokenizer;
    this.attachedTo = null;
  }
}

export interface ConceptTrainOptions {
  /** Captions of the concept images, one drawn per image and step (conceptCaptions). */
  captions: readonly string[];
  /** Optimizer steps (default 200), images per step (default min(8, images)), Adam learning rate (default 1e-3). */
  steps?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** Called after every step with the step number (1-based) and its loss. */
  onStep?: (step: number, loss: number) => void;
}

/**
 * Trains an attached adapter on images [N, C, H, W] in [0, 1] with the model's own denoising loss; only the
 * adapter's tensors receive gradients and change (the base parameters are frozen for the duration and restored after).
 * Returns the loss of every step.
 */
export function trainConcept(model: Text2ImgModel, adapter: ConceptAdapter, images: Tensor, o: ConceptTrainOptions): number[] {
  const [n, c, h, w] = images.shape;
  if (n === 0) throw new AdapterError('no images to learn the concept from; give a folder with 10–30 pictures of it');
  const [mc, mh, mw] = model.imageShape;
  if (c !== mc || h !== mh || w !== mw) throw new AdapterError(`the concept images are ${c}x${h}x${w}; the model draws ${mc}x${mh}x${mw}`);
  if (o.captions.length === 0) throw new AdapterError('trainConcept: give at least one caption');
  const steps = o.steps ?? 200;
  const batch = Math.min(o.batchSize ?? 8, n);
  const gen = new Generator(o.seed ?? 0);
  const frozen = model.parameters().map((p) => [p, p.requiresGrad] as const);
  for (const [p] of frozen) p.requiresGrad = false;
  const optimizer = new Adam(adapter.parameters(), { lr: o.lr ?? 1e-3 });
  const per = c * h * w;
  const losses: number[] = [];
  const wasTraining = model.training;
  model.train();
  try {
    for (let s = 1; s <= steps; s++) {
      const x = new Float32Array(batch * per);
      const captions: string[] = [];
      for (let i = 0; i < batch; i++) {
        const k = gen.int(0, n);
        x.set(images.f32.subarray(k * per, (k + 1) * per), i * per);
        captions.push(o.captions[gen.int(0, o.captions.length)]);
      }
      optimizer.zeroGrad();
      const loss = denoisingLoss(model, new Tensor(x, [batch, c, h, w]), gen, (xt, timesteps) => model.forwardText(xt, timesteps, model.encodeText(captions)));
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
      o.onStep?.(s, losses[losses.length - 1]);
    }
  } finally {
    for (const [p, r] of frozen) p.requiresGrad = r;
    model.train(wasTraining);
  }
  return losses;
}

/**
 * The captions of concept images: "a <concept>" in the templates whose other words the base model knows (data/captions.ts),
 * with the background's name when it is known ("a zorb on a gray background").
 */
export function conceptCaptions(model: Text2ImgModel, concept: string, background?: string): string[] {
  const known = conceptCaptionTemplates(background).filter((t) => model.tokenizer.unknownWords(t.replace('{}', '')).length === 0);
  return (known.length > 0 ? known : ['{}']).map((t) => t.replace('{}', concept));
}
