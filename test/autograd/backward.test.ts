/**
 * The tape: gradient accumulation, reverse topological order on a diamond, explicit gradients for non-scalar outputs,
 * noGrad, retainGraph, retainGrad, grad(), deep graphs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { grad, isGradEnabled, linear, noGrad, record, setGradEnabled, type Tensor, tensor } from '../../src/index.ts';

/** An identity op that logs when its backward rule runs and with what gradient. */
function traced(name: string, x: Tensor, log: string[]): Tensor {
  const out = tensor(x.f32.slice(), 'float32', x.shape);
  return record(out, name, [x], (g) => {
    log.push(`${name}:${Array.from(g.data).join(',')}`);
    return [g];
  });
}

describe('backward', () => {
  test("a rule's fresh weight gradient becomes .grad without a copy, but never a buffer two leaves share", () => {
    const x = tensor([1, 2, 3, 4, 5, 6], 'float32', [2, 3]);
    const w = tensor([0.5, -1, 2], 'float32', [1, 3]).requiresGrad_();
    linear(x, w).sum().backward();
    const first = w.grad!;
    assert.deepEqual(first.toArray(), [[5, 7, 9]]);
    linear(x, w).sum().backward();
    assert.deepEqual(w.grad?.toArray(), [[10, 14, 18]]);
    assert.deepEqual(first.toArray(), [[5, 7, 9]], 'accumulating makes a new buffer: the first gradient is unchanged');
    // add's rule passes its gradient through to both operands: each leaf still gets a buffer of its own.
    const a = tensor([0.5, -1, 2], 'float32', [1, 3]).requiresGrad_();
    const b = tensor([1, 1, 1], 'float32', [1, 3]).requiresGrad_();
    linear(x, a.add(b)).sum().backward();
    assert.deepEqual(a.grad?.toArray(), [[5, 7, 9]]);
    assert.deepEqual(b.grad?.toArray(), [[5, 7, 9]]);
    assert.notEqual(a.grad!.f32.buffer, b.grad!.f32.buffer);
  });

  test('leaf gradients accumulate across backward calls until zeroGrad', () => {
    const x = tensor([1, 2, 3]).requiresGrad_();
    x.mul(x).sum().backward();
    assert.deepEqual(x.grad?.toArray(), [2, 4, 6]);
    x.mul(3).sum().backward();
    assert.deepEqual(x.grad?.toArray(), [5, 7, 9]);
    x.zeroGrad();
    assert.equal(x.grad, null);
  });

  test('a tensor used twice in one expression gets the sum of both paths', () => {
    const x = tensor([2]).requiresGrad_();
    x.mul(x).add(x).sum().backward(); // d/dx (x² + x) = 2x + 1
    assert.deepEqual(x.grad?.toArray(), [5]);
  });

  test('diamond graph: each node runs once, after every consumer, with the summed gradient', () => {
    const log: string[] = [];
    const a = tensor([1]).requiresGrad_();
    const top = traced('top', a, log);
    const left = traced('left', top.mul(2), log);
    const right = traced('right', top.mul(3), log);
    const out = traced('out', left.add(right), log);
    out.backward();
    assert.deepEqual(a.grad?.toArray(), [5]);
    assert.equal(log[0], 'out:1');
    assert.deepEqual(log.slice(1, 3).sort(), ['left:1', 'right:1']);
    assert.deepEqual(log.slice(3), ['top:5']);
  });

  test('non-scalar output: backward(gradient) computes the vector–Jacobian product', () => {
    const x = tensor([1, 2, 3]).requiresGrad_();
    const y = x.mul(x); // dy/dx = 2x
    y.backward(tensor([1, 0.5, -1]));
    assert.deepEqual(x.grad?.toArray(), [2, 2, -6]);
  });

  test('one-element outputs of any rank imply a gradient of 1', () => {
    const x = tensor([[3]]).requiresGrad_();
    x.mul(2).backward();
    assert.deepEqual(x.grad?.toArray(), [[2]]);
  });

  test('inputs that do not require grad get no gradient; constants stay leaves', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const c = tensor([3, 4]);
    x.mul(c).sum().backward();
    assert.equal(c.grad, null);
    assert.deepEqual(x.grad?.toArray(), [3, 4]);
  });

  test('retainGraph lets backward run twice through the same graph (gradients add)', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const y = x.exp().sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    assert.deepEqual(
      x.grad?.toArray(),
      Array.from(x.f32, (v) => Math.fround(2 * Math.fround(Math.exp(v)))),
    );
  });

  test('retainGrad keeps the gradient of a non-leaf', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const h = x.mul(3).retainGrad();
    const k = x.mul(4);
    h.mul(h).sum().add(k.sum()).backward();
    assert.deepEqual(h.grad?.toArray(), [6, 12]);
    assert.equal(k.grad, null);
  });

  test('grad() returns gradients without touching .grad', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const w = tensor([3, 4]).requiresGrad_();
    x.grad = tensor([100, 100]);
    const [gx, gw] = grad(x.mul(w).sum(), [x, w]);
    assert.deepEqual(gx.toArray(), [3, 4]);
    assert.deepEqual(gw.toArray(), [1, 2]);
    assert.deepEqual(x.grad.toArray(), [100, 100]);
    assert.equal(w.grad, null);
  });

  test('grad() of an input the output does not depend on is zero', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const unused = tensor([5]).requiresGrad_();
    const [g] = grad(x.sum().add(0), [unused]);
    assert.deepEqual(g.toArray(), [0]);
  });

  test('a graph 20000 ops deep does not overflow the stack', () => {
    const x = tensor([1]).requiresGrad_();
    let y = x;
    for (let i = 0; i < 20000; i++) y = y.add(1);
    y.backward();
    assert.deepEqual(x.grad?.toArray(), [1]);
  });
});

describe('noGrad', () => {
  test('ops inside noGrad record nothing, and the mode is restored even after an error', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const y = noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.throws(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    );
    assert.equal(isGradEnabled(), true);
    assert.equal(x.mul(2).requiresGrad, true);
  });
  test('setGradEnabled switches recording on inside noGrad', () => {
    const x = tensor([1]).requiresGrad_();
    const y = noGrad(() => setGradEnabled(true, () => x.mul(2)));
    assert.equal(y.requiresGrad, true);
    assert.equal(isGradEnabled(), true);
  });
});
