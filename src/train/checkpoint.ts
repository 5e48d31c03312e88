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
import { CheckpointError, optimizerBuffer, parseTrainingState, TAMPERED_FIX } from './checkpoint-validate.ts';
import type { TaskState } from './task.ts';

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
  /** Further optimizers by name (a GAN's discriminator), their buffers stored as optimizers.<name>.<i>.<buffer>. */
  optimizers?: Record<string, Omit<OptimizerState, 'buffers'>>;
  /** The task's name and its JSON state; its tensors are stored as task.<name>. */
  task?: { name: string; json?: Record<string, unknown> };
}

/** What the Trainer adds to a checkpoint beyond the model and its main optimizer. */
export interface CheckpointExtras {
  optimizers?: Record<string, OptimizerState>;
  task?: { name: string } & TaskState;
}

export interface Checkpoint {
  state: TrainingState;
  model: Map<string, Tensor>;
  optimizerBuffers: Record<string, Float32Array>[];
  /** Buffers of the named further optimizers, in the layout of optimizerBuffers. */
  extraOptimizerBuffers: Record<string, Record<string, Float32Array>[]>;
  /** The task's tensors (TaskState.tensors). */
  taskTensors: Map<string, Tensor>;
}

function optimizerTensors(prefix: string, optimizer: OptimizerState, into: Map<string, Tensor>): void {
  optimizer.buffers.forEach((bufs, i) => {
    for (const [name, data] of Object.entries(bufs)) into.set(`${prefix}.${i}.${name}`, new Tensor(data, [data.length]));
  });
}

const scalarsOnly = (o: OptimizerState): Omit<OptimizerState, 'buffers'> => ({ kind: o.kind, groups: o.groups, scalars: o.scalars });

export function saveCheckpoint(path: string, model: Module, optimizer: OptimizerState | null, state: TrainingState, extras: CheckpointExtras = {}): void {
  const tensors = new Map<string, Tensor>();
  for (const [k, v] of model.stateDict()) tensors.set(`model.${k}`, v);
  if (optimizer) optimizerTensors('optim', optimizer, tensors);
  const full: TrainingState = { ...state, optimizer: optimizer ? scalarsOnly(optimizer) : null };
  if (extras.optimizers && Object.keys(extras.optimizers).length > 0) {
    full.optimizers = {};
    for (const [name, o] of Object.entries(extras.optimizers)) {
      full.optimizers[name] = scalarsOnly(o);
      optimizerTensors(`optimizers.${name}`, o, tensors);
    }
  }
  if (extras.task) {
    full.task = { name: extras.task.name, ...(extras.task.json ? { json: extras.task.json } : {}) };
    for (const [k, v] of extras.task.tensors ?? []) tensors.set(`task.${k}`, v);
  }
  const json = JSON.stringify(full);
  writeFileAtomic(path, encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, state: json }));
  writeFileAtomic(path.replace(/\.safetensors$/, '.json'), `${JSON.stringify(full, null, 2)}\n`);
}

export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path))
    throw new CheckpointError(path, 'the checkpoint does not exist', "pass a .safetensors checkpoint file (a run's checkpoints/last.safetensors)");
  const { tensors, metadata } = decodeSafetensors(readFileSync(path), path);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      path,
      `not a Simmer checkpoint (metadata format is ${JSON.stringify(metadata.format)}, expected '${CHECKPOINT_FORMAT}')`,
      "to load plain weights use loadWeights(); a training checkpoint is a run folder's checkpoints/last.safetensors",
    );
  }
  const state = parseTrainingState(metadata.state, path);
  const model = new Map<string, Tensor>();
  const optimizerBuffers: Record<string, Float32Array>[] = (state.optimizer?.scalars ?? []).map(() => ({}));
  const extraOptimizerBuffers: Record<string, Record<string, Float32Array>[]> = {};
  for (const [name, o] of Object.entries(state.optimizers ?? {})) extraOptimizerBuffers[name] = (o?.scalars ?? []).map(() => ({}));
  const taskTensors = new Map<string, Tensor>();
  for (const [name, t] of tensors) {
    if (name.startsWith('model.')) model.set(name.slice(6), t);
    else if (name.startsWith('task.')) taskTensors.set(name.slice(5), t);
    else if (name.startsWith('optimizers.')) {
      const m = /^optimizers\.(.+)\.(\d+)\.([^.]+)$/.exec(name);
      const list = m ? extraOptimizerBuffers[m[1]] : undefined;
      if (!m || !list || Number(m[2]) >= list.length) throw new CheckpointError(path, `unexpected optimizer tensor '${name}'`, TAMPERED_FIX);
      list[Number(m[2])][m[3]] = optimizerBuffer(t, name, path);
    } else if (name.startsWith('optim.')) {
      const m = /^optim\.(\d+)\.(.+)$/.exec(name);
      const index = m ? Number(m[1]) : -1;
      if (!m || index >= optimizerBuffers.length) throw new CheckpointError(path, `unexpected optimizer tensor '${name}'`, TAMPERED_FIX);
      optimizerBuffers[index][m[2]] = optimizerBuffer(t, name, path);
    } else throw new CheckpointError(path, `unexpected tensor '${name}' (expected model.*, optim.*, optimizers.* or task.*)`, TAMPERED_FIX);
  }
  return { state, model, optimizerBuffers, extraOptimizerBuffers, taskTensors };
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
