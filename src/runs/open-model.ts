/**
 * Rebuilds a trained model from a checkpoint alone: its config names the model, input shape and classes. The opened
 * model also turns image files into its input exactly as training did (preprocess), and says what is suspicious about
 * the weights (warnings: NaN or Infinity, from a run that diverged before the guard existed or a file edited since).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readSplitRecord, type SplitRecord } from '../data/split.ts';
import { buildClassifier, CLASSIFIERS } from '../models/classifiers.ts';
import type { Module } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { type Checkpoint, loadCheckpoint } from '../train/checkpoint.ts';
import { checkModelConfig, loadCheckedWeights } from '../train/checkpoint-validate.ts';
import { nonFiniteTensor } from '../train/trainer.ts';
import { preprocessFiles } from './preprocess.ts';
import type { TransferRecord } from '../transfer/fine-tune.ts';
import { rebuildTransferModel } from './transfer.ts';
import type { Recipe } from './recipe.ts';

export interface OpenedModel {
  model: Module;
  classes: string[];
  inputShape: [number, number, number];
  recipe: Recipe;
  checkpoint: Checkpoint;
  /**
   * The train/validation split of the run that wrote the checkpoint (runs/<id>/split.json beside config.json, for a
   * checkpoint in runs/<id>/checkpoints/), or null when the run made none or the checkpoint was moved out of its run.
   */
  storedSplit: SplitRecord | null;
  /** Problems a caller should show before trusting the model's outputs (empty when there are none). */
  warnings: string[];
  /** Image files as one input batch [N, C, H, W], decoded and resized with the dataset's policy. */
  preprocess(paths: readonly string[]): Promise<Tensor>;
}

export function openCheckpointModel(path: string): OpenedModel {
  const checkpoint = loadCheckpoint(path);
  // Checked against the stored weights before anything is built at the size the config claims.
  const recipe = (checkpoint.state.config as { recipe: Recipe }).recipe;
  // A fine-tuned model (simmer train --from) is rebuilt from the transfer record its run stored.
  const transfer = (checkpoint.state.config as { transfer?: TransferRecord }).transfer;
  const build = (inputShape: [number, number, number], numClasses: number) =>
    transfer ? rebuildTransferModel(transfer, inputShape, numClasses) : buildClassifier(recipe.model, { inputShape, numClasses });
  const config = checkModelConfig(checkpoint.state.config, checkpoint.model, path, build, CLASSIFIERS);
  const model = build(config.inputShape, config.classes.length);
  loadCheckedWeights(model, checkpoint.model, path);
  model.eval();
  const bad = nonFiniteTensor(model);
  const warnings = bad === undefined ? [] : [`${path}: the weights hold NaN or Infinity (first in '${bad}'); the run diverged, so its outputs mean nothing. Train again with a lower learning rate`];
  const opened: OpenedModel = {
    model,
    classes: config.classes,
    inputShape: config.inputShape,
    recipe,
    checkpoint,
    storedSplit: storedSplitOf(path),
    warnings,
    preprocess: (paths) => preprocessFiles(opened, paths),
  };
  return opened;
}

/** The split.json of the run a checkpoint belongs to: runs/<id>/checkpoints/x.safetensors → runs/<id>/split.json. */
function storedSplitOf(checkpointPath: string): SplitRecord | null {
  const runDir = dirname(dirname(resolve(checkpointPath)));
  const file = join(runDir, 'split.json');
  if (!existsSync(join(runDir, 'config.json')) || !existsSync(file)) return null;
  return readSplitRecord(file);
}
