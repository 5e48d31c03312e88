/** Creation functions: values, shapes and dtypes against closed forms. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { arange, eye, full, linspace, ones, onesLike, Tensor, tensor, zeros, zerosLike } from '../../src/index.ts';

describe('constants', () => {
  test('zeros, ones and full in every dtype', () => {
    for (const dtype of ['float32', 'int32', 'uint8'] as const) {
      const z = zeros([2, 3], dtype);
      assert.equal(z.dtype, dtype);
      assert.deepEqual(z.shape, [2, 3]);
      assert.ok(Array.from(z.data).every((v) => v === 0));
      assert.ok(Array.from(ones([17], dtype).data).every((v) => v === 1));
      assert.deepEqual(full([1, 3], 7, dtype).toArray(), [[7, 7, 7]]);
    }
    assert.deepEqual(full([2], 2.5).toArray(), [2.5, 2.5]);
    assert.deepEqual(zeros([]).shape, []);
    assert.equal(zeros([]).item(), 0);
    assert.equal(zeros([0, 3]).size, 0);
  });
  test('zerosLike and onesLike keep shape and dtype', () => {
    const t = tensor([[1, 2, 3]], 'int32');
    assert.deepEqual(zerosLike(t).toArray(), [[0, 0, 0]]);
    assert.equal(onesLike(t).dtype, 'int32');
  });
});

describe('ranges', () => {
  test('arange: integer arguments give int32, fractional give float32, negative steps count down', () => {
    assert.deepEqual(arange(5).toArray(), [0, 1, 2, 3, 4]);
    assert.equal(arange(5).dtype, 'int32');
    assert.deepEqual(arange(2, 8, 3).toArray(), [2, 5]);
    assert.deepEqual(arange(3, 0, -1).toArray(), [3, 2, 1]);
    const f = arange(0, 1, 0.25);
    assert.equal(f.dtype, 'float32');
    assert.deepEqual(f.toArray(), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(arange(0, 3, 1, 'float32').dtype, 'float32');
    assert.equal(arange(5, 2).size, 0);
    assert.throws(() => arange(0, 3, 0), /^RangeError: arange: step must not be 0/);
  });
  test('linspace includes both ends', () => {
    assert.deepEqual(linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(linspace(2, 2, 1).toArray(), [2]);
    assert.deepEqual(linspace(-1, 1, 3).toArray(), [-1, 0, 1]);
    assert.equal(linspace(0, 1, 0).size, 0);
    const l = linspace(0, 1, 17).f32;
    for (let i = 0; i < 17; i++) assert.ok(Math.abs(l[i] - i / 16) < 1e-7);
    assert.throws(() => linspace(0, 1, 2.5), /^RangeError: linspace: steps must be a non-negative integer, got 2\.5/);
  });
  test('eye: square and rectangular', () => {
    assert.deepEqual(eye(3).toArray(), [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    assert.deepEqual(eye(2, 3).toArray(), [
      [1, 0, 0],
      [0, 1, 0],
    ]);
    assert.deepEqual(eye(3, 1, 'int32').toArray(), [[1], [0], [0]]);
  });
});

describe('tensor from values', () => {
  test('nested arrays infer the shape; dtype defaults to float32', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(Array.from(t.data), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(tensor([[[1], [2]]]).shape, [1, 2, 1]);
    assert.deepEqual(tensor(3.5).shape, []);
    assert.equal(tensor(3.5).item(), 3.5);
    assert.deepEqual(tensor([]).shape, [0]);
  });
  test('typed arrays are copied, with an optional shape and dtype', () => {
    const src = new Float32Array([1, 2, 3, 4]);
    const t = tensor(src, 'float32', [2, 2]);
    src[0] = 100;
    assert.deepEqual(t.toArray(), [
      [1, 2],
      [3, 4],
    ]);
    assert.equal(tensor(new Int32Array([1, 2]), 'float32').dtype, 'float32');
    assert.equal(tensor(new Int32Array([1, 2])).dtype, 'float32');
  });
  test('ragged arrays and wrong sizes are rejected with the expected layout', () => {
    assert.throws(() => tensor([[1, 2], [3]]), /^TypeError: tensor: ragged nested array at depth 1: expected 2 elements, got 1/);
    assert.throws(() => tensor([[1, 2], 3] as never), /tensor: ragged nested array at depth 1: expected 2 elements, got number/);
    assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), /^RangeError: Tensor: data has 5 elements but shape \[2, 3\] needs 6/);
    assert.throws(() => new Tensor(new Float32Array(0), [-1, 0]), /Tensor: /);
  });
});
