/**
 * Pooling and resampling: forward against window definitions written here in float64 (PyTorch's documented output
 * size and ceil-mode rule, its avg-pool divisor, adaptive windows floor(i·H/OH)..ceil((i+1)·H/OH), and the bilinear
 * source-coordinate formula), gradients by central differences; max-pool inputs are distinct so no window ties.
 */
import { describe, test } from 'node:test';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, tensor, type UpsampleOptions, upsample } from '../../src/index.ts';
import { checkForward, distinct, errorTest, opTest, randn } from '../helpers/check.ts';
import { Nd } from '../helpers/nd.ts';

type P = number | [number, number];
const two = (v: P | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

/** PyTorch's pooling output size, including its ceil-mode rule (the last window must start inside input or left padding). */
function outSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const num = size + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(num / s) : Math.floor(num / s)) + 1;
  if (ceil && (o - 1) * s >= size + p) o--;
  return o;
}

interface PoolOpts {
  stride?: P;
  padding?: P;
  dilation?: P;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/** Visits each output cell with the in-bounds input cells of its window and PyTorch's avg divisor. */
function pool(x: Nd, kernel: P, o: PoolOpts, reduce: (vals: number[], divisorWithPad: number) => number): Nd {
  const [kh, kw] = two(kernel, 1);
  const [sh, sw] = two(o.stride ?? kernel, 1);
  const [ph, pw] = two(o.padding, 0);
  const [dh, dw] = two(o.dilation, 1);
  const [N, C, H, W] = x.shape;
  const OH = outSize(H, kh, sh, ph, dh, o.ceilMode ?? false);
  const OW = outSize(W, kw, sw, pw, dw, o.ceilMode ?? false);
  const y = new Nd([N, C, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          const vals: number[] = [];
          for (let r = 0; r < kh; r++)
            for (let s = 0; s < kw; s++) {
              const iy = oy * sh - ph + r * dh;
              const ix = ox * sw - pw + s * dw;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W) vals.push(x.get(n, c, iy, ix));
            }
          // avg_pool2d divisor with count_include_pad: the window clipped to the padded extent H + ph.
          const y0 = oy * sh - ph;
          const x0 = ox * sw - pw;
          const withPad = (Math.min(y0 + kh, H + ph) - y0) * (Math.min(x0 + kw, W + pw) - x0);
          y.set(reduce(vals, withPad), n, c, oy, ox);
        }
  return y;
}

describe('maxPool2d', () => {
  const cases: [number[], P, PoolOpts][] = [
    [[1, 1, 4, 4], 2, {}],
    [[2, 3, 5, 5], 3, { stride: 2, padding: 1 }],
    [[1, 2, 5, 7], 2, { stride: 2, ceilMode: true }],
    [[1, 1, 7, 7], 3, { stride: 2, padding: 1, dilation: 2 }],
    [[1, 3, 6, 5], [3, 2], { stride: [2, 1], padding: [1, 0], ceilMode: true }],
    [[1, 1, 1, 1], 1, {}],
    [[1, 17, 3, 3], 3, { stride: 1, padding: 1 }],
  ];
  cases.forEach(([xs, k, o], i) => {
    opTest({
      name: 'maxPool2d',
      label: `x [${xs}], kernel ${k}, ${JSON.stringify(o)}`,
      fn: (x) => maxPool2d(x, k, o),
      inputs: [distinct(xs, 1200 + i, 0.1)],
      reference: (x) => pool(x, k, o, (v) => Math.max(...v)),
      eps: 1e-2,
    });
  });
});

describe('avgPool2d', () => {
  const cases: [number[], P, PoolOpts][] = [
    [[2, 3, 5, 5], 3, { stride: 2, padding: 1 }],
    [[2, 3, 5, 5], 3, { stride: 2, padding: 1, countIncludePad: false }],
    [[1, 2, 5, 7], 2, { stride: 2, ceilMode: true }],
    [[1, 1, 6, 6], 3, { stride: 2, padding: 1, ceilMode: true }],
    [[1, 1, 6, 6], 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }],
    [[1, 3, 17, 3], [3, 1], { stride: [2, 1] }],
    [[1, 1, 1, 1], 1, {}],
  ];
  cases.forEach(([xs, k, o], i) => {
    const include = o.countIncludePad ?? true;
    opTest({
      name: 'avgPool2d',
      label: `x [${xs}], kernel ${k}, ${JSON.stringify(o)}`,
      fn: (x) => avgPool2d(x, k, o),
      inputs: [randn(xs, 1300 + i)],
      reference: (x) => pool(x, k, o, (v, withPad) => v.reduce((a, b) => a + b, 0) / (include ? withPad : v.length)),
    });
  });
});

describe('adaptiveAvgPool2d', () => {
  const ref = (oh: number, ow: number) => (x: Nd) => {
    const [N, C, H, W] = x.shape;
    const y = new Nd([N, C, oh, ow]);
    for (let i = 0; i < y.size; i++) {
      const [n, c, oy, ox] = y.unravel(i);
      const ys = Math.floor((oy * H) / oh);
      const ye = Math.ceil(((oy + 1) * H) / oh);
      const xs = Math.floor((ox * W) / ow);
      const xe = Math.ceil(((ox + 1) * W) / ow);
      let s = 0;
      for (let a = ys; a < ye; a++) for (let b = xs; b < xe; b++) s += x.get(n, c, a, b);
      y.data[i] = s / ((ye - ys) * (xe - xs));
    }
    return y;
  };
  const cases: [number[], P][] = [
    [
      [1, 2, 5, 7],
      [3, 4],
    ],
    [
      [1, 1, 17, 3],
      [5, 1],
    ],
    [[2, 3, 4, 4], 1],
    [[1, 1, 3, 3], 5],
  ];
  cases.forEach(([xs, size], i) => {
    const [oh, ow] = two(size, 1);
    opTest({
      name: 'adaptiveAvgPool2d',
      label: `x [${xs}] → ${oh}×${ow}`,
      fn: (x) => adaptiveAvgPool2d(x, size),
      inputs: [randn(xs, 1400 + i)],
      reference: ref(oh, ow),
    });
  });
});

describe('upsample', () => {
  /** For each output index along an axis: the (input index, weight) taps, from PyTorch's documented formulas. */
  const taps = (inSize: number, outSize: number, mode: 'nearest' | 'bilinear', align: boolean): [number, number][][] =>
    Array.from({ length: outSize }, (_, o) => {
      if (mode === 'nearest') return [[Math.min(Math.floor(o * (inSize / outSize)), inSize - 1), 1]];
      const src = align ? (outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0) : Math.max(0, (o + 0.5) * (inSize / outSize) - 0.5);
      const i0 = Math.min(Math.floor(src), inSize - 1);
      const i1 = Math.min(i0 + 1, inSize - 1);
      const l = src - i0;
      return [
        [i0, 1 - l],
        [i1, l],
      ];
    });
  const ref = (oh: number, ow: number, mode: 'nearest' | 'bilinear', align: boolean) => (x: Nd) => {
    const [N, C, H, W] = x.shape;
    const ty = taps(H, oh, mode, align);
    const tx = taps(W, ow, mode, align);
    const y = new Nd([N, C, oh, ow]);
    for (let i = 0; i < y.size; i++) {
      const [n, c, oy, ox] = y.unravel(i);
      let s = 0;
      for (const [iy, wy] of ty[oy]) for (const [ix, wx] of tx[ox]) s += wy * wx * x.get(n, c, iy, ix);
      y.data[i] = s;
    }
    return y;
  };
  const cases: [number[], UpsampleOptions, number, number][] = [
    [[1, 2, 3, 4], { scaleFactor: 2 }, 6, 8],
    [[1, 1, 3, 4], { size: [5, 7] }, 5, 7],
    [[1, 1, 5, 6], { size: [3, 4] }, 3, 4],
    [[2, 2, 3, 4], { scaleFactor: 2, mode: 'bilinear' }, 6, 8],
    [[1, 1, 3, 4], { size: [5, 3], mode: 'bilinear' }, 5, 3],
    [[1, 1, 3, 4], { size: [5, 7], mode: 'bilinear', alignCorners: true }, 5, 7],
    [[1, 1, 1, 1], { size: 3, mode: 'bilinear' }, 3, 3],
    [[1, 1, 1, 3], { size: [1, 17], mode: 'bilinear', alignCorners: true }, 1, 17],
  ];
  // PyTorch maps coordinates with 1/scaleFactor when a scale factor is given; the kernels use in/out, which agrees
  // only when H·scaleFactor is an integer. The ResampleGeometry contract has no room for the scale yet.
  test('upsample with a non-integer scaleFactor maps coordinates by 1/scaleFactor, as PyTorch', () => {
    const inv = 1 / 1.5;
    const taps15 = (inSize: number, outSize: number) =>
      Array.from({ length: outSize }, (_, o) => {
        const src = Math.max(0, (o + 0.5) * inv - 0.5);
        const i0 = Math.min(Math.floor(src), inSize - 1);
        const i1 = Math.min(i0 + 1, inSize - 1);
        return [
          [i0, 1 - (src - i0)],
          [i1, src - i0],
        ];
      });
    checkForward({
      name: 'upsample',
      label: 'bilinear, scaleFactor 1.5 on 5×5',
      fn: (x) => upsample(x, { scaleFactor: 1.5, mode: 'bilinear' }),
      inputs: [randn([1, 1, 5, 5], 1590)],
      reference: (x) => {
        const t = taps15(5, 7);
        const y = new Nd([1, 1, 7, 7]);
        for (let i = 0; i < y.size; i++) {
          const [, , oy, ox] = y.unravel(i);
          let s = 0;
          for (const [iy, wy] of t[oy]) for (const [ix, wx] of t[ox]) s += wy * wx * x.get(0, 0, iy, ix);
          y.data[i] = s;
        }
        return y;
      },
    });
  });
  cases.forEach(([xs, o, oh, ow], i) => {
    opTest({
      name: 'upsample',
      label: `x [${xs}], ${JSON.stringify(o)}`,
      fn: (x) => upsample(x, o),
      inputs: [randn(xs, 1500 + i)],
      reference: ref(oh, ow, o.mode ?? 'nearest', o.alignCorners ?? false),
    });
  });
});

describe('pool geometry errors', () => {
  const x = randn([1, 2, 5, 5], 1);
  errorTest('maxPool2d', '3-D input', () => maxPool2d(randn([2, 5, 5], 1), 2), /^maxPool2d: input must be 4-D \[N, C, H, W\], got \[2, 5, 5\]/);
  errorTest(
    'maxPool2d',
    'padding above half the kernel',
    () => maxPool2d(x, 2, { padding: 2 }),
    /^maxPool2d: padding 2x2 must be between 0 and half the kernel \(2x2\)/,
  );
  errorTest(
    'maxPool2d',
    'kernel larger than the input',
    () => maxPool2d(randn([1, 1, 2, 2], 1), 3),
    /^maxPool2d: kernel 3x3 does not fit the input 2x2 \(padding 0x0\); use a smaller kernel/,
  );
  errorTest('maxPool2d', 'stride 0', () => maxPool2d(x, 2, { stride: [1, -1] }), /^maxPool2d: kernel and stride must be >= 1, got kernel 2x2, stride 1x-1/);
  errorTest(
    'avgPool2d',
    'an int32 input',
    () => avgPool2d(tensor([[[[1]]]], 'int32'), 1),
    /^avgPool2d: input must be float32, got int32 with shape \[1, 1, 1, 1\]/,
  );
  errorTest('avgPool2d', 'kernel larger than the input', () => avgPool2d(randn([1, 1, 3, 3], 1), [4, 1]), /^avgPool2d: kernel 4x1 does not fit the input 3x3/);
  errorTest('adaptiveAvgPool2d', 'output size 0', () => adaptiveAvgPool2d(x, [0, 2]), /^adaptiveAvgPool2d: output size must be positive integers, got 0x2/);
  errorTest(
    'adaptiveAvgPool2d',
    '2-D input',
    () => adaptiveAvgPool2d(randn([5, 5], 1), 2),
    /^adaptiveAvgPool2d: input must be 4-D \[N, C, H, W\], got \[5, 5\]/,
  );
  errorTest(
    'upsample',
    'unknown mode',
    () => upsample(x, { scaleFactor: 2, mode: 'bicubic' as 'bilinear' }),
    /^upsample: mode must be 'nearest' or 'bilinear', got 'bicubic'/,
  );
  errorTest('upsample', 'both size and scaleFactor', () => upsample(x, { size: 4, scaleFactor: 2 }), /^upsample: give exactly one of size or scaleFactor/);
  errorTest('upsample', '3-D input', () => upsample(randn([2, 5, 5], 1), { scaleFactor: 2 }), /^upsample: input must be 4-D \[N, C, H, W\], got \[2, 5, 5\]/);
  errorTest('upsample', 'scale that empties the output', () => upsample(x, { scaleFactor: 0.1 }), /^upsample: output size must be positive integers, got 0x0/);
});
