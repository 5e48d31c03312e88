/**
 * ONNX import: `importOnnx(fileOrBytes)` reads a model into an `OnnxModel`, a Module whose forward runs the graph
 * node by node on Simmer's differentiable ops, so it trains like any model. Float initializers become Parameters
 * under their ONNX names (what `stateDict()` and optimizers see), batch norm statistics become buffers, integer
 * initializers and scalars stay constants. Reading checks everything before use: opset and operators (an unsupported
 * one is named with its node and the supported list), types, that every value is produced once and before it is used
 * (no cycles), declared sizes against the data really present; then one forward on a zero batch of the declared input
 * shape checks the shapes, refusing any tensor over `maxElements`. Nothing in the file is ever executed as code.
 * @example
 *   const net = importOnnx('resnet.onnx');
 *   net.forward(x);                          // [N, classes]
 *   net.namedParameters().map(([n]) => n);   // ['conv1.weight', 'bn1.weight', …] as exported
 */
import { readFileSync } from 'node:fs';
import { noGrad } from '../autograd/grad-mode.ts';
import { constant_, fans, uniform_ } from '../nn/init.ts';
import { Module, Parameter } from '../nn/module.ts';
import { defaultGenerator, type Generator } from '../tensor/random.ts';
import { zeros } from '../tensor/creation.ts';
import { formatShape, sizeOf } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import { EXPORT_OPSET, type ExportContext, type OnnxValue } from './export.ts';
import { Attrs, Ints, type OpContext, OpProblem, OPS, SUPPORTED_OPS, type Value } from './import-ops.ts';
import { decodeModel, DT, dtypeName, OnnxError, type OnnxGraph, type OnnxNode, type OnnxTensor, readTensorProto } from './proto.ts';

export interface ImportOptions {
  /** The name used in messages (default the file path, or 'model.onnx' for bytes). */
  source?: string;
  /** The graph output forward returns (default the first); any intermediate value name is allowed (a feature layer). */
  output?: string;
  /** [C, H, W]-style per-sample shapes for inputs whose dimensions other than the batch are symbolic. */
  inputShapes?: Record<string, readonly number[]>;
  /** The largest tensor (in elements) the import check may create, per sample; default 2^26. */
  maxElements?: number;
  /** Skip the forward on a zero batch at import (the graph is checked when it first runs). */
  skipCheck?: boolean;
}

const MIN_OPSET = 7;
const MAX_OPSET = 21;
const RESERVED = new Set(['training', 'forward', 'constructor', '__proto__', 'prototype', 'toString', 'info']);

interface PlanNode {
  index: number;
  label: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Attrs;
  usedOutputs: boolean[];
}

export interface OnnxGraphInfo {
  opset: number;
  producer: string;
  inputs: { name: string; shape: (number | string)[]; dtype: string }[];
  outputs: string[];
  nodes: { name: string; op: string; inputs: string[]; outputs: string[] }[];
  /** Batch norm nodes and the parameter/buffer names they use (for freezing). */
  batchNorms: { node: string; params: string[] }[];
}

/** A model read from ONNX: forward runs the graph on Simmer ops with autograd. */
export class OnnxModel extends Module {
  #plan: PlanNode[] = [];
  #values = new Map<string, Value>();
  #inputs: { name: string; shape: number[]; int: boolean }[] = [];
  #output = '';
  #source = '';
  #limit = Infinity;
  #info!: OnnxGraphInfo;
  /** The own property each initializer is stored under (its name, or onnx:<name> where that would clash). */
  #fields = new Map<string, string>();
  /** Batch norm nodes (by name) that always use their running statistics, even in training mode. */
  readonly frozenBatchNorm = new Set<string>();

  /** Built by importOnnx. */
  static create(init: {
    plan: PlanNode[];
    constants: Map<string, Value>;
    params: Map<string, Tensor>;
    buffers: Map<string, Tensor>;
    inputs: { name: string; shape: number[]; int: boolean }[];
    output: string;
    source: string;
    info: OnnxGraphInfo;
  }): OnnxModel {
    const m = new OnnxModel();
    m.#plan = init.plan;
    m.#inputs = init.inputs;
    m.#output = init.output;
    m.#source = init.source;
    m.#info = init.info;
    const self = m as unknown as Record<string, unknown>;
    const field = (name: string) => (RESERVED.has(name) || name in m ? `onnx:${name}` : name);
    for (const [name, value] of init.constants) m.#values.set(name, value);
    for (const [name, t] of init.params) {
      const p = new Parameter(t);
      m.#fields.set(name, field(name));
      self[field(name)] = p;
      m.#values.set(name, p);
    }
    for (const [name, t] of init.buffers) {
      m.#fields.set(name, field(name));
      m.registerBuffer(field(name), t);
      m.#values.set(name, t);
    }
    return m;
  }

  /** Inputs, outputs, nodes and batch norms of the graph. */
  get info(): OnnxGraphInfo {
    return this.#info;
  }

  /** The first input's shape with a batch of 1, [1, C, H, W] for an image model. */
  get inputShape(): number[] {
    return [...this.#inputs[0].shape];
  }

  /**
   * The network without its classifier head, for fine-tuning with a new one: the final Gemm (or MatMul [+ Add])
   * that computes the output from [N, features], found by walking back from the output through Identity, Dropout,
   * Softmax and Flatten nodes. `body` returns the head's input; the head's initializers stay in the body's state but
   * take no part in its forward.
   */
  classifierBody(): { body: OnnxModel; features: number; head: { node: string; weight: string; bias: string | null } } {
    const producer = new Map<string, PlanNode>();
    for (const n of this.#plan) for (const o of n.outputs) producer.set(o, n);
    let value = this.#output;
    for (let hops = 0; hops < 8; hops++) {
      const n = producer.get(value);
      if (!n) break;
      if (['Identity', 'Dropout', 'Softmax', 'LogSoftmax', 'Flatten'].includes(n.op)) {
        value = n.inputs[0];
        continue;
      }
      let mm = n;
      let bias: string | null = null;
      if (n.op === 'Add') {
        const m = n.inputs.map((i) => producer.get(i)).find((p) => p?.op === 'MatMul');
        if (!m) break;
        bias = n.inputs.find((i) => i !== m.outputs[0]) ?? null;
        mm = m;
      }
      if (mm.op !== 'Gemm' && mm.op !== 'MatMul') break;
      const w = this.#values.get(mm.inputs[1]);
      if (!(w instanceof Tensor) || w.rank !== 2) break;
      const transB = mm.op === 'Gemm' && mm.attrs.int('transB', 0) === 1;
      if (mm.op === 'Gemm' && mm.attrs.int('transA', 0) === 1) break;
      if (mm.op === 'Gemm') bias = mm.inputs[2] || null;
      return { body: this.withOutput(mm.inputs[0]), features: transB ? w.shape[1] : w.shape[0], head: { node: mm.label, weight: mm.inputs[1], bias } };
    }
    throw new OnnxError(
      this.#source,
      `the graph does not end in a Gemm or MatMul classifier head (the output '${this.#output}' comes from ${producer.get(value)?.op ?? 'an input'}), so there is no head to replace`,
    );
  }

  /**
   * Random weights in place of the imported ones, for training the same graph from scratch: PyTorch's default
   * (U(±1/√fanIn), which is kaiming_uniform with a = √5) on every Conv, ConvTranspose, Gemm and MatMul weight and bias, batch norms
   * reset to the identity (scale 1, shift 0, mean 0, variance 1). Other float initializers (constants a graph
   * multiplies by) keep their values.
   */
  resetParameters(gen: Generator = defaultGenerator): void {
    const tensor = (name: string | undefined) => {
      const v = name ? this.#values.get(name) : undefined;
      return v instanceof Tensor && this.#fields.has(name!) ? v : null;
    };
    for (const n of this.#plan) {
      if (n.op === 'BatchNormalization') {
        [1, 0, 0, 1].forEach((value, i) => {
          const t = tensor(n.inputs[i + 1]);
          if (t) constant_(t, value);
        });
        continue;
      }
      if (!['Conv', 'ConvTranspose', 'Gemm', 'MatMul'].includes(n.op)) continue;
      const w = tensor(n.inputs[1]);
      if (!w) continue;
      // MatMul and a Gemm without transB hold the weight as [in, out]: the fan-in is its first dimension.
      const asInOut = n.op === 'MatMul' || (n.op === 'Gemm' && n.attrs.int('transB', 0) !== 1);
      const bound = 1 / Math.sqrt(Math.max(1, asInOut ? w.shape[0] : fans(w).fanIn));
      uniform_(w, -bound, bound, gen);
      const b = n.op === 'MatMul' ? null : tensor(n.inputs[2]);
      if (b) uniform_(b, -bound, bound, gen);
    }
  }

  /** The per-sample shapes of the graph inputs (the batch dimension left out). */
  get inputShapes(): number[][] {
    return this.#inputs.map((i) => i.shape.slice(1));
  }

  /** Runs the graph; returns the selected output (see ImportOptions.output). */
  forward(...inputs: Tensor[]): Tensor {
    const out = this.run(inputs, [this.#output])[this.#output];
    return out instanceof Ints ? new Tensor(Float32Array.from(out.data), out.shape) : out;
  }

  /** Runs the graph and returns the named values (graph outputs or any intermediate value). */
  run(inputs: readonly Tensor[], wanted: readonly string[]): Record<string, Value> {
    if (inputs.length !== this.#inputs.length)
      throw new OnnxError(
        this.#source,
        `the graph takes ${this.#inputs.length} input(s) (${this.#inputs.map((i) => i.name).join(', ')}), got ${inputs.length}`,
      );
    const env = new Map(this.#values);
    this.#inputs.forEach((spec, i) => {
      const t = inputs[i];
      const want = spec.shape.slice(1);
      if (t.rank !== spec.shape.length || want.some((d, j) => d !== t.shape[j + 1]))
        throw new OnnxError(this.#source, `input '${spec.name}' must be [N, ${want.join(', ')}], got ${formatShape(t.shape)}`);
      env.set(spec.name, t);
    });
    const need = new Set(wanted);
    for (const node of this.#plan) {
      const args = node.inputs.map((n) => (n === '' ? undefined : env.get(n)));
      const ctx: OpContext = {
        attrs: node.attrs,
        opset: this.#info.opset,
        training: this.training,
        frozen: this.frozenBatchNorm.has(node.label),
        outputs: node.outputs.length,
        usedOutputs: node.usedOutputs,
        guard: (shape, what) => {
          const n = sizeOf(shape);
          if (!Number.isFinite(n) || n > this.#limit || shape.some((d) => !Number.isInteger(d) || d < 0))
            throw new OpProblem(`${what} would be ${formatShape(shape)}, over the ${this.#limit} elements allowed`);
        },
      };
      let result: Value | Value[];
      try {
        result = OPS[node.op].run(ctx, args);
      } catch (e) {
        if (e instanceof OnnxError) throw e;
        const why = e instanceof OpProblem || e instanceof RangeError || e instanceof TypeError ? (e as Error).message : String(e);
        throw new OnnxError(this.#source, `node '${node.label}' (${node.op}): ${why}`);
      }
      const list = Array.isArray(result) ? result : [result];
      node.outputs.forEach((name, i) => {
        if (name === '') return;
        if (list[i] === undefined) throw new OnnxError(this.#source, `node '${node.label}' (${node.op}): output ${i + 1} ('${name}') is not produced`);
        env.set(name, list[i]);
      });
    }
    const out: Record<string, Value> = {};
    for (const name of need) {
      const v = env.get(name);
      if (v === undefined) throw new OnnxError(this.#source, `'${name}' is not a value of this graph`);
      out[name] = v;
    }
    return out;
  }

  /** A forward on a zero batch of one sample, in eval mode without a tape, with every tensor under `limit` elements. */
  check(limit: number): void {
    this.#limit = limit;
    const wasTraining = this.training;
    this.training = false;
    try {
      noGrad(() => this.forward(...this.#inputs.map((i) => zeros([1, ...i.shape.slice(1)], i.int ? 'int32' : 'float32'))));
    } finally {
      this.#limit = Infinity;
      this.training = wasTraining;
    }
  }

  /**
   * This graph cut at another value (e.g. the features before the classifier): only the nodes that value needs run,
   * and only their parameters and buffers belong to the copy (shared with this model, not cloned).
   */
  withOutput(name: string): OnnxModel {
    if (!this.#plan.some((n) => n.outputs.includes(name)) && !this.#inputs.some((i) => i.name === name))
      throw new OnnxError(this.#source, `'${name}' is not a value of this graph; values are the nodes' outputs (see model.info.nodes)`);
    const needed = new Set([name]);
    const plan: PlanNode[] = [];
    for (let i = this.#plan.length - 1; i >= 0; i--) {
      const n = this.#plan[i];
      if (!n.outputs.some((o) => needed.has(o))) continue;
      plan.unshift(n);
      for (const x of n.inputs) if (x) needed.add(x);
    }
    const copy = new OnnxModel();
    const self = copy as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(this)) if (key !== 'bufferNames' && key !== 'frozenBatchNorm') self[key] = value;
    for (const [valueName, field] of this.#fields) {
      const isBuffer = !(this.#values.get(valueName) instanceof Parameter);
      if (!needed.has(valueName)) delete self[field];
      else if (isBuffer) copy.registerBuffer(field, this.#values.get(valueName) as Tensor);
      if (needed.has(valueName)) copy.#fields.set(valueName, field);
    }
    for (const b of this.frozenBatchNorm) copy.frozenBatchNorm.add(b);
    copy.#plan = plan;
    copy.#values = this.#values;
    copy.#inputs = this.#inputs;
    copy.#source = this.#source;
    copy.#info = {
      ...this.#info,
      outputs: [name],
      nodes: this.#info.nodes.filter((n) => plan.some((p) => p.label === n.name)),
      batchNorms: this.#info.batchNorms.filter((b) => plan.some((p) => p.label === b.node)),
    };
    copy.#output = name;
    copy.training = this.training;
    return copy;
  }

  /**
   * Writes this graph into an export (an imported, fine-tuned network exported again): its nodes as they were read,
   * its weights as they are now, under the names the exporting model's state dict gives them.
   */
  emitOnnx(ctx: ExportContext, inputs: OnnxValue[]): OnnxValue {
    if (this.#info.opset !== EXPORT_OPSET)
      throw new OnnxError(
        this.#source,
        `this graph was read at opset ${this.#info.opset}; Simmer writes opset ${EXPORT_OPSET} and copies imported nodes unchanged, so export the source at opset ${EXPORT_OPSET}`,
      );
    const names = new Map<string, string>();
    this.#inputs.forEach((spec, i) => names.set(spec.name, inputs[i].name));
    const nameOf = (v: string): string => {
      if (v === '') return '';
      const known = names.get(v);
      if (known !== undefined) return known;
      const value = this.#values.get(v);
      let name: string;
      if (value instanceof Ints) name = ctx.constInts(value.data, 'const');
      else if (value instanceof Parameter || (value && this.#fields.has(v))) name = ctx.param(value, v);
      else if (value) name = ctx.constFloat(value, 'const');
      else name = ctx.fresh(v.replace(/^\//, ''));
      if (value instanceof Ints && value.shape.length !== 1) {
        // constInts writes 1-D: reshape to the constant's own shape.
        const shaped = ctx.fresh('const');
        ctx.rawNode({ opType: 'Reshape', input: [name, ctx.constInts(value.shape.length ? value.shape : [])], output: [shaped] });
        name = shaped;
      }
      names.set(v, name);
      return name;
    };
    for (const n of this.#plan) {
      const input = n.inputs.map(nameOf);
      ctx.rawNode({ opType: n.op, input, output: n.outputs.map(nameOf), attribute: n.attrs.list() });
    }
    const inputTensors = inputs.map((v) => v.tensor);
    const result = this.forward(...inputTensors);
    return { name: nameOf(this.#output), tensor: result };
  }

  override extraRepr(): string {
    return `${this.#plan.length} nodes, opset ${this.#info.opset}`;
  }
}

function nodeLabel(n: OnnxNode, i: number): string {
  return n.name && n.name.length > 0 ? n.name : `#${i} ${n.opType ?? '?'}`;
}

/** Reads an ONNX model (a path or the file's bytes) into a trainable Module. */
export function importOnnx(fileOrBytes: string | Uint8Array, options: ImportOptions = {}): OnnxModel {
  let source = options.source ?? (typeof fileOrBytes === 'string' ? fileOrBytes : 'model.onnx');
  let bytes: Uint8Array;
  if (typeof fileOrBytes === 'string') {
    try {
      bytes = readFileSync(fileOrBytes);
    } catch (e) {
      throw new OnnxError(source, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  } else bytes = fileOrBytes;
  source = String(source);
  const limit = options.maxElements ?? 2 ** 26;
  const model = decodeModel(bytes, source);
  const err = (problem: string) => new OnnxError(source, problem);

  const opsets = model.opsetImport ?? [];
  const main = opsets.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  const opset = main?.version ?? 0;
  if (!main) throw err('the model imports no standard ONNX opset (ai.onnx); it is not a model Simmer can read');
  if (opset < MIN_OPSET || opset > MAX_OPSET)
    throw err(`opset ${opset} is not supported; Simmer reads opsets ${MIN_OPSET} to ${MAX_OPSET} (re-export with opset_version=17)`);
  const graph: OnnxGraph = model.graph ?? {};
  const nodes = graph.node ?? [];
  if (nodes.length === 0) throw err('the graph has no nodes');
  if (nodes.length > 100_000) throw err(`the graph has ${nodes.length} nodes, more than Simmer reads (100000)`);

  const decode = (t: OnnxTensor, what: string): Value => {
    const d = readTensorProto(t, what, source, limit);
    if (d.kind === 'tensor') return d.tensor;
    return new Ints(d.shape, d.data);
  };

  // Initializers: values known before the graph runs.
  const inits = new Map<string, Value>();
  for (const [i, t] of (graph.initializer ?? []).entries()) {
    const name = t.name ?? '';
    if (!name) throw err(`initializer ${i + 1} has no name`);
    if (inits.has(name)) throw err(`initializer '${name}' appears twice`);
    inits.set(name, decode(t, `initializer '${name}'`));
  }

  // Graph inputs that are not initializers (older exporters list initializers as inputs too).
  const inputs: { name: string; shape: number[]; int: boolean }[] = [];
  const infoInputs: OnnxGraphInfo['inputs'] = [];
  for (const vi of graph.input ?? []) {
    const name = vi.name ?? '';
    if (!name) throw err('a graph input has no name');
    if (inits.has(name)) continue;
    const tt = vi.type?.tensorType;
    if (!tt) throw err(`input '${name}' is not a tensor (sequences and maps are not supported)`);
    const elem = tt.elemType ?? 0;
    if (elem !== DT.FLOAT && elem !== DT.INT64 && elem !== DT.INT32)
      throw err(`input '${name}' is of type ${dtypeName(elem)}; Simmer feeds float inputs (and int64/int32 labels)`);
    const dims = tt.shape?.dim ?? [];
    if (dims.length === 0 || dims.length > 8) throw err(`input '${name}' has ${dims.length} dimensions; Simmer needs a batch dimension and at most 8`);
    const given = options.inputShapes?.[name];
    const shape = dims.map((d, j) => {
      if (j === 0) return 1;
      if (given) return given[j - 1];
      if (d.dimValue !== undefined && Number.isSafeInteger(d.dimValue) && d.dimValue > 0) return d.dimValue;
      throw err(
        `input '${name}' has a dynamic dimension ${j} ('${d.dimParam ?? '?'}'); only the batch may be dynamic. Pass its shape with importOnnx(file, { inputShapes: { '${name}': [...] } })`,
      );
    });
    if (given && given.length !== dims.length - 1)
      throw err(`inputShapes['${name}'] has ${given.length} dimensions; the input has ${dims.length - 1} besides the batch`);
    if (!shape.every((d) => Number.isSafeInteger(d) && d > 0) || sizeOf(shape) > limit)
      throw err(`input '${name}' declares shape [${shape.slice(1).join(', ')}] per sample, over the ${limit} elements Simmer accepts`);
    inputs.push({ name, shape, int: elem !== DT.FLOAT });
    infoInputs.push({ name, shape: dims.map((d, j) => (j === 0 ? (d.dimParam ?? d.dimValue ?? 'batch') : shape[j])), dtype: dtypeName(elem) });
  }
  if (inputs.length === 0) throw err('the graph has no inputs besides its initializers');

  // Nodes: supported ops, each value produced once and before it is read (Kahn's order; a cycle leaves nodes over).
  const producer = new Map<string, number>();
  for (const name of [...inits.keys(), ...inputs.map((i) => i.name)]) producer.set(name, -1);
  nodes.forEach((n, i) => {
    const label = nodeLabel(n, i);
    const op = n.opType ?? '';
    const domain = n.domain ?? '';
    if (domain !== '' && domain !== 'ai.onnx')
      throw err(`node '${label}' uses operator ${op} of domain '${domain}'; Simmer reads only the standard ONNX operators`);
    if (!Object.hasOwn(OPS, op)) throw err(`node '${label}' uses operator '${op}', which Simmer does not import. Supported: ${SUPPORTED_OPS.join(', ')}`);
    const min = OPS[op].minInputs ?? 0;
    if ((n.input ?? []).filter((x, j) => j < min && x !== '').length < min)
      throw err(`node '${label}' (${op}) needs at least ${min} input(s), has ${(n.input ?? []).length}`);
    if ((n.output ?? []).length === 0) throw err(`node '${label}' (${op}) has no outputs`);
    for (const o of n.output ?? []) {
      if (o === '') continue;
      if (producer.has(o))
        throw err(
          `value '${o}' is produced twice (by node '${label}' and ${producer.get(o) === -1 ? 'an initializer or input' : `node '${nodeLabel(nodes[producer.get(o) as number], producer.get(o) as number)}'`})`,
        );
      producer.set(o, i);
    }
  });
  const readers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const x of n.input ?? []) {
      if (x === '') continue;
      if (!producer.has(x))
        throw err(`node '${nodeLabel(n, i)}' (${n.opType}) reads '${x}', which no node, input or initializer provides (a missing initializer?)`);
      const list = readers.get(x) ?? [];
      list.push(i);
      readers.set(x, list);
    }
  });
  const pendingInputs = nodes.map((n) => new Set((n.input ?? []).filter((x) => x !== '' && (producer.get(x) ?? -1) >= 0)).size);
  const ready = nodes.map((_, i) => i).filter((i) => pendingInputs[i] === 0);
  const order: number[] = [];
  const done = new Set<string>();
  while (ready.length > 0) {
    const i = ready.shift() as number;
    order.push(i);
    for (const o of nodes[i].output ?? []) {
      if (o === '' || done.has(o)) continue;
      done.add(o);
      for (const r of new Set(readers.get(o) ?? [])) if (--pendingInputs[r] === 0) ready.push(r);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.map((n, i) => (pendingInputs[i] > 0 ? nodeLabel(n, i) : '')).filter(Boolean);
    throw err(
      `the graph has a cycle: nodes ${stuck
        .slice(0, 5)
        .map((s) => `'${s}'`)
        .join(', ')}${stuck.length > 5 ? ` (+${stuck.length - 5} more)` : ''} wait on each other`,
    );
  }

  // Which initializers are learned: float tensors read at a data position (not statics, not scalars).
  const role = new Map<string, 'param' | 'buffer' | 'const'>();
  nodes.forEach((n) => {
    const entry = OPS[n.opType as string];
    (n.input ?? []).forEach((x, j) => {
      const v = inits.get(x);
      if (!v || v instanceof Ints || v.size <= 1) return;
      const r = entry.statics?.includes(j) ? 'const' : entry.buffers?.includes(j) ? 'buffer' : 'param';
      const prev = role.get(x);
      role.set(x, prev === 'param' || r === 'param' ? 'param' : prev === 'buffer' || r === 'buffer' ? 'buffer' : 'const');
    });
  });
  const params = new Map<string, Tensor>();
  const buffers = new Map<string, Tensor>();
  const constants = new Map<string, Value>();
  for (const [name, v] of inits) {
    const r = role.get(name);
    if (r === 'param') params.set(name, v as Tensor);
    else if (r === 'buffer') buffers.set(name, v as Tensor);
    else constants.set(name, v);
  }

  const plan: PlanNode[] = order.map((i) => {
    const n = nodes[i];
    const label = nodeLabel(n, i);
    let attrs: Attrs;
    try {
      attrs = new Attrs(n.attribute ?? [], decode);
    } catch (e) {
      if (e instanceof OnnxError) throw e;
      throw err(`node '${label}' (${n.opType}): ${(e as Error).message}`);
    }
    const outputs = [...(n.output ?? [])];
    return {
      index: i,
      label,
      op: n.opType as string,
      inputs: [...(n.input ?? [])],
      outputs,
      attrs,
      usedOutputs: outputs.map((o) => o !== '' && (readers.has(o) || (graph.output ?? []).some((g) => g.name === o))),
    };
  });

  const graphOutputs = (graph.output ?? []).map((o) => o.name ?? '').filter(Boolean);
  if (graphOutputs.length === 0) throw err('the graph declares no outputs');
  for (const o of graphOutputs) if (!producer.has(o)) throw err(`graph output '${o}' is not produced by any node`);
  const output = options.output ?? graphOutputs[0];
  if (!producer.has(output)) throw err(`'${output}' is not a value of this graph`);
  const info: OnnxGraphInfo = {
    opset,
    producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim(),
    inputs: infoInputs,
    outputs: graphOutputs,
    nodes: plan.map((p) => ({ name: p.label, op: p.op, inputs: p.inputs, outputs: p.outputs })),
    batchNorms: plan
      .filter((p) => p.op === 'BatchNormalization')
      .map((p) => ({ node: p.label, params: p.inputs.slice(1).filter((x) => params.has(x) || buffers.has(x)) })),
  };
  const net = OnnxModel.create({ plan, constants, params, buffers, inputs, output, source, info });
  if (!options.skipCheck) net.check(limit);
  net.train();
  return net;
}
