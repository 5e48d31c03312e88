/**
 * IDX files (the MNIST format), plain and gzipped: valid files open to the bytes they hold; a short, truncated,
 * oversized, bomb-like or degenerate file is refused with a DataError that names the file and the fix — never a
 * DataView error, and never by inflating without bound.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../src/data/errors.ts';
import { IdxDataset, parseIdx } from '../../src/data/idx.ts';

const root = mkdtempSync(join(tmpdir(), 'simmer-idx-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** IDX bytes: magic 00 00 08 ndim, big-endian dims, then the payload. */
export function idxBytes(dims: number[], payload: Uint8Array = new Uint8Array(dims.reduce((a, b) => a * b, 1))): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  out.set([0, 0, 8, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

let folders = 0;
/** A fresh folder (the IDX reader caches by path) with train images and labels. */
function idxFolder(images: Uint8Array, labels: Uint8Array, gz = false): string {
  const dir = join(root, `d${folders++}`);
  mkdirSync(dir);
  const ext = gz ? '.gz' : '';
  writeFileSync(join(dir, `train-images-idx3-ubyte${ext}`), gz ? gzipSync(images) : images);
  writeFileSync(join(dir, `train-labels-idx1-ubyte${ext}`), gz ? gzipSync(labels) : labels);
  return dir;
}

const open = (dir: string) => new IdxDataset({ kind: 'idx', dir, split: 'train' });

function refuses(fn: () => unknown, file: RegExp, problem: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataError, `a DataError, got ${(e as Error)?.stack}`);
    assert.match(e.message, file, 'the message names the file');
    assert.match(e.message, problem);
    assert.match(e.message, /fix: /);
    assert.doesNotMatch(e.message, /Offset is outside|Invalid typed array|DataView/);
    return true;
  });
}

test('valid plain and gzipped IDX files open to their pixels and labels', () => {
  const pixels = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
  for (const gz of [false, true]) {
    const ds = open(idxFolder(idxBytes([3, 2, 2], pixels), idxBytes([3], Uint8Array.of(0, 1, 2)), gz));
    assert.equal(ds.length, 3);
    assert.deepEqual([ds.height, ds.width], [2, 2]);
    assert.deepEqual([...ds.labels()], [0, 1, 2]);
    assert.ok(Math.abs(ds.get(2).image[3] - (11 * 20) / 255) < 1e-6);
  }
});

test('an IDX file shorter than its header names the file (was "Offset is outside the bounds of the DataView")', () => {
  const short = idxBytes([3, 2, 2]).subarray(0, 9);
  refuses(() => parseIdx(short, '/data/x-idx3-ubyte'), /\/data\/x-idx3-ubyte/, /shorter than its own header/);
  const dir = idxFolder(short, idxBytes([3]));
  refuses(() => open(dir), /train-images-idx3-ubyte/, /shorter than its own header/);
});

test('a truncated payload, plain or gzipped, is reported as truncated', () => {
  const full = idxBytes([3, 2, 2]);
  for (const gz of [false, true]) {
    const images = gz ? full.subarray(0, full.length - 5) : full.subarray(0, full.length - 5);
    refuses(() => open(idxFolder(images, idxBytes([3]), gz)), /train-images/, /truncated/);
  }
  // A gzip stream cut short inflates what it can, then the size check names the file.
  const dir = join(root, `d${folders++}`);
  mkdirSync(dir);
  const gz = gzipSync(
    idxBytes(
      [200, 28, 28],
      Uint8Array.from({ length: 200 * 784 }, (_, i) => (i * 7919) % 251),
    ),
  );
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gz.subarray(0, gz.length >> 1));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes([200]));
  refuses(() => open(dir), /train-images-idx3-ubyte\.gz/, /truncated/);
});

test('a gzip that inflates past its declared size stops there (was: a 4.6 MB file took 4.2 GB)', () => {
  // The header declares 10 images of 28x28; the stream goes on with 300 MB of zeros (concatenated gzip members).
  const dir = join(root, `d${folders++}`);
  mkdirSync(dir);
  const zeros = gzipSync(new Uint8Array(1 << 20));
  const parts = [gzipSync(idxBytes([10, 28, 28]))];
  for (let i = 0; i < 300; i++) parts.push(zeros);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), Buffer.concat(parts));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes([10]));
  const before = process.memoryUsage().rss;
  refuses(() => open(dir), /train-images-idx3-ubyte\.gz/, /decompresses to more than the 7,856 bytes its header declares/);
  const grew = (process.memoryUsage().rss - before) / 2 ** 20;
  assert.ok(grew < 64, `RSS grew by ${grew.toFixed(0)} MB`);
});

test('a header that declares an absurd size is refused before anything is allocated', () => {
  refuses(() => parseIdx(idxBytes([65535, 65535, 65535], new Uint8Array(0)), 'big-idx3'), /big-idx3/, /declares 65535x65535x65535/);
  // Gzipped: more than the compressed file could hold, refused from the header alone.
  refuses(
    () => open(idxFolder(idxBytes([60000, 100, 100], new Uint8Array(0)), idxBytes([60000], new Uint8Array(0)), true)),
    /train-images-idx3-ubyte\.gz/,
    /more than a \d+-byte gzip file can hold/,
  );
});

test('degenerate IDX data is refused: 0-pixel images, a 2-D label file, 0 dimensions, counts that disagree', () => {
  refuses(() => open(idxFolder(idxBytes([3, 0, 28]), idxBytes([3]))), /train-images-idx3-ubyte/, /0x28-pixel images/);
  refuses(() => open(idxFolder(idxBytes([3, 2, 2]), idxBytes([3, 2]))), /train-labels-idx1-ubyte/, /2 dimensions .* expected 1/);
  refuses(() => open(idxFolder(idxBytes([3, 2]), idxBytes([3]))), /train-images-idx3-ubyte/, /expected 3/);
  refuses(() => open(idxFolder(idxBytes([3, 2, 2]), idxBytes([4]))), /train-labels-idx1-ubyte/, /3 images but .* 4 labels/);
  refuses(() => parseIdx(Uint8Array.of(0, 0, 8, 0), 'zero-d'), /zero-d/, /0 dimensions/);
  refuses(() => open(idxFolder(idxBytes([0, 2, 2]), idxBytes([0]))), /train-images/, /0 images/);
});
