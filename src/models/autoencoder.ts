/**
 * Autoencoders with a bottleneck of any size, and their training Task: the codes they learn feed the same clustering
 * as raw pixels (`simmer cluster <data> --method ae-kmeans`, after N2D: autoencoder, optionally UMAP on the codes,
 * then k-means).
 *
 * ConvAutoencoder. Encoder: conv 4×4 stride 2 (C → w), ReLU, conv 4×4 stride 2 (w → 2w), ReLU, flatten, Linear →
 * bottleneck. Decoder: Linear → 2w·(H/4)·(W/4), ReLU, transposed conv (2w → w), ReLU, transposed conv (w → C) → logits.
 * DenseAutoencoder (N2D's and DEC's): pixels → 500 → 500 → 2000 → bottleneck (ReLU between, a linear code), mirrored.
 * Loss per image: Bernoulli cross-entropy on pixels in [0, 1] summed over the pixels (or squared error).
 * @example
 *   const ae = new ConvAutoencoder({ inputShape: [1, 28, 28], bottleneck: 10 });
 *   const codes = ae.encode(x);           // [N, 10]
 *   const recon = ae.forward(x);          // [N, 1, 28, 28] in [0, 1]
 *   await new Trainer({ model: ae, optimizer, task: new AutoencoderTask() }).fit(source, { epochs: 10 });
 */
import { noGrad } from '../autograd/grad-mode.ts';
import { Sequential } from '../nn/layers/container.ts';
import { Linear } from '../nn/layers/linear.ts';
import { ReLU } from '../nn/layers/activation.ts';
import { Module, withMode } from '../nn/module.ts';
import { sigmoid } from '../ops/activation.ts';
import { mul } from '../ops/elementwise.ts';
import { bceWithLogits, mse } from '../ops/loss.ts';
import { flatten, reshape } from '../ops/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { EvalReport, StepResult, Task, TaskSource } from '../train/task.ts';
import { type ImageGenerator, requireSidesDivisible } from './generative.ts';
import { convDecoder, convEncoder } from './vae.ts';

/** Bottleneck size when a recipe leaves it at 0 (N2D's and DEC's 10 for ten classes). */
export const DEFAULT_BOTTLENECK = 10;

export interface AutoencoderOptions {
  /** [channels, height, width]; height and width must be divisible by 4. */
  inputShape: [number, number, number];
  /** Size of the code (default 10). */
  bottleneck?: number;
  /** Channels of the first conv (the second has twice as many; default 32). */
  width?: number;
}

/**
 * What the loss, the Task and encodeImages need of an autoencoder: codes of images, and pixel logits of codes.
 * Subclasses build the layers; the code size is checked here.
 */
export abstract class Autoencoder extends Module implements ImageGenerator {
  readonly family = 'autoencoder';
  readonly conditional = false;
  readonly numClasses = 0;
  readonly imageShape: [number, number, number];
  /** The code size (ImageGenerator's latentDim). */
  readonly latentDim: number;

  constructor(imageShape: [number, number, number], bottleneck = DEFAULT_BOTTLENECK) {
    super();
    if (!Number.isInteger(bottleneck) || bottleneck < 1) throw new RangeError(`autoencoder: the bottleneck must be a positive integer, got ${bottleneck}`);
    this.imageShape = [...imageShape];
    this.latentDim = bottleneck;
  }

  /** Codes [N, bottleneck] of images [N, C, H, W]. */
  abstract encode(x: Tensor): Tensor;

  /** Pixel logits [N, C, H, W] of codes [N, bottleneck]. */
  abstract decodeLogits(z: Tensor): Tensor;

  decodeLatent(z: Tensor): Tensor {
    return sigmoid(this.decodeLogits(z));
  }

  /** The reconstruction of x, as probabilities. */
  forward(x: Tensor): Tensor {
    return this.decodeLatent(this.encode(x));
  }
}

export class ConvAutoencoder extends Autoencoder {
  readonly encoder: Sequential;
  readonly toCode: Linear;
  readonly fromCode: Linear;
  readonly decoder: Sequential;
  private readonly featureShape: [number, number, number];

  constructor(o: AutoencoderOptions) {
    requireSidesDivisible('autoencoder', o.inputShape, 4);
    super(o.inputShape, o.bottleneck);
    const [c, h, w] = o.inputShape;
    const bottleneck = this.latentDim;
    const width = o.width ?? 32;
    this.featureShape = [2 * width, h / 4, w / 4];
    const features = 2 * width * (h / 4) * (w / 4);
    this.encoder = convEncoder(c, width);
    this.toCode = new Linear(features, bottleneck);
    this.fromCode = new Linear(bottleneck, features);
    this.decoder = convDecoder(c, width);
  }

  encode(x: Tensor): Tensor {
    return this.toCode.forward(flatten(this.encoder.forward(x), 1));
  }

  decodeLogits(z: Tensor): Tensor {
    return this.decoder.forward(reshape(this.fromCode.forward(z), [z.shape[0], ...this.featureShape]));
  }
}

/** N2D's layer widths between the pixels and the code (DEC's, after Hinton & Salakhutdinov). */
export const DENSE_AUTOENCODER_HIDDEN: readonly number[] = [500, 500, 2000];

export interface DenseAutoencoderOptions {
  /** [channels, height, width] of the images (flattened to C·H·W inputs). */
  inputShape: [number, number, number];
  /** Size of the code (default 10). */
  bottleneck?: number;
  /** Widths of the hidden layers from the pixels inwards (default 500, 500, 2000); the decoder mirrors them. */
  hidden?: readonly number[];
}

/** A fully connected autoencoder on flattened pixels: Linear + ReLU layers down to a linear code, and back up. */
export class DenseAutoencoder extends Autoencoder {
  readonly encoder: Sequential;
  readonly decoder: Sequential;

  constructor(o: DenseAutoencoderOptions) {
    super(o.inputShape, o.bottleneck);
    const hidden = o.hidden ?? DENSE_AUTOENCODER_HIDDEN;
    if (hidden.some((h) => !Number.isInteger(h) || h < 1))
      throw new RangeError(`autoencoder: hidden widths must be positive integers, got ${hidden.join(', ')}`);
    const widths = [o.inputShape[0] * o.inputShape[1] * o.inputShape[2], ...hidden, this.latentDim];
    this.encoder = new Sequential(...denseStack(widths));
    this.decoder = new Sequential(...denseStack([...widths].reverse()));
  }

  encode(x: Tensor): Tensor {
    return this.encoder.forward(flatten(x, 1));
  }

  decodeLogits(z: Tensor): Tensor {
    return reshape(this.decoder.forward(z), [z.shape[0], ...this.imageShape]);
  }
}

/** Linear layers through the given widths with a ReLU after each but the last. */
function denseStack(widths: readonly number[]): Module[] {
  const layers: Module[] = [];
  for (let i = 1; i < widths.length; i++) {
    layers.push(new Linear(widths[i - 1], widths[i]));
    if (i < widths.length - 1) layers.push(new ReLU());
  }
  return layers;
}

export interface AutoencoderTaskOptions {
  /** Bernoulli cross-entropy on pixels in [0, 1] (default) or squared error, summed over pixels, mean over images. */
  reconstruction?: 'bce' | 'mse';
  /** Validation batches evaluated per epoch (0 = all; default 0). */
  evalBatches?: number;
}

/** The reconstruction loss of one batch, per image. */
export function autoencoderLoss(model: Autoencoder, x: Tensor, reconstruction: 'bce' | 'mse' = 'bce'): Tensor {
  const logits = model.decodeLogits(model.encode(x));
  const total = reconstruction === 'mse' ? mse(sigmoid(logits), x, 'sum') : bceWithLogits(logits, x, { reduction: 'sum' });
  return mul(total, 1 / x.shape[0]);
}

/** A batch of images; a labelled Batch is one too (its labels are ignored). */
export interface ImageBatch {
  x: Tensor;
}

/** Trains an Autoencoder on { x } batches (labels, if any, are ignored). */
export class AutoencoderTask implements Task<ImageBatch> {
  readonly name = 'autoencoder';
  constructor(readonly options: AutoencoderTaskOptions = {}) {}

  step(model: Module, batch: ImageBatch): StepResult {
    return { loss: autoencoderLoss(model as Autoencoder, batch.x, this.options.reconstruction) };
  }

  /** Mean reconstruction loss per image on held-out data. */
  async evaluate(model: Module, source: TaskSource<ImageBatch>): Promise<EvalReport> {
    let loss = 0;
    let count = 0;
    let batches = 0;
    for await (const batch of source.epoch(0)) {
      const n = batch.x.shape[0];
      noGrad(() => {
        loss += autoencoderLoss(model as Autoencoder, batch.x, this.options.reconstruction).item() * n;
      });
      count += n;
      if (this.options.evalBatches && ++batches >= this.options.evalBatches) break;
    }
    return { loss: loss / Math.max(1, count), metrics: {}, count };
  }
}

/**
 * Codes of many images, batch by batch, in eval mode without a graph: an n × bottleneck row-major matrix.
 * @example
 *   const codes = encodeImages(ae, x.data, x.rows); // x: n × (C·H·W) in [0, 1]
 */
export function encodeImages(model: Autoencoder, pixels: Float32Array, n: number, batchSize = 512): Float32Array {
  const [c, h, w] = model.imageShape;
  const d = c * h * w;
  if (pixels.length !== n * d) throw new RangeError(`autoencoder: ${pixels.length} values are not ${n} images of ${c}×${h}×${w}`);
  const out = new Float32Array(n * model.latentDim);
  withMode(model, 'eval', () =>
    noGrad(() => {
      for (let i0 = 0; i0 < n; i0 += batchSize) {
        const m = Math.min(batchSize, n - i0);
        const x = new Tensor(pixels.slice(i0 * d, (i0 + m) * d), [m, c, h, w]);
        out.set(model.encode(x).f32, i0 * model.latentDim);
      }
    }),
  );
  return out;
}
