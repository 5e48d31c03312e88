/**
 * conv2d and convTranspose2d: forward against float64 definitions written here (conv as the seven-loop sum,
 * convTranspose as the scatter of every input pixel through the kernel), gradients of input, weight and bias by
 * central differences (sampled), and geometry errors.
 */
import { describe } from 'node:test';
import { type Conv2dOptions, type ConvTranspose2dOptions, conv2d, convTranspose2d, type Tensor, tensor } from '../../src/index.ts';
import { errorTest, opTest, randn } from '../helpers/check.ts';
import { Nd } from '../helpers/nd.ts';

const two = (v: number | readonly [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

/** y[n,k,oy,ox] = b[k] + Σ_{c in k's group, r, s} x[n, c, oy·sh − ph + r·dh, ox·sw − pw + s·dw]·w[k, c − c0, r, s]. */
function conv2dRef(o: Conv2dOptions) {
  return (x: Nd, w: Nd, b?: Nd): Nd => {
    const [sh, sw] = two(o.stride, 1);
    const [ph, pw] = two(o.padding, 0);
    const [dh, dw] = two(o.dilation, 1);
    const groups = o.groups ?? 1;
    const [N, , H, W] = x.shape;
    const [K, Cg, R, S] = w.shape;
    const OH = Math.floor((H + 2 * ph - dh * (R - 1) - 1) / sh) + 1;
    const OW = Math.floor((W + 2 * pw - dw * (S - 1) - 1) / sw) + 1;
    const y = new Nd([N, K, OH, OW]);
    const kPerGroup = K / groups;
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        const c0 = Math.floor(k / kPerGroup) * Cg;
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            let acc = b ? b.data[k] : 0;
            for (let c = 0; c < Cg; c++)
              for (let r = 0; r < R; r++)
                for (let s = 0; s < S; s++) {
                  const iy = oy * sh - ph + r * dh;
                  const ix = ox * sw - pw + s * dw;
                  if (iy >= 0 && iy < H && ix >= 0 && ix < W) acc += x.get(n, c0 + c, iy, ix) * w.get(k, c, r, s);
                }
            y.set(acc, n, k, oy, ox);
          }
      }
    return y;
  };
}

/** Transposed conv as a scatter: every x[n, ci, iy, ix] adds x·w[ci, co, r, s] at (iy·sh − ph + r·dh, ix·sw − pw + s·dw). */
function convTranspose2dRef(o: ConvTranspose2dOptions) {
  return (x: Nd, w: Nd, b?: Nd): Nd => {
    const [sh, sw] = two(o.stride, 1);
    const [ph, pw] = two(o.padding, 0);
    const [dh, dw] = two(o.dilation, 1);
    const [oph, opw] = two(o.outputPadding, 0);
    const groups = o.groups ?? 1;
    const [N, Cin, H, W] = x.shape;
    const [, CoutG, R, S] = w.shape;
    const Cout = CoutG * groups;
    const OH = (H - 1) * sh - 2 * ph + dh * (R - 1) + oph + 1;
    const OW = (W - 1) * sw - 2 * pw + dw * (S - 1) + opw + 1;
    const y = new Nd([N, Cout, OH, OW]);
    const cinPerGroup = Cin / groups;
    for (let n = 0; n < N; n++)
      for (let ci = 0; ci < Cin; ci++) {
        const g = Math.floor(ci / cinPerGroup);
        for (let iy = 0; iy < H; iy++)
          for (let ix = 0; ix < W; ix++)
            for (let co = 0; co < CoutG; co++)
              for (let r = 0; r < R; r++)
                for (let s = 0; s < S; s++) {
                  const oy = iy * sh - ph + r * dh;
                  const ox = ix * sw - pw + s * dw;
                  if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
                  const c = g * CoutG + co;
                  y.set(y.get(n, c, oy, ox) + x.get(n, ci, iy, ix) * w.get(ci, co, r, s), n, c, oy, ox);
                }
      }
    if (b) for (let i = 0; i < y.size; i++) y.data[i] += b.data[y.unravel(i)[1]];
    return y;
  };
}

const withBias = (f: (x: Tensor, w: Tensor, b: Tensor | null) => Tensor) => (x: Tensor, w: Tensor, b?: Tensor) => f(x, w, b ?? null);

describe('conv2d', () => {
  const cases: [string, number[], number[], boolean, Conv2dOptions][] = [
    ['3×3, bias', [2, 3, 5, 5], [4, 3, 3, 3], true, {}],
    ['stride 2, padding 1', [1, 3, 7, 6], [2, 3, 3, 3], true, { stride: 2, padding: 1 }],
    ['dilation 2, padding 2', [1, 2, 7, 7], [3, 2, 3, 3], false, { dilation: 2, padding: 2 }],
    ['groups 2, stride (2, 1), padding (1, 0)', [2, 4, 5, 5], [6, 2, 3, 3], true, { groups: 2, stride: [2, 1], padding: [1, 0] }],
    ['depthwise (groups = channels), 2×3 kernel', [1, 3, 4, 5], [3, 1, 2, 3], true, { groups: 3 }],
    ['1×1 image and kernel', [1, 1, 1, 1], [1, 1, 1, 1], true, {}],
    ['17 channels, 1×1 kernel', [1, 17, 3, 3], [3, 17, 1, 1], false, {}],
    ['kernel as large as the padded input', [1, 1, 3, 3], [1, 1, 5, 5], false, { padding: 1 }],
  ];
  cases.forEach(([label, xs, ws, bias, o], k) => {
    opTest({
      name: 'conv2d',
      label: `${label}: x [${xs}], w [${ws}]`,
      fn: withBias((x, w, b) => conv2d(x, w, b, o)),
      inputs: [randn(xs, 1000 + k), randn(ws, 1020 + k, 0.5), ...(bias ? [randn([ws[0]], 1040 + k)] : [])],
      reference: conv2dRef(o),
      atol: 1e-5,
    });
  });
});

describe('convTranspose2d', () => {
  const cases: [string, number[], number[], boolean, ConvTranspose2dOptions][] = [
    ['stride 1, bias', [2, 3, 4, 4], [3, 2, 3, 3], true, {}],
    ['stride 2, padding 1, outputPadding 1', [1, 3, 4, 3], [3, 2, 3, 3], true, { stride: 2, padding: 1, outputPadding: 1 }],
    ['groups 2, stride 2, 2×2 kernel', [2, 4, 3, 3], [4, 1, 2, 2], false, { groups: 2, stride: 2 }],
    ['dilation 2, stride (2, 1), outputPadding (1, 0)', [1, 2, 3, 3], [2, 3, 3, 3], true, { dilation: 2, stride: [2, 1], outputPadding: [1, 0] }],
    ['1×1 input', [1, 1, 1, 1], [1, 3, 3, 3], true, { stride: 2 }],
  ];
  cases.forEach(([label, xs, ws, bias, o], k) => {
    const cout = ws[1] * (o.groups ?? 1);
    opTest({
      name: 'convTranspose2d',
      label: `${label}: x [${xs}], w [${ws}]`,
      fn: withBias((x, w, b) => convTranspose2d(x, w, b, o)),
      inputs: [randn(xs, 1100 + k), randn(ws, 1120 + k, 0.5), ...(bias ? [randn([cout], 1140 + k)] : [])],
      reference: convTranspose2dRef(o),
      atol: 1e-5,
    });
  });
});

describe('conv geometry errors', () => {
  const x = randn([2, 3, 5, 5], 1);
  const w = randn([4, 3, 3, 3], 2);
  errorTest(
    'conv2d',
    '3-D input',
    () => conv2d(randn([3, 5, 5], 1), w),
    /^conv2d: input must be 4-D \[N, C, H, W\], got \[3, 5, 5\]; add a batch dimension with unsqueeze\(0\)/,
  );
  errorTest(
    'conv2d',
    'channel mismatch',
    () => conv2d(x, randn([4, 2, 3, 3], 2)),
    /^conv2d: input \[2, 3, 5, 5\] has 3 channels but weight \[4, 2, 3, 3\] expects 2 \(inChannels\/groups = 2, groups = 1\)/,
  );
  errorTest(
    'conv2d',
    'groups that do not divide',
    () => conv2d(x, w, null, { groups: 2 }),
    /^conv2d: groups=2 must divide both input channels \(3\) and output channels \(4\)/,
  );
  errorTest(
    'conv2d',
    'kernel larger than the input',
    () => conv2d(randn([1, 3, 2, 2], 1), w),
    /^conv2d: kernel 3x3 \(dilation 1x1\) is larger than the padded input 2x2; use a smaller kernel or more padding/,
  );
  errorTest(
    'conv2d',
    'negative padding',
    () => conv2d(x, w, null, { padding: -1 }),
    /^conv2d: stride and dilation must be >= 1 and padding >= 0, got stride 1x1, padding -1x-1/,
  );
  errorTest('conv2d', 'stride 0', () => conv2d(x, w, null, { stride: 0 }), /^conv2d: stride and dilation must be >= 1/);
  errorTest('conv2d', 'non-integer stride', () => conv2d(x, w, null, { stride: 1.5 }), /^conv2d: stride must be an integer or a pair of integers, got 1\.5/);
  errorTest('conv2d', 'wrong bias', () => conv2d(x, w, randn([3], 3)), /^conv2d: bias must be \[4\], got \[3\]/);
  errorTest(
    'conv2d',
    '3-D weight',
    () => conv2d(x, randn([4, 3, 3], 2)),
    /^conv2d: weight must be 4-D \[outChannels, inChannels\/groups, kH, kW\], got \[4, 3, 3\]/,
  );
  errorTest('conv2d', 'an int32 input', () => conv2d(tensor([[[[1]]]], 'int32'), w), /^conv2d: input must be float32, got int32 with shape \[1, 1, 1, 1\]/);
  errorTest(
    'convTranspose2d',
    'channel mismatch',
    () => convTranspose2d(x, randn([4, 2, 3, 3], 2)),
    /^convTranspose2d: input \[2, 3, 5, 5\] has 3 channels but weight \[4, 2, 3, 3\] expects 4 \(weight is \[inChannels, outChannels\/groups, kH, kW\]\)/,
  );
  errorTest(
    'convTranspose2d',
    'outputPadding not smaller than stride',
    () => convTranspose2d(x, randn([3, 2, 3, 3], 2), null, { stride: 2, outputPadding: 2 }),
    /^convTranspose2d: outputPadding 2x2 must be smaller than stride or dilation/,
  );
  errorTest(
    'convTranspose2d',
    'groups that do not divide',
    () => convTranspose2d(x, randn([3, 2, 3, 3], 2), null, { groups: 2 }),
    /^convTranspose2d: groups=2 must divide the input channels \(3\)/,
  );
  errorTest(
    'convTranspose2d',
    'too much padding',
    () => convTranspose2d(randn([1, 1, 1, 1], 1), randn([1, 1, 1, 1], 2), null, { padding: 1 }),
    /^convTranspose2d: input \[1, 1, 1, 1\] with kernel 1x1, stride 1x1, padding 1x1 gives an output of -1x-1; reduce padding/,
  );
  errorTest('convTranspose2d', '2-D input', () => convTranspose2d(randn([3, 5], 1), w), /^convTranspose2d: input must be 4-D \[N, C, H, W\], got \[3, 5\]/);
  errorTest(
    'convTranspose2d',
    'wrong bias',
    () => convTranspose2d(x, randn([3, 2, 3, 3], 2), randn([3], 3)),
    /^convTranspose2d: bias must be \[2\], got \[3\]/,
  );
});
