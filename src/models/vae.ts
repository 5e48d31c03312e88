/**
 * A convolutional variational autoencoder (Kingma & Welling) and its training Task. The encoder maps an image to the
 * mean and log-variance of q(z|x); z = μ + σ·ε (the reparameterisation, so gradients reach μ and σ); the decoder
 * maps z back to pixel logits. Loss per image = reconstruction (BCE or MSE, summed over pixels) + β·KL(q(z|x) ‖ N(0, I)).
 * With `conditional`, a label embedding is concatenated to the encoder's features and to z, so a class can be asked
 * for at sampling time.
 * @example
 *   const vae = new ConvVae({ inputShape: [1, 28, 28], numClasses: 10, latentDim: 16, conditional: true });
 *   const task = new VaeTask({ beta: 1 });
 */
import { noGrad } from '../autograd/grad-mode.ts';
import { ReLU } from '../nn/layers/activation.ts';
import { Sequential } from '../nn/layers/container.ts';
import { Conv2d, ConvTranspose2d } from '../nn/layers/conv.ts';
import { Embedding, Linear } from '../nn/layers/linear.ts';
import { Module } from '../nn/module.ts';
import { sigmoid } from '../ops/activation.ts';
import { add, exp, mul, sub } from '../ops/elementwise.ts';
import { bceWithLogits, mse } from '../ops/loss.ts';
import { sum } from '../ops/reduce.ts';
import { cat, flatten, reshape, slice } from '../ops/shape.ts';
import { defaultGenerator, Generator } from '../tensor/random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { EvalReport, StepResult, Task, TaskSource } from '../train/task.ts';
import type { Batch } from '../train/types.ts';
import { type ImageGenerator, requireSidesDivisible, sampleLatents } from './generative.ts';

export interface VaeOptions {
  /** [channels, height, width]; height and width must be divisible by 4. */
  inputShape: [number, number, number];
  numClasses: number;
  /** Size of z (default 16). */
  latentDim?: number;
  /** Channels of the first conv (the second has twice as many; default 32). */
  width?: number;
  /** Feed the label (embedded) to the encoder and the decoder. */
  conditional?: boolean;
  /** Size of the label embedding (default 16). */
  labelDim?: number;
}

/** Two stride-2 4×4 convolutions with ReLU: [N, C, H, W] → [N, 2·width, H/4, W/4] (the VAE's and the autoencoder's). */
export function convEncoder(channels: number, width: number): Sequential {
  return new Sequential(
    new Conv2d(channels, width, 4, { stride: 2, padding: 1 }),
    new ReLU(),
    new Conv2d(width, 2 * width, 4, { stride: 2, padding: 1 }),
    new ReLU(),
  );
}

/** The mirror of convEncoder: [N, 2·width, H/4, W/4] → pixel logits [N, C, H, W]. */
export function convDecoder(channels: number, width: number): Sequential {
  return new Sequential(
    new ReLU(),
    new ConvTranspose2d(2 * width, width, 4, { stride: 2, padding: 1 }),
    new ReLU(),
    new ConvTranspose2d(width, channels, 4, { stride: 2, padding: 1 }),
  );
}

export class ConvVae extends Module implements ImageGenerator {
  readonly family = 'vae';
  readonly conditional: boolean;
  readonly numClasses: number;
  readonly imageShape: [number, number, number];
  readonly latentDim: number;
  readonly encoder: Sequential;
  readonly toStats: Linear;
  readonly fromLatent: Linear;
  readonly decoder: Sequential;
  readonly labelEmbedding: Embedding | null;
  private readonly featureShape: [number, number, number];

  constructor(o: VaeOptions) {
    super();
    const [c, h, w] = o.inputShape;
    requireSidesDivisible('vae', o.inputShape, 4);
    const width = o.width ?? 32;
    const labelDim = o.conditional ? (o.labelDim ?? 16) : 0;
    this.conditional = o.conditional ?? false;
    this.numClasses = o.numClasses;
    this.imageShape = [c, h, w];
    this.latentDim = o.latentDim ?? 16;
    this.featureShape = [2 * width, h / 4, w / 4];
    const features = 2 * width * (h / 4) * (w / 4);
    this.encoder = convEncoder(c, width);
    this.toStats = new Linear(features + labelDim, 2 * this.latentDim);
    this.fromLatent = new Linear(this.latentDim + labelDim, features);
    this.decoder = convDecoder(c, width);
    this.labelEmbedding = this.conditional ? new Embedding(o.numClasses, labelDim) : null;
  }

  private withLabel(features: Tensor, labels: Tensor | null): Tensor {
    if (!this.labelEmbedding) return features;
    if (!labels) throw new RangeError('vae: this model is class-conditional; pass the labels');
    return cat([features, this.labelEmbedding.forward(labels)], 1);
  }

  /** μ and log σ² of q(z|x), each [N, latentDim]. */
  encode(x: Tensor, labels: Tensor | null = null): { mu: Tensor; logVar: Tensor } {
    const stats = this.toStats.forward(this.withLabel(flatten(this.encoder.forward(x), 1), labels));
    return { mu: slice(stats, 1, 0, this.latentDim), logVar: slice(stats, 1, this.latentDim, 2 * this.latentDim) };
  }

  /** Pixel logits [N, C, H, W] for latents z. */
  decodeLogits(z: Tensor, labels: Tensor | null = null): Tensor {
    const h = this.fromLatent.forward(this.withLabel(z, labels));
    return this.decoder.forward(reshape(h, [z.shape[0], ...this.featureShape]));
  }

  decodeLatent(z: Tensor, labels: Tensor | null): Tensor {
    return sigmoid(this.decodeLogits(z, labels));
  }

  /** The reconstruction of x through the mean of q(z|x) (no sampling), as probabilities. */
  forward(x: Tensor, labels?: Tensor): Tensor {
    return this.decodeLatent(this.encode(x, labels ?? null).mu, labels ?? null);
  }
}

export interface VaeTaskOptions {
  /** Weight of the KL term (β-VAE; default 1). */
  beta?: number;
  /** Reconstruction loss: Bernoulli cross-entropy on pixels in [0, 1] (default) or squared error. */
  reconstruction?: 'bce' | 'mse';
  /** Validation batches evaluated per epoch (0 = all; default 0). */
  evalBatches?: number;
}

export interface VaeLoss {
  loss: Tensor;
  recon: Tensor;
  kl: Tensor;
}

/**
 * The negative ELBO of one batch, per image: recon + β·KL with z drawn by the reparameterisation from `gen` (default:
 * the global generator, which the Trainer checkpoints, so a resumed run draws the same ε).
 */
export function vaeLoss(model: ConvVae, x: Tensor, labels: Tensor | null, options: VaeTaskOptions, gen: Generator = defaultGenerator): VaeLoss {
  const n = x.shape[0];
  const { mu, logVar } = model.encode(x, labels);
  const eps = sampleLatents(n, model.latentDim, gen);
  const z = add(mu, mul(exp(mul(logVar, 0.5)), eps));
  const logits = model.decodeLogits(z, labels);
  const recon = mul(options.reconstruction === 'mse' ? mse(sigmoid(logits), x, 'sum') : bceWithLogits(logits, x, { reduction: 'sum' }), 1 / n);
  // KL(N(μ, σ²) ‖ N(0, 1)) = −½ Σ (1 + log σ² − μ² − σ²)
  const kl = mul(sum(sub(add(1, logVar), add(mul(mu, mu), exp(logVar)))), -0.5 / n);
  return { loss: add(recon, mul(kl, options.beta ?? 1)), recon, kl };
}

/** Trains a ConvVae on { x, y } batches (labels used when the model is conditional). */
export class VaeTask implements Task<Batch> {
  readonly name = 'vae';
  constructor(readonly options: VaeTaskOptions = {}) {}

  step(model: Module, batch: Batch): StepResult {
    const vae = model as ConvVae;
    const r = vaeLoss(vae, batch.x, vae.conditional ? batch.y : null, this.options);
    return { loss: r.loss, metrics: { recon: r.recon.item(), kl: r.kl.item() } };
  }

  /** Mean negative ELBO on held-out data; ε from a fixed-seed generator, so evaluation leaves the training RNG alone. */
  async evaluate(model: Module, source: TaskSource<Batch>): Promise<EvalReport> {
    const vae = model as ConvVae;
    const gen = new Generator(777);
    let loss = 0;
    let recon = 0;
    let kl = 0;
    let count = 0;
    let batches = 0;
    for await (const batch of source.epoch(0)) {
      const n = batch.x.shape[0];
      noGrad(() => {
        const r = vaeLoss(vae, batch.x, vae.conditional ? batch.y : null, this.options, gen);
        loss += r.loss.item() * n;
        recon += r.recon.item() * n;
        kl += r.kl.item() * n;
      });
      count += n;
      if (this.options.evalBatches && ++batches >= this.options.evalBatches) break;
    }
    const d = Math.max(1, count);
    return { loss: loss / d, metrics: { recon: recon / d, kl: kl / d }, count };
  }
}
