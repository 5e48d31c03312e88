/**
 * Convolutions over NCHW images: conv2d and convTranspose2d (whose forward pass is conv2d's backward-input kernel).
 * @example
 *   conv2d(x, w, b, { padding: 1 });                 // x [N,C,H,W], w [K,C,3,3] → [N,K,H,W]
 *   convTranspose2d(z, w, null, { stride: 2 });      // w [Cin, Cout, R, S], doubles H and W (minus kernel overlap)
 */
import { isGradEnabled } from '../autograd/grad-mode.ts';
import { record } from '../autograd/node.ts';
import type { Conv2dGeometry } from '../backend/backend.ts';
import { backend } from '../backend/index.ts';
import { formatShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { f32, requireFloat, scratchF32 } from './util.ts';

export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: Pair;
}

export function pair(v: Pair | undefined, fallback: number, op: string, name: string): [number, number] {
  const p: [number, number] = v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  for (const x of p) if (!Number.isInteger(x)) throw new RangeError(`${op}: ${name} must be an integer or a pair of integers, got ${JSON.stringify(v)}`);
  return p;
}

function checkImage(x: Tensor, op: string): void {
  requireFloat(x, op, 'input');
  if (x.rank !== 4)
    throw new RangeError(`${op}: input must be 4-D [N, C, H, W], got ${formatShape(x.shape)}; add a batch dimension with unsqueeze(0) for one image`);
}

function biasGrad(g: Tensor, n: number, k: number, plane: number): Tensor {
  const gb = f32([k]);
  const perImage = new Float32Array(n * k);
  backend().reduce('sum', g.f32, n * k, plane, 1, perImage);
  backend().reduce('sum', perImage, 1, n, k, gb.f32);
  return gb;
}

/**
 * What conv2d applies after the convolution in the same kernel: 'relu' (training and inference: y = relu(conv + b),
 * the backward masks by y > 0), 'relu-maxpool2' (inference only: relu then a 2×2 stride-2 max pool, no graph), or
 * 'relu-maxpool2-train' (the same with the pool's argmax kept, -1 where the ReLU passed no gradient: the backward
 * scatters the pooled gradient through it, so the full-size activation is neither stored nor read again).
 */
export type ConvEpilogue = 'none' | 'relu' | 'relu-maxpool2' | 'relu-maxpool2-train';

/** 2-D cross-correlation (what PyTorch calls conv2d). weight is [K, C/groups, R, S], bias [K] or null. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}, epilogue: ConvEpilogue = 'none'): Tensor {
  checkImage(x, 'conv2d');
  requireFloat(weight, 'conv2d', 'weight');
  if (weight.rank !== 4) throw new RangeError(`conv2d: weight must be 4-D [outChannels, inChannels/groups, kH, kW], got ${formatShape(weight.shape)}`);
  const [strideH, strideW] = pair(options.stride, 1, 'conv2d', 'stride');
  const [padH, padW] = pair(options.padding, 0, 'conv2d', 'padding');
  const [dilationH, dilationW] = pair(options.dilation, 1, 'conv2d', 'dilation');
  const groups = options.groups ?? 1;
  const [n, c, h, w] = x.shape;
  const [k, cg, r, s] = weight.shape;
  if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || padH < 0 || padW < 0) {
    throw new RangeError(
      `conv2d: stride and dilation must be >= 1 and padding >= 0, got stride ${strideH}x${strideW}, padding ${padH}x${padW}, dilation ${dilationH}x${dilationW}`,
    );
  }
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || k % groups !== 0) {
    throw new RangeError(`conv2d: groups=${groups} must divide both input channels (${c}) and output channels (${k})`);
  }
  if (cg * groups !== c) {
    throw new RangeError(
      `conv2d: input ${formatShape(x.shape)} has ${c} channels but weight ${formatShape(weight.shape)} expects ${cg * groups} (inChannels/groups = ${cg}, groups = ${groups})`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== k)) throw new RangeError(`conv2d: bias must be [${k}], got ${formatShape(bias.shape)}`);
  const oh = Math.floor((h + 2 * padH - dilationH * (r - 1) - 1) / strideH) + 1;
  const ow = Math.floor((w + 2 * padW - dilationW * (s - 1) - 1) / strideW) + 1;
  if (oh < 1 || ow < 1) {
    throw new RangeError(
      `conv2d: kernel ${r}x${s} (dilation ${dilationH}x${dilationW}) is larger than the padded input ${h + 2 * padH}x${w + 2 * padW}; use a smaller kernel or more padding`,
    );
  }
  const g: Conv2dGeometry = { n, c, h, w, k, r, s, oh, ow, strideH, strideW, padH, padW, dilationH, dilationW, groups };
  if (epilogue === 'relu-maxpool2') {
    if (isGradEnabled() && (x.requiresGrad || weight.requiresGrad || bias?.requiresGrad))
      throw new Error("conv2d: the 'relu-maxpool2' epilogue is for inference; run it under noGrad() or use 'relu-maxpool2-train'");
    const pooled = f32([n, k, Math.floor(oh / 2), Math.floor(ow / 2)]);
    backend().conv2dReluMaxPool2(x.f32, weight.f32, bias ? bias.f32 : null, pooled.f32, g);
    return pooled;
  }
  if (epilogue === 'relu-maxpool2-train') return conv2dReluMaxPool2Train(x, weight, bias, g);
  const out = f32([n, k, oh, ow]);
  if (epilogue === 'relu') backend().conv2dForwardAct(x.f32, weight.f32, bias ? bias.f32 : null, out.f32, g, true);
  else backend().conv2dForward(x.f32, weight.f32, bias ? bias.f32 : null, out.f32, g);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(
    out,
    epilogue === 'relu' ? 'conv2dRelu' : 'conv2d',
    inputs,
    (gOut) => {
      let gy = gOut;
      if (epilogue === 'relu') {
        // y = relu(z) and y > 0 exactly where z > 0, so the saved output gives the mask.
        gy = f32(out.shape);
        backend().unaryBackward('relu', out.f32, out.f32, gOut.f32, gy.f32, 0);
      }
      return convGrads(x, weight, bias, gy, g);
    },
    epilogue === 'relu' ? [x, weight, out] : [x, weight],
  );
}

/** Gradients of conv2d's inputs from the gradient gy of its (pre-epilogue) output. */
function convGrads(x: Tensor, weight: Tensor, bias: Tensor | null, gy: Tensor, g: Conv2dGeometry): (Tensor | null)[] {
  let gx: Tensor | null = null;
  let gw: Tensor | null = null;
  if (x.requiresGrad) {
    gx = f32(x.shape);
    backend().conv2dBackwardInput(gy.f32, weight.f32, gx.f32, g);
  }
  if (weight.requiresGrad) {
    gw = f32(weight.shape);
    backend().conv2dBackwardWeight(x.f32, gy.f32, gw.f32, g);
  }
  return [gx, gw, bias?.requiresGrad ? biasGrad(gy, g.n, g.k, g.oh * g.ow) : null];
}

/** conv + bias + ReLU + 2×2 max pool with a graph: one forward kernel; the backward masks, scatters, then convolves. */
function conv2dReluMaxPool2Train(x: Tensor, weight: Tensor, bias: Tensor | null, g: Conv2dGeometry): Tensor {
  const pooled = f32([g.n, g.k, Math.floor(g.oh / 2), Math.floor(g.ow / 2)]);
  const argmax = new Int32Array(pooled.size);
  backend().conv2dReluMaxPool2Argmax(x.f32, weight.f32, bias ? bias.f32 : null, pooled.f32, argmax, g);
  const pool = { n: g.n, c: g.k, h: g.oh, w: g.ow, oh: pooled.shape[2], ow: pooled.shape[3] };
  const poolGeom = { ...pool, kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0, dilationH: 1, dilationW: 1 };
  return record(
    pooled,
    'conv2dReluMaxPool2',
    bias ? [x, weight, bias] : [x, weight],
    (gOut) => {
      // The argmax is -1 where the ReLU passed no gradient, so the scatter is the whole ReLU + pool backward. gy is a
      // temporary of this rule (reused across steps: fewer large allocations, fewer major GCs).
      const gy = f32([g.n, g.k, g.oh, g.ow], scratchF32('conv2dReluMaxPool2.gy', g.n * g.k * g.oh * g.ow));
      backend().maxPool2dBackward(gOut.f32, argmax, gy.f32, poolGeom);
      return convGrads(x, weight, bias, gy, g);
    },
    [x, weight],
  );
}

/**
 * Transposed convolution (the gradient of conv2d with respect to its input), used to upsample in decoders and GANs.
 * weight is [inChannels, outChannels/groups, R, S] as in PyTorch.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: ConvTranspose2dOptions = {}): Tensor {
  checkImage(x, 'convTranspose2d');
  requireFloat(weight, 'convTranspose2d', 'weight');
  if (weight.rank !== 4) throw new RangeError(`convTranspose2d: weight must be 4-D [inChannels, outChannels/groups, kH, kW], got ${formatShape(weight.shape)}`);
  const [strideH, strideW] = pair(options.stride, 1, 'convTranspose2d', 'stride');
  const [padH, padW] = pair(options.padding, 0, 'convTranspose2d', 'padding');
  const [dilationH, dilationW] = pair(options.dilation, 1, 'convTranspose2d', 'dilation');
  const [opH, opW] = pair(options.outputPadding, 0, 'convTranspose2d', 'outputPadding');
  const groups = options.groups ?? 1;
  const [n, cin, h, w] = x.shape;
  const [wk, coutG, r, s] = weight.shape;
  if (wk !== cin)
    throw new RangeError(
      `convTranspose2d: input ${formatShape(x.shape)} has ${cin} channels but weight ${formatShape(weight.shape)} expects ${wk} (weight is [inChannels, outChannels/groups, kH, kW])`,
    );
  if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0)
    throw new RangeError(`convTranspose2d: groups=${groups} must divide the input channels (${cin})`);
  if (opH >= Math.max(strideH, dilationH) || opW >= Math.max(strideW, dilationW)) {
    throw new RangeError(`convTranspose2d: outputPadding ${opH}x${opW} must be smaller than stride or dilation`);
  }
  const cout = coutG * groups;
  const oh = (h - 1) * strideH - 2 * padH + dilationH * (r - 1) + opH + 1;
  const ow = (w - 1) * strideW - 2 * padW + dilationW * (s - 1) + opW + 1;
  if (oh < 1 || ow < 1) {
    throw new RangeError(
      `convTranspose2d: input ${formatShape(x.shape)} with kernel ${r}x${s}, stride ${strideH}x${strideW}, padding ${padH}x${padW} gives an output of ${oh}x${ow}; reduce padding`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== cout)) throw new RangeError(`convTranspose2d: bias must be [${cout}], got ${formatShape(bias.shape)}`);
  // The conv whose input-gradient this is: its input is our output, its output is our input.
  const g: Conv2dGeometry = { n, c: cout, h: oh, w: ow, k: cin, r, s, oh: h, ow: w, strideH, strideW, padH, padW, dilationH, dilationW, groups };
  const out = f32([n, cout, oh, ow]);
  backend().conv2dBackwardInput(x.f32, weight.f32, out.f32, g);
  // The bias broadcasts over N, H and W, added in place (binary allows out to be its full-shape first input).
  if (bias) backend().binary('add', out.f32, out.shape, bias.f32, [cout, 1, 1], out.f32, out.shape);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(
    out,
    'convTranspose2d',
    inputs,
    (gy) => {
      let gx: Tensor | null = null;
      let gw: Tensor | null = null;
      if (x.requiresGrad) {
        gx = f32(x.shape);
        backend().conv2dForward(gy.f32, weight.f32, null, gx.f32, g);
      }
      if (weight.requiresGrad) {
        gw = f32(weight.shape);
        backend().conv2dBackwardWeight(gy.f32, x.f32, gw.f32, g);
      }
      return [gx, gw, bias?.requiresGrad ? biasGrad(gy, n, cout, oh * ow) : null];
    },
    [x, weight],
  );
}
