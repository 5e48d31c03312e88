// Parity of the reductions and softmax: native vs the JS reference (collected by test/backend/parity.ts).
import { test } from 'node:test';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, rng, type ParitySuite } from '../parity-kit.ts';

export default function defineReduceParity({ label, name, skip, native: nb }: ParitySuite): void {
  test(`${label}: ${name} reduce, softmax, softmaxBackward`, { skip }, (t) => {
    const rand = rng(6);
    const views: [number, number, number][] = [
      [1, 1, 1],
      [3, 17, 1],
      [2, 129, 3],
      [5, 3, 17],
      [1, 70_001, 1],
      [128, 49, 1],
      [1, 64, 129],
      [7, 33, 1030],
    ];
    for (const op of ['sum', 'max', 'min'] as const)
      for (const [outer, size, inner] of views) {
        const x = randomF32(outer * size * inner, rand);
        const want = new Float32Array(outer * inner);
        const got = new Float32Array(outer * inner);
        jsBackend.reduce(op, x, outer, size, inner, want);
        nb.reduce(op, x, outer, size, inner, got);
        const bound = op === 'sum' ? { atol: 2e-7 * size, rtol: 1e-6 } : { atol: 0, rtol: 0 };
        expectClose(t, `reduce ${op} ${outer}×${size}×${inner}`, got, want, bound);
      }
    for (const log of [false, true])
      for (const [rows, cols] of [
        [1, 1],
        [3, 17],
        [129, 10],
        [2, 1000],
        [64, 129],
      ]) {
        const x = randomF32(rows * cols, rand, -10, 10);
        const want = new Float32Array(rows * cols);
        const got = new Float32Array(rows * cols);
        jsBackend.softmax(x, rows, cols, want, log);
        nb.softmax(x, rows, cols, got, log);
        expectClose(t, `${log ? 'logSoftmax' : 'softmax'} ${rows}×${cols}`, got, want, { atol: log ? 2e-6 : 1e-7, rtol: 1e-6 });
        const gy = randomF32(rows * cols, rand);
        const gw = new Float32Array(rows * cols);
        const gg = new Float32Array(rows * cols);
        jsBackend.softmaxBackward(want, gy, rows, cols, gw, log);
        nb.softmaxBackward(want, gy, rows, cols, gg, log);
        expectClose(t, `${log ? 'logSoftmax' : 'softmax'}Backward ${rows}×${cols}`, gg, gw, { atol: 2e-6, rtol: 2e-6 });
      }
  });

  test(`${label}: ${name} argReduce, softmaxAxis, softmaxAxisBackward`, { skip }, (t) => {
    const rand = rng(10);
    const views: [number, number, number][] = [
      [1, 1, 1],
      [3, 17, 1],
      [1, 129, 3],
      [3, 1, 17],
      [5, 3, 129],
      [17, 129, 17],
      [2, 17, 1030], // more than one column block
    ];
    for (const [outer, size, inner] of views) {
      const x = randomF32(outer * size * inner, rand, -4, 4).map((v) => Math.round(v * 4) / 4); // ties: the first index wins
      for (const op of ['argmax', 'argmin'] as const) {
        const want = new Int32Array(outer * inner);
        const got = new Int32Array(outer * inner);
        jsBackend.argReduce(op, x, outer, size, inner, want);
        nb.argReduce(op, x, outer, size, inner, got);
        expectClose(t, `argReduce ${op} ${outer}×${size}×${inner}`, got, want, { atol: 0, rtol: 0 });
      }
      for (const log of [false, true]) {
        const xs = randomF32(outer * size * inner, rand, -10, 10);
        const want = new Float32Array(xs.length);
        const got = new Float32Array(xs.length);
        jsBackend.softmaxAxis(xs, outer, size, inner, want, log);
        nb.softmaxAxis(xs, outer, size, inner, got, log);
        const tag = `${log ? 'logSoftmax' : 'softmax'}Axis ${outer}×${size}×${inner}`;
        expectClose(t, tag, got, want, { atol: log ? 2e-6 : 1e-7, rtol: 1e-6 });
        const gy = randomF32(xs.length, rand);
        const gw = new Float32Array(xs.length);
        const gg = new Float32Array(xs.length);
        jsBackend.softmaxAxisBackward(want, gy, outer, size, inner, gw, log);
        nb.softmaxAxisBackward(want, gy, outer, size, inner, gg, log);
        expectClose(t, `${tag} backward`, gg, gw, { atol: 2e-6, rtol: 2e-6 });
      }
    }
  });
}
