/**
 * Writing embeddings for other tools: NumPy .npy (format 1.0, little-endian float32 '<f4' or int32 '<i4', C order)
 * and a JSON document with the rows, labels and the 2-D projection.
 *
 * @example
 *   writeNpy('emb.npy', embedding.data, [embedding.rows, embedding.cols]); // numpy.load('emb.npy').shape == (n, d)
 */
import { writeFileSync } from 'node:fs';

/** The bytes of an .npy file holding `data` with the given shape. */
export function npyBytes(data: Float32Array | Int32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`npy: shape ${shape.join('×')} needs ${count} values, got ${data.length}`);
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces and ended by \n to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = `${header.padEnd(total - 10 - 1, ' ')}\n`;
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // Typed arrays are in the platform's byte order; every platform Node supports here is little-endian.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}

export function writeNpy(path: string, data: Float32Array | Int32Array, shape: readonly number[]): void {
  writeFileSync(path, npyBytes(data, shape));
}

/** Rows of a row-major matrix as nested arrays rounded to `digits` significant digits (compact JSON). */
export function matrixRows(data: Float32Array, rows: number, cols: number, digits = 6): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from(data.subarray(i * cols, (i + 1) * cols), (v) => Number(v.toPrecision(digits))));
}
