/**
 * `simmer train <data> --from …`: where the pretrained network comes from (a shipped backbone, another run, an ONNX
 * file), how the fine-tuning model, optimizer, schedule and freezing are built for a run, and how a fine-tuned
 * checkpoint is rebuilt (open-model.ts). The fine-tuning itself is src/transfer/fine-tune.ts.
 * @example
 *   const src = await openTransferSource('pretrained:fmnist-0-4');
 *   src.description; // "pretrained backbone 'fmnist-0-4' (Fashion-MNIST classes 0–4 only …)"
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { buildClassifier } from '../models/classifiers.ts';
import { importOnnx } from '../onnx/import.ts';
import type { Module } from '../nn/module.ts';
import { InputAdapter, type Shape3 } from '../transfer/adapter.ts';
import { simmerCnn, TransferNet } from '../transfer/backbone.ts';
import {
  type BackboneRecord,
  bodyOfClassifier,
  buildTransferNet,
  cutBody,
  discriminativeGroups,
  FineTuneSchedule,
  freezeCallback,
  groupedOptimizer,
  type TransferRecord,
} from '../transfer/fine-tune.ts';
import { loadPretrained } from '../transfer/pretrained.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import type { LRScheduler } from '../optim/schedule.ts';
import { loadCheckpoint } from '../train/checkpoint.ts';
import type { Callback } from '../train/types.ts';
import { RunError } from './errors.ts';
import { openCheckpointModel } from './open-model.ts';
import type { Recipe } from './recipe.ts';
import { defaultRunsRoot, runPaths } from './run-store.ts';

export interface TransferSource {
  body: Module;
  features: number;
  inputShape: Shape3;
  backbone: BackboneRecord;
  description: string;
}

/** Whether --from names an ONNX file. */
const isOnnx = (from: string) => /\.onnx$/i.test(from);

/** The checkpoint a run id, run folder or checkpoint path stands for. */
function checkpointOf(from: string, root: string): string {
  if (/\.safetensors$/i.test(from)) {
    if (!existsSync(from)) throw new RunError('bad-source', `fine-tuning source ${from}: there is no such checkpoint file`, { run: from });
    return from;
  }
  const dir = existsSync(join(from, 'config.json')) ? resolve(from) : runPaths(root, from).dir;
  if (!existsSync(join(dir, 'config.json')))
    throw new RunError('bad-source', `fine-tuning source ${from}: there is no run '${from}' in ${root} (give pretrained:<name>, a run id, a run folder, a checkpoint or a .onnx file; simmer models lists the pretrained backbones)`, {
      run: from,
    });
  const last = join(dir, 'checkpoints', 'last.safetensors');
  if (!existsSync(last)) throw new RunError('bad-source', `fine-tuning source ${from}: run ${basename(dir)} has no checkpoint yet (${last})`, { run: from, path: last });
  return last;
}

/** Body and features of a shipped backbone, another run's model, or an ONNX file. */
export async function openTransferSource(from: string, root = defaultRunsRoot()): Promise<TransferSource> {
  if (from.startsWith('pretrained:')) {
    const { entry, body, features } = loadPretrained(from.slice('pretrained:'.length));
    return { body, features, inputShape: entry.config.inputShape, backbone: { kind: 'simmer-cnn', config: entry.config }, description: `pretrained backbone '${entry.name}' (${entry.trainedOn})` };
  }
  if (isOnnx(from)) return openOnnxSource(from);
  const path = checkpointOf(from, root);
  const opened = openCheckpointModel(path);
  const runName = basename(dirname(dirname(resolve(path))));
  if (opened.model instanceof TransferNet) {
    const record = (opened.checkpoint.state.config as { transfer: TransferRecord }).transfer;
    return { body: opened.model.body, features: record.features, inputShape: record.backboneInput, backbone: record.backbone, description: `run ${runName} (fine-tuned from ${record.from})` };
  }
  const { body, features } = bodyOfClassifier(opened.model, `fine-tuning source ${from}`);
  return {
    body,
    features,
    inputShape: opened.inputShape,
    backbone: { kind: 'zoo', model: opened.recipe.model, inputShape: opened.inputShape, numClasses: opened.classes.length },
    description: `run ${runName} (${opened.recipe.model} trained on ${opened.recipe.dataset}, ${opened.classes.length} classes)`,
  };
}

/** An ONNX classifier as a body: the imported graph up to its final Gemm / MatMul head (OnnxModel.classifierBody). */
async function openOnnxSource(file: string): Promise<TransferSource> {
  if (!existsSync(file)) throw new RunError('bad-source', `fine-tuning source ${file}: there is no such ONNX file (check the path)`, { run: file });
  const body = onnxBody(file);
  return { ...body, backbone: { kind: 'onnx', file: resolve(file) }, description: `ONNX model ${basename(file)}` };
}

/** The imported graph of an ONNX classifier cut before its head, and the image shape it takes. */
function onnxBody(file: string): { body: Module; features: number; inputShape: Shape3 } {
  const net = importOnnx(file);
  const shape = net.inputShape;
  if (shape.length !== 4)
    throw new RunError('bad-source', `fine-tuning source ${file}: the graph's input is [${shape.join(', ')}], not an image batch [N, C, H, W]; fine-tune an image classifier`, { model: file });
  const { body, features } = net.classifierBody();
  return { body, features, inputShape: [shape[1], shape[2], shape[3]] };
}

/** An empty body for a record (weights come from the fine-tuned checkpoint). */
export function transferBody(record: BackboneRecord): Module {
  switch (record.kind) {
    case 'simmer-cnn':
      return simmerCnn(record.config);
    case 'zoo':
      return bodyOfClassifier(buildClassifier(record.model, { inputShape: record.inputShape, numClasses: record.numClasses }), record.model).body;
    case 'onnx':
      // The graph comes from the file again (the checkpoint holds its weights, not its nodes).
      if (!existsSync(record.file))
        throw new RunError(
          'bad-source',
          `this model was fine-tuned from ${record.file}, whose graph is needed to rebuild it (the checkpoint holds only the weights); put the file back at that path`,
          { path: record.file },
        );
      return onnxBody(record.file).body;
  }
}

/** The model of a fine-tuned checkpoint, at its data's input shape and class count. */
export function rebuildTransferModel(record: TransferRecord, inputShape: Shape3, numClasses: number): TransferNet {
  return buildTransferNet({ ...record, dataInput: inputShape }, numClasses, transferBody);
}

export interface TransferSetup {
  model: TransferNet;
  optimizer: Optimizer<{ lr: number }>;
  scheduler: LRScheduler;
  callbacks: Callback[];
  record: TransferRecord;
  /** What was done, for the command line: source, new head, input conversion, groups and rates. */
  message: string;
}

/**
 * The fine-tuning pieces of a run. A new run opens the source; a resumed one rebuilds from the record stored in
 * its checkpoint (the weights then come from the checkpoint, so the source may be gone).
 */
export async function setupTransfer(
  recipe: Recipe,
  data: { inputShape: Shape3; classes: string[]; batchesPerEpoch: number },
  o: { root: string; resumeCheckpoint?: string },
): Promise<TransferSetup> {
  const from = recipe.from ?? '';
  const freezeEpochs = Math.min(recipe.freezeEpochs ?? 1, recipe.epochs);
  let record: TransferRecord;
  let model: TransferNet;
  if (o.resumeCheckpoint && existsSync(o.resumeCheckpoint)) {
    const stored = (loadCheckpoint(o.resumeCheckpoint).state.config as { transfer?: TransferRecord }).transfer;
    if (!stored) throw new RunError('bad-source', `${o.resumeCheckpoint}: the checkpoint has no transfer record, so the fine-tuned model cannot be rebuilt`, { path: o.resumeCheckpoint });
    record = stored;
    model = rebuildTransferModel(record, data.inputShape, data.classes.length);
  } else {
    const src = await openTransferSource(from, o.root);
    const cut = recipe.cut ? cutBody(src.body, recipe.cut, src.inputShape, `fine-tuning source ${from}`) : null;
    const [body, features] = cut ? [cut.body, cut.features] : [src.body, src.features];
    const adapter = InputAdapter.between(data.inputShape, src.inputShape);
    model = new TransferNet(body, features, data.classes.length, adapter);
    record = {
      from,
      description: src.description,
      backbone: src.backbone,
      features,
      backboneInput: src.inputShape,
      dataInput: data.inputShape,
      freezeEpochs,
      ...(recipe.cut ? { cut: recipe.cut } : {}),
    };
  }
  const groups = discriminativeGroups(model, { lrMult: recipe.lrMult ?? 100 });
  const optimizer = groupedOptimizer(groups, { optimizer: recipe.optimizer, lr: recipe.lr, momentum: recipe.momentum, weightDecay: recipe.weightDecay });
  const scheduler = new FineTuneSchedule(optimizer, {
    freezeSteps: freezeEpochs * data.batchesPerEpoch,
    totalSteps: recipe.epochs * data.batchesPerEpoch,
    lr: recipe.lr,
    lrScales: groups.map((g) => g.lrScale),
  });
  const conversion = model.adapter?.describe();
  const [c, h, w] = record.backboneInput;
  const lines = [
    `fine-tuning from ${record.description}`,
    `  new head: ${record.features} features${record.cut ? ` (the output of ${record.cut}, the layers after it dropped)` : ''} → ${data.classes.length} classes`,
    conversion ? `  input: ${conversion}, since the backbone was trained on ${h}×${w}×${c}` : `  input: ${h}×${w}×${c}, as the backbone was trained`,
    `  ${phasePlan(recipe.epochs, freezeEpochs, recipe.lr)}`,
    ...(freezeEpochs < recipe.epochs ? [`  discriminative learning rates after unfreezing: ${groups.map((g) => `${g.name} ×${g.lrScale.toPrecision(2)}`).join(', ')}`] : []),
  ];
  return { model, optimizer, scheduler, callbacks: [freezeCallback(model, freezeEpochs)], record, message: lines.join('\n') };
}

/** The two phases in words: --epochs counts them all, the first freezeEpochs of them train the head only. */
function phasePlan(epochs: number, freezeEpochs: number, lr: number): string {
  const span = (from: number, to: number) => (from === to ? `epoch ${from}` : `epochs ${from}–${to}`);
  const parts: string[] = [];
  if (freezeEpochs > 0) parts.push(`${span(1, freezeEpochs)}: the new head only (body frozen, batch-norm statistics fixed), one cycle to lr ${lr}`);
  if (freezeEpochs < epochs) parts.push(`${span(freezeEpochs + 1, epochs)}: every layer, one cycle to lr/2 = ${lr / 2} for the head`);
  return `${epochs} epoch${epochs === 1 ? '' : 's'} in all — ${parts.join('; ')}`;
}

export interface TransferLayer {
  /** Dotted module name, as the architecture table names it. */
  name: string;
  part: 'adapter' | 'body' | 'head';
  /** Epochs (from the first) this layer did not learn: freezeEpochs for the body, 0 for the new head. */
  frozenEpochs: number;
  /** Its peak learning rate after unfreezing, as a share of the head's (1 for the head). */
  lrScale: number;
}

export interface TransferSummary {
  from: string;
  description: string;
  freezeEpochs: number;
  epochs: number;
  /** What the adapter does to the input ('' when nothing). */
  inputConversion: string;
  /** Whether the body was still frozen when the checkpoint was written (every epoch so far was a frozen one). */
  frozenNow: boolean;
  layers: TransferLayer[];
}

/** Which layers of a fine-tuned model were frozen and for how long, for the dashboard's model page; null for others. */
export function transferSummary(model: Module, config: unknown, epochsDone: number): TransferSummary | null {
  const c = config as { transfer?: TransferRecord; recipe?: Recipe };
  if (!c.transfer || !(model instanceof TransferNet)) return null;
  const recipe = c.recipe;
  const freezeEpochs = c.transfer.freezeEpochs;
  const groups = discriminativeGroups(model, { lrMult: recipe?.lrMult ?? 100 });
  const scaleOf = new Map<unknown, number>();
  for (const g of groups) for (const p of g.params) scaleOf.set(p, g.lrScale);
  const layers: TransferLayer[] = [];
  for (const [name, m] of model.namedModules()) {
    if (name === '') continue;
    const part = name.startsWith('head') ? 'head' : name.startsWith('adapter') ? 'adapter' : 'body';
    const first = m.parameters()[0];
    layers.push({ name, part, frozenEpochs: part === 'body' ? freezeEpochs : 0, lrScale: part === 'adapter' || !first ? 0 : (scaleOf.get(first) ?? 1) });
  }
  return {
    from: c.transfer.from,
    description: c.transfer.description,
    freezeEpochs,
    epochs: recipe?.epochs ?? epochsDone,
    inputConversion: model.adapter?.describe() ?? '',
    frozenNow: epochsDone <= freezeEpochs && freezeEpochs > 0,
    layers,
  };
}
