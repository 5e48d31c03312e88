/**
 * Fuzzing image decoding through sharp: thousands of mutations of small valid PNG (RGB, grayscale, alpha), JPEG, GIF
 * and WebP files — bit flips, truncation, extension — plus PNG headers rewritten (with a valid CRC) to declare huge or
 * zero sizes. Each is decoded to CHW at the requested size or refused with a DataError naming the file; the peak RSS
 * stays within 256 MB.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { decodeImageFile } from '../../src/data/image-file.ts';
import { FuzzRng, judge, MemoryWatch, mutate, newTally, summary } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'simmer-fuzz-img-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SEED = 1204;
const RUNS = 3000;
const bases: { ext: string; bytes: Uint8Array }[] = [];

before(async () => {
  const w = 12;
  const h = 10;
  const rgb = Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256));
  const rgba = Buffer.from(Array.from({ length: w * h * 4 }, (_, i) => (i * 53) % 256));
  const img = () => sharp(rgb, { raw: { width: w, height: h, channels: 3 } });
  bases.push({ ext: 'png', bytes: await img().png().toBuffer() });
  bases.push({ ext: 'png', bytes: await img().toColourspace('b-w').png().toBuffer() });
  bases.push({
    ext: 'png',
    bytes: await sharp(rgba, { raw: { width: w, height: h, channels: 4 } })
      .png()
      .toBuffer(),
  });
  bases.push({ ext: 'jpg', bytes: await img().jpeg({ quality: 80 }).toBuffer() });
  bases.push({ ext: 'gif', bytes: await img().gif().toBuffer() });
  bases.push({ ext: 'webp', bytes: await img().webp().toBuffer() });
});

/** A PNG whose IHDR declares width x height, with the chunk CRC fixed so the header itself is valid. */
function pngDeclaring(png: Uint8Array, width: number, height: number): Uint8Array {
  const out = Uint8Array.from(png);
  const view = new DataView(out.buffer);
  // Signature (8) + IHDR length (4) + 'IHDR' (4), then width and height.
  view.setUint32(16, width >>> 0, false);
  view.setUint32(20, height >>> 0, false);
  view.setUint32(29, crc32(out.subarray(12, 29)) >>> 0, false);
  return out;
}

test(`images through sharp: ${RUNS} mutations of PNG, JPEG, GIF and WebP files, and PNG headers declaring huge sizes`, { timeout: 120_000 }, async (t) => {
  const rng = new FuzzRng(SEED);
  const tally = newTally();
  const memory = new MemoryWatch();
  const sides = [0, 1, 7, 40_000, 65_535, 100_000, 2 ** 31 - 1, 2 ** 32 - 1];
  for (let i = 0; i < RUNS; i++) {
    const base = bases[i % bases.length];
    const input =
      i % 10 === 0 && base.ext === 'png'
        ? pngDeclaring(base.bytes, rng.pick(sides), rng.pick(sides))
        : mutate(rng, base.bytes, Math.min(base.bytes.length, 100));
    const file = join(dir, `fuzz-${i % 7}.${rng.next() < 0.9 ? base.ext : rng.pick(['png', 'jpg', 'webp'])}`);
    writeFileSync(file, input);
    const channels = rng.pick([1, 3] as const);
    const resize = rng.pick(['cover', 'contain', 'fill'] as const);
    await judge(
      `seed ${SEED} #${i}`,
      file,
      () => decodeImageFile(file, { size: 16, channels, resize }),
      (img) => {
        assert.equal(img.channels, channels);
        assert.deepEqual([img.height, img.width], [16, 16]);
        assert.equal(img.data.length, channels * 16 * 16);
      },
      tally,
    );
    if (i % 250 === 0) memory.check(`seed ${SEED} #${i}`);
  }
  memory.check('end');
  t.diagnostic(summary(tally));
  assert.ok(tally.accepted > 100 && tally.refused > RUNS / 5, JSON.stringify({ ...tally, kinds: [...tally.kinds] }));
});
