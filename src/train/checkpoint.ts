/**
 * Checkpoints: one safetensors file holding the model's tensors ("model.*") and the optimizer's buffers ("optim.*"),
 * with everything else — config, optimizer scalars, schedule, RNG state, split seed, epoch, step, metrics — as JSON in
 * its metadata. One file written atomically means a crash leaves either the old checkpoint or the new one, never half.
 * A readable copy of the JSON is written beside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.ts';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.ts';
import type { Module } from '../nn/module.ts';
import type { OptimizerState } from '../optim/optimizer.ts';
import type { SchedulerState } from '../optim/schedule.ts';
import type { RngState } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';

export const CHECKPOINT_FORMAT = 'simmer-checkpoint/1';

/** Everything besides tensors that a run needs to continue exactly where it stopped. */
export interface TrainingState {
  /** How the model and data were built (model name, input shape, classes, dataset, hyper-parameters). */
  config: Record<string, unknown>;
  /** Completed epochs. */
  epoch: number;
  /** Batches completed in the current epoch (0 at an epoch boundary). */
  batchInEpoch: number;
  globalStep: number;
  rng: RngState;
  /** Seed of the train/validation split, so a resumed run sees the same split. */
  splitSeed: number;
  optimizer: Omit<OptimizerState, 'buffers'> | null;
  scheduler: SchedulerState | null;
  /** Per-epoch metrics so far. */
  history: Record<string, unknown>[];
  /** Loss/metric sums of the epoch in progress, so its summary is right after a mid-epoch resume. */
  partialEpoch?: Record<string, number>;
  best?: { metric: string; value: number; epoch: number };
}

export interface Checkpoint {
  state: TrainingState;
  model: Map<string, Tensor>;
  optimizerBuffers: Record<string, Float32Array>[];
}

export function saveCheckpoint(path: string, model: Module, optimizer: OptimizerState | null, state: TrainingState): void {
  const tensors = new Map<string, Tensor>();
  for (const [k, v] of model.stateDict()) tensors.set(`model.${k}`, v);
  if (optimizer) {
    optimizer.buffers.forEach((bufs, i) => {
      for (const [name, data] of Object.entries(bufs)) tensors.set(`optim.${i}.${name}`, new Tensor(data, [data.length]));
    });
  }
  const full: TrainingState = { ...state, optimizer: optimizer ? { kind: optimizer.kind, groups: optimizer.groups, scalars: optimizer.scalars } : null };
  const json = JSON.stringify(full);
  writeFileAtomic(path, encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, state: json }));
  writeFileAtomic(path.replace(/\.safetensors$/, '.json'), `${JSON.stringify(full, null, 2)}\n`);
}

export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path))
    throw new Error(`checkpoint ${path} does not exist; pass a .safetensors file written by simmer train (runs/<id>/checkpoints/last.safetensors)`);
  const { tensors, metadata } = decodeSafetensors(readFileSync(path), path);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `${path}: not a Simmer checkpoint (metadata format is ${JSON.stringify(metadata.format)}, expected '${CHECKPOINT_FORMAT}'); to load plain weights use loadWeights()`,
    );
  }
  let state: TrainingState;
  try {
    state = JSON.parse(metadata.state);
  } catch (e) {
    throw new Error(`${path}: the training state in the checkpoint is not valid JSON (${(e as Error).message}); the file was tampered with`);
  }
  for (const key of ['epoch', 'batchInEpoch', 'globalStep', 'splitSeed'] as const) {
    if (!Number.isInteger(state[key]) || (state[key] as number) < 0)
      throw new Error(`${path}: the checkpoint's ${key} is ${JSON.stringify(state[key])}, expected a non-negative integer`);
  }
  const model = new Map<string, Tensor>();
  const optimizerBuffers: Record<string, Float32Array>[] = (state.optimizer?.scalars ?? []).map(() => ({}));
  for (const [name, t] of tensors) {
    if (name.startsWith('model.')) model.set(name.slice(6), t);
    else if (name.startsWith('optim.')) {
      const m = /^optim\.(\d+)\.(.+)$/.exec(name);
      const index = m ? Number(m[1]) : -1;
      if (!m || index >= optimizerBuffers.length) throw new Error(`${path}: unexpected optimizer tensor '${name}'; the file was tampered with`);
      optimizerBuffers[index][m[2]] = t.f32;
    } else throw new Error(`${path}: unexpected tensor '${name}' (expected model.* or optim.*)`);
  }
  return { state, model, optimizerBuffers };
}

/** Saves only a model's weights (for sharing or export). */
export function saveWeights(path: string, model: Module, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(model.stateDict(), metadata));
}

/** Loads weights saved by saveWeights or a checkpoint into a model (strict key and shape checks). */
export function loadWeights(path: string, model: Module): void {
  const { tensors, metadata } = decodeSafetensors(readFileSync(path), path);
  if (metadata.format === CHECKPOINT_FORMAT) {
    model.loadStateDict(new Map([...tensors].filter(([k]) => k.startsWith('model.')).map(([k, v]) => [k.slice(6), v])));
  } else model.loadStateDict(tensors);
}
