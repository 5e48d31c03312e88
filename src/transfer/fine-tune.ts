/**
 * Fine-tuning the way fastai's `fine_tune` does it: a pretrained body and a new head for your classes; first the head
 * alone for `freezeEpochs` (body frozen: no gradients, batch norms in eval mode, one-cycle with a long warm-up), then
 * everything with discriminative learning rates — the earliest layers `lrMult` times slower than the head, spaced
 * geometrically — under one cycle at half the rate (fastai: `base_lr /= 2`, `slice(base_lr/lr_mult, base_lr)`,
 * `div = 5`). The schedule and the freezing both follow the epoch, so a resumed run freezes and schedules exactly as
 * an uninterrupted one.
 * @example
 *   const r = await fineTune({ source: await openTransferSource('pretrained:fmnist-0-4'), train, val, epochs: 12, freezeEpochs: 1 });
 *   r.report.accuracy;
 */
import { ClassificationTask, type ClassificationReport } from '../train/classification.ts';
import type { Dataset } from '../data/dataset.ts';
import { DataLoader } from '../data/loader.ts';
import { Linear } from '../nn/layers/linear.ts';
import { Sequential } from '../nn/layers/container.ts';
import { Flatten } from '../nn/layers/pool.ts';
import { noGrad } from '../autograd/grad-mode.ts';
import { zeros } from '../tensor/creation.ts';
import { BatchNorm1d, BatchNorm2d } from '../nn/layers/norm.ts';
import type { Module } from '../nn/module.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { Adam, AdamW, RMSprop, SGD } from '../optim/optimizers.ts';
import { LRScheduler } from '../optim/schedule.ts';
import { manualSeed } from '../tensor/random.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { Trainer } from '../train/trainer.ts';
import type { Callback, EpochReport } from '../train/types.ts';
import { InputAdapter, type Shape3 } from './adapter.ts';
import { type SimmerCnnConfig, simmerCnn, TransferNet } from './backbone.ts';

/** How a fine-tuned model's backbone is rebuilt (stored in the run's config as `transfer`). */
export type BackboneRecord =
  { kind: 'simmer-cnn'; config: SimmerCnnConfig } | { kind: 'zoo'; model: string; inputShape: Shape3; numClasses: number } | { kind: 'onnx'; file: string };

/** What a fine-tuned run stores so its model can be rebuilt and explained: the source, the backbone, the input conversion. */
export interface TransferRecord {
  /** As given: pretrained:<name>, a run id, or a .onnx file. */
  from: string;
  /** In words (for messages and the dashboard). */
  description: string;
  backbone: BackboneRecord;
  /** Length of the body's output (the head's input). */
  features: number;
  /** The input the backbone was trained on, and the input of the data. */
  backboneInput: Shape3;
  dataInput: Shape3;
  /** Epochs with the body frozen. */
  freezeEpochs: number;
  /** The body layer whose output are the features (later layers dropped; cutBody); absent: the whole body. */
  cut?: string;
}

/** Builds an empty body (weights come from a checkpoint) from its record; onnx bodies need the importer. */
export type BodyBuilder = (record: BackboneRecord) => Module;

/** The body of a zoo classifier: every layer but the final Linear, as a Sequential (keys body.0…, as in the classifier). */
export function bodyOfClassifier(model: Module, what: string): { body: Sequential; features: number } {
  const children = model.children();
  const last = children[children.length - 1];
  if (!(model instanceof Sequential) || !(last instanceof Linear))
    throw new RangeError(
      `${what}: its last layer is not a Linear classifier head, so there is no head to replace; fine-tune a zoo classifier or a shipped backbone`,
    );
  return { body: new Sequential(...children.slice(0, -1)), features: last.inFeatures };
}

/** The fine-tuning model for a record: adapter (when the data's input differs), body (cut where it was), a head for numClasses. */
export function buildTransferNet(record: TransferRecord, numClasses: number, buildBody: BodyBuilder): TransferNet {
  const built = buildBody(record.backbone);
  const body = record.cut ? cutBody(built, record.cut, record.backboneInput).body : built;
  return new TransferNet(body, record.features, numClasses, InputAdapter.between(record.dataInput, record.backboneInput));
}

/**
 * Features of a lower layer: the body's layers up to and including `cut` (a layer's name as the model page shows it,
 * `body.6` or `6`), flattened when its output is still an image, so the new head sees every position and channel.
 * Only a plain stack of layers (a Sequential: the shipped backbones and the zoo's) can be cut.
 */
export function cutBody(body: Module, cut: string, inputShape: Shape3, what = 'the body'): { body: Sequential; features: number } {
  const names = body.namedChildren().map(([n]) => n);
  if (!(body instanceof Sequential))
    throw new RangeError(
      `${what} is not a plain stack of layers, so it cannot be cut at '${cut}'; leave out --cut (the features are then those before its old head)`,
    );
  const name = cut.replace(/^body\./, '');
  const at = names.indexOf(name);
  if (at < 0) throw new RangeError(`${what} has no layer '${cut}'; cut at one of: ${names.map((n) => `body.${n}`).join(', ')}`);
  const kept = body.children().slice(0, at + 1);
  const probe = new Sequential(...kept);
  const wasTraining = probe.training;
  probe.train(false);
  const shape = noGrad(() => probe.forward(zeros([1, ...inputShape])).shape);
  probe.train(wasTraining);
  const features = shape.slice(1).reduce((a, b) => a * b, 1);
  return { body: shape.length === 2 ? probe : new Sequential(...kept, new Flatten()), features };
}

/** The default body builder for records that need nothing outside src/transfer (shipped backbones). */
export function simmerBody(record: BackboneRecord): Module {
  if (record.kind === 'simmer-cnn') return simmerCnn(record.config);
  throw new RangeError(`a '${record.kind}' backbone needs its own builder`);
}

/**
 * Units of the body for learning-rate groups: the direct children that hold parameters, each batch norm merged into
 * the layer before it (a conv and its BN learn at one rate). An opaque body (an imported graph) is one unit.
 */
function bodyUnits(net: TransferNet): { name: string; params: Tensor[] }[] {
  const units: { name: string; params: Tensor[] }[] = [];
  for (const [n, m] of net.body.namedChildren()) {
    if (m.numParameters() === 0) continue;
    const isNorm = m instanceof BatchNorm2d || m instanceof BatchNorm1d;
    if (isNorm && units.length) units[units.length - 1].params.push(...m.parameters());
    else units.push({ name: `body.${n}`, params: m.parameters() });
  }
  const grouped = new Set(units.flatMap((u) => u.params));
  const rest = net.body.parameters().filter((p) => !grouped.has(p));
  if (units.length === 0) return rest.length ? [{ name: 'body', params: rest }] : [];
  units[units.length - 1].params.push(...rest);
  return units;
}

export interface LayerGroup {
  name: string;
  params: Tensor[];
  /** The group's peak learning rate after unfreezing, as a fraction of the head's. */
  lrScale: number;
}

/**
 * Parameter groups earliest first, the head last: the body in `bodyGroups` runs of units, with peak rates spaced
 * geometrically from 1/lrMult (first group) to 1 (head).
 */
export function discriminativeGroups(net: TransferNet, options: { bodyGroups?: number; lrMult?: number } = {}): LayerGroup[] {
  const units = bodyUnits(net);
  const k = Math.max(0, Math.min(options.bodyGroups ?? 2, units.length));
  const lrMult = options.lrMult ?? 100;
  const groups: LayerGroup[] = [];
  for (let g = 0; g < k; g++) {
    const part = units.slice(Math.floor((g * units.length) / k), Math.floor(((g + 1) * units.length) / k));
    groups.push({
      name: part.length === 1 ? part[0].name : `${part[0].name}–${part[part.length - 1].name}`,
      params: part.flatMap((u) => u.params),
      lrScale: 0,
    });
  }
  groups.push({ name: 'head', params: net.head.parameters(), lrScale: 1 });
  const n = groups.length;
  groups.forEach((grp, i) => {
    grp.lrScale = n === 1 ? 1 : lrMult ** -((n - 1 - i) / (n - 1));
  });
  return groups;
}

export interface OptimizerChoice {
  optimizer: 'sgd' | 'adam' | 'adamw' | 'rmsprop';
  lr: number;
  momentum?: number;
  weightDecay?: number;
}

/**
 * The optimizer's parameter groups are the layer groups in reverse, the head first: `optimizer.lr` (what the
 * progress line and the metrics show) is then the head's rate, not the earliest layers' (0 while frozen).
 */
function optimizerOrder<T>(groups: readonly T[]): T[] {
  return [...groups].reverse();
}

/** The recipe's optimizer over the layer groups, head first (each group's lr is then set by the FineTuneSchedule). */
export function groupedOptimizer(groups: LayerGroup[], o: OptimizerChoice): Optimizer<{ lr: number }> {
  const params = optimizerOrder(groups).map((g) => ({ params: g.params, options: { lr: o.lr * g.lrScale } }));
  switch (o.optimizer) {
    case 'sgd':
      return new SGD(params, { lr: o.lr, momentum: o.momentum ?? 0.9, weightDecay: o.weightDecay ?? 0 });
    case 'adam':
      return new Adam(params, { lr: o.lr, weightDecay: o.weightDecay ?? 0 });
    case 'adamw':
      return new AdamW(params, { lr: o.lr, weightDecay: o.weightDecay || 0.01 });
    case 'rmsprop':
      return new RMSprop(params, { lr: o.lr, weightDecay: o.weightDecay ?? 0 });
  }
}

const anneal = (start: number, end: number, pct: number) => end + ((start - end) / 2) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, pct))));

/** One cycle (torch's OneCycleLR, cosine) at step t of `total`. */
export function oneCycleAt(t: number, total: number, maxLr: number, pctStart: number, div: number, finalDiv = 1e4): number {
  const initial = maxLr / div;
  const warmEnd = pctStart * total - 1;
  if (t <= warmEnd) return anneal(initial, maxLr, warmEnd > 0 ? t / warmEnd : 1);
  return anneal(maxLr, initial / finalDiv, (t - warmEnd) / Math.max(1e-9, total - 1 - warmEnd));
}

export interface FineTuneScheduleOptions {
  /** Steps with the body frozen (freezeEpochs × batches per epoch). */
  freezeSteps: number;
  totalSteps: number;
  /** The head's peak rate in the frozen phase; the unfrozen phase peaks at half of it (fastai). */
  lr: number;
  /** Each group's share of the head's rate after unfreezing (discriminativeGroups' lrScale), in that order (head last). */
  lrScales: number[];
}

/**
 * fine_tune's two one-cycle schedules, stepped per batch. Frozen phase: the head follows one cycle to `lr` with
 * pctStart 0.99, the body's groups are at 0. Unfrozen phase: every group follows one cycle to lr/2 × its scale, with
 * pctStart 0.3 and div 5.
 */
export class FineTuneSchedule extends LRScheduler {
  constructor(
    optimizer: Optimizer<{ lr: number }>,
    readonly o: FineTuneScheduleOptions,
  ) {
    super(optimizer, 'step');
    if (o.lrScales.length !== optimizer.paramGroups.length)
      throw new RangeError(`FineTuneSchedule: ${o.lrScales.length} learning-rate scales for ${optimizer.paramGroups.length} parameter groups`);
    this.apply();
  }

  /** Whether step t is in the frozen phase. */
  frozenAt(t: number): boolean {
    return t < this.o.freezeSteps;
  }

  protected lrAt(): number {
    return 0; // apply() is overridden: each group's rate depends on its index
  }

  protected override apply(): void {
    const { freezeSteps, totalSteps, lr } = this.o;
    const scales = optimizerOrder(this.o.lrScales);
    const t = this.t;
    this.optimizer.paramGroups.forEach((g, i) => {
      const head = i === 0;
      if (t < freezeSteps) g.options.lr = head ? oneCycleAt(t, Math.max(2, freezeSteps), lr, 0.99, 25) : 0;
      else g.options.lr = oneCycleAt(t - freezeSteps, Math.max(2, totalSteps - freezeSteps), (lr / 2) * scales[i], 0.3, 5);
    });
  }
}

/** Freezes the body for the first `freezeEpochs` epochs and unfreezes it after (so a resumed run does the same). */
export function freezeCallback(net: TransferNet, freezeEpochs: number, onUnfreeze?: (epoch: number) => void): Callback {
  return {
    onEpochStart(_t, epoch) {
      if (epoch < freezeEpochs) net.freezeBody();
      else if (net.frozen) {
        net.unfreezeBody();
        onUnfreeze?.(epoch);
      }
    },
  };
}

export interface FineTuneOptions {
  /** The pretrained network: a body and its feature length (from openTransferSource, or your own). */
  source: { body: Module; features: number; inputShape: Shape3 };
  train: Dataset;
  val?: Dataset;
  /** Score `val` after every epoch (default true); false scores it once at the end (faster on a large test set). */
  validateEachEpoch?: boolean;
  /** Epochs in total, the frozen ones included (default 5). */
  epochs?: number;
  /** Epochs training the head only (default 1; = epochs trains a head on frozen features). */
  freezeEpochs?: number;
  /** The head's peak learning rate (default 2e-3). */
  lr?: number;
  /** How much slower the earliest layers learn than the head after unfreezing (default 100). */
  lrMult?: number;
  batchSize?: number;
  optimizer?: OptimizerChoice['optimizer'];
  weightDecay?: number;
  seed?: number;
  callbacks?: Callback[];
}

export interface FineTuneResult {
  model: TransferNet;
  history: EpochReport[];
  /** The final evaluation on `val` (when given). */
  report?: ClassificationReport;
  groups: { name: string; lrScale: number; params: number }[];
  /** What was done to the input (empty when nothing), e.g. 'resized 32×32 → 28×28 (bilinear)'. */
  inputConversion: string;
  seconds: number;
}

/** Fine-tunes a pretrained body on a labelled dataset in memory or on disk (the library API beside `simmer train --from`). */
export async function fineTune(o: FineTuneOptions): Promise<FineTuneResult> {
  const started = performance.now();
  const epochs = o.epochs ?? 5;
  const freezeEpochs = Math.min(o.freezeEpochs ?? 1, epochs);
  const lr = o.lr ?? 2e-3;
  if (o.seed !== undefined) manualSeed(o.seed);
  const adapter = InputAdapter.between([o.train.channels, o.train.height, o.train.width], o.source.inputShape);
  const net = new TransferNet(o.source.body, o.source.features, o.train.classes.length, adapter);
  const groups = discriminativeGroups(net, { lrMult: o.lrMult });
  const optimizer = groupedOptimizer(groups, { optimizer: o.optimizer ?? 'adamw', lr, weightDecay: o.weightDecay });
  const train = new DataLoader(o.train, { batchSize: o.batchSize ?? 64, shuffle: true, seed: o.seed ?? 0 });
  const val = o.val ? new DataLoader(o.val, { batchSize: 512 }) : undefined;
  const perEpoch = train.batchesPerEpoch;
  const scheduler = new FineTuneSchedule(optimizer, {
    freezeSteps: freezeEpochs * perEpoch,
    totalSteps: epochs * perEpoch,
    lr,
    lrScales: groups.map((g) => g.lrScale),
  });
  const trainer = new Trainer({
    model: net,
    optimizer,
    scheduler,
    task: new ClassificationTask(),
    classes: o.train.classes,
    callbacks: [freezeCallback(net, freezeEpochs), ...(o.callbacks ?? [])],
  });
  const history = await trainer.fit(train, { epochs, val: o.validateEachEpoch === false ? undefined : val });
  const report = val ? await trainer.evaluate(val) : undefined;
  return {
    model: net,
    history,
    report,
    groups: groups.map((g) => ({ name: g.name, lrScale: g.lrScale, params: g.params.reduce((n, p) => n + p.size, 0) })),
    inputConversion: adapter?.describe() ?? '',
    seconds: (performance.now() - started) / 1000,
  };
}
