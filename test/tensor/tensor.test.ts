/** Tensor basics: toString, toArray, item, clone, detach, requiresGrad_ and views sharing data. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { arange, ones, tensor, zeros } from '../../src/index.ts';

describe('reading values', () => {
  test('toString shows shape, dtype and values (long dimensions elided)', () => {
    const s = tensor([
      [1, 2.5],
      [3, 4],
    ]).toString();
    assert.match(s, /^Tensor\(shape=\[2, 2\], dtype=float32\)\n/);
    assert.match(s, /\[\[1\., 2\.5000\],\n \[3\., 4\.\]\]/);
    assert.match(tensor([1, 2], 'int32').toString(), /^Tensor\(shape=\[2\], dtype=int32\)\n\[1, 2\]$/);
    const long = arange(100).toString();
    assert.match(long, /\[0, 1, 2, \.\.\., 97, 98, 99\]/);
    const x = ones([2]).requiresGrad_();
    assert.match(x.toString(), /requiresGrad/);
    assert.match(x.mul(2).toString(), /gradFn=mul/);
    assert.equal(inspect(tensor(3)), tensor(3).toString());
    assert.match(tensor(3).toString(), /shape=\[\].*\n3\.$/);
  });
  test('toArray gives nested arrays (a number for 0-d); item gives the single value', () => {
    assert.deepEqual(tensor([[[1, 2]], [[3, 4]]]).toArray(), [[[1, 2]], [[3, 4]]]);
    assert.equal(tensor(2.5).toArray(), 2.5);
    assert.deepEqual(zeros([2, 0]).toArray(), [[], []]);
    assert.equal(tensor([[7]]).item(), 7);
    assert.throws(() => tensor([1, 2]).item(), /^RangeError: item: only one-element tensors can be converted to a number, got shape \[2\]/);
  });
});

describe('copies and graph links', () => {
  test('clone copies the buffer and leaves the graph', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const y = x.mul(2);
    const c = y.clone();
    assert.notEqual(c.data, y.data);
    assert.deepEqual(c.toArray(), [2, 4]);
    assert.equal(c.requiresGrad, false);
    assert.equal(c.gradFn, null);
    c.data[0] = 9;
    assert.equal(y.data[0], 2);
  });
  test('detach shares the buffer (and its version counter) as a new leaf without grad', () => {
    const x = tensor([1, 2]).requiresGrad_();
    const y = x.mul(3);
    const d = y.detach();
    assert.equal(d.data, y.data);
    assert.equal(d.version, y.version);
    assert.equal(d.requiresGrad, false);
    assert.ok(d.isLeaf);
  });
  test('requiresGrad_ works on leaves only', () => {
    const x = tensor([1]).requiresGrad_();
    assert.ok(x.requiresGrad && x.isLeaf);
    assert.throws(() => x.mul(2).requiresGrad_(), /requiresGrad_: only leaf tensors can change requiresGrad; use \.detach\(\)/);
    x.requiresGrad_(false);
    assert.equal(x.requiresGrad, false);
  });
  test('size, rank and strides', () => {
    const t = zeros([2, 3, 4]);
    assert.equal(t.size, 24);
    assert.equal(t.rank, 3);
    assert.deepEqual(t.strides, [12, 4, 1]);
    assert.throws(() => {
      (t.shape as number[])[0] = 5;
    }, TypeError);
  });
});
