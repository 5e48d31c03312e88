/**
 * ONNX emitters for the zoo's generative models: a VAE exports its decoder (latents z [, labels] → images in [0, 1]),
 * a DCGAN its generator (the same contract), an autoencoder its decoder (codes → images), and the generator alone
 * gives images in [−1, 1]; a diffusion model its U-Net denoiser (x_t, timesteps [, labels] → the prediction), one
 * call per sampling step. Classifiers need no
 * entry: they are Sequentials of layers (./emitters.ts). A new zoo model is one registerOnnxEmitter entry here.
 */
import { ConvAutoencoder } from '../models/autoencoder.ts';
import { Dcgan, DcganGenerator } from '../models/dcgan.ts';
import { DiffusionModel } from '../models/diffusion.ts';
import { ResBlock, SpatialSelfAttention, timestepEmbedding, UNet } from '../models/unet.ts';
import { ConvVae } from '../models/vae.ts';
import type { Linear } from '../nn/layers/linear.ts';
import { sigmoid, silu } from '../ops/activation.ts';
import { add, affine, mul } from '../ops/elementwise.ts';
import { matmul } from '../ops/matmul.ts';
import { upsample } from '../ops/pool.ts';
import { softmax } from '../ops/reduce.ts';
import { Tensor } from '../tensor/tensor.ts';
import { cat, reshape, slice, transpose } from '../ops/shape.ts';
import { type ExportContext, type OnnxValue, registerOnnxEmitter } from './export.ts';
import { reshapeBatch, unary } from './emitters.ts';

/** z, or [z, embedding(labels)] along the features for a conditional model. */
function withLabel(
  ctx: ExportContext,
  z: OnnxValue,
  labels: OnnxValue | undefined,
  embedding: Parameters<ExportContext['emit']>[0] | null,
  what: string,
): OnnxValue {
  if (!embedding) return z;
  if (!labels) throw new RangeError(`exportOnnx: this ${what} is class-conditional; pass [latents, labels] as the sample input (labels int32 [N])`);
  const e = ctx.emit(embedding, [labels]);
  return ctx.node('Concat', [z.name, e.name], cat([z.tensor, e.tensor], 1), { axis: 1 });
}

/** Linear → reshape to [N, C, H/4, W/4], the shared opening of both decoders. */
function project(ctx: ExportContext, linear: Linear, x: OnnxValue, h: number, w: number): OnnxValue {
  const flat = ctx.emit(linear, [x]);
  const channels = linear.outFeatures / ((h / 4) * (w / 4));
  const perSample = [channels, h / 4, w / 4];
  return reshapeBatch(ctx, flat, perSample, reshape(flat.tensor, [flat.tensor.shape[0], ...perSample]));
}

registerOnnxEmitter(ConvVae, (ctx, m, [z, labels]) => {
  const [, h, w] = m.imageShape;
  const x = project(ctx, m.fromLatent, withLabel(ctx, z, labels, m.labelEmbedding, 'VAE'), h, w);
  return unary(ctx, 'Sigmoid', ctx.emit(m.decoder, [x]), sigmoid);
});

registerOnnxEmitter(DcganGenerator, (ctx, m, [z, labels]) => {
  const [, h, w] = m.imageShape;
  return ctx.emit(m.body, [project(ctx, m.project, withLabel(ctx, z, labels, m.labelEmbedding, 'generator'), h, w)]);
});

registerOnnxEmitter(Dcgan, (ctx, m, inputs) => {
  const images = ctx.emit(m.generator, inputs);
  const half = ctx.node('Mul', [images.name, ctx.scalar(0.5)], affine(images.tensor, 0.5, 0));
  return ctx.node('Add', [half.name, ctx.scalar(0.5)], affine(images.tensor, 0.5, 0.5));
});

registerOnnxEmitter(ConvAutoencoder, (ctx, m, [z]) => {
  const [, h, w] = m.imageShape;
  return unary(ctx, 'Sigmoid', ctx.emit(m.decoder, [project(ctx, m.fromCode, z, h, w)]), sigmoid);
});

/** x · sigmoid(x), with its traced value. */
function siluV(ctx: ExportContext, x: OnnxValue): OnnxValue {
  return ctx.node('Mul', [x.name, ctx.node('Sigmoid', [x.name], x.tensor).name], silu(x.tensor));
}

registerOnnxEmitter(ResBlock, (ctx, m, [x, emb]) => {
  let h = ctx.emit(m.conv1, [siluV(ctx, ctx.emit(m.norm1, [x]))]);
  const e = ctx.emit(m.embProj, [emb]);
  const e4 = ctx.node('Unsqueeze', [e.name, ctx.constInts([2, 3])], reshape(e.tensor, [...e.tensor.shape, 1, 1]));
  h = ctx.node('Add', [h.name, e4.name], add(h.tensor, e4.tensor));
  h = ctx.emit(m.conv2, [siluV(ctx, ctx.emit(m.norm2, [h]))]);
  const skip = m.skip ? ctx.emit(m.skip, [x]) : x;
  return ctx.node('Add', [skip.name, h.name], m.forward(x.tensor, emb.tensor));
});

registerOnnxEmitter(SpatialSelfAttention, (ctx, m, [x]) => {
  const [n, c, h, w] = x.tensor.shape;
  const heads = m.heads;
  const d = c / heads;
  const qkvConv = ctx.emit(m.qkv, [ctx.emit(m.norm, [x])]);
  const qkvT = transpose(reshape(qkvConv.tensor, [n, 3 * heads, d, h * w]), 2, 3);
  const grouped = ctx.node('Reshape', [qkvConv.name, ctx.constInts([0, 3 * heads, d, h * w])], reshape(qkvConv.tensor, [n, 3 * heads, d, h * w]));
  const qkv = ctx.node('Transpose', [grouped.name], qkvT, { perm: [0, 1, 3, 2] });
  const part = (i: number) =>
    ctx.node('Slice', [qkv.name, ctx.constInts([i * heads]), ctx.constInts([(i + 1) * heads]), ctx.constInts([1])], slice(qkvT, 1, i * heads, (i + 1) * heads));
  const [q, k, v] = [part(0), part(1), part(2)];
  const kT = ctx.node('Transpose', [k.name], transpose(k.tensor, 2, 3), { perm: [0, 1, 3, 2] });
  const scores = ctx.node(
    'Mul',
    [ctx.node('MatMul', [q.name, kT.name], matmul(q.tensor, kT.tensor)).name, ctx.scalar(1 / Math.sqrt(d))],
    mul(matmul(q.tensor, kT.tensor), 1 / Math.sqrt(d)),
  );
  const att = ctx.node('Softmax', [scores.name], softmax(scores.tensor, -1), { axis: -1 });
  const y = ctx.node('MatMul', [att.name, v.name], matmul(att.tensor, v.tensor));
  const yT = ctx.node('Transpose', [y.name], transpose(y.tensor, 2, 3), { perm: [0, 1, 3, 2] });
  const back = ctx.node('Reshape', [yT.name, ctx.constInts([0, c, h, w])], reshape(yT.tensor, [n, c, h, w]));
  const out = ctx.emit(m.proj, [back]);
  return ctx.node('Add', [x.name, out.name], m.forward(x.tensor));
});

/** The denoiser: x_t [N, C, H, W], timesteps int32 [N] (and labels int32 [N], numClasses = none) → the prediction. */
function emitUNet(ctx: ExportContext, m: UNet, [x, t, labels]: OnnxValue[], steps: number): OnnxValue {
  if (!t) throw new RangeError('exportOnnx: the U-Net takes [x_t, timesteps (int32 [N])] (and labels for a conditional one) as the sample input');
  // The sinusoidal features of every timestep 0..T−1 as a table, gathered by timestep (exact, unlike float32 sin).
  const table = timestepEmbedding(
    Array.from({ length: steps }, (_, i) => i),
    m.base,
  );
  const feats = ctx.node('Gather', [ctx.constFloat(table, 'timestep_table'), t.name], timestepEmbedding(t.tensor.data, m.base), { axis: 0 });
  let e = ctx.emit(m.timeMlp2, [siluV(ctx, ctx.emit(m.timeMlp1, [feats]))]);
  if (m.labelEmbedding) {
    if (!labels) throw new RangeError('exportOnnx: this U-Net is class-conditional; pass [x_t, timesteps, labels] as the sample input');
    const l = ctx.emit(m.labelEmbedding, [labels]);
    e = ctx.node('Add', [e.name, l.name], add(e.tensor, l.tensor));
  }
  const emb = siluV(ctx, e);
  let h = ctx.emit(m.inConv, [x]);
  const skips: OnnxValue[] = [];
  const levels = m.down.length;
  for (let i = 0; i < levels; i++) {
    h = ctx.emit(m.down.at(i), [h, emb]);
    skips.push(h);
    if (i < levels - 1) h = ctx.emit(m.downsample.at(i), [h]);
  }
  h = ctx.emit(m.mid2, [ctx.emit(m.midAttn, [ctx.emit(m.mid1, [h, emb])]), emb]);
  for (let j = 0; j < levels; j++) {
    const s = skips[levels - 1 - j];
    const joined = ctx.node('Concat', [h.name, s.name], cat([h.tensor, s.tensor], 1), { axis: 1 });
    h = ctx.emit(m.up.at(j), [joined, emb]);
    if (j < levels - 1) {
      const scales = ctx.constFloat(new Tensor(Float32Array.from([1, 1, 2, 2]), [4]), 'scales');
      const up = ctx.node('Resize', [h.name, '', scales], upsample(h.tensor, { scaleFactor: 2, mode: 'nearest' }), {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      });
      h = ctx.emit(m.upsampleConv.at(j), [up]);
    }
  }
  return ctx.emit(m.outConv, [siluV(ctx, ctx.emit(m.outNorm, [h]))]);
}

registerOnnxEmitter(UNet, (ctx, m, inputs) => emitUNet(ctx, m, inputs, 1000));
registerOnnxEmitter(DiffusionModel, (ctx, m, inputs) => emitUNet(ctx, m.unet, inputs, m.schedule.steps));
