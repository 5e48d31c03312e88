/**
 * The text encoder of the text-to-image model: token embeddings plus learned position embeddings, a few pre-norm
 * transformer blocks (multi-head self-attention that ignores padding, GELU MLP) and a final LayerNorm. It turns a
 * batch of encoded captions (CaptionTokenizer) into what the U-Net conditions on: one feature vector per token for
 * cross-attention, the padding mask, and the mean of the real tokens' features as the pooled prompt vector. Trained
 * jointly with the denoiser, from scratch.
 * @example
 *   const enc = new TextEncoder({ vocabSize: tok.size, maxLength: tok.maxLength, dim: 64, layers: 2, heads: 4 });
 *   const ctx = enc.encode([tok.encode('a red circle'), tok.encode('')]); // tokens [2, T, 64], pooled [2, 64]
 */
import type { EncodedCaption } from '../data/tokenizer.ts';
import { TransformerBlock } from '../nn/layers/attention.ts';
import { ModuleList } from '../nn/layers/container.ts';
import { Embedding } from '../nn/layers/linear.ts';
import { LayerNorm } from '../nn/layers/norm.ts';
import { Module } from '../nn/module.ts';
import { add, mul } from '../ops/elementwise.ts';
import { sum } from '../ops/reduce.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { UNetContext } from './unet.ts';

export interface TextEncoderOptions {
  vocabSize: number;
  /** Tokens per caption (the tokenizer's maxLength). */
  maxLength: number;
  /** Feature width (default 64). */
  dim?: number;
  /** Transformer blocks (default 2). */
  layers?: number;
  /** Attention heads (default 4). */
  heads?: number;
}

export class TextEncoder extends Module {
  readonly dim: number;
  readonly maxLength: number;
  readonly tokenEmbedding: Embedding;
  readonly positionEmbedding: Embedding;
  readonly blocks: ModuleList;
  readonly finalNorm: LayerNorm;

  constructor(o: TextEncoderOptions) {
    super();
    this.dim = o.dim ?? 64;
    this.maxLength = o.maxLength;
    this.tokenEmbedding = new Embedding(o.vocabSize, this.dim);
    this.positionEmbedding = new Embedding(o.maxLength, this.dim);
    this.blocks = new ModuleList();
    for (let i = 0; i < (o.layers ?? 2); i++) this.blocks.append(new TransformerBlock(this.dim, o.heads ?? 4));
    this.finalNorm = new LayerNorm(this.dim);
  }

  /** Features [B, T, dim] of token ids [B, T] (int32), padding positions (uint8 [B, T], 1 = padding) ignored by attention. */
  forward(ids: Tensor, paddingMask: Tensor): Tensor {
    const [b, t] = ids.shape;
    if (t > this.maxLength) throw new RangeError(`TextEncoder: ${t} tokens exceed the encoder's ${this.maxLength}`);
    const positions = new Int32Array(b * t);
    for (let i = 0; i < b * t; i++) positions[i] = i % t;
    let x = add(this.tokenEmbedding.forward(ids), this.positionEmbedding.forward(new Tensor(positions, [b, t])));
    for (let i = 0; i < this.blocks.length; i++) x = (this.blocks.at(i) as TransformerBlock).forward(x, undefined, undefined, paddingMask);
    return this.finalNorm.forward(x);
  }

  /** The U-Net's conditioning for a batch of encoded captions: token features, padding mask, pooled mean of real tokens. */
  encode(captions: readonly EncodedCaption[]): UNetContext {
    const b = captions.length;
    const t = this.maxLength;
    const ids = new Int32Array(b * t);
    const padding = new Uint8Array(b * t);
    const weights = new Float32Array(b * t);
    captions.forEach((c, i) => {
      if (c.ids.length !== t) throw new RangeError(`TextEncoder: captions must be encoded to ${t} tokens, got ${c.ids.length}`);
      ids.set(c.ids, i * t);
      for (let k = 0; k < t; k++) {
        padding[i * t + k] = k < c.length ? 0 : 1;
        weights[i * t + k] = k < c.length ? 1 / c.length : 0;
      }
    });
    const paddingMask = new Tensor(padding, [b, t]);
    const tokens = this.forward(new Tensor(ids, [b, t]), paddingMask);
    const pooled = sum(mul(tokens, new Tensor(weights, [b, t, 1])), 1);
    return { tokens, paddingMask, pooled };
  }
}
