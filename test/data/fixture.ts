/**
 * Builds an image-folder fixture in a temp dir with sharp: four classes of synthetic shapes in several formats, plus
 * planted problems — an exact duplicate, a near duplicate, a train image copied into test (leakage), a truncated PNG, a
 * 0-byte file, a text file named .jpg, an image declaring 100000×100000 pixels, a flat (blurry) image, odd sizes and a
 * nested folder.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { ShapesDataset } from '../../src/data/shapes.ts';

export interface Fixture {
  root: string;
  /** Paths of planted files, relative to root. */
  planted: {
    exactA: string;
    exactB: string;
    nearA: string;
    nearB: string;
    leakTrain: string;
    leakTest: string;
    truncated: string;
    empty: string;
    notImage: string;
    huge: string;
    flat: string;
    nested: string;
    odd: string;
  };
  classes: string[];
}

function hwc(image: Float32Array, size: number, delta = 0): Buffer {
  const plane = size * size;
  const out = Buffer.alloc(plane * 3);
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) out[i * 3 + c] = Math.min(255, Math.round(image[c * plane + i] * 255) + delta);
  return out;
}

/** A valid PNG whose IHDR claims width×height (with a correct CRC, so only the pixel limit can refuse it). */
async function hugePng(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: 'red' } })
      .png()
      .toBuffer(),
  );
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)) >>> 0, 29);
  return png;
}

export async function buildFixture(root: string): Promise<Fixture> {
  const size = 32;
  const shapes = new ShapesDataset({ kind: 'shapes', count: 400, size, seed: 11 });
  const classes = shapes.classes;
  const formats = ['png', 'jpg', 'webp', 'png', 'tiff', 'gif', 'avif', 'png'] as const;
  const perClass = new Map<number, number>();
  const written: string[] = [];
  for (let i = 0; perClass.size < 4 || [...perClass.values()].some((n) => n < 8); i++) {
    const s = shapes.get(i);
    const n = perClass.get(s.label) ?? 0;
    if (n >= 8) continue;
    perClass.set(s.label, n + 1);
    const split = n < 6 ? 'train' : 'test';
    const fmt = formats[n];
    const rel = join(split, classes[s.label], `img${i}.${fmt}`);
    mkdirSync(join(root, split, classes[s.label]), { recursive: true });
    await sharp(hwc(s.image, size), { raw: { width: size, height: size, channels: 3 } })
      .toFormat(fmt === 'jpg' ? 'jpeg' : fmt, fmt === 'jpg' ? { quality: 95 } : {})
      .toFile(join(root, rel));
    written.push(rel);
  }
  const trainPngs = written.filter((p) => p.startsWith('train') && p.endsWith('.png'));
  const planted = {
    exactA: trainPngs[0],
    exactB: join('train', trainPngs[0].split('/')[1], 'copy-of-first.png'),
    nearA: trainPngs[1],
    nearB: join('train', trainPngs[1].split('/')[1], 'slightly-brighter.png'),
    leakTrain: trainPngs[2],
    leakTest: join('test', trainPngs[2].split('/')[1], 'leaked.png'),
    truncated: join('train', classes[0], 'truncated.png'),
    empty: join('train', classes[1], 'empty.png'),
    notImage: join('train', classes[2], 'notes.jpg'),
    huge: join('train', classes[3], 'huge.png'),
    flat: join('train', classes[3], 'flat.png'),
    nested: join('train', classes[2], 'more', 'deeper', 'nested.png'),
    odd: join('train', classes[1], 'wide.png'),
  };
  copyFileSync(join(root, planted.exactA), join(root, planted.exactB));
  // Near duplicate: the same pixels, 2/255 brighter.
  const near = await sharp(join(root, planted.nearA)).removeAlpha().raw().toBuffer();
  await sharp(Buffer.from(near.map((v) => Math.min(255, v + 2))), { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(join(root, planted.nearB));
  copyFileSync(join(root, planted.leakTrain), join(root, planted.leakTest));
  const good = readFileSync(join(root, trainPngs[3]));
  writeFileSync(join(root, planted.truncated), good.subarray(0, Math.floor(good.length / 2)));
  writeFileSync(join(root, planted.empty), '');
  writeFileSync(join(root, planted.notImage), 'this is not a JPEG\n');
  writeFileSync(join(root, planted.huge), await hugePng(100000, 100000));
  await sharp({ create: { width: size, height: size, channels: 3, background: { r: 120, g: 120, b: 120 } } })
    .png()
    .toFile(join(root, planted.flat));
  mkdirSync(join(root, 'train', classes[2], 'more', 'deeper'), { recursive: true });
  await sharp(hwc(shapes.get(398).image, size), { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(join(root, planted.nested));
  await sharp(hwc(shapes.get(399).image, size), { raw: { width: size, height: size, channels: 3 } })
    .resize(48, 32, { fit: 'fill' })
    .png()
    .toFile(join(root, planted.odd));
  return { root, planted, classes };
}
