/** Rebuilds a trained model from a checkpoint alone: its config names the model, input shape and classes. */
import { buildClassifier } from '../models/classifiers.ts';
import type { Module } from '../nn/module.ts';
import { type Checkpoint, loadCheckpoint } from '../train/checkpoint.ts';
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
  const config = checkpoint.state.config as { recipe?: Recipe; classes?: string[]; inputShape?: [number, number, number] };
  if (!config.recipe || !Array.isArray(config.classes) || !Array.isArray(config.inputShape)) {
    throw new Error(`${path}: the checkpoint does not record its model, classes and input shape; it was not written by simmer train`);
  }
  const model = buildClassifier(config.recipe.model, { inputShape: config.inputShape, numClasses: config.classes.length });
  model.loadStateDict(checkpoint.model);
  model.eval();
  return { model, classes: config.classes, inputShape: config.inputShape, recipe: config.recipe, checkpoint };
}
