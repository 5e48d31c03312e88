/**
 * A synchronous PNG encoder (8-bit grey or RGB, zlib from node:zlib), for the dashboard worker: a sequential sampler
 * reports its steps from inside one synchronous call, where sharp's asynchronous encoder would only finish after the
 * sampling ends, so the frames could not stream.
 * @example
 *   const png = encodePngSync(image, [1, 28, 28]); // CHW float in [0, 1] → PNG bytes
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** PNG bytes of a CHW float image in [0, 1] (values outside are clamped); 1 channel is grey, 3 are RGB. */
export function encodePngSync(image: Float32Array, shape: readonly number[]): Buffer {
  const [c, h, w] = shape;
  if (c !== 1 && c !== 3) throw new RangeError(`encodePngSync: 1 or 3 channels, got ${c}`);
  if (image.length !== c * h * w) throw new RangeError(`encodePngSync: ${image.length} values for shape ${shape.join('x')}`);
  const row = 1 + w * c;
  const raw = Buffer.alloc(row * h);
  const plane = h * w;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) raw[y * row + 1 + x * c + ch] = Math.round(Math.min(1, Math.max(0, image[ch * plane + y * w + x] || 0)) * 255);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = c === 1 ? 0 : 2; // grey or truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

export function pngDataUrlSync(image: Float32Array, shape: readonly number[]): string {
  return `data:image/png;base64,${encodePngSync(image, shape).toString('base64')}`;
}
