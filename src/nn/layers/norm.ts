/** Normalisation and dropout layers. */
import { batchNorm, groupNorm, layerNorm } from '../../ops/norm.ts';
import { dropout } from '../../ops/regularize.ts';
import { ones, zeros } from '../../tensor/creation.ts';
import { formatShape } from '../../tensor/shape.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { Module, Parameter } from '../module.ts';

export interface BatchNormLayerOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;

  constructor(
    readonly numFeatures: number,
    readonly options: BatchNormLayerOptions,
    private readonly ranks: number[],
  ) {
    super();
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(ones([numFeatures])) : null;
    this.bias = affine ? new Parameter(zeros([numFeatures])) : null;
    this.runningMean = null;
    this.runningVar = null;
    if (options.trackRunningStats ?? true) {
      this.registerBuffer('runningMean', zeros([numFeatures]));
      this.registerBuffer('runningVar', ones([numFeatures]));
    }
  }

  forward(x: Tensor): Tensor {
    if (!this.ranks.includes(x.rank) || x.shape[1] !== this.numFeatures) {
      throw new RangeError(
        `${this.constructor.name}(${this.numFeatures}): expected input of rank ${this.ranks.join(' or ')} with ${this.numFeatures} channels in dimension 1, got ${formatShape(x.shape)}`,
      );
    }
    const useBatchStats = this.training || this.runningMean === null;
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: useBatchStats,
      momentum: this.training ? (this.options.momentum ?? 0.1) : 0,
      eps: this.options.eps ?? 1e-5,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}`;
  }
}

/** Batch norm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options, [2, 3]);
  }
}

/** Batch norm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options, [4]);
  }
}

export class LayerNorm extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly normalizedShape: number[];

  constructor(
    normalizedShape: number | readonly number[],
    readonly eps = 1e-5,
    elementwiseAffine = true,
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.weight = elementwiseAffine ? new Parameter(ones(this.normalizedShape)) : null;
    this.bias = elementwiseAffine ? new Parameter(zeros(this.normalizedShape)) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}

export class GroupNorm extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    readonly eps = 1e-5,
    affine = true,
  ) {
    super();
    if (numChannels % numGroups !== 0) throw new RangeError(`GroupNorm: numGroups (${numGroups}) must divide numChannels (${numChannels})`);
    this.weight = affine ? new Parameter(ones([numChannels])) : null;
    this.bias = affine ? new Parameter(zeros([numChannels])) : null;
  }

  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }
}

/** Zeroes activations with probability p while training (scaling the rest by 1/(1−p)); identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
