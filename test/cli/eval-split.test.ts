/**
 * `simmer eval` scores what the user asks (issue 12, item 13), `--augment` takes transform lists and flip-free presets
 * (item 11) and `--channels` overrides the detected channel count (item 12), end to end on small grayscale folders.
 * The truth each count is checked against is the run's own split.json and the files the test wrote.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { RunAnalysis } from '../../src/server/analysis.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'simmer.js');
const root = mkdtempSync(join(tmpdir(), 'simmer-eval-split-'));
const runs = join(root, 'runs');

function simmer(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A folder of `perClass` 8×8 grayscale PNGs per class: 'dark' images are dim, 'light' ones bright. */
async function grayFolder(dir: string, perClass: number, offset = 0): Promise<void> {
  for (const [c, base] of [
    ['dark', 0.1],
    ['light', 0.8],
  ] as const) {
    mkdirSync(join(dir, c), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const img = new Uint8Array(64).map((_, j) => Math.round(255 * Math.min(1, base + ((i + offset + j) % 5) * 0.02)));
      // A true 1-channel PNG (encodePng writes RGB).
      const png = await sharp(img, { raw: { width: 8, height: 8, channels: 1 } })
        .toColourspace('b-w')
        .png()
        .toBuffer();
      writeFileSync(join(dir, c, `${offset + i}.png`), png);
    }
  }
}

const TRAIN = ['--model', 'mlp', '--epochs', '1', '--batch-size', '8', '--val-split', '0.25', '--runs', runs, '--json'];

describe('simmer eval --split', () => {
  const data = join(root, 'data');
  const other = join(root, 'other');
  let run = '';
  let ckpt = '';
  let split: { total: number; indices: { train: number[]; val: number[] } };

  test('setup: train on a folder (validation held out, split.json stored)', async () => {
    await grayFolder(data, 20);
    await grayFolder(other, 7, 100);
    const r = simmer(['train', data, ...TRAIN]);
    assert.equal(r.code, 0, r.stderr);
    run = JSON.parse(r.stdout).run;
    ckpt = join(runs, run, 'checkpoints', 'last.safetensors');
    split = JSON.parse(readFileSync(join(runs, run, 'split.json'), 'utf8'));
    assert.equal(split.total, 40);
  });

  test('default: the run held-out part from split.json, named in the output and --json', () => {
    const j = JSON.parse(simmer(['eval', ckpt, '--json']).stdout);
    assert.equal(j.split, 'val');
    assert.match(j.splitDescription, /split\.json/);
    assert.equal(j.count, split.indices.val.length);
    const text = simmer(['eval', ckpt]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /\(val: the run's validation part \(split\.json\), 10 images\)/);
  });

  test('simmer embed and the dashboard evaluation use the same held-out part (split.json), not a re-made split', async () => {
    const emb = simmer(['embed', ckpt, data, '--out', join(root, 'emb.json'), '--json']);
    assert.equal(emb.code, 0, emb.stderr);
    const e = JSON.parse(emb.stdout);
    assert.deepEqual([e.split, e.rows], ['val', split.indices.val.length]);
    const ev = await new RunAnalysis(runs).evaluation(run);
    assert.deepEqual([ev.split, ev.count], ['val', split.indices.val.length]);
  });

  test('--split train / all / test', () => {
    assert.equal(JSON.parse(simmer(['eval', ckpt, '--split', 'train', '--json']).stdout).count, split.indices.train.length);
    const all = JSON.parse(simmer(['eval', ckpt, '--split', 'all', '--json']).stdout);
    assert.deepEqual([all.split, all.count], ['all', 40]);
    const test = simmer(['eval', ckpt, '--split', 'test']);
    assert.equal(test.code, 1);
    assert.match(test.stderr, /has no test split of its own.*--split val/);
    assert.match(simmer(['eval', ckpt, '--split', 'nope']).stderr, /auto, all, train, val, test/);
  });

  test('a separate test folder is scored whole (today: a 20% "validation" slice of it)', () => {
    const j = JSON.parse(simmer(['eval', ckpt, other, '--json']).stdout);
    assert.deepEqual([j.split, j.count], ['all', 14]);
    assert.match(simmer(['eval', ckpt, other, '--split', 'val']).stderr, /is the run's own; on other data score --split all/);
  });

  test('the split is never made again: a changed folder or a missing split.json is refused', async () => {
    await grayFolder(data, 2, 500);
    const changed = simmer(['eval', ckpt]);
    assert.equal(changed.code, 1);
    assert.match(changed.stderr, /split\.json was made for 40 images but .* now has 44: the data changed/);
    // embed and the dashboard read the same split.json, so they refuse too instead of re-making a split.
    const emb = simmer(['embed', ckpt, data, '--out', join(root, 'emb2.json')]);
    assert.equal(emb.code, 1);
    assert.match(emb.stderr, /the data changed/);
    await assert.rejects(new RunAnalysis(runs).evaluation(run), /the data changed/);
    assert.equal(JSON.parse(simmer(['eval', ckpt, '--split', 'all', '--json']).stdout).count, 44);
    renameSync(join(runs, run, 'split.json'), join(runs, run, 'split.json.bak'));
    const missing = simmer(['eval', ckpt]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /split\.json is missing .* --split all/);
  });
});

describe('--augment lists and --channels', () => {
  const data = join(root, 'gray');

  test('a transform list and the flip-free presets train; an unknown name lists the valid ones', async () => {
    await grayFolder(data, 8);
    for (const augment of ['translate,rotate,jitter', 'digits', 'standard-noflip']) {
      const r = simmer(['train', data, ...TRAIN, '--augment', augment]);
      assert.equal(r.code, 0, `${augment}: ${r.stderr}`);
    }
    const bad = simmer(['train', data, ...TRAIN, '--augment', 'translate,flip']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown augmentation 'flip'.*standard-noflip.*translate, rotate/);
  });

  test('grayscale is detected; --channels 3 overrides it; built-in datasets refuse other channels', () => {
    const shapeOf = (args: string[]) => {
      const r = simmer(['train', data, ...TRAIN, ...args]);
      assert.equal(r.code, 0, r.stderr);
      const cfg = loadCheckpoint(join(runs, JSON.parse(r.stdout).run, 'checkpoints', 'last.safetensors')).state.config as { inputShape: number[] };
      return cfg.inputShape;
    };
    assert.deepEqual(shapeOf([]), [1, 8, 8]);
    assert.deepEqual(shapeOf(['--channels', '3']), [3, 8, 8]);
    const r = simmer(['train', 'shapes', '--limit', '40', '--channels', '1', '--runs', runs]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /shapes has 3-channel images and cannot be read with 1/);
    assert.match(simmer(['train', data, '--channels', '2', '--runs', runs]).stderr, /choose one of: auto, 1, 3/);
  });
});
