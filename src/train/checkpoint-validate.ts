/**
 * Checking what a checkpoint says before acting on it. A checkpoint's JSON (training state, model config) is read from
 * a file anyone can edit, so nothing in it is trusted: the state must be an object with the right fields, and the
 * config must name a model, its classes and an input shape that fit the weights actually stored — checked before the
 * model is built, because building allocates (an edited inputShape used to allocate a gigabyte before any check).
 * Every refusal is a CheckpointError naming the file, what is wrong and what to do.
 * @example
 *   const checkpoint = loadCheckpoint(path);
 *   const config = checkModelConfig(checkpoint.state.config, checkpoint.model, path, (inputShape, numClasses) =>
 *     buildClassifier(name, { inputShape, numClasses }));
 *   const model = buildClassifier(config.model, { inputShape: config.inputShape, numClasses: config.classes.length });
 */
import { describeJsonError } from '../data/errors.ts';
import type { Module } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { Checkpoint, TrainingState } from './checkpoint.ts';

/** A checkpoint that cannot be used as it is: `path` names the file. */
export class CheckpointError extends Error {
  readonly path: string;
  constructor(path: string, problem: string, fix: string) {
    super(`${path}: ${problem}\n  fix: ${fix}`);
    this.name = 'CheckpointError';
    this.path = path;
  }
}

/** The fix for a checkpoint whose contents were edited or damaged. */
export const TAMPERED_FIX = 'use an unedited checkpoint (a run folder keeps checkpoints/last.safetensors and best.safetensors), or train again';

/** Largest accepted image side and class count in a checkpoint's config (far beyond what Simmer trains). */
export const MAX_INPUT_SIDE = 4096;
export const MAX_CLASSES = 100_000;

/**
 * Parses and checks the training state stored in a checkpoint's metadata (`metadata.state`): a JSON object with
 * non-negative integer counters, an object config, and optimizer/history fields of the right kinds.
 */
export function parseTrainingState(json: string | undefined, path: string): TrainingState {
  if (typeof json !== 'string') throw new CheckpointError(path, 'the checkpoint has no training state in its metadata', TAMPERED_FIX);
  let state: unknown;
  try {
    state = JSON.parse(json);
  } catch (e) {
    throw new CheckpointError(path, `the training state in the checkpoint is not valid JSON (${describeJsonError(e, json)})`, TAMPERED_FIX);
  }
  if (typeof state !== 'object' || state === null || Array.isArray(state))
    throw new CheckpointError(
      path,
      `the training state is ${state === null ? 'null' : Array.isArray(state) ? 'an array' : typeof state}, not an object`,
      TAMPERED_FIX,
    );
  const s = state as Record<string, unknown>;
  for (const key of ['epoch', 'batchInEpoch', 'globalStep', 'splitSeed']) {
    if (!Number.isSafeInteger(s[key]) || (s[key] as number) < 0)
      throw new CheckpointError(path, `the checkpoint's ${key} is ${JSON.stringify(s[key])}, expected a non-negative integer`, TAMPERED_FIX);
  }
  if (typeof s.config !== 'object' || s.config === null || Array.isArray(s.config))
    throw new CheckpointError(path, `the checkpoint has no config (it is ${JSON.stringify(s.config)}), so the model it holds is unknown`, TAMPERED_FIX);
  const opt = s.optimizer;
  if (opt !== null && opt !== undefined && (typeof opt !== 'object' || Array.isArray(opt) || !Array.isArray((opt as { scalars?: unknown }).scalars)))
    throw new CheckpointError(path, `the checkpoint's optimizer state is malformed (${JSON.stringify(opt).slice(0, 80)})`, TAMPERED_FIX);
  const named = s.optimizers;
  if (
    named !== undefined &&
    (typeof named !== 'object' ||
      named === null ||
      Array.isArray(named) ||
      !Object.values(named).every((o) => typeof o === 'object' && o !== null && Array.isArray((o as { scalars?: unknown }).scalars)))
  )
    throw new CheckpointError(path, `the checkpoint's further optimizers are malformed (${JSON.stringify(named).slice(0, 80)})`, TAMPERED_FIX);
  if (s.history !== undefined && !Array.isArray(s.history)) throw new CheckpointError(path, "the checkpoint's history is not a list", TAMPERED_FIX);
  return state as TrainingState;
}

/** What a classifier checkpoint's config must say. */
export interface ModelConfig {
  model: string;
  classes: string[];
  inputShape: [number, number, number];
}

/** Builds the named model for an input shape and class count (the caller's zoo; src/train does not import it). */
export type BuildModel = (inputShape: [number, number, number], numClasses: number) => Module;

const countOf = (tensors: Iterable<Tensor>) => {
  let n = 0;
  for (const t of tensors) n += t.size;
  return n;
};

/**
 * Checks a checkpoint's config against the weights it stores, without building the model at the size the config
 * claims: the model is built at two small probe sizes and its parameter count extrapolated (it grows at most linearly
 * with H·W and with the class count), and a config whose model would be far larger than the stored weights is refused.
 * Then the caller builds the model, and loadStateDict checks every shape exactly.
 */
export function checkModelConfig(config: unknown, stored: Map<string, Tensor>, path: string, build: BuildModel, knownModels?: readonly string[]): ModelConfig {
  const c = (config ?? {}) as { recipe?: { model?: unknown }; classes?: unknown; inputShape?: unknown };
  if (typeof config !== 'object' || config === null || typeof c.recipe !== 'object' || c.recipe === null || typeof c.recipe.model !== 'string')
    throw new CheckpointError(path, 'the checkpoint does not record which model it holds (config.recipe.model)', TAMPERED_FIX);
  const classes = c.classes;
  if (!Array.isArray(classes) || classes.length < 1 || classes.length > MAX_CLASSES || !classes.every((x) => typeof x === 'string'))
    throw new CheckpointError(
      path,
      `the checkpoint's classes are ${JSON.stringify(classes)?.slice(0, 80)}; expected a list of 1 to ${MAX_CLASSES} class names`,
      TAMPERED_FIX,
    );
  const shape = c.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isSafeInteger(d) && d >= 1))
    throw new CheckpointError(
      path,
      `the checkpoint's inputShape is ${JSON.stringify(shape)}; expected [channels, height, width] of positive integers`,
      TAMPERED_FIX,
    );
  const [ch, h, w] = shape as [number, number, number];
  if (![1, 3].includes(ch) || h > MAX_INPUT_SIDE || w > MAX_INPUT_SIDE)
    throw new CheckpointError(
      path,
      `the checkpoint's inputShape ${JSON.stringify(shape)} is out of range (1 or 3 channels, sides up to ${MAX_INPUT_SIDE})`,
      TAMPERED_FIX,
    );
  const model = c.recipe.model;
  if (knownModels && !knownModels.includes(model))
    throw new CheckpointError(
      path,
      `the checkpoint names model '${model.slice(0, 40)}', which Simmer does not have (it has ${knownModels.join(', ')})`,
      TAMPERED_FIX,
    );
  const storedCount = countOf(stored.values());
  if (storedCount === 0) throw new CheckpointError(path, 'the checkpoint stores no model weights', TAMPERED_FIX);
  // Small claims are built as they are; large ones are first estimated from two probes.
  const probeSide = 32;
  if (h * w > 2 * probeSide * probeSide * 4 || classes.length > 1000) {
    const count = (side: number, k: number) => {
      try {
        return countOf(build([ch, side, side], k).stateDict().values());
      } catch (e) {
        throw new CheckpointError(path, `the checkpoint names a model that cannot be built (${(e as Error).message.split('\n')[0]})`, TAMPERED_FIX);
      }
    };
    const small = count(probeSide, 2);
    const perPixel = Math.max(0, (count(2 * probeSide, 2) - small) / (3 * probeSide * probeSide));
    const perClass = Math.max(0, count(probeSide, 3) - small);
    const estimate = small + perPixel * (h * w - probeSide * probeSide) + perClass * (classes.length - 2);
    if (estimate > 2 * storedCount + 1_000_000)
      throw new CheckpointError(
        path,
        `its config (model ${model}, inputShape ${JSON.stringify(shape)}, ${classes.length} classes) describes a model of about ` +
          `${Math.round(estimate).toLocaleString('en-US')} values, but the file stores ${storedCount.toLocaleString('en-US')}: the config does not belong to these weights`,
        TAMPERED_FIX,
      );
  }
  return { model, classes: classes as string[], inputShape: [ch, h, w] };
}

/**
 * Refuses to resume from a checkpoint that lacks what resuming needs — the optimizer's state — so a
 * resumed run does not silently restart its optimizer from zero.
 */
export function checkResumable(checkpoint: Checkpoint, path: string): void {
  const opt = checkpoint.state.optimizer;
  const fix =
    'resume from the run’s own checkpoints/last.safetensors, or start a new run (simmer train) — a checkpoint without optimizer state can be evaluated but not resumed';
  if (!opt) throw new CheckpointError(path, 'the checkpoint holds no optimizer state, so training cannot resume exactly where it stopped', fix);
}

/** Loads a checkpoint's stored weights into the model built from its config; a mismatch is a CheckpointError naming the file. */
export function loadCheckedWeights(model: Module, stored: Map<string, Tensor>, path: string): void {
  try {
    model.loadStateDict(stored);
  } catch (e) {
    throw new CheckpointError(
      path,
      `the stored weights do not fit the model its config describes (${(e as Error).message.replace(/^loadStateDict: /, '')})`,
      TAMPERED_FIX,
    );
  }
}

/** An optimizer buffer stored in a checkpoint: float32, or a CheckpointError naming the file. */
export function optimizerBuffer(t: Tensor, name: string, path: string): Float32Array {
  if (!(t.data instanceof Float32Array)) throw new CheckpointError(path, `optimizer tensor '${name}' is ${t.dtype}, expected float32`, TAMPERED_FIX);
  return t.data;
}
