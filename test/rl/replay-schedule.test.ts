/** The replay buffer (ring overwrite, seeded uniform sampling, batch shapes, state round trip) and the ε schedule. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplayBuffer } from '../../src/rl/replay-buffer.ts';
import { linearSchedule } from '../../src/rl/schedule.ts';
import { Generator } from '../../src/tensor/random.ts';

describe('replay buffer', () => {
  test('stores up to capacity, then overwrites the oldest', () => {
    const buf = new ReplayBuffer(3, 2);
    for (let i = 0; i < 5; i++) buf.add([i, -i], i % 2, i * 10, [i + 1, -i - 1], i === 4);
    assert.equal(buf.size, 3);
    assert.equal(buf.position, 2);
    // Slots hold transitions 3, 4, 2 (0 and 1 were overwritten).
    assert.deepEqual([...buf.rewards], [30, 40, 20]);
    assert.deepEqual([...buf.observations], [3, -3, 4, -4, 2, -2]);
    assert.deepEqual([...buf.dones], [0, 1, 0]);
  });

  test('samples uniformly with replacement from what is stored, reproducibly, as [B, …] tensors', () => {
    const buf = new ReplayBuffer(100, 4);
    for (let i = 0; i < 10; i++) buf.add([i, i, i, i], i % 3, i, [i + 1, 0, 0, 0], false);
    const a = buf.sample(1000, new Generator(5));
    const b = buf.sample(1000, new Generator(5));
    assert.deepEqual([...a.rewards.f32], [...b.rewards.f32]);
    assert.deepEqual(a.observations.shape, [1000, 4]);
    assert.deepEqual(a.actions.shape, [1000, 1]);
    assert.equal(a.actions.dtype, 'int32');
    const counts = new Array(10).fill(0);
    for (let k = 0; k < 1000; k++) {
      const i = a.rewards.f32[k];
      counts[i]++;
      assert.equal(a.observations.f32[k * 4], i, 'each row is one stored transition');
      assert.equal(a.nextObservations.f32[k * 4], i + 1);
      assert.equal(a.actions.data[k], i % 3);
    }
    for (const c of counts) assert.ok(c > 60 && c < 140, `roughly uniform: ${counts}`);
    assert.throws(() => new ReplayBuffer(4, 2).sample(1, new Generator(0)), /empty/);
  });

  test('state dict round trip', () => {
    const buf = new ReplayBuffer(4, 1);
    for (let i = 0; i < 6; i++) buf.add([i], 0, i, [i], false);
    const s = buf.stateDict();
    const copy = new ReplayBuffer(4, 1);
    copy.loadStateDict(s.tensors, s.json);
    assert.deepEqual([...copy.rewards], [...buf.rewards]);
    assert.equal(copy.position, buf.position);
    assert.equal(copy.size, 4);
  });
});

describe('ε schedule', () => {
  test('linear from start to end over the duration, then flat', () => {
    const eps = linearSchedule(1, 0.05, 10_000);
    assert.equal(eps(0), 1);
    assert.ok(Math.abs(eps(5_000) - 0.525) < 1e-12);
    assert.ok(Math.abs(eps(10_000) - 0.05) < 1e-12);
    assert.ok(Math.abs(eps(1e9) - 0.05) < 1e-12);
    assert.throws(() => linearSchedule(1, 0, 0), /duration/);
  });
});
