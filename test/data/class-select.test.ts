/**
 * Selecting classes and N images per class (`--classes`, `--per-class`): the class list as a user writes it, the
 * subset it selects checked against the raw IDX labels of Fashion-MNIST (renumbered labels, names kept, the first N of
 * each class in file order), the same subset rebuilt from its spec (what a loader worker does), and the errors.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseClassList, pickPerClass, selectClasses } from '../../src/data/class-select.ts';
import { datasetFromSpec } from '../../src/data/from-spec.ts';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, IdxDataset } from '../../src/data/idx.ts';
import { ShapesDataset } from '../../src/data/shapes.ts';
import { skipUnless } from '../helpers/requirements.ts';

const skipFashion = skipUnless('fashion-mnist', existsSync(FASHION_MNIST_DIR), `not installed at ${FASHION_MNIST_DIR}`);

describe('parseClassList', () => {
  const classes = FASHION_MNIST_CLASSES;
  test('indices, ranges and names (case-insensitive), in the order given', () => {
    assert.deepEqual(parseClassList('5,6,7,8,9', classes), [5, 6, 7, 8, 9]);
    assert.deepEqual(parseClassList('0-4', classes), [0, 1, 2, 3, 4]);
    assert.deepEqual(parseClassList(' 9 , 0-1, bag ,Sandal', classes), [9, 0, 1, 8, 5]);
    // A name is tried before the range syntax, so a hyphenated name means its class.
    assert.deepEqual(parseClassList('T-shirt/top,ankle boot', classes), [0, 9]);
    assert.deepEqual(parseClassList('1', ['x', 'y', '1']), [2], 'a class whose name is a number is picked by its name');
  });

  test('unknown names, indices out of range, backwards ranges, repeats and empty items are refused, listing the classes', () => {
    const menu = /its classes are: 0 T-shirt\/top, 1 Trouser, 2 Pullover, .*, 9 Ankle boot/;
    const cases: [string, RegExp][] = [
      ['5,Sandl', /there is no class 'Sandl' in fashion-mnist/],
      ['10', /class index 10 in '10' is out of range: fashion-mnist has 10 classes \(0\.\.9\)/],
      ['3-12', /class index 12 in '3-12' is out of range/],
      ['7-5', /the range '7-5' runs backwards; write it 5-7/],
      ['5,Sandal', /class 5 \(Sandal\) is named twice/],
      ['5,,6', /has an empty item \(number 2\)/],
    ];
    for (const [text, problem] of cases) {
      assert.throws(() => parseClassList(text, classes, 'fashion-mnist'), problem, text);
      assert.throws(() => parseClassList(text, classes, 'fashion-mnist'), menu, text);
    }
  });
});

describe('pickPerClass', () => {
  test('the first N of each kept class in dataset order; with a seed, N of each drawn at random', () => {
    const labels = Int32Array.from([2, 0, 1, 2, 2, 0, 1, 0, 2, 1]);
    const first = pickPerClass(labels, [2, 0], 2);
    assert.deepEqual(Array.from(first.indices), [0, 1, 3, 5]);
    assert.deepEqual(
      [...first.available],
      [
        [2, 4],
        [0, 3],
      ],
    );
    const seeded = pickPerClass(labels, [2, 0], 2, 7);
    assert.equal(seeded.indices.length, 4);
    const counts = new Map<number, number>();
    for (const i of seeded.indices) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
    assert.deepEqual([counts.get(0), counts.get(2)], [2, 2]);
    assert.deepEqual(Array.from(pickPerClass(labels, [2, 0], 2, 7).indices), Array.from(seeded.indices), 'same seed, same images');
  });
});

describe('selectClasses on Fashion-MNIST', { skip: skipFashion }, () => {
  const train = new IdxDataset({ kind: 'idx', dir: FASHION_MNIST_DIR, split: 'train' });
  const raw = train.labels();

  test('classes 5–9, 100 each: labels renumbered 0..4, names kept, the first 100 of each class in file order', async () => {
    const few = selectClasses(train, { classes: [5, 6, 7, 8, 9], perClass: 100 });
    assert.deepEqual(few.classes, ['Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    assert.equal(few.length, 500);
    // The independent truth: walk the raw labels and take each class's first 100 positions.
    const expected: number[] = [];
    const seen = new Map<number, number>();
    raw.forEach((y, i) => {
      if (y < 5) return;
      const n = seen.get(y) ?? 0;
      seen.set(y, n + 1);
      if (n < 100) expected.push(i);
    });
    assert.deepEqual(Array.from(few.indices), expected);
    assert.deepEqual(
      Array.from(few.labels()),
      expected.map((i) => raw[i] - 5),
    );
    // Both read paths relabel, and the image is the parent's.
    const k = 17;
    const s = await few.get(k);
    assert.equal(s.label, raw[expected[k]] - 5);
    assert.deepEqual(s.image, (await train.get(expected[k])).image);
    const out = new Float32Array(28 * 28);
    assert.equal(few.readInto!(k, out, 0), s.label);
    // A worker rebuilds the same subset from its spec.
    const copy = await datasetFromSpec(few.spec);
    assert.deepEqual(copy.classes, few.classes);
    assert.deepEqual(Array.from(copy.labels!()), Array.from(few.labels()));
    assert.equal((await copy.get(k)).label, s.label);
  });

  test('a class order other than the parent’s numbers the labels in the order given', () => {
    const picked = selectClasses(train, { classes: [9, 0] });
    assert.deepEqual(picked.classes, ['Ankle boot', 'T-shirt/top']);
    assert.equal(picked.length, 12_000);
    const labels = picked.labels();
    picked.indices.forEach((i, k) => assert.equal(labels[k], raw[i] === 9 ? 0 : 1));
  });

  test('per-class larger than a class has is refused, naming the classes and how many they have', () => {
    assert.throws(
      () => selectClasses(train, { classes: [0, 1], perClass: 6001, what: "fashion-mnist's train split" }),
      /per-class 6001 is more than fashion-mnist's train split has of 'T-shirt\/top' \(6000\), 'Trouser' \(6000\)\n {2}fix: ask for at most 6000 images per class/,
    );
  });
});

test('selectClasses without --classes: every class, N of each, labels unchanged (shapes)', () => {
  const shapes = new ShapesDataset({ kind: 'shapes', count: 200, size: 16, seed: 3 });
  const few = selectClasses(shapes, { perClass: 10 });
  assert.deepEqual(few.classes, shapes.classes);
  const all = shapes.labels();
  assert.deepEqual(
    Array.from(few.labels()),
    Array.from(few.indices, (i) => all[i]),
  );
  for (let c = 0; c < shapes.classes.length; c++) assert.equal(few.labels().filter((y) => y === c).length, 10);
});
