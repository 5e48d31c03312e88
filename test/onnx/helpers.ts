/** Helpers for the ONNX tests: onnxruntime-node as the oracle, and small graphs written with encodeModel. */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { AT, DT, encodeModel, type OnnxAttribute, type OnnxModelProto, type OnnxNode, type OnnxTensor } from '../../src/onnx/proto.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `sizes differ: ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** Runs ONNX bytes in onnxruntime-node; inputs in the graph's input order. */
export async function runOrt(bytes: Uint8Array, inputs: Tensor[]): Promise<Tensor> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  session.inputNames.forEach((name, i) => {
    const t = inputs[i];
    feeds[name] = t.dtype === 'int32' ? new ort.Tensor('int32', t.data as Int32Array, t.shape) : new ort.Tensor('float32', t.f32, t.shape);
  });
  const out = (await session.run(feeds))[session.outputNames[0]];
  return new Tensor(Float32Array.from(out.data as Float32Array), [...out.dims]);
}

export type Attr = number | string | number[] | { f: number } | { floats: number[] };

/** An attribute list from a plain record ({ f } for floats; arrays are ints). */
export function attrs(record: Record<string, Attr>): OnnxAttribute[] {
  return Object.entries(record).map(([name, v]) => {
    if (typeof v === 'number') return { name, type: AT.INT, i: v };
    if (typeof v === 'string') return { name, type: AT.STRING, s: Buffer.from(v) };
    if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
    if ('f' in v) return { name, type: AT.FLOAT, f: v.f };
    return { name, type: AT.FLOATS, floats: v.floats };
  });
}

export const node = (opType: string, input: string[], output: string[], a: Record<string, Attr> = {}, name = `${opType}_${output[0]}`): OnnxNode => ({
  name,
  opType,
  input,
  output,
  attribute: attrs(a),
});

export const floatInit = (name: string, t: Tensor): OnnxTensor => ({ name, dims: [...t.shape], dataType: DT.FLOAT, floatData: Array.from(t.f32) });
export const intInit = (name: string, values: number[], dims = [values.length]): OnnxTensor => ({ name, dims, dataType: DT.INT64, int64Data: values });

/** A one-input graph: input 'x' of `shape` (dynamic batch), output 'y'. */
export function graph(
  nodes: OnnxNode[],
  shape: number[],
  initializer: OnnxTensor[] = [],
  opset = 17,
  outShape?: number[],
  extraInputs: { name: string; shape: number[]; elem?: number }[] = [],
): OnnxModelProto {
  const info = (name: string, dims: number[], elem: number = DT.FLOAT) => ({
    name,
    type: { tensorType: { elemType: elem, shape: { dim: dims.map((d, i) => (i === 0 ? { dimParam: 'batch' } : { dimValue: d })) } } },
  });
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: nodes,
      initializer,
      input: [info('x', shape), ...extraInputs.map((e) => info(e.name, e.shape, e.elem))],
      output: [{ name: 'y', ...(outShape ? { type: info('y', outShape).type } : {}) }],
    },
  };
}

export const bytesOf = (m: OnnxModelProto) => encodeModel(m);
