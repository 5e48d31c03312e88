/**
 * The ONNX operators Simmer imports, each mapped onto Simmer's differentiable ops (so an imported graph trains).
 * Values are float32/int32 tensors, or `Ints` — integers known on the host (int64 shapes, axes, Shape's output) that
 * shape arithmetic (Shape → Gather → Unsqueeze → Concat → Reshape) runs on without touching the tape.
 * An entry is `{ run, statics?, buffers? }`: `statics` are input positions read as numbers (not learned), `buffers`
 * those kept as non-learned state (batch norm's running statistics).
 */
import { gelu, leakyRelu, relu, sigmoid, tanh } from '../ops/activation.ts';
import { conv2d, convTranspose2d } from '../ops/conv.ts';
import { abs, add, affine, clamp, div, exp, log, mul, neg, pow, sqrt, sub, unaryOp } from '../ops/elementwise.ts';
import { embedding } from '../ops/embedding.ts';
import { linear, matmul } from '../ops/matmul.ts';
import { batchNorm, groupNorm, layerNorm } from '../ops/norm.ts';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, upsample } from '../ops/pool.ts';
import { logSoftmax, max, mean, softmax, sum } from '../ops/reduce.ts';
import { cat, flatten, indexSelect, pad, permute, reshape, slice, split, squeeze, transpose, unsqueeze } from '../ops/shape.ts';
import { broadcastShapes, formatShape, sizeOf } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import { AT, dtypeName, type OnnxAttribute, type OnnxTensor } from './proto.ts';

/** Integers known on the host: int64 constants, shapes, axes. */
export class Ints {
  constructor(
    readonly shape: number[],
    readonly data: number[],
  ) {}
}
export type Value = Tensor | Ints;

/** The error an op raises: the executor adds the file and the node. */
export class OpProblem extends Error {}
const fail = (problem: string): never => {
  throw new OpProblem(problem);
};

/** Typed access to a node's attributes; a wrong type is an OpProblem naming the attribute. */
export class Attrs {
  private readonly byName = new Map<string, OnnxAttribute>();
  constructor(
    list: readonly OnnxAttribute[],
    readonly decodeTensor: (t: OnnxTensor, what: string) => Value,
  ) {
    for (const a of list) {
      if (!a.name) fail('an attribute has no name');
      if (this.byName.has(a.name as string)) fail(`attribute '${a.name}' appears twice`);
      this.byName.set(a.name as string, a);
    }
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  /** The attributes as read (for writing the node back out). */
  list(): OnnxAttribute[] {
    return [...this.byName.values()];
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
  private get(name: string, type: number, field: keyof OnnxAttribute, typeName: string): OnnxAttribute | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    const t = a.type ?? (a[field] !== undefined ? type : 0);
    if (t !== type || (a[field] === undefined && type !== AT.INTS && type !== AT.FLOATS))
      fail(
        `attribute '${name}' should be ${typeName}, but the file gives ${
          Object.entries(AT)
            .find(([, v]) => v === t)?.[0]
            .toLowerCase() ?? `type ${t}`
        }`,
      );
    return a;
  }
  int(name: string, fallback: number): number {
    const v = this.get(name, AT.INT, 'i', 'an int')?.i ?? fallback;
    if (!Number.isSafeInteger(v)) fail(`attribute '${name}' is ${v}, not an integer`);
    return v;
  }
  ints(name: string, fallback: readonly number[] | undefined): number[] | undefined {
    const a = this.get(name, AT.INTS, 'ints', 'a list of ints');
    const v = a ? (a.ints ?? []) : fallback;
    if (v && (v.length > 64 || !v.every(Number.isSafeInteger))) fail(`attribute '${name}' holds [${v.slice(0, 8).join(', ')}], not a short list of integers`);
    return v ? [...v] : undefined;
  }
  float(name: string, fallback: number): number {
    return this.get(name, AT.FLOAT, 'f', 'a float')?.f ?? fallback;
  }
  floats(name: string): number[] | undefined {
    const a = this.get(name, AT.FLOATS, 'floats', 'a list of floats');
    return a ? [...(a.floats ?? [])] : undefined;
  }
  string(name: string, fallback: string): string {
    const a = this.get(name, AT.STRING, 's', 'a string');
    return a?.s ? Buffer.from(a.s).toString('utf8') : fallback;
  }
  tensor(name: string): Value | undefined {
    const a = this.get(name, AT.TENSOR, 't', 'a tensor');
    return a?.t ? this.decodeTensor(a.t, `attribute '${name}'`) : undefined;
  }
}

export interface OpContext {
  attrs: Attrs;
  opset: number;
  /** The module is training (batch norm uses batch statistics and updates its running ones). */
  training: boolean;
  /** This batch norm node is frozen: always its running statistics. */
  frozen: boolean;
  /** Outputs the node declares (e.g. Split's pieces); names of those other nodes read. */
  outputs: number;
  usedOutputs: boolean[];
  /** Refuses an output shape over the element limit before it is allocated. */
  guard(shape: readonly number[], what: string): void;
}

export interface OpEntry {
  run(ctx: OpContext, inputs: (Value | undefined)[]): Value | Value[];
  /** Input positions that are read as numbers (shapes, axes, scales, clip bounds), never learned. */
  statics?: number[];
  /** Input positions that are state but not learned (running statistics). */
  buffers?: number[];
  /** Required inputs. */
  minInputs?: number;
}

// ---- value helpers ----

export function asTensor(v: Value | undefined, what = 'input'): Tensor {
  if (v === undefined) return fail(`${what} is missing`);
  if (v instanceof Ints) return new Tensor(Float32Array.from(v.data), v.shape);
  if (v.dtype !== 'float32') return v.float();
  return v;
}

function floatTensor(v: Value | undefined, what: string): Tensor {
  const t = asTensor(v, what);
  return t;
}

/** A host list of integers from an Ints or an integer tensor (shapes, axes, pads). */
export function intsOf(v: Value | undefined, what: string): number[] {
  if (v === undefined) return fail(`${what} is missing`);
  if (v instanceof Ints) return v.data;
  if (v.size > 1 << 16) fail(`${what} has ${v.size} values, too many for a list of sizes or axes`);
  const out = Array.from(v.data, Number);
  if (!out.every(Number.isFinite)) fail(`${what} holds non-finite values`);
  return out.map(Math.trunc);
}

function floatsOf(v: Value | undefined, what: string): number[] {
  if (v === undefined) return fail(`${what} is missing`);
  if (v instanceof Ints) return v.data;
  if (v.size > 1 << 16) fail(`${what} has ${v.size} values, too many for a list of scales`);
  return Array.from(v.data, Number);
}

const isEmpty = (v: Value | undefined) => v === undefined || (v instanceof Ints ? v.data.length === 0 : v.size === 0);

function scalarOf(v: Value | undefined, what: string): number | undefined {
  if (isEmpty(v)) return undefined;
  const list = floatsOf(v, what);
  if (list.length !== 1) fail(`${what} must be one number, got ${list.length}`);
  return list[0];
}

function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) fail(`${what} ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}

function rankOf(v: Value): number {
  return v.shape.length;
}

// ---- static (host integer) arithmetic ----

/** The entries `idx` along `axis` of host integers (Slice, Gather). */
function takeAxis(v: Ints, axis: number, idx: readonly number[]): Ints {
  const n = v.shape[axis];
  const outer = sizeOf(v.shape.slice(0, axis));
  const inner = sizeOf(v.shape.slice(axis + 1));
  const data: number[] = [];
  for (let o = 0; o < outer; o++) for (const i of idx) for (let k = 0; k < inner; k++) data.push(v.data[(o * n + i) * inner + k]);
  const shape = [...v.shape];
  shape[axis] = idx.length;
  return new Ints(shape, data);
}

function transposeInts(v: Ints, perm: readonly number[]): Ints {
  const shape = perm.map((p) => v.shape[p]);
  const strides = v.shape.map((_, i) => sizeOf(v.shape.slice(i + 1)));
  const data: number[] = new Array(v.data.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < data.length; flat++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += index[d] * strides[perm[d]];
    data[flat] = v.data[src];
    for (let d = shape.length - 1; d >= 0 && ++index[d] === shape[d]; d--) index[d] = 0;
  }
  return new Ints(shape, data);
}

function staticBinary(a: Ints, b: Ints, f: (x: number, y: number) => number): Ints {
  if (a.data.length === 1 || b.data.length === 1 || a.data.length === b.data.length) {
    const n = Math.max(a.data.length, b.data.length);
    const shape = a.data.length >= b.data.length ? a.shape : b.shape;
    return new Ints(
      [...shape],
      Array.from({ length: n }, (_, i) => f(a.data[a.data.length === 1 ? 0 : i], b.data[b.data.length === 1 ? 0 : i])),
    );
  }
  return fail(`integer operands of shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} do not broadcast`);
}

function binary(name: string, f: (a: Tensor, b: Tensor) => Tensor, g: (x: number, y: number) => number): OpEntry {
  return {
    minInputs: 2,
    run(ctx, [a, b]) {
      if (a instanceof Ints && b instanceof Ints) return staticBinary(a, b, g);
      const ta = floatTensor(a, `${name}'s first operand`);
      const tb = floatTensor(b, `${name}'s second operand`);
      ctx.guard(broadcastShapes(ta.shape, tb.shape, name), 'the result');
      return f(ta, tb);
    },
  };
}

const unary = (f: (x: Tensor) => Tensor): OpEntry => ({ minInputs: 1, run: (_ctx, [x]) => f(floatTensor(x, 'the input')) });

/** erf to ~1.5e-7 (Abramowitz & Stegun 7.1.26), built from differentiable ops so it has a gradient. */
function erf(x: Tensor): Tensor {
  const sign = new Tensor(
    Float32Array.from(x.f32, (v) => (v < 0 ? -1 : 1)),
    x.shape,
  );
  const ax = abs(x);
  const t = div(1, affine(ax, 0.3275911, 1));
  let poly = mul(t, 1.061405429);
  for (const c of [-1.453152027, 1.421413741, -0.284496736, 0.254829592]) poly = mul(add(poly, c), t);
  const y = sub(1, mul(poly, exp(neg(mul(ax, ax)))));
  return mul(y, sign);
}

// ---- convolution and pooling geometry ----

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [top, left, bottom, right] */
  pads: number[];
}

function window(ctx: OpContext, spatial: readonly number[], kernel: number[] | undefined, defaultStride: 'one' | 'kernel' = 'one'): Window {
  const k = ctx.attrs.ints('kernel_shape', kernel);
  if (!k || k.length !== 2) return fail(`only 2-D windows (4-D [N, C, H, W] inputs) are supported; kernel_shape is [${k?.join(', ') ?? ''}]`);
  const strides = ctx.attrs.ints('strides', defaultStride === 'one' ? [1, 1] : k) as number[];
  const dilations = ctx.attrs.ints('dilations', [1, 1]) as number[];
  let pads = ctx.attrs.ints('pads', [0, 0, 0, 0]) as number[];
  if (strides.length !== 2 || dilations.length !== 2 || pads.length !== 4) fail('strides and dilations need 2 values and pads 4');
  if ([...k, ...strides, ...dilations].some((v) => v < 1 || v > 1 << 16) || pads.some((p) => p < 0 || p > 1 << 16))
    fail(`kernel_shape [${k}], strides [${strides}], dilations [${dilations}] must be positive and pads [${pads}] non-negative, all of sensible size`);
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  if (autoPad === 'VALID') pads = [0, 0, 0, 0];
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = [0, 0, 0, 0];
    for (let i = 0; i < 2; i++) {
      const total = Math.max(0, (Math.ceil(spatial[i] / strides[i]) - 1) * strides[i] + (k[i] - 1) * dilations[i] + 1 - spatial[i]);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + 2] = total - pads[i];
    }
  } else if (autoPad !== 'NOTSET') fail(`auto_pad '${autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  return { kernel: k, strides, dilations, pads };
}

const symmetric = (p: number[]) => p[0] === p[2] && p[1] === p[3];
/** Simmer pad order (last axis first) for [top, left, bottom, right]. */
const padSpatial = (x: Tensor, p: number[], value: number) => pad(x, [p[1], p[3], p[0], p[2]], value);

function require4d(x: Tensor, op: string): void {
  if (x.rank !== 4) fail(`${op} is supported on 4-D [N, C, H, W] inputs (2-D images); got ${formatShape(x.shape)}`);
}

// ---- the table ----

export const OPS: Record<string, OpEntry> = {
  Conv: {
    minInputs: 2,
    run(ctx, [xv, wv, bv]) {
      const x = floatTensor(xv, 'the input');
      const w = floatTensor(wv, 'the weight');
      require4d(x, 'Conv');
      if (w.rank !== 4) fail(`the weight must be 4-D [out, in/group, kH, kW], got ${formatShape(w.shape)}`);
      const g = window(ctx, x.shape.slice(2), w.shape.slice(2));
      const bias = isEmpty(bv) ? null : floatTensor(bv, 'the bias');
      const input = symmetric(g.pads) ? x : padSpatial(x, g.pads, 0);
      const p = symmetric(g.pads) ? [g.pads[0], g.pads[1]] : [0, 0];
      return conv2d(input, w, bias, {
        stride: g.strides as [number, number],
        padding: p as [number, number],
        dilation: g.dilations as [number, number],
        groups: ctx.attrs.int('group', 1),
      });
    },
  },
  ConvTranspose: {
    minInputs: 2,
    run(ctx, [xv, wv, bv]) {
      const x = floatTensor(xv, 'the input');
      const w = floatTensor(wv, 'the weight');
      require4d(x, 'ConvTranspose');
      if (w.rank !== 4) fail(`the weight must be 4-D [in, out/group, kH, kW], got ${formatShape(w.shape)}`);
      const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
      if (autoPad !== 'NOTSET' && autoPad !== 'VALID') fail(`auto_pad '${autoPad}' is not supported (NOTSET and VALID are)`);
      if (ctx.attrs.has('output_shape')) fail('the output_shape attribute is not supported; export with explicit pads and output_padding');
      const g = window(ctx, x.shape.slice(2), w.shape.slice(2));
      const op = ctx.attrs.ints('output_padding', [0, 0]) as number[];
      const [h, wd] = x.shape.slice(2);
      const oh = (h - 1) * g.strides[0] + g.dilations[0] * (w.shape[2] - 1) + op[0] + 1;
      const ow = (wd - 1) * g.strides[1] + g.dilations[1] * (w.shape[3] - 1) + op[1] + 1;
      ctx.guard([x.shape[0], w.shape[1] * ctx.attrs.int('group', 1), oh, ow], 'the output');
      const bias = isEmpty(bv) ? null : floatTensor(bv, 'the bias');
      const opts = {
        stride: g.strides as [number, number],
        dilation: g.dilations as [number, number],
        groups: ctx.attrs.int('group', 1),
        outputPadding: op as [number, number],
      };
      if (symmetric(g.pads)) return convTranspose2d(x, w, bias, { ...opts, padding: [g.pads[0], g.pads[1]] });
      // Asymmetric pads crop the full output: no padding, then the crop.
      const full = convTranspose2d(x, w, bias, opts);
      const cropped = slice(full, 2, g.pads[0], full.shape[2] - g.pads[2]);
      return slice(cropped, 3, g.pads[1], cropped.shape[3] - g.pads[3]);
    },
  },
  BatchNormalization: {
    minInputs: 5,
    buffers: [3, 4],
    run(ctx, [xv, scale, b, m, v]) {
      if (ctx.usedOutputs.slice(1).some(Boolean)) fail('only the first output (Y) is supported; export the model in inference mode');
      const x = floatTensor(xv, 'the input');
      if (x.rank < 2) fail(`the input must be [N, C, ...], got ${formatShape(x.shape)}`);
      const useBatch = ctx.training && !ctx.frozen;
      return batchNorm(x, asTensor(m, 'the mean'), asTensor(v, 'the variance'), floatTensor(scale, 'the scale'), floatTensor(b, 'the bias'), {
        training: useBatch,
        momentum: useBatch ? 1 - ctx.attrs.float('momentum', 0.9) : 0,
        eps: ctx.attrs.float('epsilon', 1e-5),
      });
    },
  },
  InstanceNormalization: {
    minInputs: 3,
    run(ctx, [xv, scale, b]) {
      const x = floatTensor(xv, 'the input');
      if (x.rank < 3) fail(`the input must be [N, C, ...], got ${formatShape(x.shape)}`);
      return groupNorm(x, x.shape[1], floatTensor(scale, 'the scale'), floatTensor(b, 'the bias'), ctx.attrs.float('epsilon', 1e-5));
    },
  },
  LayerNormalization: {
    minInputs: 2,
    run(ctx, [xv, scale, b]) {
      if (ctx.usedOutputs.slice(1).some(Boolean)) fail('only the first output (Y) is supported');
      const x = floatTensor(xv, 'the input');
      const axis = normAxis(ctx.attrs.int('axis', -1), x.rank);
      return layerNorm(
        x,
        x.shape.slice(axis),
        floatTensor(scale, 'the scale'),
        isEmpty(b) ? null : floatTensor(b, 'the bias'),
        ctx.attrs.float('epsilon', 1e-5),
      );
    },
  },
  Relu: unary(relu),
  LeakyRelu: { minInputs: 1, run: (ctx, [x]) => leakyRelu(floatTensor(x, 'the input'), ctx.attrs.float('alpha', 0.01)) },
  Sigmoid: unary(sigmoid),
  Tanh: unary(tanh),
  Elu: { minInputs: 1, run: (ctx, [x]) => unaryOp('elu', floatTensor(x, 'the input'), ctx.attrs.float('alpha', 1)) },
  Softplus: unary((x) => unaryOp('softplus', x, 1)),
  Exp: unary(exp),
  Log: unary(log),
  Sqrt: unary(sqrt),
  Neg: unary(neg),
  Abs: unary(abs),
  Reciprocal: unary((x) => div(1, x)),
  Erf: unary(erf),
  Gelu: {
    minInputs: 1,
    run(ctx, [xv]) {
      const x = floatTensor(xv, 'the input');
      const approx = ctx.attrs.string('approximate', 'none');
      if (approx === 'none') return gelu(x);
      if (approx !== 'tanh') fail(`approximate='${approx}' is not 'none' or 'tanh'`);
      const inner = mul(add(x, mul(pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
      return mul(mul(x, 0.5), add(tanh(inner), 1));
    },
  },
  Clip: {
    minInputs: 1,
    statics: [1, 2],
    run(ctx, [x, lo, hi]) {
      const min = ctx.opset < 11 ? ctx.attrs.float('min', -Infinity) : (scalarOf(lo, 'min') ?? -Infinity);
      const max = ctx.opset < 11 ? ctx.attrs.float('max', Infinity) : (scalarOf(hi, 'max') ?? Infinity);
      return clamp(floatTensor(x, 'the input'), min, max);
    },
  },
  HardSigmoid: {
    minInputs: 1,
    run: (ctx, [x]) => clamp(affine(floatTensor(x, 'the input'), ctx.attrs.float('alpha', 0.2), ctx.attrs.float('beta', 0.5)), 0, 1),
  },
  HardSwish: {
    minInputs: 1,
    run(_ctx, [xv]) {
      const x = floatTensor(xv, 'the input');
      return mul(x, clamp(affine(x, 1 / 6, 0.5), 0, 1));
    },
  },
  MaxPool: {
    minInputs: 1,
    run(ctx, [xv]) {
      if (ctx.usedOutputs[1]) fail('the Indices output is not supported');
      if (ctx.attrs.int('storage_order', 0) !== 0) fail('storage_order=1 is not supported');
      const x = floatTensor(xv, 'the input');
      require4d(x, 'MaxPool');
      const g = window(ctx, x.shape.slice(2), undefined);
      const ceil = ctx.attrs.int('ceil_mode', 0) === 1;
      const fits = symmetric(g.pads) && g.pads[0] <= g.kernel[0] / 2 && g.pads[1] <= g.kernel[1] / 2;
      if (!fits && ceil) fail('ceil_mode with asymmetric or large pads is not supported');
      const input = fits ? x : padSpatial(x, g.pads, -Infinity);
      return maxPool2d(input, g.kernel as [number, number], {
        stride: g.strides as [number, number],
        padding: (fits ? [g.pads[0], g.pads[1]] : [0, 0]) as [number, number],
        dilation: g.dilations as [number, number],
        ceilMode: ceil,
      });
    },
  },
  AveragePool: {
    minInputs: 1,
    run(ctx, [xv]) {
      const x = floatTensor(xv, 'the input');
      require4d(x, 'AveragePool');
      const g = window(ctx, x.shape.slice(2), undefined);
      if (g.dilations.some((d) => d !== 1)) fail('dilations are not supported');
      const include = ctx.attrs.int('count_include_pad', 0) === 1;
      if (!symmetric(g.pads) || g.pads[0] > g.kernel[0] / 2 || g.pads[1] > g.kernel[1] / 2) {
        if (!include) fail(`pads [${g.pads}] (asymmetric or over half the kernel) are supported only with count_include_pad=1`);
        return avgPool2d(padSpatial(x, g.pads, 0), g.kernel as [number, number], {
          stride: g.strides as [number, number],
          ceilMode: ctx.attrs.int('ceil_mode', 0) === 1,
        });
      }
      return avgPool2d(x, g.kernel as [number, number], {
        stride: g.strides as [number, number],
        padding: [g.pads[0], g.pads[1]],
        ceilMode: ctx.attrs.int('ceil_mode', 0) === 1,
        countIncludePad: include,
      });
    },
  },
  GlobalAveragePool: {
    minInputs: 1,
    run(_ctx, [xv]) {
      const x = floatTensor(xv, 'the input');
      if (x.rank === 4) return adaptiveAvgPool2d(x, 1);
      if (x.rank < 3) fail(`the input must be [N, C, ...], got ${formatShape(x.shape)}`);
      return mean(
        x,
        Array.from({ length: x.rank - 2 }, (_, i) => i + 2),
        true,
      );
    },
  },
  GlobalMaxPool: {
    minInputs: 1,
    run(_ctx, [xv]) {
      const x = floatTensor(xv, 'the input');
      if (x.rank < 3) fail(`the input must be [N, C, ...], got ${formatShape(x.shape)}`);
      return max(
        x,
        Array.from({ length: x.rank - 2 }, (_, i) => i + 2),
        true,
      );
    },
  },
  Add: binary('Add', add, (x, y) => x + y),
  Sub: binary('Sub', sub, (x, y) => x - y),
  Mul: binary('Mul', mul, (x, y) => x * y),
  Div: binary('Div', div, (x, y) => (y === 0 ? fail('integer division by zero') : Math.trunc(x / y))),
  Pow: binary('Pow', pow, (x, y) => x ** y),
  MatMul: {
    minInputs: 2,
    run(ctx, [av, bv]) {
      const a = floatTensor(av, 'the first operand');
      const b = floatTensor(bv, 'the second operand');
      if (a.rank >= 2 && b.rank >= 2)
        ctx.guard([...broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul'), a.shape[a.rank - 2], b.shape[b.rank - 1]], 'the product');
      return matmul(a, b);
    },
  },
  Gemm: {
    minInputs: 2,
    run(ctx, [av, bv, cv]) {
      let a = floatTensor(av, 'A');
      let b = floatTensor(bv, 'B');
      if (a.rank !== 2 || b.rank !== 2) fail(`A and B must be matrices, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
      const alpha = ctx.attrs.float('alpha', 1);
      const beta = ctx.attrs.float('beta', 1);
      const transA = ctx.attrs.int('transA', 0) === 1;
      const transB = ctx.attrs.int('transB', 0) === 1;
      const c = isEmpty(cv) ? null : floatTensor(cv, 'C');
      ctx.guard([a.shape[transA ? 1 : 0], b.shape[transB ? 0 : 1]], 'the product');
      if (!transA && transB && alpha === 1 && beta === 1 && (c === null || (c.rank === 1 && c.shape[0] === b.shape[0]))) return linear(a, b, c);
      if (transA) a = transpose(a, 0, 1);
      if (transB) b = transpose(b, 0, 1);
      let y = matmul(a, b);
      if (alpha !== 1) y = mul(y, alpha);
      if (c) y = add(y, beta === 1 ? c : mul(c, beta));
      return y;
    },
  },
  Flatten: {
    minInputs: 1,
    run(ctx, [xv]) {
      const x = xv as Value;
      const r = rankOf(x);
      const axis = ctx.attrs.int('axis', 1);
      const a = axis < 0 ? axis + r : axis;
      if (a < 0 || a > r) fail(`axis ${axis} is out of range for rank ${r}`);
      const shape = [sizeOf(x.shape.slice(0, a)), sizeOf(x.shape.slice(a))];
      return x instanceof Ints ? new Ints(shape, x.data) : reshape(floatTensor(x, 'the input'), shape);
    },
  },
  Reshape: {
    minInputs: 2,
    statics: [1],
    run(ctx, [xv, sv]) {
      const x = xv as Value;
      const spec = intsOf(sv, 'the shape');
      const allowZero = ctx.attrs.int('allowzero', 0) === 1;
      const dims = spec.map((d, i) =>
        d === 0 && !allowZero
          ? i < x.shape.length
            ? x.shape[i]
            : fail(`shape [${spec}] copies dimension ${i}, which the input ${formatShape(x.shape)} lacks`)
          : d,
      );
      const size = sizeOf(x.shape);
      if (dims.filter((d) => d === -1).length > 1 || dims.some((d) => d < -1)) fail(`shape [${spec}] is invalid (at most one -1, no other negatives)`);
      const known = dims.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
      const target = dims.map((d) => (d === -1 ? (known === 0 ? 0 : size / known) : d));
      if (sizeOf(target) !== size || !target.every(Number.isInteger)) fail(`cannot reshape ${formatShape(x.shape)} (${size} values) to [${spec}]`);
      return x instanceof Ints ? new Ints(target, x.data) : reshape(x, target);
    },
  },
  Transpose: {
    minInputs: 1,
    run(ctx, [xv]) {
      const r = rankOf(xv as Value);
      const perm = ctx.attrs.ints('perm', undefined) ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      if (perm.length !== r || new Set(perm.map((p) => normAxis(p, r))).size !== r) fail(`perm [${perm}] is not a permutation of ${r} axes`);
      if (xv instanceof Ints)
        return transposeInts(
          xv,
          perm.map((p) => normAxis(p, r)),
        );
      return permute(floatTensor(xv, 'the input'), perm);
    },
  },
  Concat: {
    minInputs: 1,
    run(ctx, inputs) {
      const parts = inputs.filter((v): v is Value => v !== undefined);
      const axis = normAxis(ctx.attrs.int('axis', 0), rankOf(parts[0]));
      if (parts.every((p) => p instanceof Ints) && parts.every((p) => p.shape.length === 1))
        return new Ints(
          [parts.reduce((n, p) => n + p.data.length, 0)],
          parts.flatMap((p) => (p as Ints).data),
        );
      return cat(
        parts.map((p) => floatTensor(p, 'an input')),
        axis,
      );
    },
  },
  Split: {
    minInputs: 1,
    statics: [1],
    run(ctx, [xv, sv]) {
      const x = floatTensor(xv, 'the input');
      const axis = normAxis(ctx.attrs.int('axis', 0), x.rank);
      const n = x.shape[axis];
      let sizes = ctx.opset >= 13 ? (isEmpty(sv) ? undefined : intsOf(sv, 'split')) : ctx.attrs.ints('split', undefined);
      if (!sizes) {
        const k = ctx.opset >= 18 ? ctx.attrs.int('num_outputs', ctx.outputs) : ctx.outputs;
        const each = Math.ceil(n / k);
        if (ctx.opset < 18 && n % k !== 0) fail(`axis ${axis} of size ${n} does not split evenly into ${k} outputs`);
        sizes = Array.from({ length: k }, (_, i) => Math.max(0, Math.min(each, n - i * each)));
      }
      if (sizes.length !== ctx.outputs) fail(`split gives ${sizes.length} pieces but the node has ${ctx.outputs} outputs`);
      return split(x, sizes, axis);
    },
  },
  Slice: {
    minInputs: 1,
    statics: [1, 2, 3, 4],
    run(ctx, [xv, sv, ev, av, stv]) {
      const x = xv as Value;
      const rank = rankOf(x);
      const starts = ctx.opset >= 10 ? intsOf(sv, 'starts') : (ctx.attrs.ints('starts', []) as number[]);
      const ends = ctx.opset >= 10 ? intsOf(ev, 'ends') : (ctx.attrs.ints('ends', []) as number[]);
      const axes =
        ctx.opset >= 10 ? (isEmpty(av) ? starts.map((_, i) => i) : intsOf(av, 'axes')) : (ctx.attrs.ints('axes', undefined) ?? starts.map((_, i) => i));
      const steps = ctx.opset >= 10 && !isEmpty(stv) ? intsOf(stv, 'steps') : starts.map(() => 1);
      if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length)
        fail('starts, ends, axes and steps must have the same length');
      let out = x;
      starts.forEach((s0, i) => {
        const axis = normAxis(axes[i], rank, 'an axis');
        const step = steps[i];
        if (step === 0) fail('a step of 0 is invalid');
        const dim = out.shape[axis];
        const wrap = (v: number) => (v < 0 ? v + dim : v);
        if (out instanceof Ints) {
          // ONNX's clamping: [0, dim] for positive steps, [-1, dim - 1] for negative ones.
          const [lo, hi] = step > 0 ? [0, dim] : [-1, dim - 1];
          const s = Math.min(hi, Math.max(lo, wrap(s0)));
          const e = Math.min(hi, Math.max(lo, wrap(ends[i])));
          const idx: number[] = [];
          for (let j = s; step > 0 ? j < e : j > e; j += step) idx.push(j);
          out = takeAxis(out, axis, idx);
          return;
        }
        if (step < 0) fail(`step ${step} is not supported on tensors (positive steps are)`);
        const clampTo = (v: number) => Math.min(dim, Math.max(0, wrap(v)));
        const s = clampTo(s0);
        out = slice(out, axis, s, Math.max(s, clampTo(ends[i])), step);
      });
      return out;
    },
  },
  Squeeze: {
    minInputs: 1,
    statics: [1],
    run(ctx, [xv, av]) {
      const x = xv as Value;
      const rank = rankOf(x);
      const given = ctx.opset >= 13 ? (isEmpty(av) ? undefined : intsOf(av, 'axes')) : ctx.attrs.ints('axes', undefined);
      const axes = (given ?? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => normAxis(a, rank));
      for (const a of axes) if (x.shape[a] !== 1) fail(`axis ${a} of ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`);
      const shape = x.shape.filter((_, i) => !axes.includes(i));
      if (x instanceof Ints) return new Ints(shape, x.data);
      let t: Tensor = x;
      for (const a of [...axes].sort((p, q) => q - p)) t = squeeze(t, a);
      return t;
    },
  },
  Unsqueeze: {
    minInputs: 1,
    statics: [1],
    run(ctx, [xv, av]) {
      const x = xv as Value;
      const axesRaw = ctx.opset >= 13 ? intsOf(av, 'axes') : (ctx.attrs.ints('axes', undefined) ?? fail('the axes attribute is missing'));
      const outRank = rankOf(x) + axesRaw.length;
      const axes = axesRaw.map((a) => normAxis(a, outRank)).sort((p, q) => p - q);
      if (new Set(axes).size !== axes.length) fail(`axes [${axesRaw}] repeat an axis`);
      if (x instanceof Ints) {
        const shape = [...x.shape];
        for (const a of axes) shape.splice(a, 0, 1);
        return new Ints(shape, x.data);
      }
      let t: Tensor = x;
      for (const a of axes) t = unsqueeze(t, a);
      return t;
    },
  },
  Softmax: { minInputs: 1, run: (ctx, [x]) => softmaxLike(ctx, floatTensor(x, 'the input'), softmax) },
  LogSoftmax: { minInputs: 1, run: (ctx, [x]) => softmaxLike(ctx, floatTensor(x, 'the input'), logSoftmax) },
  Pad: {
    minInputs: 1,
    statics: [1, 2, 3],
    run(ctx, [xv, pv, cv, av]) {
      const x = floatTensor(xv, 'the input');
      const mode = ctx.attrs.string('mode', 'constant');
      if (mode !== 'constant') fail(`mode '${mode}' is not supported (constant is)`);
      const pads = ctx.opset >= 11 ? intsOf(pv, 'pads') : (ctx.attrs.ints('pads', undefined) ?? fail('the pads attribute is missing'));
      const value = ctx.opset >= 11 ? (scalarOf(cv, 'constant_value') ?? 0) : ctx.attrs.float('value', 0);
      const axes = isEmpty(av) ? x.shape.map((_, i) => i) : intsOf(av, 'axes').map((a) => normAxis(a, x.rank));
      if (pads.length !== 2 * axes.length) fail(`pads has ${pads.length} values; it needs 2 per padded axis (${2 * axes.length})`);
      const before = new Array<number>(x.rank).fill(0);
      const after = new Array<number>(x.rank).fill(0);
      axes.forEach((a, i) => {
        before[a] = pads[i];
        after[a] = pads[i + axes.length];
      });
      ctx.guard(
        x.shape.map((d, i) => d + before[i] + after[i]),
        'the padded output',
      );
      const torchOrder: number[] = [];
      for (let a = x.rank - 1; a >= 0; a--) torchOrder.push(before[a], after[a]);
      return pad(x, torchOrder, value);
    },
  },
  Resize: { minInputs: 1, statics: [1, 2, 3], run: resize },
  Upsample: { minInputs: 2, statics: [1], run: (ctx, [x, s]) => resize(ctx, [x, undefined, s, undefined]) },
  Dropout: {
    minInputs: 1,
    statics: [1, 2],
    run(ctx, [x]) {
      if (ctx.usedOutputs[1]) fail('the mask output is not supported');
      return x as Value;
    },
  },
  Identity: { minInputs: 1, run: (_ctx, [x]) => x as Value },
  Constant: {
    run(ctx) {
      const t = ctx.attrs.tensor('value');
      if (t) return t;
      if (ctx.attrs.has('value_float')) return new Tensor(Float32Array.of(ctx.attrs.float('value_float', 0)), []);
      if (ctx.attrs.has('value_floats')) {
        const f = ctx.attrs.floats('value_floats') ?? [];
        return new Tensor(Float32Array.from(f), [f.length]);
      }
      if (ctx.attrs.has('value_int')) return new Ints([], [ctx.attrs.int('value_int', 0)]);
      if (ctx.attrs.has('value_ints')) {
        const v = ctx.attrs.ints('value_ints', []) as number[];
        return new Ints([v.length], v);
      }
      return fail(
        `has none of value, value_float(s), value_int(s) (got ${ctx.attrs.names().join(', ') || 'no attributes'}); sparse and string constants are not supported`,
      );
    },
  },
  Shape: {
    minInputs: 1,
    run(ctx, [x]) {
      const shape = (x as Value).shape;
      const r = shape.length;
      const clampTo = (v: number) => Math.min(r, Math.max(0, v < 0 ? v + r : v));
      const data = shape.slice(clampTo(ctx.attrs.int('start', 0)), clampTo(ctx.attrs.int('end', r)));
      return new Ints([data.length], data);
    },
  },
  Gather: {
    minInputs: 2,
    run(ctx, [dv, iv]) {
      const data = dv as Value;
      const idxv = iv as Value;
      const axis = normAxis(ctx.attrs.int('axis', 0), rankOf(data));
      const n = data.shape[axis];
      if (idxv instanceof Ints || idxv.dtype !== 'float32') {
        const raw = idxv instanceof Ints ? idxv.data : Array.from(idxv.data, Number);
        const idx = raw.map((i) => (i < 0 ? i + n : i));
        if (idx.some((i) => !Number.isInteger(i) || i < 0 || i >= n)) fail(`an index is out of range for axis ${axis} of size ${n}`);
        const outShape = [...data.shape.slice(0, axis), ...idxv.shape, ...data.shape.slice(axis + 1)];
        if (data instanceof Ints) {
          if (data.shape.length !== 1) fail('gathering from integer values is supported on 1-D lists (shapes)');
          return new Ints(
            outShape,
            idx.map((i) => data.data[i]),
          );
        }
        if (axis === 0 && data.rank === 2 && !(idxv instanceof Ints)) return embedding(new Tensor(Int32Array.from(idx), idxv.shape), data);
        const picked = indexSelect(data, axis, new Tensor(Int32Array.from(idx), [idx.length]));
        return reshape(picked, outShape);
      }
      return fail('indices must be integers');
    },
  },
  ConstantOfShape: {
    minInputs: 1,
    statics: [0],
    run(ctx, [sv]) {
      const shape = intsOf(sv, 'the shape');
      ctx.guard(shape, 'the constant');
      const v = ctx.attrs.tensor('value') ?? new Tensor(Float32Array.of(0), [1]);
      if (v.shape.length > 1 || sizeOf(v.shape) !== 1) fail('value must hold one number');
      if (v instanceof Ints) return new Ints(shape, new Array<number>(sizeOf(shape)).fill(v.data[0]));
      return new Tensor(new Float32Array(sizeOf(shape)).fill(v.data[0]), shape);
    },
  },
  ReduceMean: reduce('ReduceMean', mean),
  ReduceSum: reduce('ReduceSum', sum),
  ReduceMax: reduce('ReduceMax', max),
  Cast: {
    minInputs: 1,
    run(ctx, [xv]) {
      const to = ctx.attrs.int('to', 0);
      const x = xv as Value;
      if (to === 1) return asTensor(x);
      if (to === 6 || to === 7)
        return x instanceof Ints
          ? x
          : new Ints(
              [...x.shape],
              Array.from(x.data, (v) => Math.trunc(Number(v))),
            );
      return fail(`casting to ${dtypeName(to)} is not supported (float, int32 and int64 are)`);
    },
  },
};

/** Reductions: axes as an attribute (ReduceMean/Max before opset 18, ReduceSum before 13) or as input 2. */
function reduce(name: string, f: (x: Tensor, axes: number[], keep: boolean) => Tensor): OpEntry {
  return {
    minInputs: 1,
    statics: [1],
    run(ctx, [xv, av]) {
      const x = floatTensor(xv, 'the input');
      const fromInput = name === 'ReduceSum' ? ctx.opset >= 13 : ctx.opset >= 18;
      const given = fromInput ? (isEmpty(av) ? undefined : intsOf(av, 'axes')) : ctx.attrs.ints('axes', undefined);
      const keep = ctx.attrs.int('keepdims', 1) === 1;
      if (!given || given.length === 0) {
        if (fromInput && ctx.attrs.int('noop_with_empty_axes', 0) === 1) return x;
        return f(
          x,
          x.shape.map((_, i) => i),
          keep,
        );
      }
      return f(
        x,
        given.map((a) => normAxis(a, x.rank)),
        keep,
      );
    },
  };
}

function softmaxLike(ctx: OpContext, x: Tensor, f: (t: Tensor, axis: number) => Tensor): Tensor {
  const axis = normAxis(ctx.attrs.int('axis', ctx.opset >= 13 ? -1 : 1), x.rank);
  if (ctx.opset >= 13 || axis === x.rank - 1) return f(x, axis);
  // Before opset 13 the input is seen as [prod(dims before axis), prod(the rest)].
  return reshape(f(flatten(x, axis), -1), x.shape);
}

function resize(ctx: OpContext, [xv, , sv, zv]: (Value | undefined)[]): Tensor {
  const x = floatTensor(xv, 'the input');
  require4d(x, 'Resize');
  const mode = ctx.attrs.string('mode', 'nearest');
  const coord = ctx.opset >= 11 ? ctx.attrs.string('coordinate_transformation_mode', 'half_pixel') : 'asymmetric';
  const nearestMode = ctx.attrs.string('nearest_mode', ctx.opset >= 11 ? 'round_prefer_floor' : 'floor');
  if (ctx.attrs.has('axes') || ctx.attrs.int('antialias', 0) !== 0) fail('the axes and antialias attributes are not supported');
  const [n, c, h, w] = x.shape;
  let size: [number, number] | undefined;
  let scale: [number, number] | undefined;
  if (!isEmpty(zv)) {
    const sizes = intsOf(zv, 'sizes');
    if (sizes.length !== 4 || sizes[0] !== n || sizes[1] !== c) fail(`sizes [${sizes}] must be [N, C, H', W'] with N and C unchanged`);
    size = [sizes[2], sizes[3]];
  } else {
    const scales = floatsOf(sv, 'scales');
    if (scales.length !== 4 || scales[0] !== 1 || scales[1] !== 1) fail(`scales [${scales}] must be [1, 1, sH, sW] (only H and W are resized)`);
    if (!(scales[2] > 0 && scales[3] > 0)) fail(`scales [${scales}] must be positive`);
    scale = [scales[2], scales[3]];
  }
  const oh = size ? size[0] : Math.floor(h * (scale as number[])[0]);
  const ow = size ? size[1] : Math.floor(w * (scale as number[])[1]);
  ctx.guard([n, c, oh, ow], 'the resized output');
  const opts = size ? { size } : { scaleFactor: scale as [number, number] };
  if (mode === 'nearest') {
    const ratioH = scale ? scale[0] : oh / h;
    const ratioW = scale ? scale[1] : ow / w;
    const integerUp = Number.isInteger(ratioH) && Number.isInteger(ratioW) && ratioH >= 1 && ratioW >= 1;
    const asymFloor = coord === 'asymmetric' && nearestMode === 'floor';
    const halfPixel = ['half_pixel', 'pytorch_half_pixel', 'tf_half_pixel_for_nn'].includes(coord) && integerUp;
    if (!asymFloor && !halfPixel && !(coord === 'asymmetric' && integerUp))
      fail(
        `nearest resizing with coordinate_transformation_mode='${coord}' and nearest_mode='${nearestMode}' is supported for whole-number upscaling only (or asymmetric with floor, as PyTorch exports it)`,
      );
    return upsample(x, { ...opts, mode: 'nearest' });
  }
  if (mode === 'linear') {
    if (coord === 'align_corners') return upsample(x, { ...opts, mode: 'bilinear', alignCorners: true });
    if (coord === 'half_pixel' || (coord === 'pytorch_half_pixel' && oh > 1 && ow > 1)) return upsample(x, { ...opts, mode: 'bilinear', alignCorners: false });
    return fail(`linear resizing with coordinate_transformation_mode='${coord}' is not supported (half_pixel, pytorch_half_pixel and align_corners are)`);
  }
  return fail(`mode '${mode}' is not supported (nearest and linear are)`);
}

/** The op types importOnnx reads. */
export const SUPPORTED_OPS: readonly string[] = Object.keys(OPS).sort();
