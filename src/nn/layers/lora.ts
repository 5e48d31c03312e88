/**
 * Low-rank adapters (LoRA, Hu et al. 2021) and extra embedding rows: the two ways a frozen network learns something
 * new without its own weights changing (a text-to-image model learning a new word, models/concept.ts).
 * - LoRA: y = W·x + b + (alpha / r)·B·(A·x), A [r, in] initialised like a Linear weight, B [out, r] zero, so the
 *   adapted layer is exactly the base layer until B has been trained. attach() adds the term through a forward hook,
 *   so the base module, its parameter names and its checkpoint stay as they were; detach() takes it away again.
 * - EmbeddingRows: k new rows after an Embedding's table (new token ids numEmbeddings..numEmbeddings+k−1); the table
 *   itself is only read, so only the new rows learn.
 * @example
 *   const lora = new LoRA(attn.qProj, { rank: 4, alpha: 4 }).attach();   // attn.qProj.forward now adds B·A·x
 *   const rows = new EmbeddingRows(encoder.tokenEmbedding, 1).attach();  // id = old vocabulary size reads rows.weight[0]
 *   lora.detach(); rows.detach();                                        // back to the base layers
 */
import { embedding } from '../../ops/embedding.ts';
import { add, mul } from '../../ops/elementwise.ts';
import { linear } from '../../ops/matmul.ts';
import { cat } from '../../ops/shape.ts';
import { zeros } from '../../tensor/creation.ts';
import type { Generator } from '../../tensor/random.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { defaultLayerInit, normal_ } from '../init.ts';
import { type HookHandle, Module, Parameter } from '../module.ts';
import type { Embedding, Linear } from './linear.ts';

export interface LoRAOptions {
  /** Rank r of the update B·A (default 4). */
  rank?: number;
  /** The update is scaled by alpha / r (default alpha = r, a scale of 1). */
  alpha?: number;
  /** Random source for A's initialisation. */
  gen?: Generator;
}

/** The low-rank update of one Linear layer: A [rank, in], B [out, rank] (zero at the start), scale alpha / rank. */
export class LoRA extends Module {
  readonly A: Parameter;
  readonly B: Parameter;
  readonly rank: number;
  readonly alpha: number;
  readonly scale: number;
  #hook: HookHandle | null = null;
  readonly #target: Linear;

  constructor(target: Linear, o: LoRAOptions = {}) {
    super();
    this.rank = o.rank ?? 4;
    if (!Number.isInteger(this.rank) || this.rank < 1 || this.rank > Math.min(target.inFeatures, target.outFeatures))
      throw new RangeError(
        `LoRA: rank must be an integer from 1 to ${Math.min(target.inFeatures, target.outFeatures)} (the layer is ${target.inFeatures} → ${target.outFeatures}), got ${o.rank}`,
      );
    this.alpha = o.alpha ?? this.rank;
    if (!(this.alpha > 0)) throw new RangeError(`LoRA: alpha must be positive, got ${o.alpha}`);
    this.scale = this.alpha / this.rank;
    this.#target = target;
    this.A = new Parameter(zeros([this.rank, target.inFeatures]));
    defaultLayerInit(this.A, null, o.gen);
    this.B = new Parameter(zeros([target.outFeatures, this.rank]));
  }

  /** The update alone: (alpha / r)·B·(A·x). */
  forward(x: Tensor): Tensor {
    const update = linear(linear(x, this.A), this.B);
    return this.scale === 1 ? update : mul(update, this.scale);
  }

  /** Adds the update to the target layer's output from now on (idempotent). */
  attach(): this {
    this.#hook ??= this.#target.registerForwardHook((_m, [x], y) => add(y, this.forward(x)));
    return this;
  }

  detach(): void {
    this.#hook?.remove();
    this.#hook = null;
  }

  override extraRepr(): string {
    return `rank=${this.rank}, alpha=${this.alpha}, ${this.#target.inFeatures} → ${this.#target.outFeatures}`;
  }
}

/** `count` learned rows appended to a (read-only) Embedding table: ids from numEmbeddings on pick them. */
export class EmbeddingRows extends Module {
  readonly weight: Parameter;
  readonly #target: Embedding;
  #attached = false;

  constructor(target: Embedding, count: number, gen?: Generator) {
    super();
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`EmbeddingRows: count must be a positive integer, got ${count}`);
    this.#target = target;
    this.weight = new Parameter(zeros([count, target.dim]));
    normal_(this.weight, 0, 1, gen);
  }

  /** Rows of the extended table [numEmbeddings + count, dim] for int32 ids. */
  forward(ids: Tensor): Tensor {
    return embedding(ids, cat([this.#target.weight, this.weight], 0));
  }

  /** From now on the target Embedding reads the extended table (idempotent). */
  attach(): this {
    if (!this.#attached) (this.#target as { forward: (ids: Tensor) => Tensor }).forward = (ids: Tensor) => this.forward(ids);
    this.#attached = true;
    return this;
  }

  detach(): void {
    if (this.#attached) delete (this.#target as { forward?: unknown }).forward; // the class's forward shows through again
    this.#attached = false;
  }

  override extraRepr(): string {
    return `${this.weight.shape[0]} rows after ${this.#target.numEmbeddings}, dim ${this.#target.dim}`;
  }
}
