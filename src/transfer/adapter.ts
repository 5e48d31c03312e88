/**
 * InputAdapter: turns the user's images into what a pretrained backbone was trained on — grayscale ↔ RGB and a
 * bilinear resize — inside the model, so eval, predict and the dashboard feed the fine-tuned model the dataset's own
 * images. No parameters. `describe()` says what it does, for the message `train` prints.
 * @example
 *   const a = InputAdapter.between([3, 64, 64], [1, 28, 28]); // RGB 64×64 → luma, resized to 28×28
 *   a?.describe(); // 'converted RGB to grayscale (ITU-R 601 luma) and resized 64×64 → 28×28 (bilinear)'
 */
import { add, mul } from '../ops/elementwise.ts';
import { upsample } from '../ops/pool.ts';
import { cat, slice } from '../ops/shape.ts';
import { Module } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';

export type Shape3 = [number, number, number];

const LUMA = [0.299, 0.587, 0.114];

export class InputAdapter extends Module {
  constructor(
    readonly from: Shape3,
    readonly to: Shape3,
  ) {
    super();
    const [fc] = from;
    const [tc] = to;
    if (!(fc === tc || (fc === 1 && tc === 3) || (fc === 3 && tc === 1)))
      throw new RangeError(`InputAdapter: cannot convert ${fc}-channel images to ${tc} channels; only grayscale (1) and RGB (3) convert into each other`);
  }

  /** The adapter between two shapes, or null when they already agree. */
  static between(from: Shape3, to: Shape3): InputAdapter | null {
    return from[0] === to[0] && from[1] === to[1] && from[2] === to[2] ? null : new InputAdapter(from, to);
  }

  forward(x: Tensor): Tensor {
    let y = x;
    const [fc, fh, fw] = this.from;
    const [tc, th, tw] = this.to;
    if (fc === 3 && tc === 1) y = add(add(mul(slice(y, 1, 0, 1), LUMA[0]), mul(slice(y, 1, 1, 2), LUMA[1])), mul(slice(y, 1, 2, 3), LUMA[2]));
    else if (fc === 1 && tc === 3) y = cat([y, y, y], 1);
    if (fh !== th || fw !== tw || y.shape[2] !== th || y.shape[3] !== tw) {
      if (y.shape[2] !== th || y.shape[3] !== tw) y = upsample(y, { size: [th, tw], mode: 'bilinear' });
    }
    return y;
  }

  /** What the adapter does, in words. */
  describe(): string {
    const [fc, fh, fw] = this.from;
    const [tc, th, tw] = this.to;
    const parts: string[] = [];
    if (fc === 3 && tc === 1) parts.push('converted RGB to grayscale (ITU-R 601 luma)');
    if (fc === 1 && tc === 3) parts.push('repeated the grayscale channel to RGB');
    if (fh !== th || fw !== tw) parts.push(`resized ${fh}×${fw} → ${th}×${tw} (bilinear)`);
    return parts.join(' and ');
  }

  override extraRepr(): string {
    return `[${this.from.join(', ')}] → [${this.to.join(', ')}]`;
  }
}
