/**
 * Decoding image files with sharp into CHW uint8, with the resize policy of ImageDecodeOptions and errors that say which
 * file is bad and what to do. JPEG, PNG, WebP, GIF (first frame), TIFF and AVIF are read; the data layer never decodes
 * by hand.
 *
 * @example
 *   const img = await decodeImageFile('cat.jpg', { size: 64, channels: 3 }); // { data: Uint8Array(3*64*64), width: 64, height: 64, channels: 3 }
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import type { ImageDecodeOptions, ResizePolicy } from './dataset.ts';
import { DataError } from './errors.ts';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);
export const DEFAULT_MAX_PIXELS = 40_000_000;

/** Whether a file name has one of the image extensions Simmer reads. */
export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

export interface DecodedImage {
  /** CHW bytes. */
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** What the file header says, before any decoding. */
export interface ImageInfo {
  format: string;
  width: number;
  height: number;
  channels: number;
  space: string;
  hasAlpha: boolean;
  bytes: number;
}

function sizeOf(size: number | [number, number] | undefined): [number, number] | undefined {
  if (size === undefined) return undefined;
  return typeof size === 'number' ? [size, size] : size;
}

/** Maps a sharp failure to a DataError naming the file and the fix. */
export function explainDecodeError(path: string, e: unknown, maxPixels = DEFAULT_MAX_PIXELS): DataError {
  if (e instanceof DataError) return e;
  const msg = (e as Error)?.message ?? String(e);
  if (/pixel limit/i.test(msg)) {
    return new DataError(
      'too-large',
      `${path}: declared dimensions exceed the limit of ${maxPixels.toLocaleString('en-US')} pixels`,
      'shrink the image, or raise the limit with maxPixels (CLI: --max-pixels) if it is genuine',
      path,
    );
  }
  if (/unsupported image format/i.test(msg)) {
    return new DataError('unreadable-image', `${path} is not an image sharp can read`, 'replace it with a JPEG/PNG/WebP/GIF/TIFF/AVIF file or delete it', path);
  }
  return new DataError(
    'corrupt-image',
    `${path} is corrupt or truncated (${msg.split('\n')[0]})`,
    'delete or replace the file (re-export or re-download it)',
    path,
  );
}

/** Reads the header of an image file (no pixel decoding); throws a DataError for empty, unreadable or oversized files. */
export async function readImageInfo(path: string, maxPixels = DEFAULT_MAX_PIXELS): Promise<ImageInfo> {
  const buf = await readNonEmpty(path);
  return infoOf(path, buf, maxPixels);
}

async function readNonEmpty(path: string): Promise<Buffer> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError('missing-file', `${path} does not exist`, 'fix the path, or remove the entry that names it', path);
    if (code === 'EISDIR')
      throw new DataError('is-folder', `${path} is a folder, not an image file`, 'pass an image file, or a folder to read every image in it', path);
    throw new DataError('unreadable-file', `${path} cannot be read (${code ?? (e as Error).message})`, 'check the file permissions', path);
  }
  if (buf.length === 0) throw new DataError('empty-file', `${path} is empty (0 bytes)`, 'delete the file or replace it with a valid image', path);
  return buf;
}

async function infoOf(path: string, buf: Buffer, maxPixels: number): Promise<ImageInfo> {
  let meta: Metadata;
  try {
    // No pixel limit for the header read itself, so an oversized image is refused below with its declared size.
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw explainDecodeError(path, e, maxPixels);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width * height > maxPixels) {
    throw new DataError(
      'too-large',
      `${path} declares ${width}x${height} = ${(width * height).toLocaleString('en-US')} pixels, above the limit of ${maxPixels.toLocaleString('en-US')}`,
      'shrink the image, or raise the limit with maxPixels (CLI: --max-pixels) if it is genuine',
      path,
    );
  }
  return {
    format: meta.format ?? 'unknown',
    width,
    height,
    channels: meta.channels ?? 0,
    space: meta.space ?? 'unknown',
    hasAlpha: meta.hasAlpha ?? false,
    bytes: buf.length,
  };
}

/**
 * Decodes an image file to CHW uint8 at the target size and channel count.
 * Without a size the image keeps its own; with policy 'error' an image of another size is refused.
 */
export async function decodeImageFile(path: string, opts: ImageDecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const buf = await readNonEmpty(path);
  const info = await infoOf(path, buf, maxPixels);
  const target = sizeOf(opts.size);
  const policy: ResizePolicy = opts.resize ?? 'cover';
  const channels = opts.channels ?? 3;
  if (target && policy === 'error' && (info.width !== target[1] || info.height !== target[0])) {
    throw new DataError(
      'size-mismatch',
      `${path} is ${info.width}x${info.height} but the dataset is ${target[1]}x${target[0]} (resize policy 'error')`,
      "resize the images beforehand, or let Simmer resize them (resize: 'cover' | 'contain' | 'fill'; CLI: --resize cover)",
      path,
    );
  }
  try {
    // failOn 'error' refuses truncated files instead of returning half-grey images.
    let img = sharp(buf, { limitInputPixels: maxPixels, failOn: 'error', animated: false }).rotate();
    img = img.flatten({ background: { r: 0, g: 0, b: 0 } });
    if (target && (info.width !== target[1] || info.height !== target[0])) {
      img = img.resize(target[1], target[0], { fit: policy === 'error' ? 'fill' : policy, position: 'centre', background: { r: 0, g: 0, b: 0 } });
    }
    img = channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
    const { data, info: out } = await img.raw().toBuffer({ resolveWithObject: true });
    return { data: hwcToChw(data, out.height, out.width, out.channels, channels), width: out.width, height: out.height, channels };
  } catch (e) {
    throw explainDecodeError(path, e, maxPixels);
  }
}

/** Interleaved HWC (with `srcChannels`) to planar CHW with `channels` planes. */
function hwcToChw(src: Uint8Array, h: number, w: number, srcChannels: number, channels: number): Uint8Array {
  const plane = h * w;
  const out = new Uint8Array(channels * plane);
  for (let c = 0; c < channels; c++) {
    const sc = Math.min(c, srcChannels - 1);
    for (let i = 0; i < plane; i++) out[c * plane + i] = src[i * srcChannels + sc];
  }
  return out;
}

/**
 * Encodes a CHW float image in [0, 1] (1 or 3 channels) as PNG bytes.
 * @example
 *   await writeFile('x.png', await encodePng(sample.image, sample.shape));
 */
export async function encodePng(image: Float32Array, shape: readonly [number, number, number] | readonly number[]): Promise<Buffer> {
  const [c, h, w] = shape;
  const plane = h * w;
  const hwc = Buffer.alloc(plane * c);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < plane; i++) hwc[i * c + ch] = Math.round(Math.min(1, Math.max(0, image[ch * plane + i])) * 255);
  }
  return sharp(hwc, { raw: { width: w, height: h, channels: c as 1 | 3 | 4 } })
    .png()
    .toBuffer();
}
