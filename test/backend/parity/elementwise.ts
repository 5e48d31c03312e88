// Parity of the unary, binary, affine, clamp: native vs the JS reference (collected by test/backend/parity.ts).
import { BINARY_OPS, COMPARE_OPS, UNARY_OPS, type UnaryOp } from '../../../src/backend/backend.ts';
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { type Bound, expectClose, expectQuiet, randomF32, randomI32, rng, SIZES, type ParitySuite } from '../parity-kit.ts';

export default function defineElementwiseParity({ label, name, skip, native: nb }: ParitySuite): void {
  // Per-op bounds: fastExp-based functions are within a few float ulps of the double-precision reference.
  const unaryBound: Record<UnaryOp, Bound> = {
    neg: { atol: 0, rtol: 0 },
    exp: { atol: 0, rtol: 5e-7 },
    log: { atol: 1e-7, rtol: 2e-7 },
    sqrt: { atol: 0, rtol: 2e-7 },
    rsqrt: { atol: 0, rtol: 3e-7 },
    abs: { atol: 0, rtol: 0 },
    relu: { atol: 0, rtol: 0 },
    leakyRelu: { atol: 0, rtol: 2e-7 },
    elu: { atol: 1e-7, rtol: 5e-7 },
    gelu: { atol: 3e-7, rtol: 5e-7 },
    silu: { atol: 1e-7, rtol: 5e-7 },
    sigmoid: { atol: 1e-7, rtol: 5e-7 },
    tanh: { atol: 1e-7, rtol: 5e-7 },
    softplus: { atol: 1e-7, rtol: 5e-7 },
  };
  const sizes = SIZES;

  test(`${label}: ${name} unary and unaryBackward, every op`, { skip }, (t) => {
    const rand = rng(4);
    for (const op of UNARY_OPS) {
      const positive = op === 'log' || op === 'sqrt' || op === 'rsqrt';
      const alpha = op === 'softplus' ? 1.5 : op === 'elu' ? 0.7 : 0.01;
      let worst = 0;
      let worstBack = 0;
      for (const n of sizes) {
        const x = positive ? randomF32(n, rand, 0.01, 10) : randomF32(n, rand, -8, 8);
        if (!positive && n > 3) x[1] = 0; // the kink of relu/abs/leakyRelu
        const want = new Float32Array(n);
        const got = new Float32Array(n);
        jsBackend.unary(op, x, want, alpha);
        nb.unary(op, x, got, alpha);
        worst = Math.max(worst, expectQuiet(`unary ${op} n=${n}`, got, want, unaryBound[op]));
        const gy = randomF32(n, rand);
        const gxW = new Float32Array(n);
        const gxG = new Float32Array(n);
        jsBackend.unaryBackward(op, x, want, gy, gxW, alpha);
        nb.unaryBackward(op, x, want, gy, gxG, alpha);
        worstBack = Math.max(worstBack, expectQuiet(`unaryBackward ${op} n=${n}`, gxG, gxW, { atol: 2e-6, rtol: 2e-6 }));
      }
      const b = unaryBound[op];
      t.diagnostic(`${`unary ${op} (n = ${sizes.join(', ')})`.padEnd(58)} max|Δ| ${worst.toExponential(2)}  (bound ${b.atol} + ${b.rtol}·|js|)`);
      t.diagnostic(`${`unaryBackward ${op}`.padEnd(58)} max|Δ| ${worstBack.toExponential(2)}  (bound 2e-6 + 2e-6·|js|)`);
    }
  });

  test(`${label}: ${name} binary broadcasting, affine, clamp`, { skip }, (t) => {
    const rand = rng(5);
    const cases: [number[], number[]][] = [
      [
        [3, 17],
        [3, 17],
      ],
      [[129], []],
      [[], [129]],
      [
        [2, 3, 4, 5],
        [3, 1, 1],
      ],
      [[4, 5], [5]],
      [
        [2, 1, 4],
        [3, 1],
      ],
      [[1], [17, 3]],
      [
        [64, 32, 7, 9],
        [1, 32, 1, 1],
      ],
      [
        [5, 129],
        [5, 1],
      ],
      [
        [200, 300],
        [200, 300],
      ],
    ];
    for (const op of BINARY_OPS) {
      let worst = 0;
      for (const [as, bs] of cases) {
        const rank = Math.max(as.length, bs.length);
        const outShape: number[] = [];
        for (let i = 0; i < rank; i++) {
          const da = as[as.length - rank + i] ?? 1;
          const db = bs[bs.length - rank + i] ?? 1;
          outShape.push(Math.max(da, db));
        }
        const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
        const lo = op === 'pow' ? 0.1 : -2;
        const a = randomF32(size(as), rand, lo, 2);
        const b = randomF32(size(bs), rand, op === 'pow' ? -2 : -2, 2);
        const want = new Float32Array(size(outShape));
        const got = new Float32Array(size(outShape));
        jsBackend.binary(op, a, as, b, bs, want, outShape);
        nb.binary(op, a, as, b, bs, got, outShape);
        worst = Math.max(worst, expectQuiet(`binary ${op} [${as}] ∘ [${bs}]`, got, want, { atol: 0, rtol: op === 'pow' ? 3e-7 : 1.2e-7 }));
      }
      t.diagnostic(`${`binary ${op} (${cases.length} broadcast patterns)`.padEnd(58)} max|Δ| ${worst.toExponential(2)}`);
    }
    for (const n of sizes) {
      const x = randomF32(n, rand, -3, 3);
      const w1 = new Float32Array(n);
      const g1 = new Float32Array(n);
      jsBackend.affine(x, 1.7, -0.3, w1);
      nb.affine(x, 1.7, -0.3, g1);
      expectClose(t, `affine n=${n}`, g1, w1, { atol: 1e-7, rtol: 2e-7 });
      jsBackend.clamp(x, -1, 0.5, w1);
      nb.clamp(x, -1, 0.5, g1);
      expectClose(t, `clamp n=${n}`, g1, w1, { atol: 0, rtol: 0 });
    }
  });

  test(`${label}: ${name} compare (any dtypes, exact), where, clampBackward`, { skip }, (t) => {
    const rand = rng(9);
    const exact = { atol: 0, rtol: 0 };
    const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
    const cases: [number[], number[], number[]][] = [
      [[1], [1], [1]],
      [
        [3, 17],
        [3, 17],
        [3, 17],
      ],
      [[129], [], [129]],
      [
        [2, 1, 17],
        [3, 1],
        [2, 3, 17],
      ],
      [
        [17, 129],
        [1, 129],
        [17, 129],
      ],
    ];
    const values = (n: number): [string, Float32Array | Int32Array | Uint8Array][] => {
      const ints = randomI32(n, rand, 2 ** 24, 2 ** 24 + 4); // above 2^24: float32 would merge neighbours
      return [
        ['f32', randomF32(n, rand, -2, 2).map(Math.round)],
        ['i32', ints],
        ['u8', Uint8Array.from(randomI32(n, rand, 0, 3))],
      ];
    };
    for (const [as, bs, os] of cases)
      for (const [ta, a] of values(size(as)))
        for (const [tb, b] of values(size(bs)))
          for (const op of COMPARE_OPS) {
            const want = new Uint8Array(size(os));
            const got = new Uint8Array(size(os));
            jsBackend.compare(op, a, as, b, bs, want, os);
            nb.compare(op, a, as, b, bs, got, os);
            expectQuiet(`compare ${op} ${ta}[${as}] ${tb}[${bs}]`, got, want, exact);
          }
    t.diagnostic(`compare: ${COMPARE_OPS.length} ops × ${cases.length} broadcasts × 9 dtype pairs, exact`);
    const whereCases: [number[], number[], number[], number[]][] = [
      [[1], [1], [1], [1]],
      [[3, 17], [3, 17], [], [3, 17]],
      [[129], [3, 129], [3, 1], [3, 129]],
      [[2, 1, 17], [3, 17], [17], [2, 3, 17]],
      [
        [1, 129],
        [129, 129],
        [129, 1],
        [129, 129],
      ],
    ];
    for (const [cs, as, bs, os] of whereCases) {
      const c = Uint8Array.from(randomI32(size(cs), rand, 0, 2));
      const a = randomF32(size(as), rand);
      const b = randomF32(size(bs), rand);
      const want = new Float32Array(size(os));
      const got = new Float32Array(size(os));
      jsBackend.where(c, cs, a, as, b, bs, want, os);
      nb.where(c, cs, a, as, b, bs, got, os);
      expectClose(t, `where [${cs}] ? [${as}] : [${bs}]`, got, want, exact);
    }
    for (const n of SIZES) {
      const x = randomF32(n, rand, -2, 2);
      const gy = randomF32(n, rand);
      const w = new Float32Array(n);
      const g = new Float32Array(n);
      jsBackend.clampBackward(x, -1, 0.5, gy, w);
      nb.clampBackward(x, -1, 0.5, gy, g);
      expectClose(t, `clampBackward n=${n}`, g, w, exact);
    }
  });
}
