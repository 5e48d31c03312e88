/**
 * The ONNX file format through protobufjs and the official onnx.proto (vendored beside this file, loaded once at run
 * time): plain-object types for the parts Simmer reads and writes, `encodeModel`/`decodeModel`, and conversions
 * between TensorProto and Simmer tensors. Decoding only parses data: nothing in a file is executed, every size is
 * checked against the bytes that are really there before anything is allocated, and malformed input becomes an
 * OnnxError naming the file and what is wrong.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { sizeOf } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';

/** ONNX TensorProto.DataType codes Simmer names in messages. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const;
const DT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DT).map(([k, v]) => [v, k.toLowerCase()]));
export const dtypeName = (code: number | undefined): string => DT_NAMES[code ?? 0] ?? `data type ${code ?? 'unset'}`;

/** AttributeProto.AttributeType codes. */
export const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface OnnxDim {
  dimValue?: number;
  dimParam?: string;
}
export interface OnnxValueInfo {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: OnnxDim[] } } };
}
export interface OnnxTensor {
  name?: string;
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  rawData?: Uint8Array;
  dataLocation?: number;
  externalData?: unknown[];
}
export interface OnnxAttribute {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  g?: unknown;
}
export interface OnnxNode {
  name?: string;
  opType?: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: OnnxAttribute[];
}
export interface OnnxGraph {
  name?: string;
  node?: OnnxNode[];
  initializer?: OnnxTensor[];
  input?: OnnxValueInfo[];
  output?: OnnxValueInfo[];
  valueInfo?: OnnxValueInfo[];
}
export interface OnnxModelProto {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  opsetImport?: { domain?: string; version?: number }[];
  graph?: OnnxGraph;
  docString?: string;
  metadataProps?: { key?: string; value?: string }[];
}

export class OnnxError extends Error {
  constructor(source: string, problem: string) {
    super(`${source}: ${problem}`);
    this.name = 'OnnxError';
  }
}

let modelType: protobuf.Type | null = null;
function schema(): protobuf.Type {
  if (!modelType) {
    const root = protobuf.parse(readFileSync(new URL('./onnx.proto', import.meta.url), 'utf8'), { keepCase: false }).root;
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** Serialises a model object (the shapes above) to ONNX bytes. */
export function encodeModel(model: OnnxModelProto): Uint8Array {
  const type = schema();
  const problem = type.verify(model);
  if (problem) throw new Error(`encodeModel: the model object is not a valid ModelProto (${problem}); this is a bug in the exporter`);
  return type.encode(type.fromObject(model as Record<string, unknown>)).finish();
}

/** Files larger than this are refused (2 GB is the protobuf limit; larger ONNX files use external data). */
const MAX_FILE = 2 ** 31 - 1;

/** Parses ONNX bytes into plain objects. Throws OnnxError (naming `source`) on anything that is not a valid ModelProto. */
export function decodeModel(bytes: Uint8Array, source = 'model.onnx'): OnnxModelProto {
  if (bytes.length === 0) throw new OnnxError(source, 'the file is empty; export the model again');
  if (bytes.length > MAX_FILE) throw new OnnxError(source, `the file is ${bytes.length} bytes; ONNX files over 2 GB (external data) are not supported`);
  let message: protobuf.Message;
  try {
    message = schema().decode(bytes);
  } catch (e) {
    const why = (e as Error).message ?? String(e);
    const truncated = /index out of range|premature|end of/i.test(why);
    throw new OnnxError(
      source,
      truncated
        ? 'the file ends in the middle of a record: it is truncated or not an ONNX file'
        : `the file is not a valid ONNX protobuf (${/call stack/i.test(why) ? 'records nested too deeply' : why.replace(/ at offset \d+| at position \d+/g, '')})`,
    );
  }
  // Bytes stay Buffers (Uint8Array); 64-bit integers become numbers (exact up to 2^53, far beyond any valid dim).
  return schema().toObject(message, { longs: Number, enums: Number }) as OnnxModelProto;
}

/** The element count a TensorProto declares, refusing negative, non-integer and absurd dims before any allocation. */
export function declaredSize(t: OnnxTensor, what: string, source: string, limit: number): number {
  const dims = t.dims ?? [];
  if (dims.length > 16) throw new OnnxError(source, `${what} has ${dims.length} dimensions; at most 16 are supported`);
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new OnnxError(source, `${what} has an invalid dimension ${d} in [${dims.join(', ')}]`);
    n *= d;
    if (n > limit)
      throw new OnnxError(
        source,
        `${what} declares shape [${dims.join(', ')}] (over ${limit} elements), larger than Simmer accepts; the file is corrupt or too large`,
      );
  }
  return n;
}

/** A TensorProto's values as a float32 or int32 Simmer tensor, or as plain integers (int64 and friends). */
export type DecodedTensor = { kind: 'tensor'; tensor: Tensor } | { kind: 'ints'; shape: number[]; data: number[] };

/** Reads a TensorProto's values; refuses external data, unsupported types and data that does not fill the shape. */
export function readTensorProto(t: OnnxTensor, what: string, source: string, limit: number): DecodedTensor {
  const shape = [...(t.dims ?? [])];
  const n = declaredSize(t, what, source, limit);
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0)
    throw new OnnxError(
      source,
      `${what} keeps its data in an external file; save the model with the weights inside (onnx.save(model, path, save_as_external_data=False))`,
    );
  const code = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const width =
    code === DT.FLOAT || code === DT.INT32
      ? 4
      : code === DT.INT64 || code === DT.DOUBLE
        ? 8
        : code === DT.UINT8 || code === DT.INT8 || code === DT.BOOL
          ? 1
          : 0;
  if (width === 0)
    throw new OnnxError(
      source,
      `${what} is of type ${dtypeName(code)}; Simmer reads float, double, int64, int32, int8, uint8 and bool tensors (convert float16 models to float32 first)`,
    );
  const field = code === DT.FLOAT ? t.floatData : code === DT.DOUBLE ? t.doubleData : code === DT.INT64 ? t.int64Data : t.int32Data;
  const count = raw ? raw.length / width : (field?.length ?? 0);
  if (count !== n)
    throw new OnnxError(
      source,
      `${what} has shape [${shape.join(', ')}] (${n} values) but holds ${Number.isInteger(count) ? count : `${raw?.length} bytes, not a whole number of`} values; the file is corrupt`,
    );
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (code === DT.FLOAT) {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true);
      return { kind: 'tensor', tensor: new Tensor(data, shape) };
    }
    if (code === DT.DOUBLE) {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat64(8 * i, true);
      return { kind: 'tensor', tensor: new Tensor(data, shape) };
    }
    const ints: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      ints[i] =
        code === DT.INT64
          ? Number(view.getBigInt64(8 * i, true))
          : code === DT.INT32
            ? view.getInt32(4 * i, true)
            : code === DT.INT8
              ? view.getInt8(i)
              : view.getUint8(i);
    }
    return { kind: 'ints', shape, data: ints };
  }
  const values = field ?? [];
  if (code === DT.FLOAT || code === DT.DOUBLE) return { kind: 'tensor', tensor: new Tensor(Float32Array.from(values), shape) };
  return { kind: 'ints', shape, data: values.map(Number) };
}

/** A float32 Simmer tensor as a TensorProto (raw little-endian bytes). */
export function floatTensorProto(name: string, t: Tensor): OnnxTensor {
  const data = t.dtype === 'float32' ? (t.data as Float32Array) : Float32Array.from(t.data);
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return { name, dims: [...t.shape], dataType: DT.FLOAT, rawData: bytes };
}

/** Integers as an int64 TensorProto. */
export function int64TensorProto(name: string, values: readonly number[], dims: readonly number[] = [values.length]): OnnxTensor {
  if (sizeOf(dims) !== values.length) throw new RangeError(`int64TensorProto: ${values.length} values do not fill [${dims.join(', ')}]`);
  return { name, dims: [...dims], dataType: DT.INT64, int64Data: [...values] };
}
