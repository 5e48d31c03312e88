/**
 * Fuzzing safetensors and checkpoints: thousands of byte mutations of a valid file, and thousands of structural edits
 * of its JSON header (fields set to null, negative, huge or wrong-typed values, removed, duplicated) re-encoded with a
 * consistent header length so they reach the field checks. Checkpoints are fuzzed through files, opened all the way
 * to a model: their training state and config are edited the same way. Each input is accepted correctly or refused
 * with a project error naming the file; the peak RSS stays within 256 MB.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.ts';
import { buildClassifier } from '../../src/models/classifiers.ts';
import { openCheckpointModel } from '../../src/runs/open-model.ts';
import { saveCheckpoint, type TrainingState } from '../../src/train/checkpoint.ts';
import { randn, tensor } from '../../src/index.ts';
import { SGD } from '../../src/optim/index.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { FuzzRng, judge, MemoryWatch, mutate, mutateJson, newTally, summary } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'simmer-fuzz-st-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SEED = 1202;
const RUNS = 3000;

/** A safetensors file from a header object and a data section, with the header length set right. */
function withHeader(header: unknown, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header) ?? 'null');
  const out = Buffer.alloc(8 + json.length + data.length);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  out.set(data, 8 + json.length);
  return out;
}

function split(bytes: Uint8Array): { header: unknown; data: Uint8Array } {
  const len = Number(Buffer.from(bytes).readBigUInt64LE(0));
  return { header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + len)).toString('utf8')), data: bytes.subarray(8 + len) };
}

const good = encodeSafetensors(
  new Map([
    ['w', randn([4, 3])],
    ['b', tensor([1, 2, 3, 4])],
    ['ids', new Tensor(Int32Array.of(1, 2, 3), [3])],
    ['mask', new Tensor(Uint8Array.of(1, 0), [2])],
  ]),
  { note: 'fuzz' },
);
const { header: goodHeader, data: goodData } = split(good);

function checkDecoded(out: ReturnType<typeof decodeSafetensors>): void {
  for (const [name, t] of out.tensors) {
    assert.equal(
      t.data.length,
      t.shape.reduce((a, b) => a * b, 1),
      `tensor ${name}`,
    );
  }
  for (const v of Object.values(out.metadata)) assert.equal(typeof v, 'string');
}

test(`safetensors: ${RUNS} byte mutations and ${RUNS} header edits`, { timeout: 60_000 }, async (t) => {
  const rng = new FuzzRng(SEED);
  const tally = newTally();
  const memory = new MemoryWatch();
  for (let i = 0; i < 2 * RUNS; i++) {
    const input = i % 2 === 0 ? mutate(rng, good, 200) : withHeader(mutateJson(rng, goodHeader), rng.next() < 0.8 ? goodData : mutate(rng, goodData));
    await judge(`seed ${SEED} #${i}`, 'fuzz.safetensors', () => decodeSafetensors(input, 'fuzz.safetensors'), checkDecoded, tally);
    if (i % 500 === 0) memory.check(`seed ${SEED} #${i}`);
  }
  memory.check('end');
  t.diagnostic(summary(tally));
  assert.ok(tally.refused > RUNS / 2 && tally.accepted > 100, JSON.stringify({ ...tally, kinds: [...tally.kinds] }));
});

test(`checkpoints: ${RUNS} mutated files opened to a model (bytes, training state, config)`, { timeout: 60_000 }, async (t) => {
  const rng = new FuzzRng(SEED + 1);
  const tally = newTally();
  const memory = new MemoryWatch();
  const inputShape: [number, number, number] = [1, 6, 6];
  const classes = ['a', 'b', 'c'];
  const model = buildClassifier('mlp', { inputShape, numClasses: classes.length });
  const state: TrainingState = {
    config: { recipe: { model: 'mlp', epochs: 2 }, classes, inputShape },
    epoch: 1,
    batchInEpoch: 0,
    globalStep: 4,
    rng: { s: [1, 2, 3, 4], spareNormal: null },
    splitSeed: 0,
    optimizer: null,
    scheduler: null,
    history: [{ epoch: 0, loss: 1 }],
  };
  const goodPath = join(dir, 'good.safetensors');
  // With optimizer state (momentum buffers), so the optim.* tensors are fuzzed too.
  const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  for (const p of model.parameters()) p.grad = randn(p.shape as number[]);
  optimizer.step();
  const optState = optimizer.stateDict();
  saveCheckpoint(goodPath, model, optState, { ...state, optimizer: { kind: optState.kind, groups: optState.groups, scalars: optState.scalars } });
  const bytes = new Uint8Array(readFileSync(goodPath));
  const { tensors, metadata } = decodeSafetensors(bytes, goodPath);
  const stateJson = JSON.parse(metadata.state) as Record<string, unknown>;
  const path = join(dir, 'fuzz.safetensors');
  for (let i = 0; i < RUNS; i++) {
    const kind = i % 4;
    let input: Uint8Array;
    if (kind === 0) input = mutate(rng, bytes, 400);
    else if (kind === 1) input = encodeSafetensors(tensors, { ...metadata, state: JSON.stringify(mutateJson(rng, stateJson)) ?? '' });
    else if (kind === 2) {
      // Edits aimed at the config: model name, classes, inputShape.
      const edited = { ...stateJson, config: mutateJson(rng, stateJson.config) };
      input = encodeSafetensors(tensors, { ...metadata, state: JSON.stringify(edited) });
    } else {
      // The state as text, then mutated bytes of that text (cut-short, flipped JSON).
      const text = new TextDecoder().decode(mutate(rng, new TextEncoder().encode(metadata.state), 400));
      input = encodeSafetensors(tensors, { ...metadata, state: text });
    }
    writeFileSync(path, input);
    await judge(
      `seed ${SEED + 1} #${i}`,
      path,
      () => openCheckpointModel(path),
      (opened) => {
        assert.ok(opened.classes.length >= 1);
        const n = opened.model.stateDict().size;
        assert.equal(n, [...tensors.keys()].filter((k) => k.startsWith('model.')).length, 'the model holds exactly the stored model tensors');
      },
      tally,
    );
    if (i % 250 === 0) memory.check(`seed ${SEED + 1} #${i}`);
  }
  memory.check('end');
  t.diagnostic(summary(tally));
  assert.ok(tally.refused > RUNS / 4 && tally.accepted > 50, JSON.stringify({ ...tally, kinds: [...tally.kinds] }));
});
