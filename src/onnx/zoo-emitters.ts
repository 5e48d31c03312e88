/**
 * ONNX emitters for the zoo's generative models: a VAE exports its decoder (latents z [, labels] → images in [0, 1]),
 * a DCGAN its generator (the same contract), an autoencoder its decoder (codes → images), and the generator alone
 * gives images in [−1, 1]. Classifiers need no
 * entry: they are Sequentials of layers (./emitters.ts). A new zoo model is one registerOnnxEmitter entry here.
 */
import { ConvAutoencoder } from '../models/autoencoder.ts';
import { Dcgan, DcganGenerator } from '../models/dcgan.ts';
import { ConvVae } from '../models/vae.ts';
import type { Linear } from '../nn/layers/linear.ts';
import { sigmoid } from '../ops/activation.ts';
import { affine } from '../ops/elementwise.ts';
import { cat, reshape } from '../ops/shape.ts';
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
