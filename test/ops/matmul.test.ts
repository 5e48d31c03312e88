/**
 * matmul (1-D, 2-D, batched, broadcast batch dimensions), linear and the fused linearRelu: forward against a triple
 * loop in float64, gradients by central differences, and the shape errors.
 */
import { describe } from 'node:test';
import { linear, matmul, type Tensor, tensor } from '../../src/index.ts';
import { linearRelu } from '../../src/ops/matmul.ts';
import { errorTest, opTest, randn } from '../helpers/check.ts';
import { broadcastShape, Nd } from '../helpers/nd.ts';

/** torch.matmul by definition: promote 1-D operands, broadcast batch dims, Σ_k a[..., i, k]·b[..., k, j]. */
function matmulRef(a: Nd, b: Nd): Nd {
  const A = a.rank === 1 ? new Nd([1, a.shape[0]], a.data) : a;
  const B = b.rank === 1 ? new Nd([b.shape[0], 1], b.data) : b;
  const m = A.shape[A.rank - 2];
  const k = A.shape[A.rank - 1];
  const n = B.shape[B.rank - 1];
  const batch = broadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const out = new Nd([...batch, m, n]);
  for (let o = 0; o < out.size; o++) {
    const idx = out.unravel(o);
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    const at = (t: Nd, r: number, c: number) => {
      const lead = bi.length - (t.rank - 2);
      const full = [...bi.slice(lead).map((v, d) => (t.shape[d] === 1 ? 0 : v)), r, c];
      return t.get(...full);
    };
    let s = 0;
    for (let p = 0; p < k; p++) s += at(A, i, p) * at(B, p, j);
    out.data[o] = s;
  }
  let shape = out.shape;
  if (a.rank === 1) shape = [...shape.slice(0, -2), shape[shape.length - 1]];
  if (b.rank === 1) shape = shape.slice(0, -1);
  return new Nd(shape, out.data);
}

describe('matmul', () => {
  const cases: [number[], number[]][] = [
    [
      [3, 17],
      [17, 5],
    ],
    [
      [1, 1],
      [1, 1],
    ],
    [[17], [17, 3]],
    [[3, 17], [17]],
    [[17], [17]],
    [
      [2, 3, 4],
      [2, 4, 5],
    ],
    [
      [2, 3, 4],
      [4, 5],
    ],
    [
      [3, 4],
      [2, 4, 5],
    ],
    [
      [2, 1, 3, 4],
      [3, 4, 2],
    ],
    [
      [4, 1, 2, 3],
      [1, 5, 3, 2],
    ],
    [[3], [2, 3, 4]],
    [[2, 3, 4], [4]],
    // attention-shaped: full [B, heads] batches, and one matrix shared by 129 batched ones (a single batched GEMM call)
    [
      [2, 3, 17, 3],
      [2, 3, 3, 129],
    ],
    [
      [3, 4],
      [129, 4, 3],
    ],
  ];
  cases.forEach(([sa, sb], k) => {
    opTest({
      name: 'matmul',
      label: `[${sa}] · [${sb}]`,
      fn: matmul,
      inputs: [randn(sa, 900 + k), randn(sb, 920 + k)],
      reference: matmulRef,
      atol: 1e-5,
    });
  });
});

describe('linear', () => {
  const linRef = (x: Nd, w: Nd, b?: Nd) => {
    const [outF, inF] = w.shape;
    const rows = x.size / inF;
    const out = new Nd([...x.shape.slice(0, -1), outF]);
    for (let r = 0; r < rows; r++)
      for (let o = 0; o < outF; o++) {
        let s = b ? b.data[o] : 0;
        for (let i = 0; i < inF; i++) s += x.data[r * inF + i] * w.get(o, i);
        out.data[r * outF + o] = s;
      }
    return out;
  };
  const cases: [number[], number, boolean][] = [
    [[3, 17], 5, true],
    [[1, 3], 1, true],
    [[2, 3, 4], 17, true],
    [[17], 3, false],
    [[4, 3], 2, false],
  ];
  cases.forEach(([xs, outF, bias], k) => {
    const inF = xs[xs.length - 1];
    const inputs = [randn(xs, 950 + k), randn([outF, inF], 960 + k), ...(bias ? [randn([outF], 970 + k)] : [])];
    opTest({
      name: 'linear',
      label: `x [${xs}], weight [${outF}, ${inF}]${bias ? ', bias' : ''}`,
      fn: (x: Tensor, w: Tensor, b?: Tensor) => linear(x, w, b ?? null),
      inputs,
      reference: linRef,
      atol: 1e-5,
    });
    opTest({
      name: 'linearRelu',
      label: `x [${xs}], weight [${outF}, ${inF}]${bias ? ', bias' : ''}`,
      fn: (x: Tensor, w: Tensor, b?: Tensor) => linearRelu(x, w, b ?? null),
      inputs,
      reference: (x: Nd, w: Nd, b?: Nd) => {
        const out = linRef(x, w, b);
        for (let i = 0; i < out.size; i++) out.data[i] = Math.max(out.data[i], 0);
        return out;
      },
      atol: 1e-5,
    });
  });
});

describe('matmul and linear errors', () => {
  errorTest(
    'matmul',
    'inner dimensions differ',
    () => matmul(randn([3, 4], 1), randn([5, 2], 2)),
    /^matmul: inner dimensions differ: \[3, 4\] · \[5, 2\] \(4 vs 5\); the last dimension of the first operand must equal the second-to-last of the second/,
  );
  errorTest(
    'matmul',
    'batch dims that do not broadcast',
    () => matmul(randn([2, 3, 4], 1), randn([3, 4, 5], 2)),
    /^matmul: shapes \[2\] and \[3\] cannot be broadcast/,
  );
  errorTest('matmul', 'a scalar operand', () => matmul(tensor(2), randn([3], 1)), /^matmul: both operands need at least one dimension, got \[\] and \[3\]/);
  errorTest(
    'matmul',
    'an int32 operand',
    () => matmul(tensor([[1]], 'int32'), randn([1, 1], 1)),
    /^matmul: first operand must be float32, got int32 with shape \[1, 1\]/,
  );
  errorTest(
    'linear',
    'input does not end in inFeatures',
    () => linear(randn([2, 3], 1), randn([4, 5], 2)),
    /^linear: input shape \[2, 3\] does not end in 5 \(the weight is \[4, 5\]: \[outFeatures, inFeatures\]\)/,
  );
  errorTest('linear', '1-D weight', () => linear(randn([2, 3], 1), randn([3], 2)), /^linear: weight must be 2-D \[outFeatures, inFeatures\], got \[3\]/);
  errorTest('linear', 'wrong bias', () => linear(randn([2, 3], 1), randn([4, 3], 2), randn([3], 3)), /^linear: bias must be \[4\], got \[3\]/);
  errorTest('linear', 'an int32 input', () => linear(tensor([[1, 2, 3]], 'int32'), randn([4, 3], 2)), /^linear: input must be float32, got int32/);
});
