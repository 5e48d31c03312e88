/**
 * Data that used to fail with engine wording or train silently, now refused (or handled) with a DataError naming the
 * file, the problem and the fix: null manifests and rows, a row without a label, a `path,label` manifest (split like a
 * folder), loose images, one class, splits that leave a part empty, a corrupt split.json, a folder passed as an image,
 * an out-of-range image size; and grayscale folders stay grayscale.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { decodeImageFile } from '../../src/data/image-file.ts';
import { expandImagePaths } from '../../src/data/image-paths.ts';
import { openFolder, openManifest, readManifest, skippedFilesOf } from '../../src/data/image-list.ts';
import { DataError } from '../../src/data/errors.ts';
import { loadDataset } from '../../src/data/load.ts';
import { DataLoader } from '../../src/data/loader.ts';
import { makeSplit, readSplitRecord } from '../../src/data/split.ts';
import { SubsetDataset } from '../../src/data/subset.ts';
import { checkTrainable } from '../../src/data/trainable.ts';
import { JsonFileError, readJsonObject } from '../../src/io/json-file.ts';

const root = mkdtempSync(join(tmpdir(), 'simmer-checks-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function png(path: string, channels: 1 | 3, value: number): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  const raw = Buffer.alloc(8 * 8 * channels, value);
  const img = sharp(raw, { raw: { width: 8, height: 8, channels } });
  // sharp writes RGB unless told: a grayscale file must be written as one.
  writeFileSync(path, await (channels === 1 ? img.toColourspace('b-w') : img).png().toBuffer());
}

let n = 0;
const fresh = (name: string) => join(root, `${n++}-${name}`);

async function rejects(fn: () => unknown, file: string, problem: RegExp, code?: string): Promise<DataError> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DataError, `a DataError, got ${(caught as Error)?.stack ?? caught}`);
  assert.ok(caught.message.includes(file), `names ${file}: ${caught.message}`);
  assert.match(caught.message, problem);
  assert.match(caught.message, /fix: \S/);
  assert.doesNotMatch(caught.message, /Cannot read properties|Unexpected end of JSON|Invalid typed array/);
  if (code) assert.equal(caught.code, code);
  return caught;
}

test('a JSON manifest that is null, has null rows, or an object row value is refused naming the file', async () => {
  const cases: [unknown, RegExp][] = [
    [null, /holds null, not an array of samples/],
    [{ rows: [] }, /without a "samples" array/],
    [7, /holds a number/],
    [[{ path: 'a.png', label: 'x' }, null], /sample 2 is null, not an object/],
    [{ samples: [[1, 2]] }, /sample 1 is \[1,2\], not an object/],
    [[{ path: { nested: 1 }, label: 'x' }], /the path of a row is/],
  ];
  for (const [json, problem] of cases) {
    const file = `${fresh('m')}.json`;
    writeFileSync(file, JSON.stringify(json));
    await rejects(() => readManifest(file), file, problem, 'bad-manifest');
  }
});

test('a manifest row without a label among labelled rows is refused (was: trained as label -1)', async () => {
  const dir = fresh('rows');
  await png(join(dir, 'a.png'), 3, 10);
  await png(join(dir, 'b.png'), 3, 200);
  const csv = join(dir, 'labels.csv');
  writeFileSync(csv, 'path,label\na.png,cat\nb.png,\n');
  await rejects(() => openManifest({ kind: 'manifest', file: csv }), csv, /row 3 \(b.png\) has no label while the other rows are labelled/, 'unlabelled-row');
  const json = join(dir, 'labels.json');
  writeFileSync(json, JSON.stringify([{ path: 'a.png', label: 'cat' }, { path: 'b.png' }]));
  await rejects(() => readManifest(json), json, /sample 2 \(b.png\) has no label/);
});

test('a path,label manifest (no split column, as labelling writes) opens whole for every split, so it is split like a folder', async () => {
  const dir = fresh('nosplit');
  const rows = ['path,label'];
  for (let i = 0; i < 6; i++) {
    await png(join(dir, `${i}.png`), 3, i * 40);
    rows.push(`${i}.png,${i % 2 ? 'dark' : 'light'}`);
  }
  const csv = join(dir, 'labels.csv');
  writeFileSync(csv, `${rows.join('\n')}\n`);
  // Today this is refused: "has no rows with split 'train'".
  const train = await loadDataset(csv, { split: 'train' });
  const test2 = await loadDataset(csv, { split: 'test' });
  assert.equal(train.length, 6);
  assert.deepEqual(train.classes, ['dark', 'light']);
  assert.equal(JSON.stringify(test2.spec), JSON.stringify(train.spec), 'every split is the same pool, so the caller carves validation from it');
  const split = await makeSplit(train, { fractions: { train: 0.5, val: 0.5 }, seed: 1 });
  assert.equal(split.indices.train!.length + split.indices.val!.length, 6);
  // A manifest that has a split column still filters by it.
  const withSplit = join(dir, 'split.csv');
  writeFileSync(withSplit, 'path,label,split\n0.png,light,train\n1.png,dark,train\n2.png,light,val\n');
  assert.equal((await loadDataset(withSplit, { split: 'train' })).length, 2);
});

test('a folder of loose images is refused for training with how to label it (was: "crossEntropy: target -1 … for 0 classes")', async () => {
  const dir = fresh('loose');
  for (let i = 0; i < 4; i++) await png(join(dir, `${i}.png`), 3, i * 50);
  const ds = await loadDataset(dir);
  assert.equal(ds.classes.length, 0, 'it still opens, unlabelled, for the labelling view and the audit');
  await rejects(() => checkTrainable(ds), dir, /loose images with no class subfolders/, 'unlabelled').then((e) =>
    assert.match(e.message, /put images in one subfolder per class.*label them on the Data page \/ with a manifest/),
  );
});

test('one class is refused for training (was: "100% accuracy"); two classes pass, also through a subset', async () => {
  const one = fresh('one');
  for (let i = 0; i < 3; i++) await png(join(one, 'cat', `${i}.png`), 3, i * 50);
  await rejects(async () => checkTrainable(await loadDataset(one)), one, /single class \('cat'\)/, 'one-class');
  const two = fresh('two');
  for (let i = 0; i < 4; i++) await png(join(two, i % 2 ? 'cat' : 'dog', `${i}.png`), 3, i * 50);
  const ds = await loadDataset(two);
  checkTrainable(ds);
  await rejects(() => checkTrainable(new SubsetDataset(ds, [0, 1])), two, /single class/);
});

test('a split that leaves a part empty names the dataset and the fix (was: "DataLoader: the dataset is empty")', async () => {
  const tiny = fresh('tiny');
  await png(join(tiny, 'cat', '0.png'), 3, 0);
  await png(join(tiny, 'dog', '0.png'), 3, 255);
  const ds = await loadDataset(tiny);
  await rejects(() => makeSplit(ds, { fractions: { train: 0.8, val: 0.2 } }), tiny, /2 images of .* leaves the val part empty/, 'split-too-small');
  const ten = fresh('ten');
  for (let i = 0; i < 10; i++) await png(join(ten, i % 2 ? 'cat' : 'dog', `${i}.png`), 3, i * 20);
  const tenDs = await loadDataset(ten);
  const e = await rejects(() => makeSplit(tenDs, { fractions: { train: 0.001, val: 0.999 } }), ten, /leaves the train part empty/);
  assert.match(e.message, /--val-split/);
  await rejects(() => new DataLoader(new SubsetDataset(ds, [])), tiny, /no images to load from/);
});

test('a corrupt, null or edited split.json names the file (was: "Unexpected end of JSON input")', async () => {
  const dir = fresh('split');
  mkdirSync(dir);
  const ds = await loadDataset('shapes', { count: 40, size: 8 });
  const good = await makeSplit(ds, { seed: 3 });
  const path = join(dir, 'split.json');
  const cases: [string, RegExp][] = [
    [JSON.stringify(good).slice(0, 30), /is not valid JSON/],
    ['null', /holds null/],
    [JSON.stringify({ ...good, version: 2 }), /version is 2/],
    [JSON.stringify({ ...good, indices: { ...good.indices, val: [-1] } }), /val indices are not integers from 0 to 39/],
    [JSON.stringify({ ...good, indices: { ...good.indices, val: good.indices.val!.slice(1) } }), /do not match its hash/],
  ];
  for (const [text, problem] of cases) {
    writeFileSync(path, text);
    await rejects(() => readSplitRecord(path), path, problem);
  }
  writeFileSync(path, JSON.stringify(good));
  assert.deepEqual(readSplitRecord(path), good);
});

test('a corrupt or empty config.json names the file (readJsonObject)', () => {
  const dir = fresh('config');
  mkdirSync(dir);
  const path = join(dir, 'config.json');
  for (const [text, problem] of [
    ['{"recipe": {"model"', /the run config is not valid JSON/],
    ['', /the run config is empty/],
    ['null', /holds null, not an object/],
  ] as const) {
    writeFileSync(path, text);
    assert.throws(
      () => readJsonObject(path, 'the run config', 'start a new run'),
      (e: unknown) => e instanceof JsonFileError && e.message.startsWith(`${path}: `) && problem.test(e.message) && /fix: start a new run/.test(e.message),
    );
  }
  assert.throws(() => readJsonObject(join(dir, 'nope.json'), 'the run config', 'x'), /nope.json: the run config is missing/);
});

test('grayscale images stay grayscale (1 channel) unless channels says otherwise; colour or mixed folders are RGB', async () => {
  const gray = fresh('gray');
  for (let i = 0; i < 4; i++) await png(join(gray, i % 2 ? 'a' : 'b', `${i}.png`), 1, i * 60);
  const g = await openFolder({ kind: 'folder', root: gray });
  assert.equal(g.channels, 1);
  assert.equal(g.spec.channels, 1, 'recorded in the spec, so worker threads agree');
  assert.deepEqual((await g.get(0)).shape, [1, 8, 8]);
  assert.equal((await openFolder({ kind: 'folder', root: gray, channels: 3 })).channels, 3, 'overridable');
  const mixed = fresh('mixed');
  await png(join(mixed, 'a', '0.png'), 1, 0);
  await png(join(mixed, 'b', '1.png'), 3, 90);
  assert.equal((await openFolder({ kind: 'folder', root: mixed })).channels, 3);
  const csv = join(gray, 'labels.csv');
  writeFileSync(csv, 'path,label\nb/0.png,b\na/1.png,a\n');
  assert.equal((await openManifest({ kind: 'manifest', file: csv })).channels, 1);
});

test('a folder passed as an image says so (was: "check the file permissions"); an absurd image size is refused', async () => {
  const dir = fresh('isdir');
  await png(join(dir, 'a', '0.png'), 3, 0);
  await png(join(dir, 'b', '0.png'), 3, 99);
  await rejects(() => decodeImageFile(join(dir, 'a')), join(dir, 'a'), /is a folder, not an image file/, 'is-folder');
  await rejects(() => openFolder({ kind: 'folder', root: dir, size: 100_000 }), dir, /image size 100000x100000 is out of range/, 'bad-size');
  await rejects(() => openFolder({ kind: 'folder', root: dir, size: 0 }), dir, /out of range/);
});

test('skipped files are listed through subsets; a folder whose images are all unreadable is refused even with a size', async () => {
  const dir = fresh('skipped');
  await png(join(dir, 'a', '0.png'), 3, 0);
  await png(join(dir, 'b', '1.png'), 3, 200);
  writeFileSync(join(dir, 'a', 'empty.png'), '');
  const ds = await openFolder({ kind: 'folder', root: dir });
  const sub = new SubsetDataset(ds, [0]);
  assert.deepEqual(
    skippedFilesOf(sub).map((s) => [s.path, s.reason]),
    [[join(dir, 'a', 'empty.png'), 'empty file (0 bytes)']],
  );
  const bad = fresh('unreadable');
  mkdirSync(join(bad, 'a'), { recursive: true });
  mkdirSync(join(bad, 'b'), { recursive: true });
  writeFileSync(join(bad, 'a', '0.png'), 'not a png');
  writeFileSync(join(bad, 'b', '0.jpg'), 'not a jpeg');
  // Today, with a size given, this opens and a run "finishes" with 0 images.
  await rejects(() => openFolder({ kind: 'folder', root: bad, size: 8 }), bad, /none of its 2 images could be read/, 'empty-dataset');
});

test('predict-style arguments: files, folders and globs expand to images; each bad argument is listed, the rest kept', async () => {
  const dir = fresh('paths');
  await png(join(dir, 'a', '0.png'), 3, 0);
  await png(join(dir, 'a', 'deep', '1.png'), 3, 50);
  await png(join(dir, 'b', '2.png'), 3, 100);
  writeFileSync(join(dir, 'notes.txt'), 'x');
  mkdirSync(join(dir, 'empty'));
  const { files, problems } = expandImagePaths([
    join(dir, 'a'),
    join(dir, 'b', '*.png'),
    join(dir, '**', '1.png'),
    join(dir, 'b', '2.png'),
    join(dir, 'notes.txt'),
    join(dir, 'empty'),
    join(dir, 'nope.png'),
    join(dir, 'c', '*.jpg'),
  ]);
  assert.deepEqual(files, [join(dir, 'a', '0.png'), join(dir, 'a', 'deep', '1.png'), join(dir, 'b', '2.png')]);
  assert.deepEqual(
    problems.map((p) => p.reason),
    [
      'is not an image file (expected .jpg, .png, .webp, .gif, .tif or .avif)',
      'is a folder with no image files in it',
      'does not exist',
      'matches no image files',
    ],
  );
});
