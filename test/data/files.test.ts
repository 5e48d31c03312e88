/**
 * Image folders and manifests decoded with sharp, every supported format, the resize policy, bad input (empty folder,
 * missing files, mixed sizes, 0-byte, truncated, not-an-image, enormous declared size), worker threads on file
 * datasets, the audit on a fixture with planted problems, and the augmentation preview.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import {
  auditDataset,
  type DataError,
  DataLoader,
  datasetFromSpec,
  decodeImageFile,
  formatAudit,
  loadAllSplits,
  loadDataset,
  openFolder,
  openManifest,
  previewAugmentations,
  ShapesDataset,
} from '../../src/data/index.ts';
import { buildFixture, type Fixture } from './fixture.ts';

const tmp = mkdtempSync(join(tmpdir(), 'simmer-files-'));
let fx: Fixture;
const p = (rel: string) => join(fx.root, rel);
before(async () => {
  fx = await buildFixture(join(tmp, 'ds'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const isDataError = (code: string, re?: RegExp) => (e: DataError) => {
  assert.equal(e.code, code, e.message);
  assert.match(e.message, /fix: /);
  if (re) assert.match(e.message, re);
  return true;
};

describe('decoding', () => {
  test('every format decodes to CHW at the requested size and channels', async () => {
    for (const rel of ['train/circle', 'train/square', 'train/star', 'test/circle']) {
      const ds = await openFolder({ kind: 'folder', root: p(rel.split('/')[0]), size: 32 });
      assert.ok(ds.length > 0);
    }
    const ds = await openFolder({ kind: 'folder', root: p('train'), size: 32 });
    const exts = new Set<string>();
    for (let i = 0; i < ds.length; i++) {
      const path = ds.pathOf(i);
      if (/truncated|notes|huge/.test(path)) continue;
      const s = await ds.get(i);
      exts.add(path.split('.').pop()!);
      assert.deepEqual(s.shape, [3, 32, 32]);
      assert.ok(s.image.every((v) => v >= 0 && v <= 1));
    }
    for (const e of ['png', 'jpg', 'webp', 'gif', 'tiff']) assert.ok(exts.has(e), `decoded a .${e}`);
    const avif = await loadDataset(p('test'), { size: 16, channels: 1 });
    const avifIndex = avif.length > 0 ? [...Array(avif.length).keys()].find((i) => avif.pathOf!(i)!.endsWith('.avif'))! : -1;
    const s = await avif.get(avifIndex);
    assert.deepEqual(s.shape, [1, 16, 16]);
  });
  test("resize policy: 'cover' brings odd sizes to the dataset size; 'error' refuses them with the fix", async () => {
    const wide = await decodeImageFile(p(fx.planted.odd), { size: 32 });
    assert.deepEqual([wide.height, wide.width, wide.channels], [32, 32, 3]);
    const contain = await decodeImageFile(p(fx.planted.odd), { size: [20, 20], resize: 'contain' });
    assert.equal(contain.data.length, 3 * 400);
    await assert.rejects(
      decodeImageFile(p(fx.planted.odd), { size: 32, resize: 'error' }),
      isDataError('size-mismatch', /48x32 but the dataset is 32x32.*\n.*resize/),
    );
  });
  test('bad files give a DataError naming the file and the fix', async () => {
    await assert.rejects(decodeImageFile(p(fx.planted.empty)), isDataError('empty-file', /empty\.png is empty \(0 bytes\)/));
    await assert.rejects(decodeImageFile(p(fx.planted.truncated)), isDataError('corrupt-image', /truncated\.png is corrupt or truncated/));
    await assert.rejects(decodeImageFile(p(fx.planted.notImage)), isDataError('unreadable-image', /notes\.jpg is not an image/));
    await assert.rejects(decodeImageFile(p(fx.planted.huge)), isDataError('too-large', /100000x100000 .* above the limit of 40,000,000.*\n.*maxPixels/));
    await assert.rejects(decodeImageFile(p(fx.planted.flat), { maxPixels: 100 }), isDataError('too-large', /limit of 100/));
    await assert.rejects(decodeImageFile(p('nope.png')), isDataError('missing-file'));
  });
});

describe('image folders', () => {
  test('one class per subfolder, nested folders included, 0-byte files skipped and listed', async () => {
    const ds = await openFolder({ kind: 'folder', root: p('train'), size: 24 });
    assert.deepEqual(ds.classes, fx.classes.slice().sort());
    assert.deepEqual([ds.channels, ds.height, ds.width], [3, 24, 24]);
    const nested = ds.entries.find((e) => e.path.endsWith('nested.png'))!;
    assert.equal(ds.classes[nested.label], fx.planted.nested.split('/')[1]);
    assert.ok(ds.skipped.some((s) => s.path.endsWith('empty.png') && /0 bytes/.test(s.reason)));
    assert.ok(!ds.entries.some((e) => e.path.endsWith('empty.png')));
    const s = await ds.get(0);
    assert.equal(s.path, ds.pathOf(0));
    assert.equal(s.label, ds.entries[0].label);
  });
  test('without a size the first image sets it; train/test subfolders are splits', async () => {
    const tr = await loadDataset(fx.root);
    assert.deepEqual([tr.height, tr.width], [32, 32]);
    const te = await loadDataset(fx.root, { split: 'test' });
    assert.ok(te.length >= 8);
    await assert.rejects(loadDataset(fx.root, { split: 'val' }), isDataError('missing-split', /no 'val' subfolder/));
    assert.deepEqual(Object.keys(await loadAllSplits(fx.root)), ['train', 'test']);
  });
  test('unlabelled folders give label -1', async () => {
    const ds = await openFolder({ kind: 'folder', root: p('test/circle'), size: 16 });
    assert.deepEqual(ds.classes, []);
    assert.equal((await ds.get(0)).label, -1);
  });
  test('an empty or missing folder is explained', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(join(empty, 'cats'), { recursive: true });
    writeFileSync(join(empty, 'cats', 'readme.txt'), 'no images here');
    await assert.rejects(openFolder({ kind: 'folder', root: empty }), isDataError('empty-dataset', /contains no images/));
    await assert.rejects(loadDataset(join(tmp, 'absent')), isDataError('missing-dataset', /neither a built-in/));
    await assert.rejects(openFolder({ kind: 'folder', root: join(tmp, 'absent') }), isDataError('missing-folder'));
  });
  test('the loader skips unreadable files without stopping, or throws when asked', async () => {
    const ds = await openFolder({ kind: 'folder', root: p('train'), size: 16 });
    const loader = new DataLoader(ds, { batchSize: 8 });
    let n = 0;
    for await (const b of loader.epoch(0)) {
      n += b.y.size;
      assert.equal(b.x.shape[1], 3);
    }
    assert.equal(n, ds.length - 3, 'truncated, not-an-image and huge are skipped');
    assert.equal(loader.skipped.length, 3);
    assert.ok(loader.skipped.some((s) => s.path.endsWith('huge.png') && /pixels/.test(s.reason)));
    const strict = new DataLoader(ds, { batchSize: 64, onError: 'throw' });
    await assert.rejects(async () => {
      for await (const _ of strict.epoch(0));
    }, /corrupt|not an image|limit/);
  });
  test('worker threads rebuild a folder dataset from its spec and give the same batches', async () => {
    const ds = await openFolder({ kind: 'folder', root: p('train'), size: 16 });
    const copy = await datasetFromSpec(JSON.parse(JSON.stringify(ds.spec)));
    assert.equal(copy.length, ds.length);
    const opts = { batchSize: 8, shuffle: true, seed: 2, transform: 'light' as const };
    const main = new DataLoader(ds, opts);
    const workers = new DataLoader(ds, { ...opts, workers: 1 });
    try {
      const a = [];
      for await (const b of main.epoch(1)) a.push(b);
      const b = [];
      for await (const x of workers.epoch(1)) b.push(x);
      assert.deepEqual(
        b.map((x) => x.indices),
        a.map((x) => x.indices),
      );
      assert.deepEqual(b[0].x.data, a[0].x.data);
      assert.equal(workers.skipped.length, 3);
    } finally {
      await workers.close();
    }
  });
});

describe('manifests', () => {
  test('CSV and JSON manifests with labels and splits; paths relative to the manifest', async () => {
    const rows = [
      ['train/circle/img2.png', 'circle', 'train'],
      [fx.planted.exactA, 'square', 'train'],
      [fx.planted.nearA, 'star', 'val'],
    ];
    writeFileSync(p('labels.csv'), `path,label,split\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    writeFileSync(p('labels.json'), JSON.stringify(rows.map(([path, label, split]) => ({ path, label, split }))));
    for (const file of ['labels.csv', 'labels.json']) {
      const all = await openManifest({ kind: 'manifest', file: p(file), size: 20 });
      assert.equal(all.length, 3);
      assert.deepEqual(all.classes, ['circle', 'square', 'star']);
      assert.equal((await all.get(1)).label, 1);
      const val = await loadDataset(p(file), { split: 'val', size: 20 });
      assert.equal(val.length, 1);
      assert.equal((await val.get(0)).label, 2);
      const rebuilt = await datasetFromSpec(JSON.parse(JSON.stringify(val.spec)));
      assert.deepEqual((await rebuilt.get(0)).image, (await val.get(0)).image);
    }
    await assert.rejects(loadDataset(p('labels.csv'), { split: 'test' }), isDataError('empty-dataset', /use one of the splits it has: train, val/));
  });
  test('a manifest naming missing files names them and the fix; skip mode leaves them out', async () => {
    writeFileSync(p('broken.csv'), 'file,class\ntrain/circle/img2.png,circle\ngone/a.png,circle\n"gone/b, with comma.png",square\n');
    await assert.rejects(
      openManifest({ kind: 'manifest', file: p('broken.csv') }),
      isDataError('missing-files', /names 2 files that do not exist: gone\/a\.png, gone\/b, with comma\.png/),
    );
    const ds = await openManifest({ kind: 'manifest', file: p('broken.csv'), onMissing: 'skip', size: 8 });
    assert.equal(ds.length, 1);
    assert.equal(ds.skipped.length, 2);
    writeFileSync(p('bad.json'), '{ not json');
    await assert.rejects(openManifest({ kind: 'manifest', file: p('bad.json') }), isDataError('bad-manifest'));
    await assert.rejects(loadDataset(p('labels.txt')), isDataError('missing-dataset'));
  });
});

describe('audit', () => {
  test('finds the planted duplicates, corrupt files, leakage, sizes and blur', async () => {
    const parts = await loadAllSplits(fx.root, { size: 32 });
    const r = await auditDataset(parts);
    const ends = (path: string | undefined, rel: string) => path?.endsWith(rel) ?? false;
    // Corrupt: 0-byte (found when opening), truncated, not an image, enormous.
    for (const rel of [fx.planted.empty, fx.planted.truncated, fx.planted.notImage, fx.planted.huge]) {
      assert.ok(
        r.corrupt.some((c) => ends(c.path, rel)),
        `${rel} listed as corrupt`,
      );
    }
    assert.equal(r.corrupt.length, 4);
    // Exact duplicate within train, and the leaked copy across train and test.
    const exactPair = r.duplicates.exact.find((g) => g.members.some((m) => ends(m.path, fx.planted.exactB)));
    assert.ok(exactPair?.members.some((m) => ends(m.path, fx.planted.exactA)));
    assert.equal(exactPair?.crossSplit, false);
    assert.equal(r.leakage.exactGroups, 1);
    assert.ok(r.leakage.examples[0].some((m) => ends(m.path, fx.planted.leakTest)) && r.leakage.examples[0].some((m) => ends(m.path, fx.planted.leakTrain)));
    // Near duplicate: the 2/255-brighter copy.
    assert.ok(r.duplicates.near.some((n) => [n.a, n.b].some((m) => ends(m.path, fx.planted.nearA)) && [n.a, n.b].some((m) => ends(m.path, fx.planted.nearB))));
    // Sizes straight from the file headers, the flat image as blurry, small classes flagged.
    assert.equal(r.images.source, 'files');
    assert.equal(r.images.sizes['48x32'], 1);
    assert.ok(r.blur.examples.some((b) => ends(b.path, fx.planted.flat) && b.variance === 0));
    assert.deepEqual(r.splits.train.smallClasses.sort(), fx.classes.slice().sort());
    assert.ok(r.splits.train.imbalanceRatio! >= 1);
    const text = formatAudit(r);
    for (const re of [/Unreadable files: 4/, /truncated\.png: /, /Leakage across splits: 1 exact/, /leaked\.png/, /under 200/, /Blurry or flat/, /48x32: 1/])
      assert.match(text, re);
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(r)));
  });
  test('in-memory datasets: class counts, imbalance, no files, limit', async () => {
    const ds = new ShapesDataset({ kind: 'shapes', count: 300, size: 16, seed: 1 });
    const r = await auditDataset(ds, { limit: 100, minPerClass: 10 });
    assert.equal(r.splits.all.audited, 100);
    assert.equal(
      Object.values(r.splits.all.classCounts).reduce((a, b) => a + b, 0),
      100,
    );
    assert.equal(r.images.source, 'dataset');
    assert.deepEqual(r.images.sizes, { '16x16': 100 });
    assert.equal(r.corrupt.length, 0);
    assert.match(formatAudit(r), /Leakage across splits: n\/a/);
  });
});

describe('augmentation preview', () => {
  test('writes a PNG grid with a tile per transform', async () => {
    const out = join(tmp, 'preview.png');
    await previewAugmentations(p(fx.planted.nearA), { out, seed: 3, tile: 64, columns: 4 });
    assert.ok(existsSync(out));
    const meta = await sharp(out).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 4 * 64);
    assert.equal(meta.height, 4 * (64 + 18));
    const small = join(tmp, 'preview-sample.png');
    await previewAugmentations(new ShapesDataset({ kind: 'shapes', count: 1, size: 16, seed: 0 }).get(0), {
      out: small,
      tile: 32,
      transforms: [{ name: 'hflip', steps: [{ op: 'hflip', p: 1 }] }],
    });
    assert.equal((await sharp(small).metadata()).width, 32);
  });
});
