import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { manualSeed, randn, tensor } from '../../src/index.ts';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../../src/io/safetensors.ts';
import { Linear, Sequential } from '../../src/nn/index.ts';
import { SGD } from '../../src/optim/index.ts';
import { loadCheckpoint, loadWeights, saveCheckpoint, saveWeights } from '../../src/train/checkpoint.ts';

describe('safetensors', () => {
  test('round trip of every dtype with metadata, and the layout the format specifies', () => {
    const tensors = new Map([
      [
        'w',
        tensor([
          [1.5, -2],
          [3, 4],
        ]),
      ],
      ['idx', tensor([7, -1, 3], 'int32')],
      ['px', tensor([0, 255, 128], 'uint8')],
    ]);
    const bytes = encodeSafetensors(tensors, { note: 'hello' });
    const headerLen = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString());
    assert.deepEqual(header.w, { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
    assert.deepEqual(header.idx, { dtype: 'I32', shape: [3], data_offsets: [16, 28] });
    assert.equal((8 + headerLen) % 8, 0, 'data section is 8-byte aligned');
    const { tensors: back, metadata } = decodeSafetensors(bytes);
    assert.deepEqual(metadata, { note: 'hello' });
    for (const [k, t] of tensors) {
      assert.deepEqual(back.get(k)?.data, t.data);
      assert.deepEqual(back.get(k)?.shape, t.shape);
    }
  });

  test('truncated, tampered and hostile files fail with a clear message', () => {
    const good = encodeSafetensors(new Map([['w', randn([4, 4])]]));
    assert.throws(() => decodeSafetensors(good.subarray(0, 5), 'm.safetensors'), /m.safetensors: the file is 5 bytes long, too short/);
    assert.throws(() => decodeSafetensors(good.subarray(0, good.length - 4)), /ends at byte 64 but the data section has only 60 bytes; the file is truncated/);
    assert.throws(() => decodeSafetensors(good.subarray(0, 20)), /the header needs \d+ bytes but only 12 follow; the file is truncated/);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(2n ** 40n, 0);
    assert.throws(() => decodeSafetensors(huge), /header length \d+ is implausible/);
    const tamper = (header: object) => {
      const json = Buffer.from(JSON.stringify(header));
      const b = Buffer.alloc(8 + json.length + 64);
      b.writeBigUInt64LE(BigInt(json.length), 0);
      json.copy(b, 8);
      return b;
    };
    assert.throws(() => decodeSafetensors(tamper({ w: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } })), /dtype "F64"/);
    assert.throws(
      () => decodeSafetensors(tamper({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } })),
      /spans 8 bytes but shape \[3\] of float32 needs 12/,
    );
    assert.throws(
      () => decodeSafetensors(tamper({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } })),
      /overlap/,
    );
    // A null (or non-object) tensor entry is a message naming the file, not "Cannot read properties of null".
    for (const entry of [null, 3, 'F32', [1, 2]])
      assert.throws(
        () => decodeSafetensors(tamper({ w: entry }), 'n.safetensors'),
        /^SafetensorsError: n.safetensors: tensor 'w' is described by .*, not by an object with dtype, shape and data_offsets/,
      );
    assert.throws(() => decodeSafetensors(tamper({ __metadata__: ['a'] }), 'n.safetensors'), /n.safetensors: __metadata__ must be an object/);
    const notJson = Buffer.from(good);
    notJson[8] = 0x7b + 1; // break the opening brace
    assert.throws(() => decodeSafetensors(notJson), SafetensorsError);
  });
});

describe('checkpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simmer-ckpt-'));

  test('model, optimizer buffers and training state round trip', () => {
    manualSeed(1);
    const model = new Sequential(new Linear(3, 4), new Linear(4, 2));
    const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    for (const p of model.parameters()) p.grad = randn(p.shape as number[]);
    opt.step();
    const path = join(dir, 'last.safetensors');
    const state = {
      config: { model: 'x' },
      epoch: 2,
      batchInEpoch: 5,
      globalStep: 77,
      rng: { s: [1, 2, 3, 4] as [number, number, number, number], spareNormal: null },
      splitSeed: 9,
      optimizer: null,
      scheduler: null,
      history: [],
    };
    saveCheckpoint(path, model, opt.stateDict(), state);
    const ck = loadCheckpoint(path);
    assert.equal(ck.state.globalStep, 77);
    assert.equal(ck.state.splitSeed, 9);
    assert.deepEqual(ck.state.optimizer?.kind, 'SGD');
    const model2 = new Sequential(new Linear(3, 4), new Linear(4, 2));
    model2.loadStateDict(ck.model);
    model2.parameters().forEach((p, i) => assert.deepEqual(p.data, model.parameters()[i].data));
    assert.deepEqual(ck.optimizerBuffers[0].momentum, opt.stateDict().buffers[0].momentum);
    assert.ok(JSON.parse(readFileSync(join(dir, 'last.json'), 'utf8')).epoch === 2, 'a readable JSON copy is written beside it');
  });

  test('a truncated checkpoint or one from another architecture is refused', () => {
    const path = join(dir, 'last.safetensors');
    const bytes = readFileSync(path);
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    assert.throws(() => loadCheckpoint(cut), /truncated/);
    const other = new Sequential(new Linear(3, 5), new Linear(5, 2));
    assert.throws(() => other.loadStateDict(loadCheckpoint(path).model), /'0.weight' has shape \[4, 3\] in the checkpoint but \[5, 3\]/);
    assert.throws(() => loadCheckpoint(join(dir, 'nope.safetensors')), /does not exist/);
    const weights = join(dir, 'w.safetensors');
    saveWeights(weights, other);
    assert.throws(() => loadCheckpoint(weights), /not a Simmer checkpoint/);
    const again = new Sequential(new Linear(3, 5), new Linear(5, 2));
    loadWeights(weights, again);
    assert.deepEqual(again.parameters()[0].data, other.parameters()[0].data);
  });
});
