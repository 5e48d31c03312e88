/**
 * Built-in datasets (IDX / Fashion-MNIST, shapes), specs, the DataLoader (order from (seed, epoch), resume from a
 * batch, drop-last, fast path, main-thread and worker-thread paths agreeing) and splits.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  applySplit,
  type Batch,
  type DataError,
  DataLoader,
  datasetFromSpec,
  FASHION_MNIST_DIR,
  IdxDataset,
  loadDataset,
  makeSplit,
  ShapesDataset,
  SubsetDataset,
} from '../../src/data/index.ts';
import { skipUnless } from '../helpers/requirements.ts';

const tmp = mkdtempSync(join(tmpdir(), 'simmer-loader-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes a tiny MNIST-style IDX pair: n images of h×w where pixel value = (i*7 + p) % 256, label = i % 3. */
function writeIdx(dir: string, prefix: string, n: number, h: number, w: number, gz: boolean): void {
  const img = new Uint8Array(16 + n * h * w);
  const dv = new DataView(img.buffer);
  dv.setUint32(0, 0x00000803);
  dv.setUint32(4, n);
  dv.setUint32(8, h);
  dv.setUint32(12, w);
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) img[16 + i * h * w + p] = (i * 7 + p) % 256;
  const lab = new Uint8Array(8 + n);
  const lv = new DataView(lab.buffer);
  lv.setUint32(0, 0x00000801);
  lv.setUint32(4, n);
  for (let i = 0; i < n; i++) lab[8 + i] = i % 3;
  const write = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  write(`${prefix}-images-idx3-ubyte`, img);
  write(`${prefix}-labels-idx1-ubyte`, lab);
}

const idxDir = join(tmp, 'idx');
const idxPlainDir = join(tmp, 'idx-plain');
for (const d of [idxDir, idxPlainDir]) mkdirSync(d, { recursive: true });
writeIdx(idxDir, 'train', 50, 4, 5, true);
writeIdx(idxDir, 't10k', 10, 4, 5, true);
writeIdx(idxPlainDir, 'train', 20, 3, 3, false);

async function collect(loader: DataLoader, epoch: number, startBatch = 0): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader.epoch(epoch, { startBatch })) out.push(b);
  return out;
}

describe('IDX datasets', () => {
  test('gzipped and plain files parse to CHW floats in [0, 1] with labels', () => {
    const ds = new IdxDataset({ kind: 'idx', dir: idxDir, split: 'train' });
    assert.equal(ds.length, 50);
    assert.deepEqual([ds.channels, ds.height, ds.width], [1, 4, 5]);
    assert.deepEqual(ds.classes, ['0', '1', '2']);
    const s = ds.get(3);
    assert.deepEqual(s.shape, [1, 4, 5]);
    assert.equal(s.label, 0);
    assert.equal(s.image[1], Math.fround(((3 * 7 + 1) % 256) / 255));
    assert.equal(new IdxDataset({ kind: 'idx', dir: idxDir, split: 'test' }).length, 10);
    assert.equal(new IdxDataset({ kind: 'idx', dir: idxPlainDir, split: 'train' }).length, 20);
    assert.throws(() => ds.get(50), /index 50 is out of range/);
  });
  test('a folder of IDX files loads by path; a missing split or file is explained', async () => {
    const ds = await loadDataset(idxDir, { split: 'test' });
    assert.equal(ds.length, 10);
    await assert.rejects(loadDataset(idxDir, { split: 'val' }), /makeSplit/);
    assert.throws(
      () => new IdxDataset({ kind: 'idx', dir: idxPlainDir, split: 'test' }),
      (e: DataError) => e.code === 'missing-dataset' && /--data/.test(e.message),
    );
  });
  test('fashion-mnist from a --data folder that lacks it says how to get it', async () => {
    await assert.rejects(loadDataset('fashion-mnist', { data: tmp }), /Fashion-MNIST was not found/);
  });
});

describe(
  'Fashion-MNIST',
  {
    skip: skipUnless('fashion-mnist', existsSync(FASHION_MNIST_DIR), `not installed at ${FASHION_MNIST_DIR}`),
  },
  () => {
    test('train and test load with the right sizes and class names', async () => {
      const train = await loadDataset('fashion-mnist');
      const test_ = await loadDataset('fashion-mnist', { split: 'test' });
      assert.equal(train.length, 60000);
      assert.equal(test_.length, 10000);
      assert.equal(train.classes[9], 'Ankle boot');
      const s = await train.get(0);
      assert.deepEqual(s.shape, [1, 28, 28]);
      assert.ok(s.image.every((v) => v >= 0 && v <= 1));
      const counts = new Array(10).fill(0);
      for (const l of train.labels!()) counts[l]++;
      assert.deepEqual(counts, new Array(10).fill(6000));
    });
    test('the fast path batches a whole epoch in the main thread', async () => {
      const train = await loadDataset('fashion-mnist');
      const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 3 });
      assert.equal(loader.mode, 'fast');
      let n = 0;
      for await (const b of loader.epoch(0)) n += b.y.size;
      assert.equal(n, 60000);
    });
  },
);

describe('shapes', () => {
  const ds = new ShapesDataset({ kind: 'shapes', count: 200, size: 32, seed: 4 });
  test('deterministic from (seed, index), RGB 32×32 in [0, 1], labelled and captioned', () => {
    const a = ds.get(17);
    const b = new ShapesDataset({ kind: 'shapes', count: 5000, size: 32, seed: 4 }).get(17);
    assert.deepEqual(a.image, b.image);
    assert.equal(a.caption, b.caption);
    assert.deepEqual(a.shape, [3, 32, 32]);
    assert.ok(a.image.every((v) => v >= 0 && v <= 1));
    assert.notDeepEqual(new ShapesDataset({ kind: 'shapes', count: 200, size: 32, seed: 5 }).get(17).image, a.image);
  });
  test('captions name the main object, whose shape is the label; all classes, colours and relations appear', () => {
    const relations = new Set<string>();
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < ds.length; i++) {
      const s = ds.get(i);
      counts[s.label]++;
      assert.match(s.caption!, new RegExp(`^a (small|medium|large) \\w+ ${ds.classes[s.label]} `));
      const rel = s.caption!.match(/ (above|below|left of|right of) a /);
      if (rel) relations.add(rel[1]);
      else assert.match(s.caption!, / on a [a-z ]+ background$/);
    }
    assert.ok(
      counts.every((c) => c > 25),
      `class counts ${counts}`,
    );
    assert.equal(relations.size, 4);
    assert.deepEqual(
      Array.from(ds.labels()),
      Array.from({ length: ds.length }, (_, i) => ds.get(i).label),
    );
  });
  test('the main object is drawn: its colour covers a good part of the image', () => {
    // A large single object covers well over 5% of the pixels, and (white aside) every object colour is saturated.
    for (let i = 0; i < 50; i++) {
      const s = ds.get(i);
      if (!/^a large/.test(s.caption!) || /white/.test(s.caption!)) continue;
      const plane = 32 * 32;
      let vivid = 0;
      for (let p = 0; p < plane; p++) {
        const r = s.image[p];
        const g = s.image[plane + p];
        const b = s.image[2 * plane + p];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 0.4) vivid++;
      }
      assert.ok(vivid > plane * 0.05, `sample ${i} (${s.caption}) has only ${vivid} saturated pixels`);
    }
  });
  test('loadDataset gives distinct train and test sets', async () => {
    const tr = await loadDataset('shapes', { count: 10 });
    const te = await loadDataset('shapes', { split: 'test', count: 10 });
    assert.notDeepEqual((await tr.get(0)).image, (await te.get(0)).image);
    assert.equal((await loadDataset('shapes')).length, 10000);
  });
});

describe('specs', () => {
  test('every dataset rebuilds from its JSON spec', async () => {
    const idx = new IdxDataset({ kind: 'idx', dir: idxDir, split: 'train' });
    const shapes = new ShapesDataset({ kind: 'shapes', count: 30, size: 16, seed: 1 });
    const sub = new SubsetDataset(shapes, [5, 2, 9]);
    for (const ds of [idx, shapes, sub]) {
      const copy = await datasetFromSpec(JSON.parse(JSON.stringify(ds.spec)));
      assert.equal(copy.length, ds.length);
      assert.deepEqual((await copy.get(1)).image, (await ds.get(1)).image);
    }
    assert.deepEqual(sub.get(0), shapes.get(5));
    await assert.rejects(datasetFromSpec({ kind: 'nope' } as never), /unknown dataset kind 'nope'/);
  });
});

describe('DataLoader', () => {
  const ds = new IdxDataset({ kind: 'idx', dir: idxDir, split: 'train' });
  test('batches cover the dataset once, with shapes and dtypes the trainer expects', async () => {
    const loader = new DataLoader(ds, { batchSize: 16 });
    assert.equal(loader.batchesPerEpoch, 4);
    const batches = await collect(loader, 0);
    assert.deepEqual(
      batches.map((b) => b.x.shape),
      [
        [16, 1, 4, 5],
        [16, 1, 4, 5],
        [16, 1, 4, 5],
        [2, 1, 4, 5],
      ],
    );
    assert.equal(batches[0].x.dtype, 'float32');
    assert.equal(batches[0].y.dtype, 'int32');
    assert.deepEqual(
      batches.flatMap((b) => b.indices),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(
      Array.from(batches[1].y.data),
      batches[1].indices.map((i) => i % 3),
    );
    assert.deepEqual(batches[1].x.data.subarray(0, 20), ds.get(16).image);
    assert.ok(batches.every((b) => b.waitMs >= 0));
  });
  test('drop-last drops the short batch', async () => {
    const loader = new DataLoader(ds, { batchSize: 16, dropLast: true });
    assert.equal(loader.batchesPerEpoch, 3);
    assert.equal((await collect(loader, 0)).length, 3);
    assert.throws(() => new DataLoader(ds, { batchSize: 64, dropLast: true }), /leaves no batch/);
  });
  test('shuffle order depends only on (seed, epoch); resuming from a batch gives the same remaining batches', async () => {
    const a = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 9 });
    const b = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 9 });
    const e0 = await collect(a, 0);
    const e1 = await collect(a, 1);
    assert.deepEqual(
      e0.map((x) => x.indices),
      (await collect(b, 0)).map((x) => x.indices),
    );
    assert.notDeepEqual(
      e0.map((x) => x.indices),
      e1.map((x) => x.indices),
    );
    assert.deepEqual(
      [...e0.flatMap((x) => x.indices)].sort((p, q) => p - q),
      Array.from({ length: 50 }, (_, i) => i),
    );
    const resumed = await collect(b, 1, 3);
    assert.deepEqual(
      resumed.map((x) => x.indices),
      e1.slice(3).map((x) => x.indices),
    );
    assert.equal(resumed[0].batch, 3);
    assert.notDeepEqual(
      e0.map((x) => x.indices),
      (await collect(new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 10 }), 0)).map((x) => x.indices),
    );
    // setEpoch + for await over the loader itself
    b.setEpoch(1);
    const viaIter: number[][] = [];
    for await (const batch of b) viaIter.push(batch.indices);
    assert.deepEqual(
      viaIter,
      e1.map((x) => x.indices),
    );
  });
  test('augmented batches are reproducible and identical from the main thread and from worker threads', async () => {
    const shapes = new ShapesDataset({ kind: 'shapes', count: 40, size: 16, seed: 2 });
    const opts = { batchSize: 12, shuffle: true, seed: 5, transform: 'strong' as const };
    const main = new DataLoader(shapes, opts);
    const workers = new DataLoader(shapes, { ...opts, workers: 2, prefetch: 3 });
    assert.equal(main.mode, 'main');
    assert.equal(workers.mode, 'workers');
    try {
      const m = await collect(main, 2);
      const w = await collect(workers, 2);
      assert.equal(m.length, 4);
      for (let i = 0; i < m.length; i++) {
        assert.deepEqual(w[i].indices, m[i].indices);
        assert.deepEqual(w[i].x.data, m[i].x.data);
        assert.deepEqual(w[i].y.data, m[i].y.data);
        assert.deepEqual(w[i].captions, m[i].captions);
      }
      assert.equal(m[0].captions?.length, 12);
      // Resume mid-epoch through the workers.
      const r = await collect(workers, 2, 2);
      assert.deepEqual(r[0].x.data, m[2].x.data);
      // Augmentation really changed the images.
      const plain = await collect(new DataLoader(shapes, { ...opts, transform: 'none' }), 2);
      assert.notDeepEqual(plain[0].x.data, m[0].x.data);
      assert.deepEqual(plain[0].indices, m[0].indices);
    } finally {
      await workers.close();
    }
  });
  test('bad options are explained', () => {
    assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /batchSize must be a positive integer/);
    assert.throws(() => new DataLoader(ds, { transform: 'wild' as 'none' }), /unknown augmentation preset/);
  });
});

describe('splits', () => {
  const ds = new ShapesDataset({ kind: 'shapes', count: 400, size: 16, seed: 8 });
  test('stratified, seeded, disjoint, complete and JSON round-trippable', async () => {
    const split = await makeSplit(ds, { fractions: { train: 0.7, val: 0.15, test: 0.15 }, seed: 3 });
    const again = await makeSplit(ds, { fractions: { train: 0.7, val: 0.15, test: 0.15 }, seed: 3 });
    assert.deepEqual(split, again);
    const other = await makeSplit(ds, { fractions: { train: 0.7, val: 0.15, test: 0.15 }, seed: 4 });
    assert.notDeepEqual(split.indices.val, other.indices.val);
    const all = [...split.indices.train!, ...split.indices.val!, ...split.indices.test!].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: 400 }, (_, i) => i),
    );
    assert.ok(Math.abs(split.indices.val!.length - 60) <= 4);
    // Stratified: each class's share of val is within a sample or two of its share overall.
    const labels = ds.labels();
    for (let c = 0; c < 4; c++) {
      const total = labels.filter((l) => l === c).length;
      const inVal = split.indices.val!.filter((i) => labels[i] === c).length;
      assert.ok(Math.abs(inVal - total * 0.15) <= 1, `class ${c}: ${inVal} of ${total} in val`);
    }
    const restored = JSON.parse(JSON.stringify(split));
    const val = applySplit(ds, restored, 'val');
    assert.equal(val.length, split.indices.val!.length);
    assert.deepEqual((await val.get(0)).image, ds.get(split.indices.val![0]).image);
    assert.equal(val.spec.kind, 'subset');
  });
  test('a split that no longer fits or was edited is refused', async () => {
    const split = await makeSplit(ds, { seed: 1 });
    assert.throws(() => applySplit(new ShapesDataset({ kind: 'shapes', count: 399, size: 16, seed: 8 }), split, 'train'), /made for 400 samples/);
    const edited = { ...split, indices: { ...split.indices, val: split.indices.val!.slice(1) } };
    assert.throws(() => applySplit(ds, edited, 'val'), /does not match its hash/);
    assert.throws(() => applySplit(ds, split, 'test'), /no 'test' part/);
  });
});
