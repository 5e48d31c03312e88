/**
 * ONNX export: `exportOnnx(model, sampleInput)` walks the model's modules through a table of emitters, one per layer
 * or model class, each writing the ONNX nodes for its module and computing its real output on the sample input (so
 * every shape is known). Weights become initializers named by their state-dict keys. Opset 17, dynamic batch size.
 * A new layer is one `registerOnnxEmitter(Class, emitter)` entry (see ./emitters.ts and ./zoo-emitters.ts).
 * @example
 *   const bytes = exportOnnx(buildClassifier('cnn-small', { inputShape: [1, 28, 28], numClasses: 10 }), zeros([1, 1, 28, 28]));
 *   writeFileSync('model.onnx', bytes);
 */
import { noGrad } from '../autograd/grad-mode.ts';
import { type Module, withMode } from '../nn/module.ts';
import { formatShape } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { AT, DT, encodeModel, floatTensorProto, int64TensorProto, type OnnxAttribute, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './proto.ts';

export const EXPORT_OPSET = 17;

/** A value in the graph being written: its ONNX name and its value on the sample input. */
export interface OnnxValue {
  name: string;
  tensor: Tensor;
}

/** Writes the nodes of one module; returns its output. `inputs` are the values its forward receives. */
export type OnnxEmitter<M extends Module = Module> = (ctx: ExportContext, module: M, inputs: OnnxValue[]) => OnnxValue;

type Ctor = abstract new (...args: never[]) => Module;
const EMITTERS = new Map<Ctor, OnnxEmitter>();

/** Registers how a module class is written to ONNX (a subclass without its own entry uses its parent's). */
export function registerOnnxEmitter<M extends Module>(cls: abstract new (...args: never[]) => M, emitter: OnnxEmitter<M>): void {
  EMITTERS.set(cls, emitter as OnnxEmitter);
}

/** Names of the module classes that can be exported. */
export const exportableModules = (): string[] => [...EMITTERS.keys()].map((c) => c.name).sort();

function emitterFor(m: Module): OnnxEmitter | undefined {
  for (let p = Object.getPrototypeOf(m); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const e = EMITTERS.get(p.constructor as Ctor);
    if (e) return e;
  }
  return undefined;
}

export type AttributeValue = number | string | readonly number[] | { float: number } | { floats: readonly number[] } | { tensor: OnnxTensor };

function attribute(name: string, v: AttributeValue): OnnxAttribute {
  if (typeof v === 'number') return { name, type: AT.INT, i: v };
  if (typeof v === 'string') return { name, type: AT.STRING, s: Buffer.from(v, 'utf8') };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: [...(v as number[])] };
  if ('float' in v) return { name, type: AT.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: AT.FLOATS, floats: [...v.floats] };
  return { name, type: AT.TENSOR, t: (v as { tensor: OnnxTensor }).tensor };
}

/** What emitters write through: nodes, initializers (each tensor once, under its state-dict name) and constants. */
export class ExportContext {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly tensorNames = new Map<Tensor, string>();
  private readonly paths = new Map<Module, string>();
  private readonly used = new Set<string>();
  /** State-dict names of the model's tensors, used when a tensor first becomes an initializer. */
  private readonly pending = new Map<Tensor, string>();
  private counter = 0;

  constructor(root: Module) {
    for (const [name, m] of root.namedModules()) this.paths.set(m, name);
    for (const [name, t] of root.stateDict()) this.pending.set(t, name);
  }

  /** The dotted path of a module in the exported model ('' for the root). */
  pathOf(m: Module): string {
    return this.paths.get(m) ?? '';
  }

  /** A fresh value name with a readable stem. */
  fresh(stem: string): string {
    let name = `${stem.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 'v'}_${this.counter++}`;
    while (this.used.has(name)) name = `${stem}_${this.counter++}`;
    this.used.add(name);
    return name;
  }

  /** Writes `module` (an emitter from the table) and returns its output. */
  emit(module: Module, inputs: OnnxValue[]): OnnxValue {
    const e = emitterFor(module);
    if (!e) {
      const at = this.pathOf(module);
      throw new RangeError(
        `exportOnnx: no ONNX emitter for ${module.constructor.name}${at ? ` (at '${at}')` : ''}; exportable modules: ${exportableModules().join(', ')}. Add one with registerOnnxEmitter(${module.constructor.name}, ...)`,
      );
    }
    return e(this, module, inputs);
  }

  /** The initializer holding a module's tensor (a weight or buffer), added on first use under its state-dict key. */
  param(t: Tensor, fallback = 'param'): string {
    const known = this.tensorNames.get(t);
    if (known) return known;
    const name = this.pending.get(t) ?? this.fresh(fallback);
    this.used.add(name);
    this.tensorNames.set(t, name);
    this.initializers.push(floatTensorProto(name, t));
    return name;
  }

  /** A float constant initializer (a tensor that is not one of the model's). */
  constFloat(t: Tensor, stem = 'const'): string {
    const name = this.fresh(stem);
    this.initializers.push(floatTensorProto(name, t));
    return name;
  }

  /** An int64 constant initializer (shapes, axes). */
  constInts(values: readonly number[], stem = 'ints'): string {
    const name = this.fresh(stem);
    this.initializers.push(int64TensorProto(name, values));
    return name;
  }

  /** A scalar float constant. */
  scalar(value: number): string {
    const name = this.fresh('scalar');
    this.initializers.push({ name, dims: [], dataType: DT.FLOAT, floatData: [value] });
    return name;
  }

  /** Writes a node exactly as given (names already chosen; used to write an imported graph back out). */
  rawNode(node: OnnxNode): void {
    this.nodes.push({ ...node, name: `${node.opType}_${this.nodes.length}` });
  }

  /** Writes one node; `result` is its value on the sample input (the emitter computes it with Simmer's op). */
  node(opType: string, inputs: readonly string[], result: Tensor, attrs: Record<string, AttributeValue | undefined> = {}, stem?: string): OnnxValue {
    const name = this.fresh(stem ?? opType);
    const attribute_ = Object.entries(attrs)
      .filter((e): e is [string, AttributeValue] => e[1] !== undefined)
      .map(([k, v]) => attribute(k, v));
    this.nodes.push({
      name: `${opType}_${this.nodes.length}`,
      opType,
      input: [...inputs],
      output: [name],
      ...(attribute_.length ? { attribute: attribute_ } : {}),
    });
    return { name, tensor: result };
  }
}

export interface ExportOptions {
  /** Graph input names (default 'input', or 'input', 'labels' … for several). */
  inputNames?: string[];
  /** Graph output name (default 'output'). */
  outputName?: string;
  /** Make dimension 0 of every input and of the output a named dynamic 'batch' dimension (default true). */
  dynamicBatch?: boolean;
  /** Graph name (default the model's class name). */
  name?: string;
  /** Free text stored in the model's doc_string. */
  docString?: string;
  /** Key/value strings stored in the model's metadata_props (e.g. the class names). */
  metadata?: Record<string, string>;
}

const ELEM: Record<string, number> = { float32: DT.FLOAT, int32: DT.INT32, uint8: DT.UINT8 };

function valueInfo(name: string, t: Tensor, dynamicBatch: boolean): OnnxValueInfo {
  const dim = t.shape.map((d, i) => (i === 0 && dynamicBatch ? { dimParam: 'batch' } : { dimValue: d }));
  return { name, type: { tensorType: { elemType: ELEM[t.dtype], shape: { dim } } } };
}

/** The model's output on `inputs` and the ONNX graph that computes it, in eval mode without a tape. */
export function traceOnnx(model: Module, inputs: readonly Tensor[], options: ExportOptions = {}): { bytes: Uint8Array; output: Tensor } {
  if (inputs.length === 0) throw new RangeError('exportOnnx: pass a sample input (a batch of the shape the model takes)');
  const names = options.inputNames ?? (inputs.length === 1 ? ['input'] : inputs.map((_, i) => (i === 0 ? 'input' : i === 1 ? 'labels' : `input${i}`)));
  const dynamicBatch = options.dynamicBatch ?? true;
  return withMode(model, 'eval', () =>
    noGrad(() => {
      const ctx = new ExportContext(model);
      names.forEach((n) => ctx.fresh(n));
      const graphInputs = inputs.map((t, i) => ({ name: names[i], tensor: t }));
      let out = ctx.emit(model, graphInputs);
      const outputName = options.outputName ?? 'output';
      // The output gets its own name through Identity (which also covers a model that returns its input).
      out = ctx.node('Identity', [out.name], out.tensor);
      ctx.nodes[ctx.nodes.length - 1].output = [outputName];
      const batchOut = dynamicBatch && out.tensor.rank > 0 && out.tensor.shape[0] === inputs[0].shape[0];
      const bytes = encodeModel({
        irVersion: 8,
        producerName: 'simmer',
        producerVersion: '0.1.0',
        opsetImport: [{ domain: '', version: EXPORT_OPSET }],
        docString: options.docString,
        metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
        graph: {
          name: options.name ?? model.constructor.name,
          node: ctx.nodes,
          initializer: ctx.initializers,
          input: graphInputs.map((v) => valueInfo(v.name, v.tensor, dynamicBatch)),
          output: [valueInfo(outputName, out.tensor, batchOut)],
        },
      });
      return { bytes, output: out.tensor };
    }),
  );
}

/**
 * The model as ONNX bytes (opset 17, dynamic batch). `sampleInput` is one batch of what forward takes (several
 * tensors for several inputs, e.g. latents and labels of a conditional generator). For a VAE the decoder is exported
 * (latents → images), for a GAN the generator.
 */
export function exportOnnx(model: Module, sampleInput: Tensor | readonly Tensor[], options: ExportOptions = {}): Uint8Array {
  const inputs = Array.isArray(sampleInput) ? (sampleInput as readonly Tensor[]) : [sampleInput as Tensor];
  for (const t of inputs)
    if (t.rank === 0) throw new RangeError(`exportOnnx: sample inputs need a batch dimension, got a tensor of shape ${formatShape(t.shape)}`);
  return traceOnnx(model, inputs, options).bytes;
}
