/**
 * DQN's TD targets, computed as a loop over the batch, against the tensor-op formula they replaced
 * (r + γ·(1 − done)·gather(Q′, a′)): equal bit for bit, for picked actions (double DQN) and for the row max.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../../src/ops/index.ts';
import { noGrad } from '../../src/autograd/grad-mode.ts';
import { gather } from '../../src/ops/shape.ts';
import { tdTargets } from '../../src/rl/agents/dqn.ts';
import { greedyActions } from '../../src/rl/nets.ts';
import { Generator } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

test('tdTargets equals the tensor ops bit for bit (double DQN pick and plain max)', () => {
  const gen = new Generator(7);
  for (const [b, actions] of [
    [1, 2],
    [17, 3],
    [64, 2],
  ]) {
    const rewards = new Tensor(
      Float32Array.from({ length: b }, () => gen.uniform() * 3 - 1),
      [b, 1],
    );
    const dones = new Tensor(
      Float32Array.from({ length: b }, () => (gen.uniform() < 0.3 ? 1 : 0)),
      [b, 1],
    );
    const nextQ = new Tensor(
      Float32Array.from({ length: b * actions }, () => gen.uniform() * 200 - 50),
      [b, actions],
    );
    const picked = Int32Array.from({ length: b }, () => gen.int(0, actions));
    const gamma = 0.99;
    const viaOps = (value: Tensor) => noGrad(() => rewards.add(dones.neg().add(1).mul(value).mul(gamma)));
    const pickedValue = gather(nextQ, 1, new Tensor(picked, [b, 1]));
    assert.deepEqual([...tdTargets(rewards.f32, dones.f32, nextQ.f32, picked, gamma).f32], [...viaOps(pickedValue).f32]);
    assert.deepEqual([...tdTargets(rewards.f32, dones.f32, nextQ.f32, greedyActions(nextQ), gamma).f32], [...viaOps(nextQ.max(1, true)).f32]);
  }
});
