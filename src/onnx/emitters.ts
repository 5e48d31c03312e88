/**
 * ONNX emitters for the layers of src/nn (opset 17). Each entry writes its module's nodes and computes the module's
 * real output on the traced value, so the next emitter knows every shape. Batch dimensions are never written as
 * numbers (Flatten, or Reshape with 0 = "copy this dimension"), so the exported graph takes any batch size.
 */
import { ELU, GELU, Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh } from '../nn/layers/activation.ts';
import { ResidualBlock, Sequential } from '../nn/layers/container.ts';
import { Conv2d, ConvTranspose2d } from '../nn/layers/conv.ts';
import { Embedding, Linear } from '../nn/layers/linear.ts';
import { BatchNorm1d, BatchNorm2d, Dropout, GroupNorm, LayerNorm } from '../nn/layers/norm.ts';
import { AdaptiveAvgPool2d, AvgPool2d, Flatten, MaxPool2d, Upsample } from '../nn/layers/pool.ts';
import type { Module } from '../nn/module.ts';
import { relu } from '../ops/activation.ts';
import { add } from '../ops/elementwise.ts';
import { ones, zeros } from '../tensor/creation.ts';
import { formatShape } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import { type ExportContext, type OnnxValue, registerOnnxEmitter } from './export.ts';

const pair = (v: number | readonly [number, number] | undefined, fallback: number): [number, number] =>
  v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

/** A module whose ONNX form is one node with fixed attributes on its single input. */
function simple<M extends Module>(op: string, attrs: (m: M) => Record<string, number | { float: number } | undefined> = () => ({})) {
  return (ctx: ExportContext, m: M, [x]: OnnxValue[]) => ctx.node(op, [x.name], m.forward(x.tensor), attrs(m), ctx.pathOf(m) || op);
}

/** Relu etc. on a value, with Simmer's op giving the traced result. */
export function unary(ctx: ExportContext, op: string, x: OnnxValue, f: (t: Tensor) => Tensor): OnnxValue {
  return ctx.node(op, [x.name], f(x.tensor));
}

registerOnnxEmitter(Sequential, (ctx, m, inputs) => {
  let v = inputs[0];
  for (const child of m.children()) v = ctx.emit(child, [v]);
  return v;
});

registerOnnxEmitter(Conv2d, (ctx, m, [x]) => {
  const [kh, kw] = pair(m.kernelSize, 1);
  const [ph, pw] = pair(m.options.padding, 0);
  const inputs = [x.name, ctx.param(m.weight), ...(m.bias ? [ctx.param(m.bias)] : [])];
  return ctx.node('Conv', inputs, m.forward(x.tensor), {
    kernel_shape: [kh, kw],
    strides: pair(m.options.stride, 1),
    pads: [ph, pw, ph, pw],
    dilations: pair(m.options.dilation, 1),
    group: m.options.groups ?? 1,
  });
});

registerOnnxEmitter(ConvTranspose2d, (ctx, m, [x]) => {
  const [kh, kw] = pair(m.kernelSize, 1);
  const [ph, pw] = pair(m.options.padding, 0);
  const inputs = [x.name, ctx.param(m.weight), ...(m.bias ? [ctx.param(m.bias)] : [])];
  return ctx.node('ConvTranspose', inputs, m.forward(x.tensor), {
    kernel_shape: [kh, kw],
    strides: pair(m.options.stride, 1),
    pads: [ph, pw, ph, pw],
    dilations: pair(m.options.dilation, 1),
    output_padding: pair(m.options.outputPadding, 0),
    group: m.options.groups ?? 1,
  });
});

registerOnnxEmitter(Linear, (ctx, m, [x]) => {
  const y = m.forward(x.tensor);
  if (x.tensor.rank === 2) return ctx.node('Gemm', [x.name, ctx.param(m.weight), ...(m.bias ? [ctx.param(m.bias)] : [])], y, { transB: 1 });
  // [..., in] inputs: MatMul with the transposed weight, then the bias.
  const wt = ctx.node('Transpose', [ctx.param(m.weight)], m.weight, { perm: [1, 0] });
  const mm = ctx.node('MatMul', [x.name, wt.name], y);
  return m.bias ? ctx.node('Add', [mm.name, ctx.param(m.bias)], y) : mm;
});

function batchNorm(ctx: ExportContext, m: BatchNorm1d | BatchNorm2d, [x]: OnnxValue[]): OnnxValue {
  if (!m.runningMean || !m.runningVar)
    throw new RangeError(
      `exportOnnx: ${m.constructor.name} at '${ctx.pathOf(m)}' keeps no running statistics (trackRunningStats: false), so it has no inference form`,
    );
  const c = m.numFeatures;
  const scale = m.weight ? ctx.param(m.weight) : ctx.constFloat(ones([c]), 'bn_scale');
  const bias = m.bias ? ctx.param(m.bias) : ctx.constFloat(zeros([c]), 'bn_bias');
  const attrs = { epsilon: { float: m.options.eps ?? 1e-5 }, momentum: { float: 1 - (m.options.momentum ?? 0.1) } };
  const inputs = [scale, bias, ctx.param(m.runningMean), ctx.param(m.runningVar)];
  return ctx.node('BatchNormalization', [x.name, ...inputs], m.forward(x.tensor), attrs);
}
registerOnnxEmitter(BatchNorm1d, batchNorm);
registerOnnxEmitter(BatchNorm2d, batchNorm);

registerOnnxEmitter(LayerNorm, (ctx, m, [x]) => {
  const scale = m.weight ? ctx.param(m.weight) : ctx.constFloat(ones(m.normalizedShape), 'ln_scale');
  const inputs = [x.name, scale, ...(m.bias ? [ctx.param(m.bias)] : [])];
  return ctx.node('LayerNormalization', inputs, m.forward(x.tensor), { axis: -m.normalizedShape.length, epsilon: { float: m.eps } });
});

/** GroupNormalization is opset 18: at 17 it is InstanceNormalization over [N, G, rest], reshaped back, then the affine. */
registerOnnxEmitter(GroupNorm, (ctx, m, [x]) => {
  const y = m.forward(x.tensor);
  const g = m.numGroups;
  const grouped = ctx.node('Reshape', [x.name, ctx.constInts([0, g, -1])], y);
  const normed = ctx.node('InstanceNormalization', [grouped.name, ctx.constFloat(ones([g]), 'gn_scale'), ctx.constFloat(zeros([g]), 'gn_bias')], y, {
    epsilon: { float: m.eps },
  });
  const shape = ctx.node('Shape', [x.name], y);
  let out = ctx.node('Reshape', [normed.name, shape.name], y);
  const perChannel = [m.numChannels, ...new Array<number>(Math.max(0, x.tensor.rank - 2)).fill(1)];
  if (m.weight) out = ctx.node('Mul', [out.name, ctx.node('Reshape', [ctx.param(m.weight), ctx.constInts(perChannel)], y).name], y);
  if (m.bias) out = ctx.node('Add', [out.name, ctx.node('Reshape', [ctx.param(m.bias), ctx.constInts(perChannel)], y).name], y);
  return out;
});

registerOnnxEmitter(ReLU, simple('Relu'));
registerOnnxEmitter(
  LeakyReLU,
  simple('LeakyRelu', (m: LeakyReLU) => ({ alpha: { float: m.negativeSlope } })),
);
registerOnnxEmitter(
  ELU,
  simple('Elu', (m: ELU) => ({ alpha: { float: m.alpha } })),
);
registerOnnxEmitter(Sigmoid, simple('Sigmoid'));
registerOnnxEmitter(Tanh, simple('Tanh'));
registerOnnxEmitter(
  Softmax,
  simple('Softmax', (m: Softmax) => ({ axis: m.axis })),
);
registerOnnxEmitter(
  LogSoftmax,
  simple('LogSoftmax', (m: LogSoftmax) => ({ axis: m.axis })),
);
registerOnnxEmitter(Identity, (_ctx, _m, [x]) => x);
registerOnnxEmitter(Dropout, (_ctx, _m, [x]) => x); // eval mode: dropout is the identity

/** Gelu is opset 20; at 17 it is x · ½(1 + erf(x/√2)), as PyTorch exports it. */
registerOnnxEmitter(GELU, (ctx, m, [x]) => {
  const y = m.forward(x.tensor);
  const scaled = ctx.node('Mul', [x.name, ctx.scalar(Math.SQRT1_2)], y);
  const erf = ctx.node('Erf', [scaled.name], y);
  const onePlus = ctx.node('Add', [erf.name, ctx.scalar(1)], y);
  const half = ctx.node('Mul', [x.name, ctx.scalar(0.5)], y);
  return ctx.node('Mul', [half.name, onePlus.name], y, {}, ctx.pathOf(m) || 'gelu');
});

registerOnnxEmitter(SiLU, (ctx, m, [x]) => {
  const y = m.forward(x.tensor);
  return ctx.node('Mul', [x.name, ctx.node('Sigmoid', [x.name], y).name], y);
});

registerOnnxEmitter(Softplus, (ctx, m, [x]) => {
  const y = m.forward(x.tensor);
  if (m.beta === 1) return ctx.node('Softplus', [x.name], y);
  const bx = ctx.node('Mul', [x.name, ctx.scalar(m.beta)], y);
  return ctx.node('Div', [ctx.node('Softplus', [bx.name], y).name, ctx.scalar(m.beta)], y);
});

registerOnnxEmitter(MaxPool2d, (ctx, m, [x]) => {
  const k = pair(m.kernelSize, 1);
  const [ph, pw] = pair(m.options.padding, 0);
  return ctx.node('MaxPool', [x.name], m.forward(x.tensor), {
    kernel_shape: k,
    strides: pair(m.options.stride, 0).map((s, i) => s || k[i]),
    pads: [ph, pw, ph, pw],
    dilations: pair(m.options.dilation, 1),
    ceil_mode: m.options.ceilMode ? 1 : 0,
  });
});

registerOnnxEmitter(AvgPool2d, (ctx, m, [x]) => {
  const k = pair(m.kernelSize, 1);
  const [ph, pw] = pair(m.options.padding, 0);
  return ctx.node('AveragePool', [x.name], m.forward(x.tensor), {
    kernel_shape: k,
    strides: pair(m.options.stride, 0).map((s, i) => s || k[i]),
    pads: [ph, pw, ph, pw],
    ceil_mode: m.options.ceilMode ? 1 : 0,
    count_include_pad: (m.options.countIncludePad ?? true) ? 1 : 0,
  });
});

registerOnnxEmitter(AdaptiveAvgPool2d, (ctx, m, [x]) => {
  const y = m.forward(x.tensor);
  const [oh, ow] = pair(m.outputSize, 1);
  if (oh === 1 && ow === 1) return ctx.node('GlobalAveragePool', [x.name], y);
  const [, , h, w] = x.tensor.shape;
  if (h % oh !== 0 || w % ow !== 0)
    throw new RangeError(
      `exportOnnx: AdaptiveAvgPool2d at '${ctx.pathOf(m)}' maps ${h}x${w} to ${oh}x${ow}, which is not a whole pooling window; ONNX has no adaptive pool (use an input size divisible by the output size)`,
    );
  return ctx.node('AveragePool', [x.name], y, { kernel_shape: [h / oh, w / ow], strides: [h / oh, w / ow] });
});

registerOnnxEmitter(Upsample, (ctx, m, [x]) => {
  const y = m.forward(x.tensor);
  const mode = m.options.mode ?? 'nearest';
  const attrs =
    mode === 'nearest'
      ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
      : { mode: 'linear', coordinate_transformation_mode: m.options.alignCorners ? 'align_corners' : 'half_pixel' };
  if (m.options.scaleFactor !== undefined) {
    const sf = m.options.scaleFactor;
    const [fh, fw] = typeof sf === 'number' ? [sf, sf] : sf;
    const scales = ctx.constFloat(new Tensor(Float32Array.from([1, 1, fh, fw]), [4]), 'scales');
    return ctx.node('Resize', [x.name, '', scales], y, attrs);
  }
  // A fixed output size: sizes for H and W, the batch and channels copied from the input's shape.
  const nc = ctx.node('Slice', [ctx.node('Shape', [x.name], y).name, ctx.constInts([0]), ctx.constInts([2])], y);
  const sizes = ctx.node('Concat', [nc.name, ctx.constInts(y.shape.slice(2))], y, { axis: 0 });
  return ctx.node('Resize', [x.name, '', '', sizes.name], y, attrs);
});

registerOnnxEmitter(Flatten, (ctx, m, [x]) => {
  const y = m.forward(x.tensor);
  const rank = x.tensor.rank;
  const start = m.startDim < 0 ? m.startDim + rank : m.startDim;
  const end = m.endDim < 0 ? m.endDim + rank : m.endDim;
  if (end === rank - 1 && start > 0) return ctx.node('Flatten', [x.name], y, { axis: start });
  // Reshape: 0 copies a leading dimension (the batch among them), -1 is the flattened span, the rest are fixed.
  const shape = [...new Array<number>(start).fill(0), -1, ...x.tensor.shape.slice(end + 1)];
  return ctx.node('Reshape', [x.name, ctx.constInts(shape)], y);
});

registerOnnxEmitter(Embedding, (ctx, m, [indices]) => ctx.node('Gather', [ctx.param(m.weight), indices.name], m.forward(indices.tensor), { axis: 0 }));

registerOnnxEmitter(ResidualBlock, (ctx, m, [x]) => {
  const h = unary(ctx, 'Relu', ctx.emit(m.bn1, [ctx.emit(m.conv1, [x])]), relu);
  const y = ctx.emit(m.bn2, [ctx.emit(m.conv2, [h])]);
  const skip = m.shortcut ? ctx.emit(m.shortcut, [x]) : x;
  const sum = ctx.node('Add', [y.name, skip.name], add(y.tensor, skip.tensor));
  return unary(ctx, 'Relu', sum, relu);
});

/** Reshape to a fixed per-sample shape with the batch copied (for model emitters). */
export function reshapeBatch(ctx: ExportContext, x: OnnxValue, perSample: readonly number[], result: Tensor): OnnxValue {
  if (result.shape.length !== perSample.length + 1) throw new RangeError(`reshapeBatch: ${formatShape(result.shape)} is not [N, ${perSample.join(', ')}]`);
  return ctx.node('Reshape', [x.name, ctx.constInts([0, ...perSample])], result);
}
