// The kernel specs (src/backend/spec/) against what they describe: the JS reference (every Backend kernel has exactly
// one spec with its arity), the compiled addon (signatures and op-code names, compared by name, never by order), and
// the derived native adapter (a short buffer is refused with a message naming it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS } from '../../src/backend/backend.ts';
import { jsBackend } from '../../src/backend/js/index.ts';
import { addonMismatch, wrapperSourceOf } from '../../src/backend/native/backend.ts';
import { loadNativeBackend, nativeAddon } from '../../src/backend/native/load.ts';
import { KERNEL_SPECS, signatureOf } from '../../src/backend/spec/index.ts';
import { skipUnless } from '../helpers/requirements.ts';

const loaded = loadNativeBackend();
const skip = skipUnless('native', loaded.backend !== null, loaded.error);

test('every Backend kernel has exactly one spec, with the arity of its JS reference', () => {
  const kernels = Object.keys(jsBackend)
    .filter((k) => k !== 'name')
    .sort();
  const specs = KERNEL_SPECS.map((s) => s.name).sort();
  assert.deepEqual(specs, kernels);
  assert.equal(new Set(specs).size, specs.length, 'a kernel is spec’d twice');
  for (const s of KERNEL_SPECS) {
    const fn = jsBackend[s.name as keyof typeof jsBackend] as (...a: unknown[]) => void;
    assert.equal(s.args.length, fn.length, `${s.name}: the spec lists ${s.args.length} args, the JS reference takes ${fn.length}`);
    assert.equal(new Set(s.args.map((a) => a.name)).size, s.args.length, `${s.name}: repeated arg names`);
  }
});

test('the addon exports every native kernel with the spec’s signature, and nothing unspec’d', { skip }, () => {
  const addon = nativeAddon();
  assert.ok(addon);
  assert.equal(addonMismatch(addon), null);
  const info = addon.info();
  const specs = new Map(KERNEL_SPECS.map((s) => [s.name, s]));
  for (const [name, signature] of Object.entries(info.kernels)) {
    const spec = specs.get(name);
    assert.ok(spec, `the addon exports ${name}, which has no spec`);
    assert.ok(spec.native, `${name} is exported natively but its spec says native: false`);
    assert.equal(signature, signatureOf(spec), name);
  }
});

test('the C op-code names are exactly the TS op names (matched by name, not by order)', { skip }, () => {
  const ops = nativeAddon()?.info().ops ?? {};
  assert.deepEqual([...(ops.unary ?? [])].sort(), [...UNARY_OPS].sort());
  assert.deepEqual([...(ops.binary ?? [])].sort(), [...BINARY_OPS].sort());
  assert.deepEqual([...(ops.reduce ?? [])].sort(), [...REDUCE_OPS].sort());
});

test('the derived native adapter refuses a short buffer, naming it and the size it needs', { skip }, () => {
  const nb = loaded.backend;
  assert.ok(nb);
  assert.throws(() => nb.softmax(new Float32Array(6), 2, 4, new Float32Array(8), false), /native softmax: x has 6 elements, needs 8/);
  assert.throws(() => nb.unary('bogus' as never, new Float32Array(1), new Float32Array(1), 0), /native unary: op bogus is not one of neg/);
  assert.match(wrapperSourceOf('conv2dForward'), /scratch_g\[15\] = g\.groups;/);
});
