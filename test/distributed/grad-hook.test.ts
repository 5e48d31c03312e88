/**
 * The post-accumulate gradient hook data-parallel training rides on: it fires once per leaf per backward, after the
 * leaf's gradient of that pass is complete (all paths summed), in the order backward reaches the leaves.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerPostAccumulateGradHook } from '../../src/autograd/index.ts';
import { tensor } from '../../src/index.ts';

test('the hook sees the complete gradient of a leaf used on two paths, once per backward', () => {
  const x = tensor([1, 2, 3]).requiresGrad_();
  const w = tensor([2]).requiresGrad_();
  const seen: string[] = [];
  const hx = registerPostAccumulateGradHook(x, (t) => seen.push(`x:${Array.from(t.grad!.f32).join(',')}`));
  registerPostAccumulateGradHook(w, (t) => seen.push(`w:${Array.from(t.grad!.f32).join(',')}`));
  // d/dx of sum(x*x + x*w) = 2x + w; d/dw = sum(x)
  x.mul(x).add(x.mul(w)).sum().backward();
  assert.deepEqual(seen.sort(), ['w:6', 'x:4,6,8']);
  hx.remove();
  seen.length = 0;
  x.mul(w).sum().backward();
  assert.deepEqual(seen, ['w:12']); // accumulated into .grad: 6 + 6; x's hook was removed
});

test('a hook on a computed tensor is refused', () => {
  const x = tensor([1]).requiresGrad_();
  assert.throws(() => registerPostAccumulateGradHook(x.mul(2), () => {}), /not a leaf/);
});
