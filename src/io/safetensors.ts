/**
 * safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte range,
 * then the raw bytes. Nothing in the file is executed; every field is validated before use, so a truncated or
 * tampered file fails with a message that says what is wrong.
 * @example
 *   const bytes = encodeSafetensors(model.stateDict(), { epoch: '3' });
 *   const { tensors, metadata } = decodeSafetensors(bytes);
 */
import type { DType } from '../tensor/dtype.ts';
import { sizeOf } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import { describeJsonError } from './json-file.ts';

const CODES: Record<DType, string> = { float32: 'F32', int32: 'I32', uint8: 'U8' };
const FROM_CODE: Record<string, DType> = { F32: 'float32', I32: 'int32', U8: 'uint8' };
const BYTES: Record<DType, number> = { float32: 4, int32: 4, uint8: 1 };
/** Headers larger than this are refused (the format's reference implementation uses the same bound). */
const MAX_HEADER = 100_000_000;

export class SafetensorsError extends Error {
  constructor(source: string, problem: string) {
    super(`${source}: ${problem}`);
    this.name = 'SafetensorsError';
  }
}

export function encodeSafetensors(tensors: Map<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): Buffer {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    const bytes = t.size * BYTES[t.dtype];
    header[name] = { dtype: CODES[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned (allowed by the format).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    const src = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    src.copy(out, pos);
    pos += src.length;
  }
  return out;
}

export interface DecodedSafetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): DecodedSafetensors {
  if (bytes.length < 8) throw new SafetensorsError(source, `the file is ${bytes.length} bytes long, too short to be safetensors (truncated or empty)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER) throw new SafetensorsError(source, `header length ${headerLen} is implausible; the file is not safetensors or is corrupt`);
  if (8 + headerLen > bytes.length)
    throw new SafetensorsError(source, `the header needs ${headerLen} bytes but only ${bytes.length - 8} follow; the file is truncated`);
  let header: Record<string, unknown>;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8');
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(source, `the header is not valid JSON (${describeJsonError(e, text)}); the file is corrupt`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError(source, 'the header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, Tensor>();
  const ranges: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError(source, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') throw new SafetensorsError(source, `__metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new SafetensorsError(
        source,
        `tensor '${name}' is described by ${JSON.stringify(raw)}, not by an object with dtype, shape and data_offsets; the file is corrupt`,
      );
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof info.dtype === 'string' ? FROM_CODE[info.dtype] : undefined;
    if (!dtype) throw new SafetensorsError(source, `tensor '${name}' has dtype ${JSON.stringify(info.dtype)}; Simmer reads F32, I32 and U8`);
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new SafetensorsError(source, `tensor '${name}' has an invalid shape ${JSON.stringify(info.shape)}`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isInteger(d) && d >= 0) || offsets[1] < offsets[0]) {
      throw new SafetensorsError(source, `tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = sizeOf(info.shape as number[]) * BYTES[dtype];
    if (end - begin !== expected)
      throw new SafetensorsError(
        source,
        `tensor '${name}' spans ${end - begin} bytes but shape [${(info.shape as number[]).join(', ')}] of ${dtype} needs ${expected}`,
      );
    if (end > dataLen)
      throw new SafetensorsError(source, `tensor '${name}' ends at byte ${end} but the data section has only ${dataLen} bytes; the file is truncated`);
    ranges.push([begin, end, name]);
    // Copy into a fresh aligned buffer: typed arrays need alignment and the caller owns the result.
    const copy = new Uint8Array(end - begin);
    copy.set(bytes.subarray(dataStart + begin, dataStart + end));
    const data = dtype === 'float32' ? new Float32Array(copy.buffer) : dtype === 'int32' ? new Int32Array(copy.buffer) : copy;
    tensors.set(name, new Tensor(data, info.shape as number[]));
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) throw new SafetensorsError(source, `tensors '${ranges[i - 1][2]}' and '${ranges[i][2]}' overlap; the file is corrupt`);
  }
  return { tensors, metadata };
}
