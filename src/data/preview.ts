/**
 * Augmentation preview: one image under each transform, as a labelled PNG grid — to see what the augmentation does
 * before training on it.
 * @example
 *   await previewAugmentations('cat.jpg', { out: 'augment.png', seed: 1 });
 */
import { writeFile } from 'node:fs/promises';
import sharp, { type OverlayOptions } from 'sharp';
import type { Sample } from './dataset.ts';
import { decodeImageFile } from './image-file.ts';
import { generatorFor } from './seed.ts';
import type { Img } from './transforms/image.ts';
import { buildTransform, PRESETS, type TransformStep } from './transforms/spec.ts';

/** The transforms the preview shows by default: every family once, then the presets. */
export const PREVIEW_TRANSFORMS: { name: string; steps: TransformStep[] }[] = [
  { name: 'original', steps: [] },
  { name: 'hflip', steps: [{ op: 'hflip', p: 1 }] },
  { name: 'vflip', steps: [{ op: 'vflip', p: 1 }] },
  { name: 'rotate 90', steps: [{ op: 'rotate90', k: 1 }] },
  { name: 'rotate ±30°', steps: [{ op: 'rotate', degrees: 30 }] },
  { name: 'resized crop', steps: [{ op: 'randomResizedCrop', scale: [0.3, 0.6] }] },
  { name: 'translate', steps: [{ op: 'translate', fraction: 0.2 }] },
  { name: 'colour jitter', steps: [{ op: 'colorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.6, hue: 0.1 }] },
  { name: 'grayscale', steps: [{ op: 'grayscale' }] },
  { name: 'black & white', steps: [{ op: 'blackAndWhite' }] },
  { name: 'blur', steps: [{ op: 'gaussianBlur', sigma: 1.5 }] },
  { name: 'noise', steps: [{ op: 'gaussianNoise', std: 0.1 }] },
  { name: 'erasing', steps: [{ op: 'randomErasing', p: 1, value: 'random' }] },
  ...(['light', 'standard', 'strong'] as const).map((p) => ({ name: `preset ${p}`, steps: PRESETS[p] })),
];

export interface PreviewOptions {
  /** Output PNG path (default augment-preview.png). */
  out?: string;
  seed?: number;
  /** Side of each tile in pixels (default 128; small images are scaled up with nearest neighbour). */
  tile?: number;
  /** Images are decoded at this size first (default 128). */
  size?: number;
  transforms?: { name: string; steps: TransformStep[] }[];
  columns?: number;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** CHW float [0,1] (1 or 3 channels) → RGB HWC bytes. */
function toRgb(img: Img): Buffer {
  const [C, H, W] = img.shape;
  const plane = H * W;
  const out = Buffer.alloc(plane * 3);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(Math.min(1, Math.max(0, img.data[Math.min(c, C - 1) * plane + i])) * 255);
  }
  return out;
}

/** One tile of a labelled grid: a CHW image in [0, 1] (1 or 3 channels) and the text above it. */
export interface LabelledTile extends Img {
  label: string;
}

/**
 * A PNG grid of images, each scaled to fit a tile × tile square (nearest neighbour when enlarged at least 2×) under
 * its label, on a dark background: the augmentation preview and the cross-attention picture.
 */
export async function labelledTilesPng(tiles: readonly LabelledTile[], o: { tile?: number; columns?: number } = {}): Promise<Buffer> {
  const tile = o.tile ?? 128;
  const label = 18;
  const columns = Math.max(1, Math.min(o.columns ?? 4, tiles.length));
  const rows = Math.ceil(tiles.length / columns);
  const composites: OverlayOptions[] = [];
  for (const [k, img] of tiles.entries()) {
    const [, h, w] = img.shape;
    const scale = Math.min(tile / w, tile / h);
    const tileBuf = await sharp(toRgb(img), { raw: { width: w, height: h, channels: 3 } })
      .resize(Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale)), { kernel: scale >= 2 ? 'nearest' : 'lanczos3' })
      .png()
      .toBuffer();
    const x = (k % columns) * tile;
    const y = Math.floor(k / columns) * (tile + label);
    composites.push({ input: tileBuf, left: x, top: y + label });
    const svg = `<svg width="${tile}" height="${label}" xmlns="http://www.w3.org/2000/svg"><text x="4" y="13" font-family="sans-serif" font-size="12" fill="#ddd">${escapeXml(img.label)}</text></svg>`;
    composites.push({ input: Buffer.from(svg), left: x, top: y });
  }
  return sharp({ create: { width: columns * tile, height: rows * (tile + label), channels: 3, background: { r: 24, g: 24, b: 28 } } })
    .composite(composites)
    .png()
    .toBuffer();
}

/**
 * Writes a PNG grid of `image` (a file path or a sample) under each transform and returns the output path.
 */
export async function previewAugmentations(image: string | Sample, opts: PreviewOptions = {}): Promise<string> {
  const out = opts.out ?? 'augment-preview.png';
  const tile = opts.tile ?? 128;
  const list = opts.transforms ?? PREVIEW_TRANSFORMS;
  const columns = opts.columns ?? Math.min(4, list.length);
  let src: Img;
  if (typeof image === 'string') {
    const d = await decodeImageFile(image, { size: opts.size ?? 128, channels: 3, resize: 'cover' });
    src = { data: Float32Array.from(d.data, (v) => v / 255), shape: [3, d.height, d.width] };
  } else src = { data: image.image, shape: image.shape };
  const tiles = list.map(({ name, steps }, k) => ({ ...buildTransform(steps)(src, generatorFor(opts.seed ?? 0, k)), label: name }));
  const png = await labelledTilesPng(tiles, { tile, columns });
  await writeFile(out, png);
  return out;
}
