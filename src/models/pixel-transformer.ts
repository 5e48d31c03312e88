/**
 * The pixel transformer: an autoregressive transformer (GPT style: token + learned position embeddings, pre-norm
 * causal self-attention blocks, a final LayerNorm and a linear head) that draws an image token by token. Tokens are
 * patches of quantised pixels of a downsampled image (pixel-transformer-tokens.ts), so Fashion-MNIST is 49 tokens of
 * 256 values (14x14 pixels, 4 grey levels, 2x2 patches) instead of 784 pixels: a 16x shorter sequence that trains on
 * two cores. The sequence starts with a prefix token: the class (class-conditional) or a start token (unconditional).
 * Sampling runs the blocks incrementally through a KV cache (one token per step), with temperature and top-k.
 * @example
 *   const pt = new PixelTransformer({ inputShape: [1, 28, 28], numClasses: 10, conditional: true });
 *   const loss = pixelTransformerLoss(pt, batch.x, batch.y);          // next-token cross-entropy
 *   pt.sample({ n: 10, labels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], seed: 1, temperature: 0.9, topK: 32 });
 */
import { noGrad } from '../autograd/grad-mode.ts';
import { type BlockCache, TransformerBlock } from '../nn/layers/attention.ts';
import { ModuleList } from '../nn/layers/container.ts';
import { Embedding, Linear } from '../nn/layers/linear.ts';
import { LayerNorm } from '../nn/layers/norm.ts';
import { normal_ } from '../nn/init.ts';
import { Module, Parameter } from '../nn/module.ts';
import { add } from '../ops/elementwise.ts';
import { crossEntropy } from '../ops/loss.ts';
import { reshape, slice } from '../ops/shape.ts';
import { zeros } from '../tensor/creation.ts';
import { Generator } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { EvalReport, StepResult, Task, TaskSource } from '../train/task.ts';
import type { Batch } from '../train/types.ts';
import { PixelTokenizer, type PixelTokenizerOptions } from './pixel-transformer-tokens.ts';

export interface PixelTransformerOptions extends Omit<PixelTokenizerOptions, 'imageShape'> {
  inputShape: [number, number, number];
  numClasses: number;
  conditional?: boolean;
  /** Embedding width (default 128). */
  dim?: number;
  /** Transformer blocks (default 4). */
  depth?: number;
  /** Attention heads (default 4). */
  heads?: number;
  /** Dropout in the blocks while training (default 0). */
  dropout?: number;
  /** Sampling defaults used when sample() is not told (temperature 1, top-k 0 = off). */
  temperature?: number;
  topK?: number;
}

/**
 * The zoo's architecture and sampling settings (src/models/registry.ts): 14x14 pixels, 4 levels, 2x2 patches (49 tokens
 * of 256 values), 3 blocks of width 96 with 4 heads (≈0.39M parameters), sampled at temperature 1 without top-k.
 */
export const PIXEL_TRANSFORMER_DEFAULTS = { grid: 14, levels: 4, patch: 2, dim: 96, depth: 3, heads: 4, temperature: 1, topK: 0 } as const;

/** What sample() takes: generative.ts's SampleOptions (steps, sampler, guidance do not apply) plus temperature and top-k. */
export interface PixelSampleOptions {
  n: number;
  /** One class index per image (conditional models). */
  labels?: readonly number[];
  seed: number;
  /** Images per batch of sequences (memory bound; does not change the images; default 250). */
  batchSize?: number;
  /** After each token step (counted over all batches) with the images drawn so far (tokens not drawn yet are black). */
  onStep?(step: number, total: number, x0?: Tensor): void;
  /** Divides the logits before the softmax (< 1 sharper, > 1 more varied; 0 = greedy). */
  temperature?: number;
  /** Draw only among the k most likely tokens (0 = all; 1 = greedy). */
  topK?: number;
}

export class PixelTransformer extends Module {
  readonly family = 'pixel-transformer';
  readonly conditional: boolean;
  readonly numClasses: number;
  readonly imageShape: [number, number, number];
  readonly latentDim = 0;
  readonly tokenizer: PixelTokenizer;
  readonly dim: number;
  readonly defaults: { temperature: number; topK: number };
  readonly tokenEmbedding: Embedding;
  readonly positionEmbedding: Parameter;
  readonly blocks: ModuleList;
  readonly norm: LayerNorm;
  readonly head: Linear;

  constructor(o: PixelTransformerOptions) {
    super();
    this.conditional = o.conditional ?? false;
    this.numClasses = o.numClasses;
    this.imageShape = [...o.inputShape];
    this.tokenizer = new PixelTokenizer({
      imageShape: o.inputShape,
      grid: o.grid ?? Math.min(14, o.inputShape[1], o.inputShape[2]),
      levels: o.levels,
      patch: o.patch,
    });
    this.dim = o.dim ?? 128;
    const heads = o.heads ?? 4;
    this.defaults = { temperature: o.temperature ?? 1, topK: o.topK ?? 0 };
    // Image tokens, then one prefix per class, then the start token of unconditional sequences.
    this.tokenEmbedding = new Embedding(this.tokenizer.vocabSize + this.numClasses + 1, this.dim);
    this.positionEmbedding = new Parameter(zeros([this.tokenizer.length, this.dim]));
    noGrad(() => {
      normal_(this.tokenEmbedding.weight, 0, 0.02);
      normal_(this.positionEmbedding, 0, 0.02);
    });
    this.blocks = new ModuleList(Array.from({ length: o.depth ?? 4 }, () => new TransformerBlock(this.dim, heads, { causal: true, dropout: o.dropout })));
    this.norm = new LayerNorm(this.dim);
    this.head = new Linear(this.dim, this.tokenizer.vocabSize);
  }

  /** The token that starts a sequence: the class (conditional) or the start token. */
  prefixToken(label: number): number {
    if (!this.conditional) return this.tokenizer.vocabSize + this.numClasses;
    if (!(Number.isInteger(label) && label >= 0 && label < this.numClasses))
      throw new RangeError(`pixel-transformer: class ${label} is out of range (0..${this.numClasses - 1})`);
    return this.tokenizer.vocabSize + label;
  }

  /** Model input for image tokens [N, T]: the prefix, then every token but the last (teacher forcing). */
  shiftRight(targets: Tensor, labels: Tensor | null): Tensor {
    const [n, t] = targets.shape;
    const src = targets.data as Int32Array;
    const out = new Int32Array(n * t);
    for (let i = 0; i < n; i++) {
      out[i * t] = this.prefixToken(labels ? (labels.data as Int32Array)[i] : 0);
      out.set(src.subarray(i * t, (i + 1) * t - 1), i * t + 1);
    }
    return new Tensor(out, [n, t]);
  }

  /** Next-token logits [N, L, vocab] for input tokens [N, L] (L ≤ length) at positions 0..L−1. */
  forward(tokens: Tensor): Tensor {
    const len = tokens.shape[1];
    if (tokens.rank !== 2 || len > this.tokenizer.length)
      throw new RangeError(`pixel-transformer: expected int32 tokens [N, ≤ ${this.tokenizer.length}], got [${tokens.shape.join(', ')}]`);
    let h = add(this.tokenEmbedding.forward(tokens), slice(this.positionEmbedding, 0, 0, len));
    for (const block of this.blocks) h = (block as TransformerBlock).forward(h);
    return this.head.forward(this.norm.forward(h));
  }

  /** The logits of the token after `tokens` [N, 1] at position `pos`, through the caches. */
  private stepLogits(tokens: Tensor, pos: number, caches: BlockCache[]): Float32Array {
    let h = add(this.tokenEmbedding.forward(tokens), slice(this.positionEmbedding, 0, pos, pos + 1));
    [...this.blocks].forEach((block, i) => {
      h = (block as TransformerBlock).step(h, caches[i]);
    });
    return this.head.forward(this.norm.forward(h)).f32;
  }

  /**
   * n images [N, C, H, W] in [0, 1], drawn token by token. Every image has its own generator seeded from `seed` and
   * its index, so the images do not depend on batchSize. onStep(step, total, canvas) reports each token step (counted
   * over all batches) with the images drawn so far (tokens not drawn yet are black).
   */
  sample(options: PixelSampleOptions): Tensor {
    const { n } = options;
    const labels = options.labels ?? [];
    if (this.conditional && labels.length !== n)
      throw new RangeError(`pixel-transformer: a class-conditional model needs one label per image (${n}), got ${labels.length}`);
    const temperature = options.temperature ?? this.defaults.temperature;
    const topK = options.topK ?? this.defaults.topK;
    if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new RangeError(`pixel-transformer: temperature must be ≥ 0, got ${temperature}`);
    if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`pixel-transformer: topK must be an integer ≥ 0, got ${topK}`);
    const seeds = new Generator(options.seed);
    const gens = Array.from({ length: n }, () => new Generator(seeds.nextUint32()));
    const batch = Math.max(1, options.batchSize ?? 250);
    const len = this.tokenizer.length;
    const vocab = this.tokenizer.vocabSize;
    const total = Math.ceil(n / batch) * len;
    const [c, h, w] = this.imageShape;
    const images = new Float32Array(n * c * h * w);
    let step = 0;
    noGrad(() => {
      for (let s = 0; s < n; s += batch) {
        const b = Math.min(batch, n - s);
        const caches = [...this.blocks].map((block) => (block as TransformerBlock).createCache(b, len));
        const drawn = new Int32Array(b * len);
        let input = new Int32Array(b);
        for (let i = 0; i < b; i++) input[i] = this.prefixToken(labels[s + i] ?? 0);
        for (let t = 0; t < len; t++) {
          const logits = this.stepLogits(new Tensor(input, [b, 1]), t, caches);
          input = new Int32Array(b);
          for (let i = 0; i < b; i++) {
            const token = drawToken(logits.subarray(i * vocab, (i + 1) * vocab), temperature, topK, gens[s + i]);
            input[i] = token;
            drawn[i * len + t] = token;
          }
          step++;
          if (options.onStep) options.onStep(step, total, this.tokenizer.resize(this.tokenizer.decodeGrid(partial(drawn, b, len, t + 1), b, t + 1)));
        }
        images.set(this.tokenizer.decode(new Tensor(drawn, [b, len])).f32, s * c * h * w);
      }
    });
    return new Tensor(images, [n, c, h, w]);
  }
}

/** The first `given` tokens of each of b sequences of length len, packed. */
function partial(tokens: Int32Array, b: number, len: number, given: number): Int32Array {
  const out = new Int32Array(b * given);
  for (let i = 0; i < b; i++) out.set(tokens.subarray(i * len, i * len + given), i * given);
  return out;
}

/**
 * One token from logits: greedy when temperature is 0 or topK is 1 (the first maximum), otherwise a draw from
 * softmax(logits / temperature) restricted to the topK largest logits (ties at the k-th value are kept).
 */
export function drawToken(logits: Float32Array, temperature: number, topK: number, gen: Generator): number {
  const v = logits.length;
  let best = 0;
  for (let j = 1; j < v; j++) if (logits[j] > logits[best]) best = j;
  if (temperature === 0 || topK === 1) return best;
  let threshold = Number.NEGATIVE_INFINITY;
  if (topK > 0 && topK < v) threshold = Float32Array.from(logits).sort()[v - topK];
  const max = logits[best];
  const p = new Float64Array(v);
  let z = 0;
  for (let j = 0; j < v; j++) {
    if (logits[j] < threshold) continue;
    p[j] = Math.exp((logits[j] - max) / temperature);
    z += p[j];
  }
  let u = gen.uniform() * z;
  for (let j = 0; j < v; j++) {
    if (p[j] === 0) continue;
    u -= p[j];
    if (u < 0) return j;
  }
  return best;
}

/** Mean next-token cross-entropy (nats per token) of a batch of images [N, C, H, W] in [0, 1]. */
export function pixelTransformerLoss(model: PixelTransformer, images: Tensor, labels: Tensor | null): Tensor {
  const targets = model.tokenizer.encode(images);
  const logits = model.forward(model.shiftRight(targets, model.conditional ? labels : null));
  const [n, t] = targets.shape;
  return crossEntropy(reshape(logits, [n * t, model.tokenizer.vocabSize]), reshape(targets, [n * t]));
}

export interface PixelTransformerTaskOptions {
  /** Validation batches evaluated per epoch (0 = all; default 0). */
  evalBatches?: number;
}

/** Trains a PixelTransformer on { x, y } batches by next-token cross-entropy; reports bits per (pooled) pixel. */
export class PixelTransformerTask implements Task<Batch> {
  readonly name = 'pixel-transformer';
  constructor(readonly options: PixelTransformerTaskOptions = {}) {}

  private bitsPerPixel(model: PixelTransformer, nats: number): number {
    return nats / Math.LN2 / (model.tokenizer.patch * model.tokenizer.patch);
  }

  step(model: Module, batch: Batch): StepResult {
    const pt = model as PixelTransformer;
    const loss = pixelTransformerLoss(pt, batch.x, batch.y);
    return { loss, metrics: { bitsPerPixel: this.bitsPerPixel(pt, loss.item()) } };
  }

  async evaluate(model: Module, source: TaskSource<Batch>): Promise<EvalReport> {
    const pt = model as PixelTransformer;
    let loss = 0;
    let count = 0;
    let batches = 0;
    for await (const batch of source.epoch(0)) {
      const n = batch.x.shape[0];
      loss += noGrad(() => pixelTransformerLoss(pt, batch.x, batch.y).item()) * n;
      count += n;
      if (this.options.evalBatches && ++batches >= this.options.evalBatches) break;
    }
    const mean = loss / Math.max(1, count);
    return { loss: mean, metrics: { bitsPerPixel: this.bitsPerPixel(pt, mean) }, count };
  }
}
