/**
 * Activations: forward against float64 closed forms (GELU through an independent erf series), gradients against
 * central differences on odd shapes, with inputs kept away from the kinks of relu, leakyRelu and elu.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { elu, gelu, leakyRelu, relu, sigmoid, silu, softplus, tanh, tensor } from '../../src/index.ts';
import { awayFrom, errorTest, opTest, uniform } from '../helpers/check.ts';
import { erf64, type Nd } from '../helpers/nd.ts';

const ref1 = (f: (a: number) => number) => (a: Nd) => a.map(f);
const SHAPES = [[1], [3], [17], [3, 17], [2, 3, 5]];

describe('activations', () => {
  SHAPES.forEach((shape, k) => {
    const label = `[${shape}]`;
    const kinked = awayFrom(shape, 400 + k, [0], 0.05, -3, 3);
    const smooth = uniform(shape, 420 + k, -4, 4);
    opTest({ name: 'relu', label, fn: relu, inputs: [kinked], reference: ref1((x) => Math.max(x, 0)) });
    opTest({ name: 'leakyRelu', label: `${label}, default slope`, fn: (x) => leakyRelu(x), inputs: [kinked], reference: ref1((x) => (x > 0 ? x : 0.01 * x)) });
    opTest({ name: 'leakyRelu', label: `${label}, slope 0.2`, fn: (x) => leakyRelu(x, 0.2), inputs: [kinked], reference: ref1((x) => (x > 0 ? x : 0.2 * x)) });
    opTest({ name: 'elu', label: `${label}, alpha 1`, fn: (x) => elu(x), inputs: [kinked], reference: ref1((x) => (x > 0 ? x : Math.exp(x) - 1)) });
    opTest({
      name: 'elu',
      label: `${label}, alpha 1.5`,
      fn: (x) => elu(x, 1.5),
      inputs: [kinked],
      reference: ref1((x) => (x > 0 ? x : 1.5 * (Math.exp(x) - 1))),
    });
    opTest({ name: 'gelu', label, fn: gelu, inputs: [smooth], reference: ref1((x) => 0.5 * x * (1 + erf64(x / Math.SQRT2))), atol: 1e-5 });
    opTest({ name: 'silu', label, fn: silu, inputs: [smooth], reference: ref1((x) => x / (1 + Math.exp(-x))) });
    opTest({ name: 'sigmoid', label, fn: sigmoid, inputs: [smooth], reference: ref1((x) => 1 / (1 + Math.exp(-x))) });
    opTest({ name: 'tanh', label, fn: tanh, inputs: [smooth], reference: ref1(Math.tanh) });
    opTest({ name: 'softplus', label: `${label}, beta 1`, fn: (x) => softplus(x), inputs: [smooth], reference: ref1((x) => Math.log(1 + Math.exp(x))) });
    opTest({
      name: 'softplus',
      label: `${label}, beta 3 (crosses the linear threshold beta·x > 20)`,
      fn: (x) => softplus(x, 3),
      inputs: [awayFrom(shape, 440 + k, [20 / 3], 0.1, -3, 9)],
      reference: ref1((x) => Math.log(1 + Math.exp(3 * x)) / 3),
    });
  });

  test('closed-form values', () => {
    const x = tensor([-1, 0, 1]);
    assert.deepEqual(relu(x).toArray(), [0, 0, 1]);
    assert.deepEqual(sigmoid(tensor([0])).toArray(), [0.5]);
    assert.deepEqual(tanh(tensor([0])).toArray(), [0]);
    // GELU(1) = Φ(1) = 0.8413447460685429 (normal CDF at 1).
    assert.ok(Math.abs(gelu(tensor([1])).item() - 0.8413447460685429) < 1e-6);
    assert.ok(Math.abs(softplus(tensor([0])).item() - Math.LN2) < 1e-7);
  });

  test('saturation stays finite: sigmoid(±100), tanh(±100), softplus(100), silu(−100)', () => {
    const x = tensor([-100, 100]);
    const s = sigmoid(x).data;
    assert.ok(s[0] >= 0 && s[0] < 1e-40 && s[1] === 1);
    assert.deepEqual(tanh(x).toArray(), [-1, 1]);
    assert.equal(softplus(tensor([100])).item(), 100);
    assert.ok(Object.is(silu(tensor([-100])).item(), -0) || Math.abs(silu(tensor([-100])).item()) < 1e-30);
  });
});

describe('activation errors', () => {
  for (const [name, fn] of [
    ['relu', relu],
    ['gelu', gelu],
    ['sigmoid', sigmoid],
    ['tanh', tanh],
    ['silu', silu],
    ['leakyRelu', leakyRelu],
    ['elu', elu],
    ['softplus', softplus],
  ] as const) {
    errorTest(name, 'an int32 input', () => fn(tensor([1, 2, 3], 'int32')), new RegExp(`^${name}: input must be float32, got int32 with shape \\[3\\]`));
  }
});
