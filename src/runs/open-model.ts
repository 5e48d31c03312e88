/** Rebuilds a trained model from a checkpoint alone: its config names the model, input shape and classes. */
import { buildClassifier } from '../models/classifiers.ts';
import type { Module } from '../nn/module.ts';
import { type Checkpoint, loadCheckpoint } from '../train/checkpoint.ts';
import { checkModelConfig } from '../train/checkpoint-validate.ts';
import type { Recipe } from './recipe.ts';

export interface OpenedModel {
  model: Module;
  classes: string[];
  inputShape: [number, number, number];
  recipe: Recipe;
  checkpoint: Checkpoint;
}

export function openCheckpointModel(path: string): OpenedModel {
  const checkpoint = loadCheckpoint(path);
  // Checked against the stored weights before anything is built at the size the config claims.
  const config = checkModelConfig(checkpoint.state.config, checkpoint.model, path, (inputShape, numClasses) =>
    buildClassifier((checkpoint.state.config as { recipe: Recipe }).recipe.model, { inputShape, numClasses }),
  );
  const recipe = (checkpoint.state.config as { recipe: Recipe }).recipe;
  const model = buildClassifier(recipe.model, { inputShape: config.inputShape, numClasses: config.classes.length });
  model.loadStateDict(checkpoint.model);
  model.eval();
  return { model, classes: config.classes, inputShape: config.inputShape, recipe, checkpoint };
}
