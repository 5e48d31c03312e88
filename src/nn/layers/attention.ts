/**
 * Attention layers (PyTorch's nn.MultiheadAttention with batch_first=True, and a pre-norm transformer block), built on
 * ops.scaledDotProductAttention, whose forward and backward are backend kernels.
 * - MultiheadAttention: q/k/v/out projections, self-attention (context omitted) or cross-attention (context [B, Tk, kvDim]),
 *   an optional causal mask and a key padding mask (uint8 [B, Tk], 1 = padding, ignored, as PyTorch's), and
 *   incremental decoding through a KV cache (step()), so an autoregressive sampler costs one token per step.
 * - TransformerBlock: x + attn(LN(x)), optionally x + crossAttn(LN(x), context), then x + MLP(LN(x)) with a GELU MLP.
 * @example
 *   const attn = new MultiheadAttention(64, 4, { causal: true });
 *   attn.forward(x).shape;                       // x [B, T, 64] → [B, T, 64]; position t sees positions 0..t
 *   const block = new TransformerBlock(64, 4, { causal: true, crossDim: 32 });
 *   block.forward(x, text);                      // text [B, Tk, 32]: cross-attention to it after the self-attention
 *   const cache = attn.createCache(B, 100);      // then attn.step(xNew, cache) for each new token
 */
import { gelu } from '../../ops/activation.ts';
import { scaledDotProductAttention } from '../../ops/attention.ts';
import { add } from '../../ops/elementwise.ts';
import { permute, reshape } from '../../ops/shape.ts';
import { formatShape } from '../../tensor/shape.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { Module } from '../module.ts';
import { Linear } from './linear.ts';
import { Dropout, LayerNorm } from './norm.ts';

export interface MultiheadAttentionOptions {
  /** Width of the context that keys and values are read from (cross-attention); default embedDim. */
  kvDim?: number;
  /** Query t attends only to keys 0..t (self-attention of an autoregressive model). */
  causal?: boolean;
  /** Bias in the four projections (default true). */
  bias?: boolean;
}

/**
 * Keys and values of the tokens seen so far, per layer, for incremental decoding: [B, heads, maxLength, headDim]
 * buffers filled up to `length`. Made by MultiheadAttention.createCache; step() appends to it.
 */
export interface KvCache {
  readonly batch: number;
  readonly maxLength: number;
  length: number;
  readonly keys: Float32Array;
  readonly values: Float32Array;
}

export class MultiheadAttention extends Module {
  readonly headDim: number;
  readonly kvDim: number;
  readonly causal: boolean;
  readonly qProj: Linear;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly outProj: Linear;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0)
      throw new RangeError(`MultiheadAttention: numHeads (${numHeads}) must be a positive integer dividing embedDim (${embedDim})`);
    this.headDim = embedDim / numHeads;
    this.kvDim = options.kvDim ?? embedDim;
    this.causal = options.causal ?? false;
    const bias = { bias: options.bias ?? true };
    this.qProj = new Linear(embedDim, embedDim, bias);
    this.kProj = new Linear(this.kvDim, embedDim, bias);
    this.vProj = new Linear(this.kvDim, embedDim, bias);
    this.outProj = new Linear(embedDim, embedDim, bias);
  }

  /** [B, T, embedDim] → [B, heads, T, headDim]. */
  private splitHeads(x: Tensor): Tensor {
    const [b, t] = x.shape;
    return permute(reshape(x, [b, t, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  /** [B, heads, T, headDim] → [B, T, embedDim] through the output projection. */
  private mergeHeads(y: Tensor): Tensor {
    const [b, , t] = y.shape;
    return this.outProj.forward(reshape(permute(y, [0, 2, 1, 3]), [b, t, this.embedDim]));
  }

  private check(x: Tensor, width: number, what: string): void {
    if (x.rank !== 3 || x.shape[2] !== width)
      throw new RangeError(`MultiheadAttention: ${what} must be [batch, tokens, ${width}], got ${formatShape(x.shape)}`);
  }

  /**
   * x [B, Tq, embedDim] attends to itself, or to context [B, Tk, kvDim] when given. keyPaddingMask: uint8 [B, Tk],
   * 1 where a key is padding (ignored). Returns [B, Tq, embedDim].
   */
  forward(x: Tensor, context?: Tensor, keyPaddingMask?: Tensor): Tensor {
    this.check(x, this.embedDim, 'the query input');
    const kv = context ?? x;
    if (context) {
      this.check(context, this.kvDim, 'the context');
      if (context.shape[0] !== x.shape[0])
        throw new RangeError(`MultiheadAttention: the context's batch (${context.shape[0]}) differs from the input's (${x.shape[0]})`);
    }
    const q = this.splitHeads(this.qProj.forward(x));
    const k = this.splitHeads(this.kProj.forward(kv));
    const v = this.splitHeads(this.vProj.forward(kv));
    const mask = keyPaddingMask ? keepMask(keyPaddingMask, kv.shape[0], kv.shape[1]) : null;
    return this.mergeHeads(scaledDotProductAttention(q, k, v, { causal: this.causal, mask }));
  }

  /** An empty KV cache for `batch` sequences of up to `maxLength` tokens (self-attention only). */
  createCache(batch: number, maxLength: number): KvCache {
    const size = batch * this.numHeads * maxLength * this.headDim;
    return { batch, maxLength, length: 0, keys: new Float32Array(size), values: new Float32Array(size) };
  }

  /**
   * Incremental self-attention: x [B, Tnew, embedDim] are the next tokens; their keys and values are appended to the
   * cache and each new token attends to every cached token before it and to itself (causally among the new ones).
   * Equal to the matching rows of forward() over the whole sequence. Meant for sampling (no gradient through the cache).
   */
  step(x: Tensor, cache: KvCache): Tensor {
    this.check(x, this.embedDim, 'the query input');
    const [b, tNew] = x.shape;
    if (b !== cache.batch) throw new RangeError(`MultiheadAttention.step: the cache holds ${cache.batch} sequences, the input ${b}`);
    const past = cache.length;
    const total = past + tNew;
    if (total > cache.maxLength) throw new RangeError(`MultiheadAttention.step: ${total} tokens exceed the cache's maxLength ${cache.maxLength}`);
    const h = this.numHeads;
    const dh = this.headDim;
    const q = this.splitHeads(this.qProj.forward(x));
    const kNew = this.splitHeads(this.kProj.forward(x)).f32;
    const vNew = this.splitHeads(this.vProj.forward(x)).f32;
    const k = new Float32Array(b * h * total * dh);
    const v = new Float32Array(b * h * total * dh);
    for (let bh = 0; bh < b * h; bh++) {
      const row = bh * cache.maxLength * dh;
      cache.keys.set(kNew.subarray(bh * tNew * dh, (bh + 1) * tNew * dh), row + past * dh);
      cache.values.set(vNew.subarray(bh * tNew * dh, (bh + 1) * tNew * dh), row + past * dh);
      k.set(cache.keys.subarray(row, row + total * dh), bh * total * dh);
      v.set(cache.values.subarray(row, row + total * dh), bh * total * dh);
    }
    cache.length = total;
    // New token i (absolute position past + i) sees keys 0..past + i.
    let mask: Tensor | null = null;
    if (this.causal && tNew > 1) {
      const m = new Uint8Array(tNew * total);
      for (let i = 0; i < tNew; i++) for (let j = 0; j <= past + i; j++) m[i * total + j] = 1;
      mask = new Tensor(m, [tNew, total]);
    }
    const y = scaledDotProductAttention(q, new Tensor(k, [b, h, total, dh]), new Tensor(v, [b, h, total, dh]), { mask });
    return this.mergeHeads(y);
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, heads=${this.numHeads}${this.kvDim !== this.embedDim ? `, kvDim=${this.kvDim}` : ''}${this.causal ? ', causal' : ''}`;
  }
}

/** PyTorch's key padding mask (uint8 [B, Tk], 1 = padding) → sdpa's keep mask [B, 1, 1, Tk] (1 = attend). */
function keepMask(padding: Tensor, batch: number, tk: number): Tensor {
  if (padding.dtype !== 'uint8' || padding.rank !== 2 || padding.shape[0] !== batch || padding.shape[1] !== tk)
    throw new RangeError(
      `MultiheadAttention: keyPaddingMask must be uint8 [${batch}, ${tk}] (1 = padding), got ${padding.dtype} ${formatShape(padding.shape)}`,
    );
  const src = padding.data as Uint8Array;
  return new Tensor(
    Uint8Array.from(src, (p) => (p ? 0 : 1)),
    [batch, 1, 1, tk],
  );
}

export interface TransformerBlockOptions {
  /** Causal self-attention (default false). */
  causal?: boolean;
  /** Hidden width of the MLP as a multiple of dim (default 4). */
  mlpRatio?: number;
  /** Dropout after the attention and the MLP while training (default 0). */
  dropout?: number;
  /** Width of a context to cross-attend to after the self-attention (text features); none by default. */
  crossDim?: number;
}

/** Caches of one block for incremental decoding. */
export interface BlockCache {
  self: KvCache;
}

/**
 * A pre-norm transformer block (GPT-2 / ViT style): x += attn(LN(x)); [x += crossAttn(LN(x), context)];
 * x += fc2(GELU(fc1(LN(x)))). Input and output [B, T, dim].
 */
export class TransformerBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attn: MultiheadAttention;
  readonly normCross: LayerNorm | null;
  readonly crossAttn: MultiheadAttention | null;
  readonly norm2: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly drop: Dropout;

  constructor(
    readonly dim: number,
    readonly numHeads: number,
    options: TransformerBlockOptions = {},
  ) {
    super();
    const hidden = Math.round(dim * (options.mlpRatio ?? 4));
    this.norm1 = new LayerNorm(dim);
    this.attn = new MultiheadAttention(dim, numHeads, { causal: options.causal });
    this.normCross = options.crossDim ? new LayerNorm(dim) : null;
    this.crossAttn = options.crossDim ? new MultiheadAttention(dim, numHeads, { kvDim: options.crossDim }) : null;
    this.norm2 = new LayerNorm(dim);
    this.fc1 = new Linear(dim, hidden);
    this.fc2 = new Linear(hidden, dim);
    this.drop = new Dropout(options.dropout ?? 0);
  }

  private rest(x: Tensor, context?: Tensor, contextPaddingMask?: Tensor): Tensor {
    let y = x;
    if (this.crossAttn && this.normCross) {
      if (!context) throw new RangeError('TransformerBlock: this block cross-attends; pass the context [B, Tk, crossDim]');
      y = add(y, this.drop.forward(this.crossAttn.forward(this.normCross.forward(y), context, contextPaddingMask)));
    }
    return add(y, this.drop.forward(this.fc2.forward(gelu(this.fc1.forward(this.norm2.forward(y))))));
  }

  /**
   * x [B, T, dim]; context [B, Tk, crossDim] for a cross-attending block (contextPaddingMask uint8 [B, Tk], 1 = padding);
   * paddingMask uint8 [B, T] keeps the self-attention off x's own padding positions (a text encoder's).
   */
  forward(x: Tensor, context?: Tensor, contextPaddingMask?: Tensor, paddingMask?: Tensor): Tensor {
    return this.rest(add(x, this.drop.forward(this.attn.forward(this.norm1.forward(x), undefined, paddingMask))), context, contextPaddingMask);
  }

  createCache(batch: number, maxLength: number): BlockCache {
    return { self: this.attn.createCache(batch, maxLength) };
  }

  /** Incremental forward of the next tokens x [B, Tnew, dim] (see MultiheadAttention.step). */
  step(x: Tensor, cache: BlockCache, context?: Tensor, contextPaddingMask?: Tensor): Tensor {
    return this.rest(add(x, this.attn.step(this.norm1.forward(x), cache.self)), context, contextPaddingMask);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, heads=${this.numHeads}${this.attn.causal ? ', causal' : ''}${this.crossAttn ? `, crossDim=${this.crossAttn.kvDim}` : ''}`;
  }
}
