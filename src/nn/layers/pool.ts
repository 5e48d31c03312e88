/** Pooling, resampling and reshaping layers (no parameters). */
import type { Pair } from '../../ops/conv.ts';
import { type AvgPool2dOptions, adaptiveAvgPool2d, avgPool2d, maxPool2d, type Pool2dOptions, type UpsampleOptions, upsample } from '../../ops/pool.ts';
import { flatten } from '../../ops/shape.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { Module } from '../module.ts';

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly options: Pool2dOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }

  override extraRepr(): string {
    return `kernel=${JSON.stringify(this.kernelSize)}`;
  }
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly options: AvgPool2dOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }

  override extraRepr(): string {
    return `kernel=${JSON.stringify(this.kernelSize)}`;
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `output=${JSON.stringify(this.outputSize)}`;
  }
}

export class Upsample extends Module {
  constructor(readonly options: UpsampleOptions) {
    super();
  }

  forward(x: Tensor): Tensor {
    return upsample(x, this.options);
  }
}

/** Flattens dimensions startDim..endDim (by default everything but the batch). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
