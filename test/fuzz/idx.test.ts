/**
 * Fuzzing the IDX reader, plain and gzipped: thousands of mutations of a valid images file and a valid labels file
 * (bit flips, truncation, extension, header fields set to huge values), parsed from bytes and — for a few hundred —
 * opened as a dataset from files. Each is either accepted with a payload of exactly the declared size or refused with
 * a DataError naming the file; the peak RSS stays within 256 MB.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { gunzipIdx, IdxDataset, parseIdx } from '../../src/data/idx.ts';
import { FuzzRng, judge, MemoryWatch, mutate, newTally, summary } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'simmer-fuzz-idx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function idxBytes(dims: number[], fill: (i: number) => number): Uint8Array {
  const size = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + size);
  out.set([0, 0, 8, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < size; i++) out[4 + 4 * dims.length + i] = fill(i);
  return out;
}

const images = idxBytes([20, 12, 12], (i) => (i * 31) % 256);
const labels = idxBytes([20], (i) => i % 4);
const SEED = 1201;
const RUNS = 3000;

function checkParsed(out: { dims: number[]; data: Uint8Array }): void {
  assert.ok(out.dims.length >= 1);
  assert.equal(
    out.data.length,
    out.dims.reduce((a, b) => a * b, 1),
  );
}

test(`IDX bytes: ${RUNS} mutations of an images and a labels file`, { timeout: 60_000 }, async (t) => {
  const rng = new FuzzRng(SEED);
  const tally = newTally();
  const memory = new MemoryWatch();
  for (let i = 0; i < RUNS; i++) {
    const base = i % 3 === 0 ? labels : images;
    const input = mutate(rng, base, 16);
    await judge(`seed ${SEED} #${i}`, 'fuzz-idx3-ubyte', () => parseIdx(input, 'fuzz-idx3-ubyte'), checkParsed, tally);
    if (i % 200 === 0) memory.check(`seed ${SEED} #${i}`);
  }
  memory.check('end');
  t.diagnostic(summary(tally));
  assert.ok(tally.refused > RUNS / 4 && tally.accepted > 50, JSON.stringify({ ...tally, kinds: [...tally.kinds] }));
});

test(`IDX gz: ${RUNS} mutations of the compressed bytes and of the payload before compression`, { timeout: 60_000 }, async (t) => {
  const rng = new FuzzRng(SEED + 1);
  const tally = newTally();
  const memory = new MemoryWatch();
  const gz = gzipSync(images);
  for (let i = 0; i < RUNS; i++) {
    // Half corrupt the gzip stream itself, half hand a well-formed gzip of a mutated IDX file (header edits through gz).
    const input = i % 2 === 0 ? mutate(rng, gz, 24) : gzipSync(mutate(rng, i % 4 === 1 ? labels : images, 16));
    const name = 'fuzz-idx3-ubyte.gz';
    await judge(`seed ${SEED + 1} #${i}`, name, () => parseIdx(gunzipIdx(input, name), name), checkParsed, tally);
    if (i % 200 === 0) memory.check(`seed ${SEED + 1} #${i}`);
  }
  // Bombs: a valid header followed by far more data than it declares, as concatenated gzip members.
  const zeros = gzipSync(new Uint8Array(1 << 20));
  for (let i = 0; i < 20; i++) {
    const parts = [gzipSync(mutate(rng, images, 16)), ...Array.from({ length: 50 + i * 10 }, () => zeros)];
    const input = new Uint8Array(Buffer.concat(parts));
    await judge(`bomb #${i}`, 'bomb.gz', () => parseIdx(gunzipIdx(input, 'bomb.gz'), 'bomb.gz'), checkParsed, tally);
    memory.check(`bomb #${i}`);
  }
  t.diagnostic(summary(tally));
  assert.ok(tally.refused > RUNS / 4, JSON.stringify({ ...tally, kinds: [...tally.kinds] }));
});

test('IDX datasets from files: 300 mutated image/label pairs, plain and gzipped', { timeout: 60_000 }, async (t) => {
  const rng = new FuzzRng(SEED + 2);
  const tally = newTally();
  const memory = new MemoryWatch();
  for (let i = 0; i < 300; i++) {
    const folder = join(dir, `d${i}`);
    mkdirSync(folder);
    const gz = i % 2 === 1;
    const write = (base: string, bytes: Uint8Array) => writeFileSync(join(folder, `${base}${gz ? '.gz' : ''}`), gz ? gzipSync(bytes) : bytes);
    const mutateImages = rng.next() < 0.6;
    write('train-images-idx3-ubyte', mutateImages ? mutate(rng, images, 16) : images);
    write('train-labels-idx1-ubyte', mutateImages ? labels : mutate(rng, labels, 12));
    await judge(
      `seed ${SEED + 2} #${i}`,
      folder,
      () => new IdxDataset({ kind: 'idx', dir: folder, split: 'train' }),
      (ds) => {
        assert.ok(ds.length > 0 && ds.height > 0 && ds.width > 0);
        assert.equal(ds.pixels.length >= ds.length * ds.height * ds.width, true);
        assert.equal(ds.labels().length, ds.length);
        const s = ds.get(ds.length - 1);
        assert.equal(s.image.length, ds.height * ds.width);
      },
      tally,
    );
  }
  memory.check('end');
  t.diagnostic(summary(tally));
  assert.ok(tally.refused > 50, JSON.stringify({ ...tally, kinds: [...tally.kinds] }));
});
