/** The tape's error cases: a freed graph, a leaf that needs no grad, an in-place change of a saved tensor, bad seeds. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grad, tensor } from '../../src/index.ts';

describe('autograd errors', () => {
  test('backward twice through a freed graph says so and how to keep it', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const y = x.exp().sum();
    y.backward();
    assert.throws(() => y.backward(), /^Error: backward: the graph through sum was already freed by an earlier backward\(\)\. .*retainGraph: true/);
  });

  test('backward through a shared, freed subgraph is caught too', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const h = x.mul(2);
    h.sum().backward();
    assert.throws(() => h.mul(3).sum().backward(), /backward: the graph through mul was already freed/);
  });

  test('asking for the gradient of a leaf that needs none', () => {
    const x = tensor([1, 2, 3]);
    const w = tensor([1, 1, 1]).requiresGrad_();
    assert.throws(
      () => grad(x.mul(w).sum(), [w, x]),
      /^Error: grad: input 1 \(shape \[3\]\) does not require grad, so it has no gradient; call requiresGrad_\(\) on it first/,
    );
    assert.throws(() => x.sum().backward(), /^Error: backward: this tensor does not require grad and has no gradFn/);
  });

  test('an in-place change of a saved tensor invalidates the graph', () => {
    const x = tensor([1, 2, 3]).requiresGrad_();
    const w = tensor([4, 5, 6]);
    const y = x.mul(w).sum(); // mul saves w
    w.data[0] = 10;
    w.bumpVersion();
    assert.throws(() => y.backward(), /^Error: backward: a tensor of shape \[3\] saved by mul was modified in place after it was used \(version 0 → 1\)/);
  });

  test('an in-place change through a reshaped view is caught (views share the version counter)', () => {
    const x = tensor([1, 2, 3, 4]).requiresGrad_();
    const y = x.exp(); // exp saves its output y
    const loss = y.sum();
    const view = y.detach().reshape([2, 2]);
    view.bumpVersion();
    assert.throws(() => loss.backward(), /saved by exp was modified in place/);
  });

  test('a non-scalar output without a gradient, or a gradient of the wrong shape', () => {
    const x = tensor([1, 2, 3]).requiresGrad_();
    const y = x.mul(2);
    assert.throws(
      () => y.backward(),
      /^Error: backward: gradient can be implied only for a one-element output, this one has shape \[3\]; pass backward\(gradient\)/,
    );
    assert.throws(() => y.backward(tensor([1, 2])), /^RangeError: backward: gradient has shape \[2\] but the output has shape \[3\]/);
  });
});
