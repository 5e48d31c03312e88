/** Convolution layers over NCHW images. */
import { type ConvEpilogue, conv2d, convTranspose2d, type Pair } from '../../ops/conv.ts';
import { zeros } from '../../tensor/creation.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { defaultLayerInit } from '../init.ts';
import { Module, Parameter } from '../module.ts';

export interface Conv2dLayerOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

const asPair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/**
 * 2-D convolution. weight [out, in/groups, kH, kW].
 * @example const conv = new Conv2d(1, 32, 3, { padding: 1 });
 */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: Pair,
    readonly options: Conv2dLayerOptions = {},
  ) {
    super();
    const [kh, kw] = asPair(kernelSize);
    const groups = options.groups ?? 1;
    if (inChannels % groups !== 0 || outChannels % groups !== 0)
      throw new RangeError(`Conv2d: groups=${groups} must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
    this.weight = new Parameter(zeros([outChannels, inChannels / groups, kh, kw]));
    this.bias = options.bias === false ? null : new Parameter(zeros([outChannels]));
    defaultLayerInit(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options);
  }

  /** forward followed by ReLU (and, for 'relu-maxpool2' in inference, a 2×2 max pool) in one kernel. */
  forwardFused(x: Tensor, epilogue: ConvEpilogue): Tensor {
    return conv2d(x, this.weight, this.bias, this.options, epilogue);
  }

  override extraRepr(): string {
    const o = this.options;
    return `${this.inChannels}, ${this.outChannels}, kernel=${JSON.stringify(this.kernelSize)}${o.stride ? `, stride=${JSON.stringify(o.stride)}` : ''}${o.padding ? `, padding=${JSON.stringify(o.padding)}` : ''}`;
  }
}

/** Transposed 2-D convolution (learned upsampling). weight [in, out/groups, kH, kW]. */
export class ConvTranspose2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: Pair,
    readonly options: Conv2dLayerOptions & { outputPadding?: Pair } = {},
  ) {
    super();
    const [kh, kw] = asPair(kernelSize);
    const groups = options.groups ?? 1;
    this.weight = new Parameter(zeros([inChannels, outChannels / groups, kh, kw]));
    this.bias = options.bias === false ? null : new Parameter(zeros([outChannels]));
    defaultLayerInit(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, this.options);
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel=${JSON.stringify(this.kernelSize)}`;
  }
}
