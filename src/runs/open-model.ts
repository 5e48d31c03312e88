/** Rebuilds a trained model from a checkpoint alone: its config names the model, input shape and classes. */
import { buildClassifier, CLASSIFIERS } from '../models/classifiers.ts';
import type { Module } from '../nn/module.ts';
import { type Checkpoint, loadCheckpoint } from '../train/checkpoint.ts';
import { checkModelConfig, loadCheckedWeights } from '../train/checkpoint-validate.ts';
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
  const recipe = (checkpoint.state.config as { recipe: Recipe }).recipe;
  const build = (inputShape: [number, number, number], numClasses: number) => buildClassifier(recipe.model, { inputShape, numClasses });
  const config = checkModelConfig(checkpoint.state.config, checkpoint.model, path, build, CLASSIFIERS);
  const model = buildClassifier(recipe.model, { inputShape: config.inputShape, numClasses: config.classes.length });
  loadCheckedWeights(model, checkpoint.model, path);
  model.eval();
  return { model, classes: config.classes, inputShape: config.inputShape, recipe, checkpoint };
}
