/**
 * Module forward hooks and mode scopes: hooks see every call with its inputs and output (in call order, a block after
 * the layers inside it), can replace inputs and outputs, are removed by their handle (the instance is left exactly as
 * before), and leave parameters, state dicts and gradients alone; withMode sets and restores each module's own mode.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordOutputs } from '../../src/explain/hooks.ts';
import * as F from '../../src/index.ts';
import { BatchNorm1d, Dropout, Linear, Module, ReLU, Sequential, summary, withMode } from '../../src/nn/index.ts';

F.manualSeed(0);

function net() {
  return new Sequential(new Linear(4, 3), new ReLU(), new Sequential(new Linear(3, 2), new ReLU()));
}

test('a forward hook sees each call with its inputs and output, in the order the calls return', () => {
  const model = net();
  const seen: string[] = [];
  const handles = model.namedModules().map(([name, m]) =>
    m.registerForwardHook((mod, inputs, output) => {
      assert.equal(mod, m);
      seen.push(`${name || 'root'} ${inputs.map((x) => x.shape.join('x')).join(',')} -> ${output.shape.join('x')}`);
    }),
  );
  const x = F.randn([5, 4]);
  const y = model.forward(x);
  assert.deepEqual(seen, ['0 5x4 -> 5x3', '1 5x3 -> 5x3', '2.0 5x3 -> 5x2', '2.1 5x2 -> 5x2', '2 5x3 -> 5x2', 'root 5x4 -> 5x2']);
  for (const h of handles) h.remove();
  seen.length = 0;
  assert.deepEqual(model.forward(x).data, y.data, 'the same output without hooks');
  assert.deepEqual(seen, [], 'removed hooks are not called');
});

test('removing the last hook leaves the instance as it was: no own forward, same parameters and state dict keys', () => {
  const model = net();
  const before = { keys: [...model.stateDict().keys()], params: model.parameters().length, entries: Object.keys(model.at(0)) };
  const a = model.at(0).registerForwardHook(() => undefined);
  const b = model.at(0).registerForwardPreHook(() => undefined);
  assert.equal(Object.hasOwn(model.at(0), 'forward'), true, 'a wrapper while hooks are registered');
  assert.deepEqual([...model.stateDict().keys()], before.keys, 'hooks are not state');
  a.remove();
  assert.equal(Object.hasOwn(model.at(0), 'forward'), true, 'the pre-hook still needs the wrapper');
  b.remove();
  b.remove(); // a second remove does nothing
  assert.equal(Object.hasOwn(model.at(0), 'forward'), false);
  assert.deepEqual(Object.keys(model.at(0)), before.entries);
  assert.equal(model.parameters().length, before.params);
});

test('a hook can replace the output and a pre-hook the inputs; gradients flow through the replacements', () => {
  const lin = new Linear(2, 1);
  const x = F.tensor([[1, 2]]);
  const plain = lin.forward(x).item();
  const doubled = lin.registerForwardHook((_m, _in, out) => out.mul(2));
  assert.ok(Math.abs(lin.forward(x).item() - 2 * plain) < 1e-6);
  doubled.remove();
  const zeroed = lin.registerForwardPreHook(() => [F.zeros([1, 2])]);
  assert.ok(Math.abs(lin.forward(x).item() - lin.bias!.data[0]) < 1e-6, 'zero inputs leave the bias');
  zeroed.remove();

  const scaled = lin.registerForwardHook((_m, _in, out) => out.mul(3));
  lin.forward(x).sum().backward();
  scaled.remove();
  // d(3 · (w·x + b))/dw = 3x, /db = 3.
  assert.deepEqual([...lin.weight.grad!.data], [3, 6]);
  assert.deepEqual([...lin.bias!.grad!.data], [3]);
});

test('hooks on a module with its own forward property restore that property', () => {
  class Custom extends Module {
    forward(x: F.Tensor): F.Tensor {
      return x.add(1);
    }
  }
  const m = new Custom();
  const own = (x: F.Tensor) => x.mul(10);
  m.forward = own;
  const h = m.registerForwardHook((_m, _in, out) => out.add(1));
  assert.deepEqual([...m.forward(F.tensor([1])).data], [11]);
  h.remove();
  assert.equal(m.forward, own);
});

test('summary and recordOutputs record through hooks and remove them', () => {
  const model = net();
  const s = summary(model, [4]);
  assert.deepEqual(
    s.layers.map((l) => [l.name, l.outputShape]),
    [
      ['0', [1, 3]],
      ['1', [1, 3]],
      ['2', [1, 2]],
      ['2.0', [1, 2]],
      ['2.1', [1, 2]],
    ],
  );
  const { calls } = recordOutputs(
    model,
    (name) => name.startsWith('2'),
    () => model.forward(F.randn([3, 4])),
  );
  assert.deepEqual(
    calls.map((c) => [c.name, c.finished, c.output.shape]),
    [
      ['2.0', 0, [3, 2]],
      ['2.1', 1, [3, 2]],
      ['2', 2, [3, 2]],
    ],
  );
  for (const [, m] of model.namedModules()) assert.equal(Object.hasOwn(m, 'forward'), false, 'no wrapper left behind');
});

test('withMode sets the mode for fn and gives every module back its own mode, after a throw and after a promise', async () => {
  const model = new Sequential(new Linear(2, 2), new BatchNorm1d(2), new Dropout(0.5));
  model.train();
  model.at(1).eval(); // a frozen batch norm inside a training model
  const modes = () => model.namedModules().map(([, m]) => m.training);
  const before = modes();
  assert.deepEqual(before, [true, true, false, true]);

  assert.deepEqual(
    withMode(model, 'eval', () => modes()),
    [false, false, false, false],
  );
  assert.deepEqual(modes(), before);
  assert.throws(() => withMode(model, 'eval', () => assert.fail('inside')), /inside/);
  assert.deepEqual(modes(), before);

  const pending = withMode(model, 'eval', async () => {
    await new Promise((r) => setTimeout(r, 1));
    return modes();
  });
  assert.deepEqual(await pending, [false, false, false, false], 'still eval while the promise runs');
  assert.deepEqual(modes(), before);

  model.eval();
  assert.deepEqual(
    withMode(model, 'train', () => modes()),
    [true, true, true, true],
  );
  assert.deepEqual(modes(), [false, false, false, false]);
});
