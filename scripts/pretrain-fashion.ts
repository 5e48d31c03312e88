/**
 * Reproduces the shipped Fashion-MNIST backbones (pretrained/fmnist-*.safetensors and their manifest entries).
 *   node --import tsx scripts/pretrain-fashion.ts --classes 0-4   # fmnist-0-4: classes 0–4 only (the transfer benchmark's)
 *   node --import tsx scripts/pretrain-fashion.ts --classes all   # fmnist-all: all ten classes
 * Options: --epochs N (default 4), --augment <preset|list> (as simmer train's; default none), --data <dir>
 * (default /usr/share/datasets/fashion-mnist), --out <dir>.
 */
import { parseArgs } from 'node:util';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, openIdx } from '../src/data/idx.ts';
import { parseAugment } from '../src/data/transforms/spec.ts';
import { ClassView } from '../src/transfer/data.ts';
import { pretrainBackbone } from '../src/transfer/pretrain.ts';

const { values } = parseArgs({
  options: {
    classes: { type: 'string', default: '0-4' },
    epochs: { type: 'string', default: '4' },
    augment: { type: 'string', default: 'none' },
    data: { type: 'string' },
    out: { type: 'string' },
  },
});
const dir = values.data ?? FASHION_MNIST_DIR;
const all = values.classes === 'all';
if (!all && values.classes !== '0-4') throw new RangeError(`--classes must be 0-4 or all, got '${values.classes}'`);
const classes = all ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] : [0, 1, 2, 3, 4];
const train = new ClassView(openIdx({ kind: 'idx', dir, split: 'train' }), { classes });
const test = new ClassView(openIdx({ kind: 'idx', dir, split: 'test' }), { classes });
const names = classes.map((c) => FASHION_MNIST_CLASSES[c]).join(', ');
const epochs = Number(values.epochs);
await pretrainBackbone({
  name: all ? 'fmnist-all' : 'fmnist-0-4',
  config: { inputShape: [1, 28, 28], widths: [32, 64, 128] },
  train,
  test,
  epochs,
  augment: parseAugment(values.augment),
  trainedOn: `Fashion-MNIST ${all ? 'all ten classes' : 'classes 0–4 only'} (${names}): ${train.length} training images, 28×28 grayscale`,
  card: all
    ? 'Trained on every Fashion-MNIST class: a start for clothing-like grayscale images; do not use it to measure transfer to Fashion-MNIST itself (it has seen those classes).'
    : 'Trained on Fashion-MNIST classes 0–4 only (T-shirt/top, Trouser, Pullover, Dress, Coat); it has never seen Sandal, Shirt, Sneaker, Bag or Ankle boot, so the transfer benchmark learns those from it.',
  command: `node --import tsx scripts/pretrain-fashion.ts --classes ${all ? 'all' : '0-4'} --epochs ${epochs}${values.augment === 'none' ? '' : ` --augment ${values.augment}`}`,
  dir: values.out,
});
