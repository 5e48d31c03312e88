/**
 * `--compare-scratch`: what the pretrained start was worth. Trains the same architecture from random weights with the
 * same budget — the run's data and split, epochs, batch size, optimizer and peak learning rate, under one cycle —
 * and scores both models on the same images. For a model trained without --from the twin is the same zoo model.
 * @example
 *   const c = await compareWithScratch('runs/20260101-finetune/checkpoints/last.safetensors');
 *   c.margin; // fine-tuned accuracy − scratch accuracy, in points of percent
 */
import { writeFileAtomic } from '../io/atomic.ts';
import { join, dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { buildClassifier } from '../models/classifiers.ts';
import { OnnxModel } from '../onnx/import.ts';
import type { Module } from '../nn/module.ts';
import { OneCycleLR } from '../optim/schedule.ts';
import { manualSeed } from '../tensor/random.ts';
import { discriminativeGroups, groupedOptimizer, type TransferRecord } from '../transfer/fine-tune.ts';
import { TransferNet } from '../transfer/backbone.ts';
import { evaluateClassifier } from '../train/classification.ts';
import type { TaskSource } from '../train/task.ts';
import { Trainer } from '../train/trainer.ts';
import type { Batch } from '../train/types.ts';
import { prepareData } from './data-setup.ts';
import { openCheckpointModel } from './open-model.ts';
import { buildOptimizer } from './recipe.ts';
import { rebuildTransferModel } from './transfer.ts';

export interface ScratchComparison {
  /** What was scored (e.g. "the dataset's test split, 1000 images"). */
  scored: string;
  count: number;
  fineTuned: { accuracy: number; loss: number; from: string | null };
  scratch: { accuracy: number; loss: number; seconds: number; epochs: number };
  /** Fine-tuned minus scratch accuracy, in percentage points. */
  margin: number;
}

export interface CompareOptions {
  /** Score on this source (eval's part); default the part the run reports on (its test split, else validation). */
  source?: TaskSource<Batch>;
  scored?: string;
  log?: (line: string) => void;
}

/** Trains the scratch twin of a checkpoint's model and scores both. Writes compare-scratch.json into the run folder. */
export async function compareWithScratch(checkpoint: string, o: CompareOptions = {}): Promise<ScratchComparison> {
  const opened = openCheckpointModel(checkpoint);
  const recipe = opened.recipe;
  const record = (opened.checkpoint.state.config as { transfer?: TransferRecord }).transfer;
  const data = await prepareData(recipe, opened.storedSplit);
  try {
    manualSeed(recipe.seed);
    let model: Module;
    let optimizer;
    if (record) {
      const twin = rebuildTransferModel(record, data.inputShape, data.classes.length); // a built body has random weights…
      if (twin.body instanceof OnnxModel) twin.body.resetParameters(); // …but an imported graph arrives with the file's
      model = twin;
      optimizer = groupedOptimizer(discriminativeGroups(model as TransferNet, { lrMult: 1 }), { optimizer: recipe.optimizer, lr: recipe.lr, momentum: recipe.momentum, weightDecay: recipe.weightDecay });
    } else {
      model = buildClassifier(recipe.model, { inputShape: data.inputShape, numClasses: data.classes.length });
      optimizer = buildOptimizer(model, recipe);
    }
    const scheduler = new OneCycleLR(optimizer, { maxLr: recipe.lr, totalSteps: Math.max(2, recipe.epochs * data.train.batchesPerEpoch) });
    const trainer = new Trainer({ model, optimizer, scheduler, classes: data.classes });
    o.log?.(`training the scratch twin: same architecture from random weights, ${recipe.epochs} epochs, batch ${recipe.batchSize}, ${recipe.optimizer} one cycle to lr ${recipe.lr}`);
    const started = performance.now();
    await trainer.fit(data.train, { epochs: recipe.epochs });
    const seconds = (performance.now() - started) / 1000;
    const source = o.source ?? data.test ?? data.val;
    const scored = o.scored ?? (data.test || data.valIsTest ? "the dataset's test split" : "the run's validation part");
    const tuned = await evaluateClassifier(opened.model, source);
    const scratch = await evaluateClassifier(model, source);
    const result: ScratchComparison = {
      scored,
      count: tuned.count,
      fineTuned: { accuracy: tuned.accuracy, loss: tuned.loss, from: record?.from ?? null },
      scratch: { accuracy: scratch.accuracy, loss: scratch.loss, seconds, epochs: recipe.epochs },
      margin: (tuned.accuracy - scratch.accuracy) * 100,
    };
    const runDir = dirname(dirname(resolve(checkpoint)));
    if (existsSync(join(runDir, 'config.json'))) writeFileAtomic(join(runDir, 'compare-scratch.json'), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await data.close();
  }
}

/** The comparison as the lines the CLI prints. */
export function formatScratchComparison(c: ScratchComparison): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  return [
    `Against training from scratch (same architecture, data, epochs and learning rate; scored on ${c.scored}, ${c.count} images):`,
    `  ${c.fineTuned.from ? `fine-tuned from ${c.fineTuned.from}` : 'this model'}: accuracy ${pct(c.fineTuned.accuracy)}, loss ${c.fineTuned.loss.toFixed(4)}`,
    `  from scratch (${c.scratch.epochs} epochs, ${c.scratch.seconds.toFixed(1)} s): accuracy ${pct(c.scratch.accuracy)}, loss ${c.scratch.loss.toFixed(4)}`,
    `  margin: ${c.margin >= 0 ? '+' : ''}${c.margin.toFixed(2)} points`,
  ].join('\n');
}
