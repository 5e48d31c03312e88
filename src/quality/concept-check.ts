/**
 * The concept check of text-to-image adapters: a small CNN (cnn-small) trained on rendered single-object pictures of
 * the four dataset shapes and the two novel ones (circle, square, triangle, star, cross, heart; data/shapes.ts
 * singleShapeScene, random colours and backgrounds), which then says what share of a model's samples show the
 * concept's shape ("≥ 70% of 'a zorb on a gray background' are hearts").
 * @example
 *   const judge = trainShapeJudge({ perShape: 300, epochs: 4 });
 *   judge.accuracy;                              // on fresh renders it never saw
 *   shapeRate(judge, samples, 'heart');          // share of samples judged hearts
 */
import { BACKGROUNDS, NOVEL_SHAPES, renderScene, SHAPE_CLASSES, singleShapeScene } from '../data/shapes.ts';
import { backward } from '../autograd/backward.ts';
import { noGrad } from '../autograd/grad-mode.ts';
import { buildClassifier } from '../models/classifiers.ts';
import type { Module } from '../nn/module.ts';
import { crossEntropy } from '../ops/loss.ts';
import { argmax } from '../ops/reduce.ts';
import { Adam } from '../optim/optimizers.ts';
import { manualSeed } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';

export const JUDGE_SHAPES: readonly string[] = [...SHAPE_CLASSES, ...NOVEL_SHAPES];

export interface ShapeJudge {
  model: Module;
  size: number;
  /** Accuracy on `perShape` fresh renders of every shape (another seed than training). */
  accuracy: number;
}

/** `perShape` pictures of every judge shape at `size`, backgrounds cycling through the palette: images and labels. */
export function judgePictures(perShape: number, seed: number, size: number): { x: Tensor; y: Int32Array } {
  const n = perShape * JUDGE_SHAPES.length;
  const per = 3 * size * size;
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const shape = i % JUDGE_SHAPES.length;
    const k = Math.floor(i / JUDGE_SHAPES.length);
    renderScene(singleShapeScene(JUDGE_SHAPES[shape], seed, k, size, BACKGROUNDS[k % BACKGROUNDS.length][0]), size, x, i * per);
    y[i] = shape;
  }
  return { x: new Tensor(x, [n, 3, size, size]), y };
}

/** Trains the judge (Adam 2e-3, batch 32) and measures it on fresh renders. */
export function trainShapeJudge(o: { perShape?: number; epochs?: number; size?: number; seed?: number } = {}): ShapeJudge {
  const size = o.size ?? 32;
  const perShape = o.perShape ?? 300;
  manualSeed(o.seed ?? 0);
  const model = buildClassifier('cnn-small', { inputShape: [3, size, size], numClasses: JUDGE_SHAPES.length });
  const { x, y } = judgePictures(perShape, o.seed ?? 0, size);
  const optimizer = new Adam(model.parameters(), { lr: 2e-3 });
  const n = y.length;
  const per = 3 * size * size;
  const order = Array.from({ length: n }, (_, i) => i);
  model.train();
  for (let e = 0; e < (o.epochs ?? 4); e++) {
    // A fixed shuffle per epoch (a stride walk), so the run is reproducible without another random stream.
    const stride = [7, 11, 13, 17][e % 4];
    const perm = order.map((i) => (i * stride + e) % n);
    for (let b = 0; b < n; b += 32) {
      const idx = perm.slice(b, b + 32);
      const xb = new Float32Array(idx.length * per);
      idx.forEach((i, j) => xb.set(x.f32.subarray(i * per, (i + 1) * per), j * per));
      optimizer.zeroGrad();
      const loss = crossEntropy(
        model.forward(new Tensor(xb, [idx.length, 3, size, size])),
        new Tensor(
          Int32Array.from(idx, (i) => y[i]),
          [idx.length],
        ),
      );
      backward(loss);
      optimizer.step();
    }
  }
  model.eval();
  const test = judgePictures(Math.max(10, Math.floor(perShape / 3)), (o.seed ?? 0) + 1000, size);
  const predicted = judgeShapes({ model, size, accuracy: 0 }, test.x);
  const accuracy = predicted.filter((p, i) => p === test.y[i]).length / predicted.length;
  return { model, size, accuracy };
}

/** The judged shape index (into JUDGE_SHAPES) of every image [N, 3, size, size] in [0, 1]. */
export function judgeShapes(judge: ShapeJudge, images: Tensor): number[] {
  const [, c, h, w] = images.shape;
  if (c !== 3 || h !== judge.size || w !== judge.size)
    throw new RangeError(`judgeShapes: the judge reads 3x${judge.size}x${judge.size} images, got ${c}x${h}x${w}`);
  return noGrad(() => Array.from(argmax(judge.model.forward(images), 1).data as Int32Array));
}

/** The share of images judged to show `shape`. */
export function shapeRate(judge: ShapeJudge, images: Tensor, shape: string): number {
  const k = JUDGE_SHAPES.indexOf(shape);
  if (k < 0) throw new RangeError(`shapeRate: unknown shape '${shape}'; the judge knows ${JUDGE_SHAPES.join(', ')}`);
  const judged = judgeShapes(judge, images);
  return judged.filter((j) => j === k).length / judged.length;
}
