/** Fully connected and embedding layers. */
import { embedding } from '../../ops/embedding.ts';
import { linear, linearRelu } from '../../ops/matmul.ts';
import { zeros } from '../../tensor/creation.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { defaultLayerInit, normal_ } from '../init.ts';
import { Module, Parameter } from '../module.ts';

/**
 * y = x·Wᵀ + b. weight is [outFeatures, inFeatures], initialised as in PyTorch.
 * @example const fc = new Linear(784, 10); fc.forward(x).shape; // [N, 10]
 */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean } = {},
  ) {
    super();
    this.weight = new Parameter(zeros([outFeatures, inFeatures]));
    this.bias = options.bias === false ? null : new Parameter(zeros([outFeatures]));
    defaultLayerInit(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  /** relu(forward(x)) as one fused op (Sequential runs Linear → ReLU this way; src/ops/matmul.ts). */
  forwardRelu(x: Tensor): Tensor {
    return linearRelu(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in=${this.inFeatures}, out=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** A lookup table of numEmbeddings vectors of size dim, initialised N(0, 1). Input: int32 indices. */
export class Embedding extends Module {
  readonly weight: Parameter;

  constructor(
    readonly numEmbeddings: number,
    readonly dim: number,
  ) {
    super();
    this.weight = new Parameter(zeros([numEmbeddings, dim]));
    normal_(this.weight);
  }

  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.dim}`;
  }
}
