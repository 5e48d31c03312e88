/**
 * Learning-rate schedules (PyTorch's torch.optim.lr_scheduler). Each sets the optimizer's learning rate from a
 * closed-form function of its step counter, so its whole state is that counter and the base rates.
 * Call step() once per epoch, or once per batch for schedules built with interval 'step' (OneCycleLR always is).
 * @example
 *   const sched = new CosineAnnealingLR(opt, { tMax: epochs, warmup: 1 });
 *   while (epoch++ < epochs) { trainOneEpoch(); sched.step(); }
 */
import type { Optimizer } from './optimizer.ts';

type AnyOptimizer = Optimizer<{ lr: number }>;

export interface SchedulerState {
  kind: string;
  t: number;
  baseLrs: number[];
  extra?: Record<string, number>;
}

export abstract class LRScheduler {
  /** Steps taken so far. */
  t = 0;
  readonly baseLrs: number[];
  /** Whether the trainer calls step() after each epoch or after each batch. */
  readonly interval: 'epoch' | 'step';

  constructor(
    readonly optimizer: AnyOptimizer,
    interval: 'epoch' | 'step' = 'epoch',
  ) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.options.lr);
    this.interval = interval;
  }

  /** The learning rate of a group whose base rate is base, at step t. */
  protected abstract lrAt(t: number, base: number): number;

  /** Applies the rate for the current counter (constructors call this so step 0 has its rate). */
  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.options.lr = this.lrAt(this.t, this.baseLrs[i]);
    });
  }

  step(_metric?: number): void {
    this.t++;
    this.apply();
  }

  get lastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.options.lr);
  }

  stateDict(): SchedulerState {
    return { kind: this.constructor.name, t: this.t, baseLrs: [...this.baseLrs] };
  }

  loadStateDict(s: SchedulerState): void {
    if (s.kind !== this.constructor.name) throw new Error(`${this.constructor.name}.loadStateDict: the state was saved by ${s.kind}`);
    this.t = s.t;
    this.baseLrs.splice(0, this.baseLrs.length, ...s.baseLrs);
    this.apply();
  }
}

/** lr = base · gamma^⌊t / stepSize⌋. */
export class StepLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly stepSize: number,
    readonly gamma = 0.1,
    interval: 'epoch' | 'step' = 'epoch',
  ) {
    super(optimizer, interval);
    if (!(stepSize >= 1)) throw new RangeError(`StepLR: stepSize must be >= 1, got ${stepSize}`);
    this.apply();
  }

  protected lrAt(t: number, base: number): number {
    return base * this.gamma ** Math.floor(t / this.stepSize);
  }
}

/** lr = base · gamma^(number of milestones ≤ t). */
export class MultiStepLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly milestones: number[],
    readonly gamma = 0.1,
    interval: 'epoch' | 'step' = 'epoch',
  ) {
    super(optimizer, interval);
    this.apply();
  }

  protected lrAt(t: number, base: number): number {
    return base * this.gamma ** this.milestones.filter((m) => m <= t).length;
  }
}

/** lr = base · gamma^t. */
export class ExponentialLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly gamma: number,
    interval: 'epoch' | 'step' = 'epoch',
  ) {
    super(optimizer, interval);
    this.apply();
  }

  protected lrAt(t: number, base: number): number {
    return base * this.gamma ** t;
  }
}

export interface CosineOptions {
  /** Steps from the end of warm-up to the minimum. */
  tMax: number;
  etaMin?: number;
  /** Linear warm-up steps from base/warmup to base before the cosine starts. */
  warmup?: number;
  interval?: 'epoch' | 'step';
}

/** Linear warm-up, then cosine annealing from base to etaMin over tMax steps (held at etaMin after). */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  readonly warmup: number;

  constructor(optimizer: AnyOptimizer, options: CosineOptions) {
    super(optimizer, options.interval ?? 'epoch');
    this.tMax = options.tMax;
    this.etaMin = options.etaMin ?? 0;
    this.warmup = options.warmup ?? 0;
    if (!(this.tMax >= 1)) throw new RangeError(`CosineAnnealingLR: tMax must be >= 1, got ${this.tMax}`);
    this.apply();
  }

  protected lrAt(t: number, base: number): number {
    if (t < this.warmup) return (base * (t + 1)) / this.warmup;
    const progress = Math.min(1, (t - this.warmup) / this.tMax);
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos(Math.PI * progress))) / 2;
  }
}

export interface OneCycleOptions {
  maxLr: number;
  totalSteps: number;
  pctStart?: number;
  divFactor?: number;
  finalDivFactor?: number;
}

/** fastai's one-cycle policy as torch's OneCycleLR (cosine, two phases): maxLr/divFactor → maxLr → maxLr/(div·finalDiv). Stepped per batch. */
export class OneCycleLR extends LRScheduler {
  readonly o: Required<OneCycleOptions>;

  constructor(optimizer: AnyOptimizer, options: OneCycleOptions) {
    super(optimizer, 'step');
    this.o = { pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4, ...options };
    if (!(this.o.totalSteps >= 2)) throw new RangeError(`OneCycleLR: totalSteps must be >= 2, got ${this.o.totalSteps}`);
    this.apply();
  }

  protected lrAt(t: number, _base: number): number {
    const { maxLr, totalSteps, pctStart, divFactor, finalDivFactor } = this.o;
    const initial = maxLr / divFactor;
    const min = initial / finalDivFactor;
    const warmEnd = pctStart * totalSteps - 1;
    const anneal = (start: number, end: number, pct: number) => end + ((start - end) / 2) * (1 + Math.cos(Math.PI * pct));
    if (t <= warmEnd) return anneal(initial, maxLr, warmEnd > 0 ? t / warmEnd : 1);
    return anneal(maxLr, min, Math.min(1, (t - warmEnd) / (totalSteps - 1 - warmEnd)));
  }
}

export interface PlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  /** Relative improvement needed to count as better. */
  threshold?: number;
  cooldown?: number;
  minLr?: number;
}

/** Divides the rate by 1/factor when a watched metric stops improving for `patience` epochs. step(metric) each epoch. */
export class ReduceLROnPlateau extends LRScheduler {
  readonly o: Required<PlateauOptions>;
  private best: number;
  private badEpochs = 0;
  private cooldownLeft = 0;
  private scale = 1;

  constructor(optimizer: AnyOptimizer, options: PlateauOptions = {}) {
    super(optimizer, 'epoch');
    this.o = { mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, cooldown: 0, minLr: 0, ...options };
    if (!(this.o.factor < 1)) throw new RangeError(`ReduceLROnPlateau: factor must be < 1, got ${this.o.factor}`);
    this.best = this.o.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  protected lrAt(_t: number, base: number): number {
    return Math.max(this.o.minLr, base * this.scale);
  }

  override step(metric?: number): void {
    if (metric === undefined || Number.isNaN(metric)) throw new Error('ReduceLROnPlateau.step(metric): pass the validation metric it watches');
    this.t++;
    const better = this.o.mode === 'min' ? metric < this.best * (1 - this.o.threshold) : metric > this.best * (1 + this.o.threshold);
    if (better) {
      this.best = metric;
      this.badEpochs = 0;
    } else this.badEpochs++;
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.badEpochs = 0;
    }
    if (this.badEpochs > this.o.patience) {
      this.scale *= this.o.factor;
      this.cooldownLeft = this.o.cooldown;
      this.badEpochs = 0;
    }
    this.apply();
  }

  override stateDict(): SchedulerState {
    return { ...super.stateDict(), extra: { best: this.best, badEpochs: this.badEpochs, cooldownLeft: this.cooldownLeft, scale: this.scale } };
  }

  override loadStateDict(s: SchedulerState): void {
    const e = s.extra ?? {};
    this.best = e.best ?? this.best;
    this.badEpochs = e.badEpochs ?? 0;
    this.cooldownLeft = e.cooldownLeft ?? 0;
    this.scale = e.scale ?? 1;
    super.loadStateDict(s);
  }
}
