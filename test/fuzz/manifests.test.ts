/**
 * Fuzzing CSV and JSON manifests: thousands of byte mutations of a valid CSV and a valid JSON manifest (quotes, commas,
 * newlines, NUL bytes, truncation) and thousands of structural JSON edits, read from files; a few hundred are opened as
 * datasets (paths resolved, files checked). Each is accepted with well-formed rows or refused with a DataError naming
 * the manifest.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { openManifest, readManifest } from '../../src/data/image-list.ts';
import { FuzzRng, judge, MemoryWatch, mutate, mutateJson, newTally, summary } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'simmer-fuzz-mf-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SEED = 1203;
const RUNS = 3000;
const rowsJson = [
  { path: 'a/0.png', label: 'cat', split: 'train' },
  { path: 'a/1.png', label: 'cat', split: 'val' },
  { path: 'b/0.png', label: 'dog', split: 'train' },
  { path: 'b/1.png', label: 'dog', split: 'train' },
];
const csvText = `path,label,split\n${rowsJson.map((r) => `${r.path},"${r.label}",${r.split}`).join('\n')}\n`;
const enc = new TextEncoder();

before(async () => {
  for (const r of rowsJson) {
    mkdirSync(join(dir, r.path, '..'), { recursive: true });
    const img = sharp(Buffer.alloc(4 * 4 * 3, r.label === 'cat' ? 30 : 200), { raw: { width: 4, height: 4, channels: 3 } });
    writeFileSync(join(dir, r.path), await img.png().toBuffer());
  }
});

function checkRows(rows: ReturnType<typeof readManifest>): void {
  for (const r of rows) {
    assert.equal(typeof r.path, 'string');
    assert.ok(r.path.length > 0);
    assert.ok(r.label === undefined || typeof r.label === 'string');
    assert.ok(r.split === undefined || typeof r.split === 'string');
  }
  const labelled = rows.filter((r) => r.label !== undefined).length;
  assert.ok(labelled === 0 || labelled === rows.length, 'a manifest is labelled or not, never half');
}

test(`CSV manifests: ${RUNS} mutations read from files`, { timeout: 60_000 }, async (t) => {
  const rng = new FuzzRng(SEED);
  const tally = newTally();
  const memory = new MemoryWatch();
  const file = join(dir, 'fuzz.csv');
  const base = enc.encode(csvText);
  const specials = enc.encode('",\n\r\0');
  for (let i = 0; i < RUNS; i++) {
    let input = mutate(rng, base, base.length);
    // Sprinkle the characters a CSV parser trips on.
    for (let k = rng.int(4); k > 0 && input.length; k--) input[rng.int(input.length)] = specials[rng.int(specials.length)];
    if (rng.next() < 0.05) input = Uint8Array.from({ length: rng.int(200) }, () => rng.pick([0x22, 0x2c, 0x0a, 0x0d, 0x61]));
    writeFileSync(file, input);
    await judge(`seed ${SEED} #${i}`, file, () => readManifest(file), checkRows, tally);
    if (i % 500 === 0) memory.check(`seed ${SEED} #${i}`);
  }
  memory.check('end');
  t.diagnostic(summary(tally));
  assert.ok(tally.accepted > 100 && tally.refused > 10, JSON.stringify({ ...tally, kinds: [...tally.kinds] }));
});

test(`JSON manifests: ${RUNS} text mutations and ${RUNS} structural edits read from files`, { timeout: 60_000 }, async (t) => {
  const rng = new FuzzRng(SEED + 1);
  const tally = newTally();
  const memory = new MemoryWatch();
  const file = join(dir, 'fuzz.json');
  const text = enc.encode(JSON.stringify({ samples: rowsJson }, null, 1));
  for (let i = 0; i < 2 * RUNS; i++) {
    if (i % 2 === 0) writeFileSync(file, mutate(rng, text, text.length));
    else writeFileSync(file, JSON.stringify(mutateJson(rng, rng.next() < 0.5 ? rowsJson : { samples: rowsJson })) ?? '');
    await judge(`seed ${SEED + 1} #${i}`, file, () => readManifest(file), checkRows, tally);
    if (i % 500 === 0) memory.check(`seed ${SEED + 1} #${i}`);
  }
  memory.check('end');
  t.diagnostic(summary(tally));
  assert.ok(tally.accepted > 100 && tally.refused > RUNS / 4, JSON.stringify({ ...tally, kinds: [...tally.kinds] }));
});

test('manifests opened as datasets: 300 edits, paths resolved and files checked', { timeout: 60_000 }, async (t) => {
  const rng = new FuzzRng(SEED + 2);
  const tally = newTally();
  for (let i = 0; i < 300; i++) {
    const json = i % 2 === 0;
    const file = join(dir, `open-${i}.${json ? 'json' : 'csv'}`);
    writeFileSync(file, json ? (JSON.stringify(mutateJson(rng, rowsJson)) ?? '') : mutate(rng, enc.encode(csvText), 200));
    const split = rng.pick([undefined, 'train', 'val']);
    await judge(
      `seed ${SEED + 2} #${i}`,
      file,
      () => openManifest({ kind: 'manifest', file, split, size: 4 }),
      (ds) => {
        assert.ok(ds.length > 0);
        for (const e of ds.entries) assert.ok(e.label >= -1 && e.label < Math.max(1, ds.classes.length));
      },
      tally,
    );
  }
  t.diagnostic(summary(tally));
  assert.ok(tally.accepted > 20 && tally.refused > 20, JSON.stringify({ ...tally, kinds: [...tally.kinds] }));
});
