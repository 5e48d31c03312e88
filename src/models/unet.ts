/**
 * The denoising U-Net of the diffusion models (Ho et al. 2020, with the Nichol & Dhariwal refinements that matter at
 * this size): residual blocks of GroupNorm → SiLU → conv, each adding a projection of the timestep embedding;
 * sinusoidal timestep features through a two-layer MLP; self-attention at the lowest resolution; one skip connection
 * per level from the down path to the up path (concatenated); class conditioning by a label embedding added to the
 * time embedding, with one extra "null" label (index numClasses) that classifier-free guidance uses as "no class".
 * Sized for 2 CPU cores: 28x28 stays 28x28 and goes down twice (28 → 14 → 7), so no padding or resizing is needed.
 * Text conditioning (contextDim set; text2img.ts): cross-attention from the image features to the encoded prompt after
 * every ResBlock below full resolution and after the middle self-attention, and the pooled prompt projected into the
 * time embedding (Imagen's pooled embedding beside the token-level cross-attention). Without contextDim the net and
 * its parameter names are exactly those of the class- or unconditional U-Net.
 * @example
 *   const net = new UNet({ imageShape: [1, 28, 28], numClasses: 10, base: 32, mults: [1, 2, 2] });
 *   const eps = net.forward(xt, timesteps, labels);   // xt [N, 1, 28, 28], timesteps int32 [N], labels int32 [N]
 */
import { ModuleList } from '../nn/layers/container.ts';
import { Conv2d } from '../nn/layers/conv.ts';
import { Embedding, Linear } from '../nn/layers/linear.ts';
import { MultiheadAttention } from '../nn/layers/attention.ts';
import { GroupNorm } from '../nn/layers/norm.ts';
import { zeros_ } from '../nn/init.ts';
import { Module } from '../nn/module.ts';
import { silu } from '../ops/activation.ts';
import { scaledDotProductAttention } from '../ops/attention.ts';
import { add } from '../ops/elementwise.ts';
import { upsample } from '../ops/pool.ts';
import { cat, reshape, slice, transpose } from '../ops/shape.ts';
import { Tensor } from '../tensor/tensor.ts';

/**
 * Sinusoidal features of integer timesteps, [N, dim] (the Transformer's position encoding, as in DDPM):
 * [sin(t·f_0) … sin(t·f_{h−1}), cos(t·f_0) … cos(t·f_{h−1})] with f_k = 10000^(−k/h), h = dim/2.
 * They are inputs, not learned, so they are computed here rather than through ops.
 */
export function timestepEmbedding(timesteps: ArrayLike<number>, dim: number): Tensor {
  if (dim % 2 !== 0) throw new RangeError(`timestepEmbedding: dim must be even, got ${dim}`);
  const half = dim / 2;
  const n = timesteps.length;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const t = timesteps[i];
    for (let k = 0; k < half; k++) {
      const angle = t * Math.exp((-Math.log(10000) * k) / half);
      out[i * dim + k] = Math.sin(angle);
      out[i * dim + half + k] = Math.cos(angle);
    }
  }
  return new Tensor(out, [n, dim]);
}

/** GroupNorm with at most `groups` groups that divide the channel count (8 for 32, 64, 128 channels). */
function norm(channels: number, groups = 8): GroupNorm {
  let g = Math.min(groups, channels);
  while (channels % g !== 0) g--;
  return new GroupNorm(g, channels);
}

/** x + per-channel vector v [N, C] broadcast over H and W. */
function addChannels(x: Tensor, v: Tensor): Tensor {
  return add(x, reshape(v, [v.shape[0], v.shape[1], 1, 1]));
}

/**
 * h = conv(SiLU(GN(x))); h += W·SiLU(emb); h = conv(SiLU(GN(h))); out = skip(x) + h. The second conv starts at
 * zero, so every block begins as the identity (or its 1x1 skip) and training starts from a shallow, stable net.
 */
export class ResBlock extends Module {
  readonly norm1: GroupNorm;
  readonly conv1: Conv2d;
  readonly embProj: Linear;
  readonly norm2: GroupNorm;
  readonly conv2: Conv2d;
  readonly skip: Conv2d | null;

  constructor(inChannels: number, outChannels: number, embDim: number) {
    super();
    this.norm1 = norm(inChannels);
    this.conv1 = new Conv2d(inChannels, outChannels, 3, { padding: 1 });
    this.embProj = new Linear(embDim, outChannels);
    this.norm2 = norm(outChannels);
    this.conv2 = new Conv2d(outChannels, outChannels, 3, { padding: 1 });
    zeros_(this.conv2.weight);
    if (this.conv2.bias) zeros_(this.conv2.bias);
    this.skip = inChannels === outChannels ? null : new Conv2d(inChannels, outChannels, 1);
  }

  /** emb is the SiLU-activated conditioning vector [N, embDim] (shared by all blocks, activated once). */
  forward(x: Tensor, emb: Tensor): Tensor {
    let h = this.conv1.forward(silu(this.norm1.forward(x)));
    h = addChannels(h, this.embProj.forward(emb));
    h = this.conv2.forward(silu(this.norm2.forward(h)));
    return add(this.skip ? this.skip.forward(x) : x, h);
  }
}

/**
 * Multi-head self-attention over the H·W positions of a feature map: GN → 1x1 conv to q, k, v → attention →
 * 1x1 conv (zero-initialised, so the block starts as the identity) → + x.
 */
export class SpatialSelfAttention extends Module {
  readonly norm: GroupNorm;
  readonly qkv: Conv2d;
  readonly proj: Conv2d;

  constructor(
    readonly channels: number,
    readonly heads = 4,
  ) {
    super();
    if (channels % heads !== 0) throw new RangeError(`SpatialSelfAttention: heads (${heads}) must divide channels (${channels})`);
    this.norm = norm(channels);
    this.qkv = new Conv2d(channels, 3 * channels, 1);
    this.proj = new Conv2d(channels, channels, 1);
    zeros_(this.proj.weight);
    if (this.proj.bias) zeros_(this.proj.bias);
  }

  forward(x: Tensor): Tensor {
    const [n, c, h, w] = x.shape;
    const d = c / this.heads;
    // [N, 3C, H, W] → [N, 3·heads, d, HW] → [N, 3·heads, HW, d]; q, k, v are thirds along axis 1.
    const qkv = transpose(reshape(this.qkv.forward(this.norm.forward(x)), [n, 3 * this.heads, d, h * w]), 2, 3);
    const part = (i: number) => slice(qkv, 1, i * this.heads, (i + 1) * this.heads);
    const y = scaledDotProductAttention(part(0), part(1), part(2)); // [N, heads, HW, d]
    const back = reshape(transpose(y, 2, 3), [n, c, h, w]);
    return add(x, this.proj.forward(back));
  }
}

/** What a text encoder hands the U-Net: per-token features, which of them are padding, and one pooled vector. */
export interface UNetContext {
  /** Token features [N, T, contextDim]. */
  tokens: Tensor;
  /** uint8 [N, T], 1 where a token is padding (cross-attention ignores it). */
  paddingMask?: Tensor;
  /** One vector per prompt [N, contextDim], projected into the time embedding. */
  pooled: Tensor;
}

/**
 * Cross-attention from every position of a feature map to the prompt's tokens: GN → [N, HW, C] queries → multi-head
 * attention over the tokens (keys and values projected from contextDim) → back to [N, C, H, W] → + x. The output
 * projection starts at zero, so the block starts as the identity and the text is let in as training finds it useful.
 */
export class SpatialCrossAttention extends Module {
  readonly norm: GroupNorm;
  readonly attn: MultiheadAttention;

  constructor(
    readonly channels: number,
    readonly contextDim: number,
    heads = 4,
  ) {
    super();
    if (channels % heads !== 0) throw new RangeError(`SpatialCrossAttention: heads (${heads}) must divide channels (${channels})`);
    this.norm = norm(channels);
    this.attn = new MultiheadAttention(channels, heads, { kvDim: contextDim });
    zeros_(this.attn.outProj.weight);
    if (this.attn.outProj.bias) zeros_(this.attn.outProj.bias);
  }

  /** x [N, C, H, W]; tokens [N, T, contextDim]; paddingMask uint8 [N, T] (1 = padding). */
  forward(x: Tensor, tokens: Tensor, paddingMask?: Tensor): Tensor {
    const [n, c, h, w] = x.shape;
    const q = transpose(reshape(this.norm.forward(x), [n, c, h * w]), 1, 2); // [N, HW, C]
    const y = this.attn.forward(q, tokens, paddingMask);
    return add(x, reshape(transpose(y, 1, 2), [n, c, h, w]));
  }
}

export interface UNetOptions {
  /** [channels, height, width]; height and width must be divisible by 2^(levels − 1). */
  imageShape: [number, number, number];
  /** Real classes; the label embedding has one more row, the null label used for guidance. 0 = unconditional. */
  numClasses: number;
  /** Channels at full resolution (default 32). */
  base?: number;
  /** Channel multiplier per level (default [1, 2, 2]: 28 → 14 → 7 at base, 2·base, 2·base channels). */
  mults?: readonly number[];
  /** Attention heads at the lowest resolution (default 4). */
  heads?: number;
  /** Sinusoidal timestep features (default base) and the width of the conditioning vector (default 4·base). */
  timeFeatures?: number;
  embDim?: number;
  /** Width of the text features to cross-attend to (text-to-image); absent = no text conditioning. */
  contextDim?: number;
}

/** The denoiser ε_θ(x_t, t, y) (or v_θ: the output is whatever the task trains it to predict). */
export class UNet extends Module {
  readonly imageShape: [number, number, number];
  readonly numClasses: number;
  readonly base: number;
  readonly timeFeatures: number;
  readonly timeMlp1: Linear;
  readonly timeMlp2: Linear;
  readonly labelEmbedding: Embedding | null;
  readonly inConv: Conv2d;
  readonly down: ModuleList;
  readonly downsample: ModuleList;
  readonly mid1: ResBlock;
  readonly midAttn: SpatialSelfAttention;
  readonly mid2: ResBlock;
  readonly up: ModuleList;
  readonly upsampleConv: ModuleList;
  readonly outNorm: GroupNorm;
  readonly outConv: Conv2d;
  readonly contextDim: number;
  /** Text conditioning only: the pooled prompt into the time embedding, and cross-attention per low-resolution block. */
  readonly contextProj: Linear | null = null;
  readonly downCross: ModuleList | null = null;
  readonly midCross: SpatialCrossAttention | null = null;
  readonly upCross: ModuleList | null = null;

  constructor(o: UNetOptions) {
    super();
    const [c, h, w] = o.imageShape;
    const mults = o.mults ?? [1, 2, 2];
    const factor = 2 ** (mults.length - 1);
    if (h % factor !== 0 || w % factor !== 0)
      throw new RangeError(
        `unet: image height and width must be divisible by ${factor} (${mults.length} levels), got ${h}x${w}; resize with --image-size (e.g. 28 or 32)`,
      );
    this.imageShape = [c, h, w];
    this.numClasses = o.numClasses;
    this.base = o.base ?? 32;
    this.timeFeatures = o.timeFeatures ?? this.base;
    const emb = o.embDim ?? 4 * this.base;
    this.timeMlp1 = new Linear(this.timeFeatures, emb);
    this.timeMlp2 = new Linear(emb, emb);
    this.labelEmbedding = o.numClasses > 0 ? new Embedding(o.numClasses + 1, emb) : null;
    const widths = mults.map((m) => m * this.base);
    this.inConv = new Conv2d(c, this.base, 3, { padding: 1 });
    this.down = new ModuleList();
    this.downsample = new ModuleList();
    let ch = this.base;
    widths.forEach((wd, i) => {
      this.down.append(new ResBlock(ch, wd, emb));
      ch = wd;
      if (i < widths.length - 1) this.downsample.append(new Conv2d(ch, ch, 3, { stride: 2, padding: 1 }));
    });
    this.mid1 = new ResBlock(ch, ch, emb);
    this.midAttn = new SpatialSelfAttention(ch, o.heads ?? 4);
    this.mid2 = new ResBlock(ch, ch, emb);
    this.up = new ModuleList();
    this.upsampleConv = new ModuleList();
    for (let i = widths.length - 1; i >= 0; i--) {
      this.up.append(new ResBlock(ch + widths[i], widths[i], emb));
      ch = widths[i];
      // The conv after each 2x upsampling already narrows to the next level's width: at full resolution a conv is
      // the costliest layer, so it should see the narrow width, not the wide one.
      if (i > 0) {
        this.upsampleConv.append(new Conv2d(ch, widths[i - 1], 3, { padding: 1 }));
        ch = widths[i - 1];
      }
    }
    this.outNorm = norm(ch);
    this.outConv = new Conv2d(ch, c, 3, { padding: 1 });
    zeros_(this.outConv.weight);
    if (this.outConv.bias) zeros_(this.outConv.bias);
    this.contextDim = o.contextDim ?? 0;
    if (this.contextDim > 0) {
      const heads = o.heads ?? 4;
      this.contextProj = new Linear(this.contextDim, emb);
      // Below full resolution only: at full resolution the H·W queries would cost the most and see the least.
      this.downCross = new ModuleList();
      this.upCross = new ModuleList();
      for (let i = 1; i < widths.length; i++) this.downCross.append(new SpatialCrossAttention(widths[i], this.contextDim, heads));
      for (let i = widths.length - 1; i >= 1; i--) this.upCross.append(new SpatialCrossAttention(widths[i], this.contextDim, heads));
      this.midCross = new SpatialCrossAttention(widths[widths.length - 1], this.contextDim, heads);
    }
  }

  /** The SiLU-activated conditioning vector [N, embDim]: time MLP, the label's embedding (null label = numClasses), the pooled prompt. */
  embed(timesteps: ArrayLike<number>, labels: Tensor | null, pooled?: Tensor): Tensor {
    let e = this.timeMlp2.forward(silu(this.timeMlp1.forward(timestepEmbedding(timesteps, this.timeFeatures))));
    if (this.labelEmbedding) {
      if (!labels) throw new RangeError(`unet: this denoiser is class-conditional; pass labels (0..${this.numClasses - 1}, or ${this.numClasses} for none)`);
      e = add(e, this.labelEmbedding.forward(labels));
    }
    if (this.contextProj && pooled) e = add(e, this.contextProj.forward(pooled));
    return silu(e);
  }

  /**
   * The prediction [N, C, H, W] for noisy images x [N, C, H, W] at integer timesteps (one per image); a text-conditioned
   * net (contextDim) also takes the encoded prompts (see UNetContext; Module.forward takes tensors only, so the
   * context comes as its three tensors).
   */
  forward(x: Tensor, timesteps: Tensor, labels?: Tensor, tokens?: Tensor, paddingMask?: Tensor, pooled?: Tensor): Tensor {
    if (this.contextDim > 0 && !(tokens && pooled))
      throw new RangeError('unet: this denoiser is text-conditioned; pass the encoded prompts (an empty prompt for none)');
    const emb = this.embed(timesteps.data, labels ?? null, pooled);
    // Cross-attention after a block at level i (i ≥ 1), when the net is text-conditioned.
    const cross = (list: ModuleList | null, k: number, h: Tensor) =>
      list && tokens ? (list.at(k) as SpatialCrossAttention).forward(h, tokens, paddingMask) : h;
    let h = this.inConv.forward(x);
    const skips: Tensor[] = [];
    const levels = this.down.length;
    for (let i = 0; i < levels; i++) {
      h = (this.down.at(i) as ResBlock).forward(h, emb);
      if (i > 0) h = cross(this.downCross, i - 1, h);
      skips.push(h);
      if (i < levels - 1) h = this.downsample.at(i).forward(h);
    }
    h = this.midAttn.forward(this.mid1.forward(h, emb));
    if (this.midCross && tokens) h = this.midCross.forward(h, tokens, paddingMask);
    h = this.mid2.forward(h, emb);
    for (let j = 0; j < levels; j++) {
      h = (this.up.at(j) as ResBlock).forward(cat([h, skips[levels - 1 - j]], 1), emb);
      if (levels - 1 - j > 0) h = cross(this.upCross, j, h);
      if (j < levels - 1) h = this.upsampleConv.at(j).forward(upsample(h, { scaleFactor: 2, mode: 'nearest' }));
    }
    return this.outConv.forward(silu(this.outNorm.forward(h)));
  }
}
