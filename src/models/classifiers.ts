/**
 * The classification zoo, each built by name from an input shape [C, H, W] and a class count.
 * @example const model = buildClassifier('cnn-small', { inputShape: [1, 28, 28], numClasses: 10 });
 */

import { ReLU, Tanh } from '../nn/layers/activation.ts';
import { ResidualBlock, Sequential } from '../nn/layers/container.ts';
import { Conv2d } from '../nn/layers/conv.ts';
import { Linear } from '../nn/layers/linear.ts';
import { BatchNorm2d } from '../nn/layers/norm.ts';
import { AdaptiveAvgPool2d, AvgPool2d, Flatten, MaxPool2d } from '../nn/layers/pool.ts';
import type { Module } from '../nn/module.ts';

export interface ClassifierSpec {
  /** [channels, height, width] of one image. */
  inputShape: [number, number, number];
  numClasses: number;
}

export const CLASSIFIERS = ['mlp', 'cnn-small', 'lenet5', 'resnet-mini'] as const;
export type ClassifierName = (typeof CLASSIFIERS)[number];

/** The W2 model: flatten → 256 → ReLU → 128 → ReLU → classes. */
export function mlp({ inputShape: [c, h, w], numClasses }: ClassifierSpec): Sequential {
  return new Sequential(new Flatten(), new Linear(c * h * w, 256), new ReLU(), new Linear(256, 128), new ReLU(), new Linear(128, numClasses));
}

/** The W3 model: conv 32 3x3 → ReLU → maxpool 2 → conv 64 3x3 → ReLU → maxpool 2 → dense 128 → ReLU → dense. */
export function cnnSmall({ inputShape: [c, h, w], numClasses }: ClassifierSpec): Sequential {
  const flat = 64 * Math.floor(Math.floor(h / 2) / 2) * Math.floor(Math.floor(w / 2) / 2);
  return new Sequential(
    new Conv2d(c, 32, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(32, 64, 3, { padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(flat, 128),
    new ReLU(),
    new Linear(128, numClasses),
  );
}

/** LeCun's LeNet-5 (tanh, average pooling); 28x28 inputs are padded by 2 in the first conv to act like 32x32. */
export function lenet5({ inputShape: [c, h, w], numClasses }: ClassifierSpec): Sequential {
  const pad = h < 32 ? (32 - h) / 2 : 0;
  const size = (h + 2 * pad - 4) / 2; // after conv5 + pool2
  const size2 = Math.floor((Math.floor(size) - 4) / 2);
  if (size2 < 1 || w !== h) throw new RangeError(`lenet5: needs square images of at least 28x28, got ${c}x${h}x${w}`);
  return new Sequential(
    new Conv2d(c, 6, 5, { padding: Math.floor(pad) }),
    new Tanh(),
    new AvgPool2d(2),
    new Conv2d(6, 16, 5),
    new Tanh(),
    new AvgPool2d(2),
    new Flatten(),
    new Linear(16 * size2 * size2, 120),
    new Tanh(),
    new Linear(120, 84),
    new Tanh(),
    new Linear(84, numClasses),
  );
}

/** A small ResNet for 28–64 px images: stem conv 32 + BN, three stages of basic blocks (32, 64, 128), global average pool. */
export function resnetMini({ inputShape: [c], numClasses }: ClassifierSpec): Sequential {
  return new Sequential(
    new Conv2d(c, 32, 3, { padding: 1, bias: false }),
    new BatchNorm2d(32),
    new ReLU(),
    new ResidualBlock(32, 32),
    new ResidualBlock(32, 64, 2),
    new ResidualBlock(64, 128, 2),
    new AdaptiveAvgPool2d(1),
    new Flatten(),
    new Linear(128, numClasses),
  );
}

export function buildClassifier(name: string, spec: ClassifierSpec): Module {
  switch (name) {
    case 'mlp':
      return mlp(spec);
    case 'cnn-small':
      return cnnSmall(spec);
    case 'lenet5':
      return lenet5(spec);
    case 'resnet-mini':
      return resnetMini(spec);
    default:
      throw new RangeError(`unknown model '${name}'; choose one of: ${CLASSIFIERS.join(', ')}`);
  }
}
