/**
 * scaledDotProductAttention: forward against softmax(q·kᵀ/√d + mask)·v evaluated here in float64 (written from the
 * definition, not from the kernels), gradients of q, k and v by central differences, with causal masks, boolean and
 * additive masks broadcast from [T, T] and [B, 1, 1, T], cross-attention (Tq ≠ Tk), other ranks, and the errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scaledDotProductAttention, type Tensor, tensor } from '../../src/index.ts';
import { errorTest, lit, opTest, randn } from '../helpers/check.ts';
import { Nd } from '../helpers/nd.ts';

/** The reference: q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv], mask broadcast to [..., Tq, Tk] (additive). */
function attention(q: Nd, k: Nd, v: Nd, o: { causal?: boolean; mask?: Nd; keep?: Nd; scale?: number } = {}): Nd {
  const r = q.rank;
  const [tq, d] = q.shape.slice(r - 2);
  const tk = k.shape[r - 2];
  const dv = v.shape[r - 1];
  const lead = q.shape.slice(0, r - 2);
  const pairs = lead.reduce((p, n) => p * n, 1);
  const scale = o.scale ?? 1 / Math.sqrt(d);
  const out = new Nd([...lead, tq, dv]);
  /** Value of a broadcast mask at pair p, row i, column j. */
  const maskAt = (m: Nd, p: number, i: number, j: number) => {
    const full = [...lead, tq, tk];
    const idx: number[] = [];
    let rem = p;
    for (let a = lead.length - 1; a >= 0; a--) {
      idx.unshift(rem % lead[a]);
      rem = Math.floor(rem / lead[a]);
    }
    idx.push(i, j);
    const off = full.length - m.rank;
    return m.get(...idx.slice(off).map((x, a) => (m.shape[a] === 1 ? 0 : x)));
  };
  for (let p = 0; p < pairs; p++)
    for (let i = 0; i < tq; i++) {
      const s: number[] = [];
      for (let j = 0; j < tk; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q.data[(p * tq + i) * d + c] * k.data[(p * tk + j) * d + c];
        let v2 = dot * scale;
        if (o.mask) v2 += maskAt(o.mask, p, i, j);
        if (o.keep && maskAt(o.keep, p, i, j) === 0) v2 = Number.NEGATIVE_INFINITY;
        if (o.causal && j > i) v2 = Number.NEGATIVE_INFINITY;
        s.push(v2);
      }
      const mx = Math.max(...s);
      if (mx === Number.NEGATIVE_INFINITY) continue; // an empty row: zeros
      const e = s.map((x) => Math.exp(x - mx));
      const z = e.reduce((a, b) => a + b, 0);
      for (let c = 0; c < dv; c++) {
        let acc = 0;
        for (let j = 0; j < tk; j++) acc += (e[j] / z) * v.data[(p * tk + j) * dv + c];
        out.data[(p * tq + i) * dv + c] = acc;
      }
    }
  return out;
}

const boolMask = (shape: number[], keep: (i: number) => boolean): Tensor =>
  tensor(
    Uint8Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (keep(i) ? 1 : 0)),
    'uint8',
    shape,
  );

describe('scaledDotProductAttention', () => {
  const grad = { gradAtol: 2e-2, gradRtol: 2e-2, eps: 1e-2 };

  for (const [b, h, t, d] of [
    [1, 1, 1, 1],
    [2, 3, 3, 3],
    [1, 2, 17, 3],
    [2, 1, 5, 17],
  ]) {
    opTest({
      name: 'scaledDotProductAttention',
      label: `[${b}, ${h}, ${t}, ${d}]`,
      fn: (q, k, v) => scaledDotProductAttention(q, k, v),
      inputs: [randn([b, h, t, d], 1), randn([b, h, t, d], 2), randn([b, h, t, d], 3)],
      reference: (q, k, v) => attention(q, k, v),
      ...grad,
    });
  }

  opTest({
    name: 'scaledDotProductAttention',
    label: 'causal [2, 2, 6, 4]',
    fn: (q, k, v) => scaledDotProductAttention(q, k, v, { causal: true }),
    inputs: [randn([2, 2, 6, 4], 4), randn([2, 2, 6, 4], 5), randn([2, 2, 6, 4], 6)],
    reference: (q, k, v) => attention(q, k, v, { causal: true }),
    ...grad,
  });

  opTest({
    name: 'scaledDotProductAttention',
    label: 'cross-attention Tq 3, Tk 7, dv 5',
    fn: (q, k, v) => scaledDotProductAttention(q, k, v),
    inputs: [randn([2, 2, 3, 4], 7), randn([2, 2, 7, 4], 8), randn([2, 2, 7, 5], 9)],
    reference: (q, k, v) => attention(q, k, v),
    ...grad,
  });

  const additive = randn([5, 5], 10);
  opTest({
    name: 'scaledDotProductAttention',
    label: 'additive mask [T, T] shared by batch and heads',
    fn: (q, k, v) => scaledDotProductAttention(q, k, v, { mask: additive }),
    inputs: [randn([2, 3, 5, 4], 11), randn([2, 3, 5, 4], 12), randn([2, 3, 5, 4], 13)],
    reference: (q, k, v) => attention(q, k, v, { mask: new Nd(additive.shape, additive.data) }),
    ...grad,
  });

  // A padding mask [B, 1, 1, Tk]: batch 0 keeps keys 0..3, batch 1 keys 0..1; with causal, row 0 always keeps key 0.
  const keep = boolMask([2, 1, 1, 5], (i) => (i < 5 ? i % 5 < 4 : i % 5 < 2));
  opTest({
    name: 'scaledDotProductAttention',
    label: 'boolean padding mask [B, 1, 1, Tk] and causal',
    fn: (q, k, v) => scaledDotProductAttention(q, k, v, { mask: keep, causal: true }),
    inputs: [randn([2, 2, 5, 3], 14), randn([2, 2, 5, 3], 15), randn([2, 2, 5, 3], 16)],
    reference: (q, k, v) => attention(q, k, v, { keep: new Nd(keep.shape, keep.data), causal: true }),
    ...grad,
  });

  const perHead = randn([1, 3, 4, 4], 17);
  opTest({
    name: 'scaledDotProductAttention',
    label: 'additive mask per head [1, H, T, T], rank-3 inputs [H, T, d] and an explicit scale',
    fn: (q, k, v) => scaledDotProductAttention(q, k, v, { mask: perHead.reshape([3, 4, 4]), scale: 0.3 }),
    inputs: [randn([3, 4, 2], 18), randn([3, 4, 2], 19), randn([3, 4, 2], 20)],
    reference: (q, k, v) => attention(q, k, v, { mask: new Nd([3, 4, 4], perHead.data), scale: 0.3 }),
    ...grad,
  });

  test('a query row with every key masked gives zeros and no gradient', () => {
    const q = randn([1, 1, 2, 3], 21).requiresGrad_();
    const k = randn([1, 1, 4, 3], 22).requiresGrad_();
    const v = randn([1, 1, 4, 3], 23).requiresGrad_();
    const mask = boolMask([2, 4], (i) => i >= 4); // row 0 keeps nothing, row 1 keeps everything
    const y = scaledDotProductAttention(q, k, v, { mask });
    assert.deepEqual([...y.data.slice(0, 3)], [0, 0, 0]);
    y.sum().backward();
    assert.deepEqual([...(q.grad?.data.slice(0, 3) ?? [])], [0, 0, 0]);
  });

  test('W8 shapes run forward and backward and keep their shapes', () => {
    const q = randn([64, 4, 49, 32], 24, 0.5).requiresGrad_();
    const k = randn([64, 4, 49, 32], 25, 0.5).requiresGrad_();
    const v = randn([64, 4, 49, 32], 26, 0.5).requiresGrad_();
    const y = scaledDotProductAttention(q, k, v);
    assert.deepEqual([...y.shape], [64, 4, 49, 32]);
    y.sum().backward();
    assert.deepEqual([...(k.grad?.shape ?? [])], [64, 4, 49, 32]);
  });

  const q = randn([2, 3, 4], 30);
  errorTest(
    'scaledDotProductAttention',
    'key with another head size',
    () => scaledDotProductAttention(q, randn([2, 5, 3], 31), randn([2, 5, 4], 32)),
    /scaledDotProductAttention/,
    lit('[2, 3, 4]'),
    lit('[2, 5, 3]'),
  );
  errorTest('scaledDotProductAttention', 'ranks differ', () => scaledDotProductAttention(q, randn([3, 4], 33), randn([3, 4], 34)), /same rank/);
  errorTest(
    'scaledDotProductAttention',
    'mask that does not broadcast',
    () => scaledDotProductAttention(q, q, q, { mask: randn([2, 3], 35) }),
    /mask \[2, 3\]/,
  );
  errorTest(
    'scaledDotProductAttention',
    'int32 mask',
    () => scaledDotProductAttention(q, q, q, { mask: tensor(new Int32Array(9), 'int32', [3, 3]) }),
    /float32 .* or uint8/,
  );
});
