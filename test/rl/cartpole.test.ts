/**
 * CartPole-v1 against transitions computed by hand from Gymnasium's equations (written out here, in float64, and as
 * exact fractions for the state at rest), its limits (±2.4, ±12°, 500-step truncation, reward 1 on the terminating
 * step), the seeded initial state, and the vectorised wrapper's autoreset.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CartPole } from '../../src/rl/envs/cartpole.ts';
import { VectorEnv } from '../../src/rl/vector-env.ts';

/** One Euler step of the cart-pole, written from the equations (Florian 2007 as in Gymnasium), independently of src. */
function handStep(s: number[], action: number): number[] {
  const [gravity, mc, mp, halfLength, force, tau] = [9.8, 1.0, 0.1, 0.5, action === 1 ? 10 : -10, 0.02];
  const total = mc + mp;
  const [x, xDot, th, thDot] = s;
  const temp = (force + mp * halfLength * thDot * thDot * Math.sin(th)) / total;
  const thAcc = (gravity * Math.sin(th) - Math.cos(th) * temp) / (halfLength * (4 / 3 - (mp * Math.cos(th) ** 2) / total));
  const xAcc = temp - (mp * halfLength * thAcc * Math.cos(th)) / total;
  return [x + tau * xDot, xDot + tau * xAcc, th + tau * thDot, thDot + tau * thAcc];
}

function startAt(env: CartPole, state: number[], elapsed = 0): void {
  env.reset(0);
  const snap = env.snapshot();
  env.restore({ ...snap, state, elapsed });
}

describe('CartPole-v1', () => {
  test('from rest, pushing right: exact fractions (θ̈ = −600/41, ẍ = 4400/451)', () => {
    const env = new CartPole();
    startAt(env, [0, 0, 0, 0]);
    const r = env.step(1);
    const s = env.physicalState as number[];
    assert.equal(s[0], 0);
    assert.ok(Math.abs(s[1] - (0.02 * 4400) / 451) < 1e-15, `ẋ ${s[1]}`);
    assert.equal(s[2], 0);
    assert.ok(Math.abs(s[3] - (0.02 * -600) / 41) < 1e-15, `θ̇ ${s[3]}`);
    assert.deepEqual([...r.observation], [...Float32Array.from(s)], 'observed as float32 of the float64 state');
    assert.equal(r.reward, 1);
    assert.equal(r.terminated, false);
    assert.equal(r.truncated, false);
  });

  test('a tilted, moving state, both actions, several steps: matches the hand step in float64', () => {
    for (const action of [0, 1]) {
      const env = new CartPole();
      let expected = [0.01, -0.02, 0.03, 0.04];
      startAt(env, expected);
      for (let k = 0; k < 5; k++) {
        env.step(action);
        expected = handStep(expected, action);
        const got = env.physicalState as number[];
        for (let i = 0; i < 4; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-14, `action ${action} step ${k} component ${i}: ${got[i]} vs ${expected[i]}`);
      }
    }
    // One step, as printed by a float64 evaluation of Gymnasium's formulas.
    const env = new CartPole();
    startAt(env, [0.01, -0.02, 0.03, 0.04]);
    env.step(1);
    const want = [0.009600000000000001, 0.17467919574755525, 0.030799999999999998, -0.2430687179600081];
    (env.physicalState as number[]).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-15));
  });

  test('terminates past ±12° or ±2.4 m with reward 1 on that step; refuses to step on', () => {
    const theta = (12 * 2 * Math.PI) / 360;
    const env = new CartPole();
    startAt(env, [0, 0, theta - 1e-4, 1]); // θ grows by 0.02 rad this step
    const r = env.step(1);
    assert.equal(r.terminated, true);
    assert.equal(r.reward, 1);
    assert.throws(() => env.step(0), /reset/);
    startAt(env, [2.4 - 1e-3, 1, 0, 0]);
    assert.equal(env.step(1).terminated, true);
    startAt(env, [-2.4 + 1e-3, -1, 0, 0]);
    assert.equal(env.step(0).terminated, true);
    startAt(env, [2.39, 0, 0.2, 0]); // inside both limits and stays so for one step
    assert.equal(env.step(0).terminated, false);
  });

  test('truncates at 500 steps', () => {
    const env = new CartPole();
    startAt(env, [0, 0, 0, 0], 499);
    const r = env.step(1);
    assert.equal(r.truncated, true);
    assert.equal(r.terminated, false);
  });

  test('reset: uniform in ±0.05, the same for the same seed, different for another', () => {
    const env = new CartPole();
    const a = env.reset(7).observation;
    const b = env.reset(7).observation;
    const c = env.reset(8).observation;
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    for (let s = 0; s < 200; s++) for (const v of env.reset(s).observation) assert.ok(v >= -0.05 && v <= 0.05);
    assert.deepEqual(env.observationSpace.shape, [4]);
    assert.ok(Math.abs(env.observationSpace.high[2] - (2 * 12 * 2 * Math.PI) / 360) < 1e-6);
    assert.equal(env.actionSpace.n, 2);
    assert.throws(() => env.step(2), /action must be 0/);
  });

  test('VectorEnv: env i seeded with seed + i; an ended episode resets at once and keeps its final observation', () => {
    const envs = new VectorEnv(() => new CartPole(), 3);
    const obs = envs.reset(10);
    assert.deepEqual(obs.subarray(4, 8), new CartPole().reset(11).observation);
    let ended = null;
    for (let k = 0; k < 200 && !ended; k++) {
      const r = envs.step([1, 1, 1]); // always pushing right falls over within ~10 steps
      if (r.episodes.length > 0) ended = r;
    }
    assert.ok(ended);
    const e = ended.episodes[0];
    assert.ok(e.length > 5 && e.length < 100);
    assert.equal(e.return, e.length);
    const last = ended.finalObservations[e.env] as Float32Array;
    assert.ok(Math.abs(last[2]) > (12 * 2 * Math.PI) / 360, 'the final observation is past the angle limit');
    const fresh = ended.observations.subarray(e.env * 4, e.env * 4 + 4);
    for (const v of fresh) assert.ok(Math.abs(v) <= 0.05, 'the returned observation starts the next episode');
  });
});
