/** dtypes and casts: float32, int32, uint8; truncation and saturation like a C cast; what may require gradients. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { add, tensor } from '../../src/index.ts';

describe('dtypes and casts', () => {
  test('each dtype is backed by its typed array', () => {
    assert.ok(tensor([1], 'float32').data instanceof Float32Array);
    assert.ok(tensor([1], 'int32').data instanceof Int32Array);
    assert.ok(tensor([1], 'uint8').data instanceof Uint8Array);
  });
  test('float → int32 truncates toward zero; → uint8 truncates and saturates', () => {
    const x = tensor([-2.7, -0.5, 0.5, 2.7, 300, -5]);
    assert.deepEqual(x.to('int32').toArray(), [-2, 0, 0, 2, 300, -5]);
    assert.deepEqual(x.int().toArray(), [-2, 0, 0, 2, 300, -5]);
    assert.deepEqual(x.byte().toArray(), [0, 0, 0, 2, 255, 0]);
    assert.deepEqual(x.cast('uint8').dtype, 'uint8');
    assert.deepEqual(tensor([1.5], 'int32').toArray(), [1]);
  });
  test('int → float32 is exact; float() is the identity on float32', () => {
    const i = tensor([1, -7, 123456], 'int32');
    assert.deepEqual(i.float().toArray(), [1, -7, 123456]);
    assert.equal(i.float().dtype, 'float32');
    const f = tensor([1.5]);
    assert.equal(f.float(), f);
    assert.equal(f.to('float32'), f);
  });
  test('casts copy: changing the result leaves the source alone', () => {
    const x = tensor([1, 2], 'int32');
    const y = x.to('uint8');
    y.data[0] = 9;
    assert.deepEqual(x.toArray(), [1, 2]);
  });
  test('only float32 tensors can require gradients; float ops reject other dtypes by name', () => {
    assert.throws(() => tensor([1], 'int32').requiresGrad_(), /^TypeError: requiresGrad_: only float32 tensors can require gradients, this one is int32/);
    assert.throws(() => tensor([1], 'uint8').f32, /expected a float32 tensor, got uint8 with shape \[1\]; cast it with \.float\(\)/);
    assert.throws(
      () => add(tensor([1], 'uint8'), 1),
      /^TypeError: add: first operand must be float32, got uint8 with shape \[1\]; convert it with \.float\(\)/,
    );
  });
});
