/**
 * Episode pictures: records one greedy episode's frames (env.render()) and tiles a sample of them into a PNG strip
 * (rows of up to `perRow` frames, 2-pixel grey gutters), encoded by sharp.
 */
import sharp from 'sharp';
import type { Tensor } from '../tensor/tensor.ts';
import type { ArrayEnv, RgbFrame } from './env.ts';
import { observationBatch } from './nets.ts';
import { flatSize } from './spaces.ts';

/** Plays one episode greedily from `seed`, returning a frame per state (the first included) and the return. */
export function recordEpisode(act: (observations: Tensor) => Int32Array, env: ArrayEnv, seed: number): { frames: RgbFrame[]; return: number; length: number } {
  if (!env.render) throw new Error(`recordEpisode: ${env.constructor.name} cannot render frames`);
  const space = env.observationSpace;
  const shape = space.kind === 'box' ? space.shape : [flatSize(space)];
  let obs = env.reset(seed).observation;
  const frames = [env.render()];
  let total = 0;
  let length = 0;
  for (;;) {
    const r = env.step(act(observationBatch(obs, shape))[0]);
    total += r.reward;
    length++;
    frames.push(env.render());
    if (r.terminated || r.truncated) break;
    obs = r.observation;
  }
  return { frames, return: total, length };
}

/** Pixels of grey gutter around each frame of a strip. */
export const STRIP_GAP = 2;

/** Tiles up to maxFrames evenly spaced frames (first and last kept) into one PNG. */
export async function framesToPng(frames: RgbFrame[], options: { maxFrames?: number; perRow?: number } = {}): Promise<Buffer> {
  if (frames.length === 0) throw new RangeError('framesToPng: no frames to draw');
  const maxFrames = Math.min(options.maxFrames ?? 20, frames.length);
  const picked = maxFrames === 1 ? [frames[0]] : Array.from({ length: maxFrames }, (_, i) => frames[Math.round((i * (frames.length - 1)) / (maxFrames - 1))]);
  const perRow = Math.min(options.perRow ?? 10, picked.length);
  const rows = Math.ceil(picked.length / perRow);
  const { width: fw, height: fh } = picked[0];
  const gap = STRIP_GAP;
  const width = perRow * fw + (perRow + 1) * gap;
  const height = rows * fh + (rows + 1) * gap;
  const out = Buffer.alloc(width * height * 3, 160);
  picked.forEach((f, i) => {
    const x0 = gap + (i % perRow) * (fw + gap);
    const y0 = gap + Math.floor(i / perRow) * (fh + gap);
    for (let y = 0; y < fh; y++) out.set(f.data.subarray(y * fw * 3, (y + 1) * fw * 3), ((y0 + y) * width + x0) * 3);
  });
  return sharp(out, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}
