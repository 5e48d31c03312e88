/**
 * A checkpoint's JSON is checked before it is acted on: a null state, a missing config, a negative or edited
 * inputShape, and a checkpoint without optimizer state on resume are refused with a CheckpointError naming the file —
 * and an inputShape edited to a huge size is refused without building (was: a gigabyte allocated first).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.ts';
import { buildClassifier } from '../../src/models/classifiers.ts';
import { openCheckpointModel } from '../../src/runs/open-model.ts';
import { loadCheckpoint, saveCheckpoint, type TrainingState } from '../../src/train/checkpoint.ts';
import { CheckpointError, checkModelConfig, checkResumable } from '../../src/train/checkpoint-validate.ts';

const dir = mkdtempSync(join(tmpdir(), 'simmer-ckv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const inputShape: [number, number, number] = [1, 8, 8];
const classes = ['a', 'b', 'c'];
const good = join(dir, 'good.safetensors');
const model = buildClassifier('mlp', { inputShape, numClasses: classes.length });
const state: TrainingState = {
  config: { recipe: { model: 'mlp' }, classes, inputShape },
  epoch: 1,
  batchInEpoch: 0,
  globalStep: 10,
  rng: { s: [1, 2, 3, 4], spareNormal: null },
  splitSeed: 0,
  optimizer: null,
  scheduler: null,
  history: [],
};
saveCheckpoint(good, model, null, state);

let n = 0;
/** A copy of the good checkpoint whose training-state JSON is replaced by `edit(state)` (a string is used as is). */
function edited(edit: (s: Record<string, unknown>) => unknown): string {
  const { tensors, metadata } = decodeSafetensors(readFileSync(good), good);
  const out = edit(JSON.parse(metadata.state));
  const path = join(dir, `edited-${n++}.safetensors`);
  writeFileSync(path, encodeSafetensors(tensors, { ...metadata, state: typeof out === 'string' ? out : JSON.stringify(out) }));
  return path;
}

function refused(fn: () => unknown, path: string, problem: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `a CheckpointError, got ${(e as Error)?.stack}`);
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    assert.match(e.message, problem);
    assert.match(e.message, /fix: \S/);
    assert.doesNotMatch(e.message, /Cannot read properties|Invalid typed array|Unexpected end/);
    return true;
  });
}

test('the good checkpoint opens', () => {
  const opened = openCheckpointModel(good);
  assert.deepEqual(opened.classes, classes);
  assert.deepEqual(opened.inputShape, inputShape);
});

test('a null, non-object or cut-short training state is refused naming the file (was: "Cannot read properties of null")', () => {
  for (const [text, problem] of [
    ['null', /the training state is null, not an object/],
    ['[1]', /is an array/],
    ['{"epoch": 1', /not valid JSON/],
  ] as const) {
    const path = edited(() => text);
    refused(() => loadCheckpoint(path), path, problem);
  }
  const counters = edited((s) => ({ ...s, globalStep: -3 }));
  refused(() => loadCheckpoint(counters), counters, /globalStep is -3/);
  const optimizers = edited((s) => ({ ...s, optimizers: { d: { scalars: 'abc' } } }));
  refused(() => loadCheckpoint(optimizers), optimizers, /further optimizers are malformed/);
});

test('a checkpoint with no config is refused', () => {
  const path = edited((s) => ({ ...s, config: undefined }));
  refused(() => loadCheckpoint(path), path, /has no config/);
  const noModel = edited((s) => ({ ...s, config: { classes, inputShape } }));
  refused(() => openCheckpointModel(noModel), noModel, /does not record which model/);
});

test('a negative, fractional or malformed inputShape, or bad classes, are refused before building', () => {
  for (const [shape, problem] of [
    [[1, -8, 8], /inputShape is \[1,-8,8\]; expected \[channels, height, width\] of positive integers/],
    [[1, 8.5, 8], /positive integers/],
    [[1, 8], /positive integers/],
    [[2, 8, 8], /out of range \(1 or 3 channels/],
    [[1, 100000, 8], /out of range/],
  ] as const) {
    const path = edited((s) => ({ ...s, config: { ...(s.config as object), inputShape: shape } }));
    refused(() => openCheckpointModel(path), path, problem);
  }
  const path = edited((s) => ({ ...s, config: { ...(s.config as object), classes: [] } }));
  refused(() => openCheckpointModel(path), path, /classes are \[\]/);
});

test('an inputShape edited to a huge size is refused from the stored weights, without the allocation (was: 1 GB)', () => {
  const path = edited((s) => ({ ...s, config: { ...(s.config as object), inputShape: [3, 2048, 2048] } }));
  const before = process.memoryUsage().rss;
  refused(() => openCheckpointModel(path), path, /describes a model of about [\d,]+ values, but the file stores [\d,]+/);
  const grew = (process.memoryUsage().rss - before) / 2 ** 20;
  assert.ok(grew < 128, `RSS grew by ${grew.toFixed(0)} MB`);
  // And the check passes the real config of a large model (here: the stored weights of a 3x96x96 mlp).
  const big = buildClassifier('mlp', { inputShape: [3, 96, 96], numClasses: 2 });
  const cfg = checkModelConfig({ recipe: { model: 'mlp' }, classes: ['x', 'y'], inputShape: [3, 96, 96] }, big.stateDict(), 'big.safetensors', (s, k) =>
    buildClassifier('mlp', { inputShape: s, numClasses: k }),
  );
  assert.deepEqual(cfg.inputShape, [3, 96, 96]);
});

test('resuming from a checkpoint without optimizer state is refused (checkResumable)', () => {
  const ck = loadCheckpoint(good);
  refused(() => checkResumable(ck, good), good, /holds no optimizer state/);
});

test('an unknown model name, or weights that do not fit the config, are refused naming the file', () => {
  const unknown = edited((s) => ({ ...s, config: { ...(s.config as object), recipe: { model: 'gpt-9' } } }));
  refused(() => openCheckpointModel(unknown), unknown, /names model 'gpt-9', which Simmer does not have/);
  const moreClasses = edited((s) => ({ ...s, config: { ...(s.config as object), classes: ['a', 'b', 'c', 'd'] } }));
  refused(() => openCheckpointModel(moreClasses), moreClasses, /the stored weights do not fit the model its config describes/);
});
