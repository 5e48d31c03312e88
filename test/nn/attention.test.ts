/**
 * MultiheadAttention and TransformerBlock: the forward against a float64 definition written here (projections, heads,
 * softmax), every parameter's and input's gradient against central differences, the causal mask (the output at t does
 * not move when inputs after t change, and gets no gradient from them), the key padding mask, and the KV-cache step
 * against the full forward.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { noGrad, type Tensor, tensor } from '../../src/index.ts';
import { MultiheadAttention, TransformerBlock } from '../../src/nn/layers/attention.ts';
import type { Module } from '../../src/nn/module.ts';
import { cat } from '../../src/ops/shape.ts';
import { makeRng, randn } from '../helpers/check.ts';

/** Sets every parameter of m to seeded normals times scale (so tests do not depend on the engine's generator). */
function reinit(m: Module, seed: number, scale = 0.5): void {
  const r = makeRng(seed);
  noGrad(() => {
    for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = scale * r.normal();
  });
}

/**
 * Central-difference check of d(Σ f()·R)/d(tensor) for every leaf given (parameters and inputs), at most `samples`
 * elements each. The loss is accumulated in float64.
 */
function gradCheck(f: () => Tensor, leaves: Tensor[], o: { eps?: number; atol?: number; rtol?: number; samples?: number; seed?: number } = {}): number {
  const eps = o.eps ?? 1e-2;
  const atol = o.atol ?? 2e-2;
  const rtol = o.rtol ?? 2e-2;
  const r = makeRng(o.seed ?? 9);
  for (const l of leaves) {
    l.grad = null;
    if (l.isLeaf) l.requiresGrad = true;
  }
  const out = f();
  const proj = Float32Array.from({ length: out.size }, () => Math.fround(r.normal()));
  out.backward(tensor(proj, 'float32', out.shape));
  const loss = () => {
    const y = noGrad(f);
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.data[i] * proj[i];
    return s;
  };
  let checked = 0;
  let maxDiff = 0;
  for (const [li, l] of leaves.entries()) {
    assert.ok(l.grad, `leaf ${li} got no gradient`);
    const g = l.grad.data;
    const x = l.data as Float32Array;
    const idx = Array.from({ length: x.length }, (_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = r.int(0, i + 1);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    for (const j of idx.slice(0, o.samples ?? 24)) {
      const x0 = x[j];
      x[j] = Math.fround(x0 + eps);
      const lp = loss();
      x[j] = Math.fround(x0 - eps);
      const lm = loss();
      x[j] = x0;
      const numeric = (lp - lm) / (Math.fround(x0 + eps) - Math.fround(x0 - eps));
      const diff = Math.abs(numeric - g[j]);
      maxDiff = Math.max(maxDiff, diff);
      assert.ok(diff <= atol + rtol * Math.abs(numeric), `leaf ${li}[${j}]: analytic ${g[j]}, numeric ${numeric}`);
      checked++;
    }
  }
  assert.ok(checked > 0);
  return maxDiff;
}

/** float64 reference of MultiheadAttention.forward for one batch, straight from the definition. */
function referenceMha(m: MultiheadAttention, x: Tensor, ctx: Tensor | null, padding: Uint8Array | null): Float64Array {
  const [b, tq, d] = x.shape;
  const kv = ctx ?? x;
  const tk = kv.shape[1];
  const dk = kv.shape[2];
  const proj = (lin: MultiheadAttention['qProj'], src: Tensor, t: number, width: number) => {
    const out = new Float64Array(b * t * d);
    const w = lin.weight.data;
    const bias = lin.bias?.data;
    for (let r = 0; r < b * t; r++)
      for (let o = 0; o < d; o++) {
        let s = bias ? bias[o] : 0;
        for (let i = 0; i < width; i++) s += src.data[r * width + i] * w[o * width + i];
        out[r * d + o] = s;
      }
    return out;
  };
  const q = proj(m.qProj, x, tq, d);
  const k = proj(m.kProj, kv, tk, dk);
  const v = proj(m.vProj, kv, tk, dk);
  const h = m.numHeads;
  const dh = d / h;
  const merged = new Float64Array(b * tq * d);
  for (let n = 0; n < b; n++)
    for (let hh = 0; hh < h; hh++)
      for (let i = 0; i < tq; i++) {
        const s: number[] = [];
        for (let j = 0; j < tk; j++) {
          let dot = 0;
          for (let c = 0; c < dh; c++) dot += q[(n * tq + i) * d + hh * dh + c] * k[(n * tk + j) * d + hh * dh + c];
          const masked = (m.causal && j > i) || (padding !== null && padding[n * tk + j] === 1);
          s.push(masked ? Number.NEGATIVE_INFINITY : dot / Math.sqrt(dh));
        }
        const mx = Math.max(...s);
        const e = s.map((z) => Math.exp(z - mx));
        const z = e.reduce((a, c) => a + c, 0);
        for (let c = 0; c < dh; c++) {
          let acc = 0;
          for (let j = 0; j < tk; j++) acc += (e[j] / z) * v[(n * tk + j) * d + hh * dh + c];
          merged[(n * tq + i) * d + hh * dh + c] = acc;
        }
      }
  const out = new Float64Array(b * tq * d);
  const w = m.outProj.weight.data;
  const bias = m.outProj.bias?.data;
  for (let r = 0; r < b * tq; r++)
    for (let o = 0; o < d; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < d; i++) s += merged[r * d + i] * w[o * d + i];
      out[r * d + o] = s;
    }
  return out;
}

function assertNear(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
  assert.ok(max <= tol, `${what}: max abs diff ${max} > ${tol}`);
}

describe('MultiheadAttention', () => {
  test('self-attention forward matches the float64 definition (causal and not)', () => {
    for (const causal of [false, true]) {
      const m = new MultiheadAttention(8, 2, { causal });
      reinit(m, 1);
      const x = randn([2, 5, 8], 2);
      assertNear(noGrad(() => m.forward(x)).data, referenceMha(m, x, null, null), 1e-4, `causal=${causal}`);
    }
  });

  test('cross-attention forward (Tq ≠ Tk, kvDim ≠ embedDim) with a key padding mask', () => {
    const m = new MultiheadAttention(6, 3, { kvDim: 4 });
    reinit(m, 3);
    const x = randn([2, 3, 6], 4);
    const ctx = randn([2, 5, 4], 5);
    const padding = Uint8Array.from([0, 0, 0, 1, 1, 0, 0, 0, 0, 1]);
    const y = noGrad(() => m.forward(x, ctx, tensor(padding, 'uint8', [2, 5])));
    assert.deepEqual([...y.shape], [2, 3, 6]);
    assertNear(y.data, referenceMha(m, x, ctx, padding), 1e-4, 'cross');
    // The padded keys do not matter: change them and the output stays the same.
    const moved = ctx.clone();
    for (const [n, j] of [
      [0, 3],
      [0, 4],
      [1, 4],
    ])
      for (let c = 0; c < 4; c++) moved.data[(n * 5 + j) * 4 + c] += 3;
    assertNear(noGrad(() => m.forward(x, moved, tensor(padding, 'uint8', [2, 5]))).data, y.data, 0, 'padding moved');
  });

  test('gradients of input, context and every projection match central differences', () => {
    const self = new MultiheadAttention(6, 2, { causal: true });
    reinit(self, 6);
    const x = randn([2, 4, 6], 7);
    gradCheck(() => self.forward(x), [x, ...self.parameters()]);
    const cross = new MultiheadAttention(4, 2, { kvDim: 3 });
    reinit(cross, 8);
    const q = randn([1, 3, 4], 9);
    const ctx = randn([1, 5, 3], 10);
    gradCheck(() => cross.forward(q, ctx), [q, ctx, ...cross.parameters()]);
  });

  test('causal: the output at t is independent of the inputs after t (values and gradients)', () => {
    const m = new MultiheadAttention(8, 2, { causal: true });
    reinit(m, 11);
    const T = 6;
    const x = randn([1, T, 8], 12);
    const y = noGrad(() => m.forward(x));
    for (let t = 0; t < T - 1; t++) {
      const moved = x.clone();
      for (let i = (t + 1) * 8; i < T * 8; i++) moved.data[i] += 5;
      const y2 = noGrad(() => m.forward(moved));
      assertNear(y2.data.subarray(0, (t + 1) * 8), y.data.subarray(0, (t + 1) * 8), 0, `prefix 0..${t}`);
      assert.ok(Math.abs(y2.data[T * 8 - 1] - y.data[T * 8 - 1]) > 1e-4, 'the last position does move');
    }
    // d out[t] / d x[s] = 0 for s > t.
    const leaf = x.clone().requiresGrad_();
    const out = m.forward(leaf);
    const g = new Float32Array(out.size);
    g.fill(1, 0, 3 * 8); // positions 0..2
    out.backward(tensor(g, 'float32', out.shape));
    const gx = leaf.grad!.data;
    for (let i = 3 * 8; i < T * 8; i++) assert.equal(gx[i], 0, `grad at ${i}`);
    assert.ok(gx.subarray(0, 3 * 8).some((v) => v !== 0));
  });

  test('step() through the KV cache equals the full causal forward, token by token and in chunks', () => {
    const m = new MultiheadAttention(8, 4, { causal: true });
    reinit(m, 13);
    const x = randn([3, 7, 8], 14);
    const full = noGrad(() => m.forward(x));
    const token = (t: number, n = 1) =>
      tensor(
        Float32Array.from({ length: 3 * n * 8 }, (_, i) => x.data[(Math.floor(i / (n * 8)) * 7 + t) * 8 + (i % (n * 8))]),
        'float32',
        [3, n, 8],
      );
    const cache = m.createCache(3, 7);
    const steps = noGrad(() => Array.from({ length: 7 }, (_, t) => m.step(token(t), cache)));
    assertNear(noGrad(() => cat(steps, 1)).data, full.data, 1e-5, 'token by token');
    const cache2 = m.createCache(3, 7);
    const parts = noGrad(() => [m.step(token(0, 3), cache2), m.step(token(3, 2), cache2), m.step(token(5, 2), cache2)]);
    assertNear(noGrad(() => cat(parts, 1)).data, full.data, 1e-5, 'in chunks');
    assert.throws(() => noGrad(() => m.step(token(0), cache2)), /exceed the cache's maxLength 7/);
  });

  test('errors name the problem', () => {
    assert.throws(() => new MultiheadAttention(10, 3), /numHeads \(3\) must be a positive integer dividing embedDim \(10\)/);
    const m = new MultiheadAttention(4, 2);
    assert.throws(() => m.forward(randn([2, 3, 5], 1)), /the query input must be \[batch, tokens, 4\], got \[2, 3, 5\]/);
    assert.throws(() => m.forward(randn([2, 3, 4], 1), randn([1, 3, 4], 2)), /the context's batch \(1\) differs from the input's \(2\)/);
    assert.throws(() => m.forward(randn([2, 3, 4], 1), undefined, randn([2, 3], 3)), /keyPaddingMask must be uint8 \[2, 3\]/);
  });
});

describe('TransformerBlock', () => {
  test('gradients of every parameter and the input match central differences (causal, with cross-attention)', () => {
    const b = new TransformerBlock(8, 2, { causal: true, crossDim: 4, mlpRatio: 2 });
    reinit(b, 20, 0.3);
    const x = randn([2, 3, 8], 21);
    const ctx = randn([2, 2, 4], 22);
    gradCheck(() => b.forward(x, ctx), [x, ctx, ...b.parameters()], { samples: 8 });
  });

  test('causal block: prefix outputs do not depend on later tokens; step() equals forward()', () => {
    const b = new TransformerBlock(8, 2, { causal: true });
    reinit(b, 23, 0.3);
    const x = randn([2, 5, 8], 24);
    const y = noGrad(() => b.forward(x));
    const moved = x.clone();
    for (let n = 0; n < 2; n++) for (let i = 3 * 8; i < 5 * 8; i++) moved.data[n * 40 + i] -= 4;
    const y2 = noGrad(() => b.forward(moved));
    for (let n = 0; n < 2; n++) assertNear(y2.data.subarray(n * 40, n * 40 + 24), y.data.subarray(n * 40, n * 40 + 24), 0, `batch ${n}`);
    const cache = b.createCache(2, 5);
    const first = noGrad(() => b.step(tensor(Float32Array.from([...x.data.subarray(0, 16), ...x.data.subarray(40, 56)]), 'float32', [2, 2, 8]), cache));
    const rest = noGrad(() => b.step(tensor(Float32Array.from([...x.data.subarray(16, 40), ...x.data.subarray(56, 80)]), 'float32', [2, 3, 8]), cache));
    assertNear(noGrad(() => cat([first, rest], 1)).data, y.data, 1e-5, 'cached');
  });

  test('a cross-attending block asks for its context', () => {
    const b = new TransformerBlock(4, 1, { crossDim: 2 });
    assert.throws(() => b.forward(randn([1, 2, 4], 1)), /this block cross-attends; pass the context/);
    assert.equal(b.extraRepr(), 'dim=4, heads=1, crossDim=2');
  });
});
