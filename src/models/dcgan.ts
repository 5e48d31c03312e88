/**
 * DCGAN (Radford et al.) for small images, and the GanTask that trains it. The generator maps z (and, for a cGAN,
 * a label embedding concatenated to z) through a linear layer to a 4x-smaller feature map and two stride-2 transposed
 * convs with batch norm and ReLU to a tanh image; the discriminator is two stride-2 convs with LeakyReLU(0.2) and
 * batch norm, then one logit (a cGAN gets the label as an extra embedded input plane). Images are in [0, 1] outside,
 * [−1, 1] inside.
 * The task runs in manual optimization mode: every step updates the discriminator (ctx.optimizers.discriminator)
 * and then the generator (ctx.optimizer), with the non-saturating loss (default) or the hinge loss, and optional
 * one-sided label smoothing. All noise comes from the global generator, which the Trainer checkpoints, and both
 * optimizers are checkpointed by the Trainer, so a resumed run continues bit for bit.
 */
import { backward } from '../autograd/backward.ts';
import { noGrad } from '../autograd/grad-mode.ts';
import { LeakyReLU, ReLU, Tanh } from '../nn/layers/activation.ts';
import { Sequential } from '../nn/layers/container.ts';
import { Conv2d, ConvTranspose2d } from '../nn/layers/conv.ts';
import { Embedding, Linear } from '../nn/layers/linear.ts';
import { BatchNorm2d } from '../nn/layers/norm.ts';
import { normal_, zeros_ } from '../nn/init.ts';
import { Module } from '../nn/module.ts';
import { clipGradNorm } from '../optim/clip.ts';
import { relu } from '../ops/activation.ts';
import { add, affine, neg } from '../ops/elementwise.ts';
import { bceWithLogits } from '../ops/loss.ts';
import { mean } from '../ops/reduce.ts';
import { cat, flatten, reshape } from '../ops/shape.ts';
import { full } from '../tensor/creation.ts';
import { defaultGenerator, Generator } from '../tensor/random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { EvalReport, StepContext, StepResult, Task, TaskSource } from '../train/task.ts';
import type { Batch } from '../train/types.ts';
import { type ImageGenerator, requireSidesDivisible, sampleLatents } from './generative.ts';

export interface DcganOptions {
  /** [channels, height, width]; height and width must be divisible by 4. */
  inputShape: [number, number, number];
  numClasses: number;
  /** Size of z (default 64). */
  latentDim?: number;
  /** Feature maps of the widest layer next to the image (default 32; the inner layer has twice as many). */
  width?: number;
  /** Class-conditional (cGAN): the label, embedded, goes into the generator and the discriminator. */
  conditional?: boolean;
  /** Size of the generator's label embedding (default 16). */
  labelDim?: number;
}

/** DCGAN's initialisation: conv weights N(0, 0.02), batch-norm scales N(1, 0.02), biases 0. */
function dcganInit(m: Module): void {
  for (const [, mod] of m.namedModules()) {
    if (mod instanceof Conv2d || mod instanceof ConvTranspose2d || mod instanceof Linear) {
      normal_(mod.weight, 0, 0.02);
      if (mod.bias) zeros_(mod.bias);
    } else if (mod instanceof BatchNorm2d && mod.weight && mod.bias) {
      normal_(mod.weight, 1, 0.02);
      zeros_(mod.bias);
    }
  }
}

export class DcganGenerator extends Module {
  readonly project: Linear;
  readonly body: Sequential;
  readonly labelEmbedding: Embedding | null;
  /** The projected feature map [2·width, H/4, W/4]. */
  private readonly inner: [number, number, number];

  constructor(
    readonly latentDim: number,
    readonly imageShape: [number, number, number],
    width: number,
    numClasses: number,
    labelDim: number,
  ) {
    super();
    const [c, h, w] = imageShape;
    this.labelEmbedding = labelDim > 0 ? new Embedding(numClasses, labelDim) : null;
    this.project = new Linear(latentDim + labelDim, 2 * width * (h / 4) * (w / 4), { bias: false });
    this.body = new Sequential(
      new BatchNorm2d(2 * width),
      new ReLU(),
      new ConvTranspose2d(2 * width, width, 4, { stride: 2, padding: 1, bias: false }),
      new BatchNorm2d(width),
      new ReLU(),
      new ConvTranspose2d(width, c, 4, { stride: 2, padding: 1 }),
      new Tanh(),
    );
    this.inner = [2 * width, h / 4, w / 4];
  }

  /** Images in [−1, 1], [N, C, H, W]. */
  forward(z: Tensor, labels?: Tensor): Tensor {
    let input = z;
    if (this.labelEmbedding) {
      if (!labels) throw new RangeError('dcgan: this generator is class-conditional; pass the labels');
      input = cat([z, this.labelEmbedding.forward(labels)], 1);
    }
    return this.body.forward(reshape(this.project.forward(input), [z.shape[0], ...this.inner]));
  }
}

export class DcganDiscriminator extends Module {
  readonly body: Sequential;
  readonly head: Linear;
  /** A cGAN's label as one extra input plane (an embedding of size H·W per class). */
  readonly labelPlane: Embedding | null;

  constructor(
    readonly imageShape: [number, number, number],
    width: number,
    numClasses: number,
    conditional: boolean,
  ) {
    super();
    const [c, h, w] = imageShape;
    this.labelPlane = conditional ? new Embedding(numClasses, h * w) : null;
    this.body = new Sequential(
      new Conv2d(c + (conditional ? 1 : 0), width, 4, { stride: 2, padding: 1 }),
      new LeakyReLU(0.2),
      new Conv2d(width, 2 * width, 4, { stride: 2, padding: 1, bias: false }),
      new BatchNorm2d(2 * width),
      new LeakyReLU(0.2),
    );
    this.head = new Linear(2 * width * (h / 4) * (w / 4), 1);
  }

  /** One real/fake logit per image, [N, 1]; x in [−1, 1]. */
  forward(x: Tensor, labels?: Tensor): Tensor {
    let input = x;
    if (this.labelPlane) {
      if (!labels) throw new RangeError('dcgan: this discriminator is class-conditional; pass the labels');
      const [, , h, w] = x.shape;
      input = cat([x, reshape(this.labelPlane.forward(labels), [x.shape[0], 1, h, w])], 1);
    }
    return this.head.forward(flatten(this.body.forward(input), 1));
  }
}

/** The pair, as one Module so the Trainer checkpoints both; forward is the generator's. */
export class Dcgan extends Module implements ImageGenerator {
  readonly family = 'dcgan';
  readonly conditional: boolean;
  readonly numClasses: number;
  readonly imageShape: [number, number, number];
  readonly latentDim: number;
  readonly generator: DcganGenerator;
  readonly discriminator: DcganDiscriminator;

  constructor(o: DcganOptions) {
    super();
    const [c, h, w] = o.inputShape;
    requireSidesDivisible('dcgan', o.inputShape, 4);
    const width = o.width ?? 32;
    this.conditional = o.conditional ?? false;
    this.numClasses = o.numClasses;
    this.imageShape = [c, h, w];
    this.latentDim = o.latentDim ?? 64;
    this.generator = new DcganGenerator(this.latentDim, this.imageShape, width, o.numClasses, this.conditional ? (o.labelDim ?? 16) : 0);
    this.discriminator = new DcganDiscriminator(this.imageShape, width, o.numClasses, this.conditional);
    dcganInit(this);
  }

  decodeLatent(z: Tensor, labels: Tensor | null): Tensor {
    return affine(this.generator.forward(z, labels ?? undefined), 0.5, 0.5);
  }

  forward(z: Tensor, labels?: Tensor): Tensor {
    return this.decodeLatent(z, labels ?? null);
  }
}

export interface GanTaskOptions {
  /** 'nonsaturating' (default: D on BCE, G maximises log D(G(z))) or 'hinge'. */
  loss?: 'nonsaturating' | 'hinge';
  /** One-sided label smoothing: the real target becomes 1 − smoothing (non-saturating loss only; default 0). */
  labelSmoothing?: number;
  /** Validation batches evaluated per epoch (0 = all; default 0). */
  evalBatches?: number;
}

interface GanLosses {
  d: Tensor;
  g: Tensor;
}

/** The discriminator loss on real and fake logits. */
function discriminatorLoss(real: Tensor, fake: Tensor, o: GanTaskOptions): Tensor {
  if (o.loss === 'hinge') return add(mean(relu(affine(real, -1, 1))), mean(relu(affine(fake, 1, 1))));
  const target = 1 - (o.labelSmoothing ?? 0);
  return add(bceWithLogits(real, full(real.shape, target)), bceWithLogits(fake, full(fake.shape, 0)));
}

/** The generator loss on the discriminator's logits for fakes. */
function generatorLoss(fake: Tensor, o: GanTaskOptions): Tensor {
  if (o.loss === 'hinge') return neg(mean(fake));
  return bceWithLogits(fake, full(fake.shape, 1));
}

export class GanTask implements Task<Batch> {
  readonly name = 'gan';
  readonly optimization = 'manual' as const;
  /** D's and G's losses trade off: a rise on validation is the game, not overfitting. */
  readonly lossTracksFit = false;
  constructor(readonly options: GanTaskOptions = {}) {}

  /** One discriminator update, then one generator update, on the same fakes. */
  step(model: Module, batch: Batch, ctx: StepContext): StepResult {
    const gan = model as Dcgan;
    const optD = ctx.optimizers.discriminator;
    if (!optD) throw new Error("gan: the Trainer needs the discriminator's optimizer as optimizers.discriminator");
    const optG = ctx.optimizer;
    const n = batch.x.shape[0];
    const labels = gan.conditional ? batch.y : undefined;
    const real = affine(batch.x, 2, -1);
    const z = sampleLatents(n, gan.latentDim, defaultGenerator);
    const fake = gan.generator.forward(z, labels);

    // One schedule for both networks: the discriminator follows the generator's (scheduled) learning rate.
    optD.lr = optG.lr;
    optD.zeroGrad();
    const dLoss = discriminatorLoss(gan.discriminator.forward(real, labels), gan.discriminator.forward(fake.detach(), labels), this.options);
    backward(dLoss);
    if (ctx.clipGradNorm) clipGradNorm(gan.discriminator.parameters(), ctx.clipGradNorm);
    optD.step();

    optG.zeroGrad();
    const gLoss = generatorLoss(gan.discriminator.forward(fake, labels), this.options);
    backward(gLoss);
    if (ctx.clipGradNorm) clipGradNorm(gan.generator.parameters(), ctx.clipGradNorm);
    optG.step();
    // gLoss's backward also filled the discriminator's gradients: they are zeroed before its next update.
    const d = dLoss.item();
    const g = gLoss.item();
    return { loss: d + g, metrics: { dLoss: d, gLoss: g } };
  }

  /** D and G losses on held-out real images and fixed-seed fakes (the training RNG is left alone). */
  async evaluate(model: Module, source: TaskSource<Batch>): Promise<EvalReport> {
    const gan = model as Dcgan;
    const gen = new Generator(777);
    let d = 0;
    let g = 0;
    let count = 0;
    let batches = 0;
    for await (const batch of source.epoch(0)) {
      const n = batch.x.shape[0];
      const labels = gan.conditional ? batch.y : undefined;
      const losses: GanLosses = noGrad(() => {
        const fake = gan.generator.forward(sampleLatents(n, gan.latentDim, gen), labels);
        const fakeLogits = gan.discriminator.forward(fake, labels);
        return {
          d: discriminatorLoss(gan.discriminator.forward(affine(batch.x, 2, -1), labels), fakeLogits, this.options),
          g: generatorLoss(fakeLogits, this.options),
        };
      });
      d += losses.d.item() * n;
      g += losses.g.item() * n;
      count += n;
      if (this.options.evalBatches && ++batches >= this.options.evalBatches) break;
    }
    const k = Math.max(1, count);
    return { loss: (d + g) / k, metrics: { dLoss: d / k, gLoss: g / k }, count };
  }
}
