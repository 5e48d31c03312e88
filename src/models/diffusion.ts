/**
 * Denoising diffusion (Ho et al. 2020) around the U-Net of unet.ts: the model (schedule, prediction target and
 * samplers) and its training Task. Training draws t uniformly, noises x_0 (in [−1, 1]) to x_t = √ᾱ·x_0 + √(1−ᾱ)·ε and
 * regresses the U-Net's output on ε (or on v = √ᾱ·ε − √(1−ᾱ)·x_0) with the mean squared error; for classifier-free
 * guidance (Ho & Salimans 2022) the label is replaced by the null label with probability p (0.1). Sampling runs DDIM
 * (any step count, η) or DDPM's ancestral step, with guidance ε̂ = ε̂_∅ + w·(ε̂_y − ε̂_∅), clipping x̂_0 to [−1, 1].
 * The task keeps an exponential moving average of the weights, checkpoints it as task state and samples with it.
 * All training noise comes from the global generator (checkpointed by the Trainer); sampling noise comes from one
 * generator per image, seeded from (seed, index), so an image does not depend on the batch it was drawn in.
 * @example
 *   const model = new DiffusionModel({ imageShape: [1, 28, 28], numClasses: 10, conditional: true });
 *   const task = new DiffusionTask({ labelDropout: 0.1, emaDecay: 0.999 });
 *   const images = model.sample({ n: 10, labels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], seed: 1, steps: 25, guidance: 2 });
 */
import { noGrad } from '../autograd/grad-mode.ts';
import { Module } from '../nn/module.ts';
import { add, affine, clamp, mul, sub } from '../ops/elementwise.ts';
import { mse } from '../ops/loss.ts';
import { cat, slice } from '../ops/shape.ts';
import { defaultGenerator, Generator } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { EvalReport, StepResult, Task, TaskSource, TaskState } from '../train/task.ts';
import type { Batch } from '../train/types.ts';
import {
  alphaBarAt,
  ddimCoefficients,
  ddpmCoefficients,
  type NoiseSchedule,
  noiseSchedule,
  predictionCoefficients,
  samplingTimesteps,
  type ScheduleKind,
} from './diffusion-schedule.ts';
import type { ImageGenerator, SampleOptions } from './generative.ts';
import { UNet, type UNetContext } from './unet.ts';

export type Prediction = 'eps' | 'v';

export interface DiffusionOptions {
  imageShape: [number, number, number];
  numClasses: number;
  conditional?: boolean;
  schedule?: ScheduleKind;
  /** Diffusion steps T of training (default 1000). */
  timesteps?: number;
  prediction?: Prediction;
  /** U-Net channels at full resolution (default 32) and per-level multipliers (default [1, 2, 2]). */
  base?: number;
  mults?: readonly number[];
  /** Sinusoidal timestep features and conditioning width of the U-Net (defaults base and 4·base). */
  timeFeatures?: number;
  embDim?: number;
  /** Default sampling steps and guidance when sample() is not told (DDIM 25, guidance 2 for conditional models). */
  defaultSteps?: number;
  defaultGuidance?: number;
  /** Width of text features the U-Net cross-attends to (text2img.ts); absent = none. */
  contextDim?: number;
}

/** Per-image seed from the sampling seed and the image's index (a 32-bit mix, so neighbouring seeds do not overlap). */
export function imageSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return (h ^ (h >>> 12)) >>> 0;
}

/** Standard-normal noise [n, C, H, W], image i from generator gens[i]. */
export function noiseFrom(gens: readonly Generator[], shape: readonly [number, number, number]): Tensor {
  const size = shape[0] * shape[1] * shape[2];
  const data = new Float32Array(gens.length * size);
  gens.forEach((g, i) => {
    for (let k = 0; k < size; k++) data[i * size + k] = g.normal();
  });
  return new Tensor(data, [gens.length, ...shape]);
}

/** x [N, …] scaled per row: out_i = a_i·x_i (a per-image coefficient, as at different timesteps). */
function scaleRows(x: Tensor, a: Float32Array): Tensor {
  return mul(x, new Tensor(a, [a.length, ...x.shape.slice(1).map(() => 1)]));
}

/** Classifier-free guidance: ε̂ = ε̂_∅ + w·(ε̂_c − ε̂_∅) (w = 1 conditional only, 0 unconditional). */
export function guide(cond: Tensor, uncond: Tensor, w: number): Tensor {
  return add(uncond, mul(sub(cond, uncond), w));
}

/** The sampler settings of one sample() call, resolved. */
export interface SamplerSettings {
  sampler: 'ddpm' | 'ddim';
  eta: number;
  guidance: number;
}

export class DiffusionModel extends Module implements ImageGenerator {
  readonly family: string = 'ddpm';
  readonly conditional: boolean;
  readonly numClasses: number;
  readonly imageShape: [number, number, number];
  readonly latentDim = 0;
  readonly prediction: Prediction;
  readonly schedule: NoiseSchedule;
  readonly unet: UNet;
  readonly defaultSteps: number;
  readonly defaultGuidance: number;

  constructor(o: DiffusionOptions) {
    super();
    this.conditional = o.conditional ?? false;
    this.numClasses = o.numClasses;
    this.imageShape = o.imageShape;
    this.prediction = o.prediction ?? 'eps';
    this.schedule = noiseSchedule(o.schedule ?? 'linear', o.timesteps ?? 1000);
    this.unet = new UNet({
      imageShape: o.imageShape,
      numClasses: this.conditional ? o.numClasses : 0,
      base: o.base,
      mults: o.mults,
      timeFeatures: o.timeFeatures,
      embDim: o.embDim,
      ...(o.contextDim ? { contextDim: o.contextDim } : {}),
    });
    this.defaultSteps = o.defaultSteps ?? 25;
    this.defaultGuidance = o.defaultGuidance ?? (this.conditional ? 2 : 1);
  }

  /** The null label (no class), used for label dropout in training and the unconditional half of guidance. */
  get nullLabel(): number {
    return this.numClasses;
  }

  /** The U-Net's raw output for x_t at integer timesteps t [N] (labels [N], the null label allowed; context: encoded prompts). */
  forward(xt: Tensor, timesteps: Tensor, labels?: Tensor, ...context: Tensor[]): Tensor {
    return this.unet.forward(xt, timesteps, this.conditional ? labels : undefined, ...context);
  }

  /** The U-Net's output for x_t conditioned on encoded prompts (a text-conditioned U-Net only). */
  forwardText(xt: Tensor, timesteps: Tensor, context: UNetContext): Tensor {
    return this.unet.forward(xt, timesteps, undefined, context.tokens, context.paddingMask, context.pooled);
  }

  /** The training pair at timesteps t: x_t and the regression target (ε or v), from x_0 in [−1, 1] and noise ε. */
  noised(x0: Tensor, eps: Tensor, timesteps: ArrayLike<number>): { xt: Tensor; target: Tensor } {
    const n = x0.shape[0];
    const a = new Float32Array(n);
    const b = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const ab = this.schedule.alphaBar[timesteps[i]];
      a[i] = Math.sqrt(ab);
      b[i] = Math.sqrt(1 - ab);
    }
    const xt = add(scaleRows(x0, a), scaleRows(eps, b));
    const target = this.prediction === 'eps' ? eps : sub(scaleRows(eps, a), scaleRows(x0, b));
    return { xt, target };
  }

  /** The (guided) model output at one timestep for a batch; guidance w ≠ 1 runs the conditional and null halves as one batch. */
  predict(x: Tensor, t: number, labels: Int32Array | null, guidance: number): Tensor {
    const n = x.shape[0];
    const steps = (k: number) => new Tensor(new Int32Array(k).fill(t), [k]);
    if (!this.conditional || !labels) return this.forward(x, steps(n));
    if (guidance === 1) return this.forward(x, steps(n), new Tensor(labels, [n]));
    const both = new Int32Array(2 * n);
    both.set(labels);
    both.fill(this.nullLabel, n);
    const out = this.forward(cat([x, x], 0), steps(2 * n), new Tensor(both, [2 * n]));
    return guide(slice(out, 0, 0, n), slice(out, 0, n, 2 * n), guidance);
  }

  /** Images in [0, 1] (see SampleOptions); runs without a graph. */
  sample(o: SampleOptions): Tensor {
    if (this.conditional && (!o.labels || o.labels.length !== o.n))
      throw new RangeError(`ddpm: a class-conditional model needs one label per image (${o.n}), got ${o.labels?.length ?? 0}`);
    for (const l of o.labels ?? [])
      if (!(Number.isInteger(l) && l >= 0 && l < this.numClasses)) throw new RangeError(`ddpm: label ${l} is not a class in 0..${this.numClasses - 1}`);
    return this.runSampler(o, (from, to, settings) => {
      const labels = this.conditional && o.labels ? Int32Array.from(o.labels.slice(from, to)) : null;
      return (x, t) => this.predict(x, t, labels, settings.guidance);
    });
  }

  /** The timesteps an image-to-image edit runs: the last `strength` share of them (all without an init image). */
  private editTimesteps(ts: number[], o: SampleOptions): number[] {
    if (!o.init) {
      if (o.mask) throw new RangeError('a mask needs the image it applies to (init)');
      return ts;
    }
    const [c, h, w] = this.imageShape;
    const want = (t: Tensor, channels: number, what: string) => {
      if (t.rank !== 4 || t.shape[0] !== o.n || t.shape[1] !== channels || t.shape[2] !== h || t.shape[3] !== w)
        throw new RangeError(`${what} must be [${o.n}, ${channels}, ${h}, ${w}] (one per image, the model's size), got [${t.shape.join(', ')}]`);
    };
    want(o.init, c, 'the init images');
    if (o.mask) want(o.mask, 1, 'the mask');
    const strength = o.strength ?? (o.mask ? 1 : 0.6);
    if (!(strength > 0 && strength <= 1)) throw new RangeError(`strength must be in (0, 1], got ${strength}`);
    return ts.slice(ts.length - Math.max(1, Math.round(ts.length * strength)));
  }

  /** x_0 in [−1, 1] noised to timestep t with fresh noise from each image's generator (t = −1: x_0 itself). */
  private noisedTo(x0: Tensor, gens: readonly Generator[], t: number): Tensor {
    if (t < 0) return x0;
    return this.noised(x0, noiseFrom(gens, this.imageShape), new Int32Array(gens.length).fill(t)).xt;
  }

  /** The sampler settings of o with the model's defaults filled in, checked. */
  samplerSettings(o: SampleOptions): SamplerSettings & { steps: number } {
    const sampler = o.sampler ?? 'ddim';
    const steps = o.steps ?? (sampler === 'ddpm' ? this.schedule.steps : this.defaultSteps);
    const eta = o.eta ?? 0;
    const guidance = o.guidance ?? this.defaultGuidance;
    if (sampler !== 'ddim' && sampler !== 'ddpm') throw new RangeError(`sampler must be 'ddpm' or 'ddim', got '${String(sampler)}'`);
    if (!(eta >= 0)) throw new RangeError(`eta must be ≥ 0, got ${eta}`);
    if (!Number.isFinite(guidance)) throw new RangeError(`guidance must be a number, got ${guidance}`);
    return { sampler, steps, eta, guidance };
  }

  /**
   * The sampling loop shared by every conditioning: images from..to of o.n are one batch; predictorFor gives the
   * (guided) model output for that batch at a timestep. Images in [0, 1], without a graph.
   */
  protected runSampler(o: SampleOptions, predictorFor: (from: number, to: number, settings: SamplerSettings) => (x: Tensor, t: number) => Tensor): Tensor {
    const settings = this.samplerSettings(o);
    const ts = this.editTimesteps(samplingTimesteps(this.schedule.steps, settings.steps), o);
    const batch = Math.max(1, o.batchSize ?? 100);
    const batches = Math.ceil(o.n / batch);
    const [c, h, w] = this.imageShape;
    const out = new Float32Array(o.n * c * h * w);
    noGrad(() => {
      for (let bi = 0; bi < batches; bi++) {
        const from = bi * batch;
        const to = Math.min(o.n, from + batch);
        const gens = Array.from({ length: to - from }, (_, i) => new Generator(imageSeed(o.seed, from + i)));
        const predict = predictorFor(from, to, settings);
        const init = o.init ? affine(slice(o.init, 0, from, to), 2, -1) : null;
        const mask = o.mask ? slice(o.mask, 0, from, to) : null;
        // SDEdit: the init image noised to the first timestep; plain sampling: pure noise.
        let x = init ? this.noisedTo(init, gens, ts[0]) : noiseFrom(gens, this.imageShape);
        for (let k = 0; k < ts.length; k++) {
          const tPrev = k + 1 < ts.length ? ts[k + 1] : -1;
          const { x: next, x0 } = this.stepFrom(x, predict(x, ts[k]), ts[k], tPrev, settings, gens);
          // Inpainting: outside the mask the init image, noised to the level the step reached, replaces the sample.
          x = init && mask ? add(mul(next, mask), mul(this.noisedTo(init, gens, tPrev), affine(mask, -1, 1))) : next;
          o.onStep?.(bi * ts.length + k + 1, batches * ts.length, affine(x0, 0.5, 0.5), affine(x, 0.5, 0.5));
        }
        out.set(clamp(affine(x, 0.5, 0.5), 0, 1).f32, from * c * h * w);
      }
    });
    return new Tensor(out, [o.n, c, h, w]);
  }

  /**
   * One sampler step from x_t (all images at timestep t) to x_{tPrev} (tPrev = −1: the clean image); also returns
   * the clipped x̂_0. Noise for the step, when there is any, is drawn from each image's own generator.
   */
  denoiseStep(x: Tensor, t: number, tPrev: number, labels: Int32Array | null, o: SamplerSettings, gens: readonly Generator[]): { x: Tensor; x0: Tensor } {
    return this.stepFrom(x, this.predict(x, t, labels, o.guidance), t, tPrev, o, gens);
  }

  /** The sampler step from x_t to x_{tPrev} given the model's (guided) output `out` at t. */
  stepFrom(x: Tensor, out: Tensor, t: number, tPrev: number, o: SamplerSettings, gens: readonly Generator[]): { x: Tensor; x0: Tensor } {
    const abT = alphaBarAt(this.schedule, t);
    const abPrev = alphaBarAt(this.schedule, tPrev);
    const p = predictionCoefficients(this.prediction, abT);
    const x0 = clamp(add(mul(x, p.x0FromXt), mul(out, p.x0FromOut)), -1, 1);
    // ε̂ consistent with the clipped x̂_0, so the step stays on the line through x_t.
    const eps = mul(sub(x, mul(x0, Math.sqrt(abT))), 1 / Math.sqrt(1 - abT));
    const s = o.sampler === 'ddpm' ? ddpmCoefficients(abT, abPrev) : ddimCoefficients(abT, abPrev, o.eta);
    let next = add(mul(x0, s.x0), mul(eps, s.eps));
    if (s.noise > 0) next = add(next, mul(noiseFrom(gens, this.imageShape), s.noise));
    return { x: next, x0 };
  }
}

export interface DiffusionTaskOptions {
  /** Probability of training on the null label instead of the image's (classifier-free guidance; default 0.1). */
  labelDropout?: number;
  /** EMA decay of the weights (default 0.999), warmed up as min(decay, (1 + step)/(10 + step)). */
  emaDecay?: number;
  /** Validation batches evaluated per epoch (0 = all; default 0). */
  evalBatches?: number;
}

/**
 * The denoising loss of images in [0, 1]: t and ε drawn from gen, then the MSE between predict(x_t, t) and the target.
 * predict draws its own conditioning randomness (label or prompt dropout) from gen after t and ε.
 */
export function denoisingLoss(model: DiffusionModel, images: Tensor, gen: Generator, predict: (xt: Tensor, timesteps: Tensor) => Tensor): Tensor {
  const n = images.shape[0];
  const T = model.schedule.steps;
  const timesteps = Int32Array.from({ length: n }, () => gen.int(0, T));
  const x0 = affine(images, 2, -1);
  const eps = noiseFrom(
    Array.from({ length: n }, () => gen),
    model.imageShape,
  );
  const ts = new Tensor(timesteps, [n]);
  const { xt, target } = model.noised(x0, eps, timesteps);
  return mse(predict(xt, ts), target);
}

/** The diffusion loss of one batch: MSE between the U-Net's output and its target at random timesteps. */
export function diffusionLoss(model: DiffusionModel, batch: Batch, gen: Generator, labelDropout: number): Tensor {
  return denoisingLoss(model, batch.x, gen, (xt, timesteps) => {
    const n = xt.shape[0];
    let labels: Tensor | undefined;
    if (model.conditional) {
      const y = Int32Array.from(batch.y.data as Int32Array);
      for (let i = 0; i < n; i++) if (gen.uniform() < labelDropout) y[i] = model.nullLabel;
      labels = new Tensor(y, [n]);
    }
    return model.forward(xt, timesteps, labels);
  });
}

/** Trains a DiffusionModel on { x, y } batches (automatic optimisation) and keeps the EMA of its weights. */
export class DiffusionTask implements Task<Batch> {
  readonly name = 'diffusion';
  /** EMA weights by parameter name (empty until the first step or a restore). */
  ema = new Map<string, Tensor>();
  /** EMA updates applied so far (drives the warm-up). */
  emaSteps = 0;

  constructor(readonly options: DiffusionTaskOptions = {}) {}

  /**
   * Folds the current weights into the EMA. step() calls it first, so the EMA trails the weights by one optimizer
   * step (the Trainer steps the optimizer after step() returns); the order is fixed, so resume stays bit-exact.
   */
  updateEma(model: Module): void {
    const params = model.namedParameters();
    noGrad(() => {
      if (this.ema.size === 0) {
        for (const [name, p] of params) this.ema.set(name, new Tensor(Float32Array.from(p.f32), p.shape));
        return;
      }
      const decay = Math.min(this.options.emaDecay ?? 0.999, (1 + this.emaSteps) / (10 + this.emaSteps));
      for (const [name, p] of params) {
        const e = this.ema.get(name);
        if (!e) throw new Error(`diffusion: the EMA has no weights for parameter '${name}'; the checkpoint was made for another model`);
        e.f32.set(add(mul(e, decay), mul(p, 1 - decay)).f32);
      }
    });
    this.emaSteps++;
  }

  /** The loss of one batch with conditioning dropout p (text2img.ts overrides it to condition on captions). */
  protected loss(model: DiffusionModel, batch: Batch, gen: Generator, dropout: number): Tensor {
    return diffusionLoss(model, batch, gen, dropout);
  }

  step(model: Module, batch: Batch): StepResult {
    const m = model as DiffusionModel;
    this.updateEma(m);
    return { loss: this.loss(m, batch, defaultGenerator, this.options.labelDropout ?? 0.1) };
  }

  /** Runs fn with the EMA weights in the model (the live weights are put back after, even on error). */
  withEma<T>(model: Module, fn: () => T): T {
    if (this.ema.size === 0) return fn();
    const params = model.namedParameters();
    const saved = params.map(([, p]) => Float32Array.from(p.f32));
    params.forEach(([name, p]) => p.f32.set((this.ema.get(name) as Tensor).f32));
    try {
      return fn();
    } finally {
      params.forEach(([, p], i) => p.f32.set(saved[i]));
    }
  }

  /** Mean loss on held-out batches with fixed-seed timesteps and noise and no label dropout (the training RNG is untouched). */
  async evaluate(model: Module, source: TaskSource<Batch>): Promise<EvalReport> {
    const m = model as DiffusionModel;
    const gen = new Generator(777);
    let loss = 0;
    let count = 0;
    let batches = 0;
    for await (const batch of source.epoch(0)) {
      const n = batch.x.shape[0];
      loss += noGrad(() => this.loss(m, batch, gen, 0).item()) * n;
      count += n;
      if (this.options.evalBatches && ++batches >= this.options.evalBatches) break;
    }
    return { loss: loss / Math.max(1, count), metrics: {}, count };
  }

  stateDict(): TaskState {
    return { json: { emaSteps: this.emaSteps }, tensors: new Map([...this.ema].map(([k, v]) => [`ema.${k}`, v])) };
  }

  loadStateDict(state: TaskState): void {
    this.emaSteps = Number(state.json?.emaSteps ?? 0);
    this.ema = emaFromTaskTensors(state.tensors ?? new Map());
  }
}

/** The EMA weights among a checkpoint's task tensors (named ema.<parameter>), by parameter name. */
export function emaFromTaskTensors(tensors: Map<string, Tensor>): Map<string, Tensor> {
  const ema = new Map<string, Tensor>();
  for (const [k, v] of tensors) if (k.startsWith('ema.')) ema.set(k.slice(4), new Tensor(Float32Array.from(v.f32), v.shape));
  return ema;
}
