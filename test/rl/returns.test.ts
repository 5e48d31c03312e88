/** Discounted returns and GAE against hand-worked examples (termination, truncation with bootstrap, two envs). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { discountedReturns, generalizedAdvantages } from '../../src/rl/returns.ts';

const close = (a: ArrayLike<number>, b: number[], tol = 1e-12) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) < tol, `[${i}] ${a[i]} vs ${b[i]}`);
};

describe('returns', () => {
  test('discounted returns: 1 + 0.9 + 0.81, cut at an episode end', () => {
    close(discountedReturns([1, 1, 1], 0.9), [2.71, 1.9, 1]);
    // Two episodes [1, 2] then [3]: the end flag at t = 1 stops the second episode's reward flowing back.
    close(discountedReturns([1, 2, 3], 0.5, [0, 1, 1]), [2, 2, 3]);
  });

  const base = { rewards: [1, 1, 1], values: [0.5, 0.4, 0.3], lastValues: [0.2], numEnvs: 1, gamma: 0.9, lambda: 0.8 };

  test('GAE without episode ends: δ = (0.86, 0.87, 0.88), Â = δ_t + 0.72·Â_{t+1}', () => {
    const { advantages, returns } = generalizedAdvantages({ ...base, episodeEnds: [0, 0, 0], endValues: [0, 0, 0] });
    close(advantages, [0.86 + 0.72 * (0.87 + 0.72 * 0.88), 0.87 + 0.72 * 0.88, 0.88]);
    close(advantages, [1.942592, 1.5036, 0.88]);
    close(returns, [1.942592 + 0.5, 1.5036 + 0.4, 0.88 + 0.3]);
  });

  test('GAE with a termination at t = 1 (no bootstrap) and with a truncation there (bootstrap V(final) = 0.35)', () => {
    const term = generalizedAdvantages({ ...base, episodeEnds: [0, 1, 0], endValues: [0, 0, 0] });
    close(term.advantages, [0.86 + 0.72 * 0.6, 0.6, 0.88]);
    const trunc = generalizedAdvantages({ ...base, episodeEnds: [0, 1, 0], endValues: [0, 0.35, 0] });
    close(trunc.advantages, [1.5188, 0.915, 0.88]);
  });

  test('GAE with λ = 1 on a finished episode is the Monte-Carlo return minus V', () => {
    const { advantages } = generalizedAdvantages({ ...base, lambda: 1, episodeEnds: [0, 0, 1], endValues: [0, 0, 0] });
    close(advantages, [2.71 - 0.5, 1.9 - 0.4, 1 - 0.3]);
  });

  test('GAE over two envs stored time-major (step t of env i at t·N + i)', () => {
    const r = generalizedAdvantages({
      rewards: [1, 0, 1, 0, 1, 0],
      values: [0.5, 0, 0.4, 0, 0.3, 0],
      episodeEnds: [0, 0, 0, 1, 0, 0],
      endValues: [0, 0, 0, 0, 0, 0],
      lastValues: [0.2, 5],
      numEnvs: 2,
      gamma: 0.9,
      lambda: 0.8,
    });
    close([r.advantages[0], r.advantages[2], r.advantages[4]], [1.942592, 1.5036, 0.88]);
    // env 1: zero rewards and values; its episode ends at t = 1, so only t = 2 sees the last value 5.
    close([r.advantages[1], r.advantages[3], r.advantages[5]], [0, 0, 0.9 * 5]);
  });
});
