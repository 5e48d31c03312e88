/**
 * The `simmer` command end to end, as a user runs it, on the built-in shapes dataset: train, runs, eval, predict,
 * info, --help on every verb, clear errors; and resume after SIGKILL ending with exactly the weights of an
 * uninterrupted run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { encodePng } from '../../src/data/image-file.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'simmer.js');
const root = mkdtempSync(join(tmpdir(), 'simmer-cli-'));
const runs = join(root, 'runs');

function simmer(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function modelTensors(path: string): Map<string, Float32Array> {
  return new Map([...loadCheckpoint(path).model].map(([k, v]) => [k, v.data as Float32Array]));
}

const SMALL = ['--limit', '400', '--model', 'mlp', '--batch-size', '32', '--seed', '5'];

describe('simmer CLI', () => {
  let runId = '';

  test('--help on every verb', () => {
    const top = simmer(['--help']);
    assert.equal(top.code, 0);
    for (const verb of ['start', 'train', 'eval', 'predict', 'runs', 'audit', 'augment-preview', 'info']) {
      assert.match(top.stdout, new RegExp(`\\b${verb}\\b`));
      const r = simmer([verb, '--help']);
      assert.equal(r.code, 0, `${verb} --help`);
      assert.match(r.stdout, /Usage: simmer/);
    }
  });

  test('train shapes writes a run, prints epochs and a validation report; --json for scripts', () => {
    const r = simmer(['train', 'shapes', ...SMALL, '--epochs', '2', '--val-split', '0.25', '--runs', runs, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    runId = out.run;
    assert.equal(out.history.length, 2);
    assert.ok(out.history[1].trainLoss < out.history[0].trainLoss);
    assert.equal(out.report.split, 'test', 'validation was carved from train, so the final report is on the test split');
    assert.equal(JSON.parse(readFileSync(join(runs, runId, 'split.json'), 'utf8')).fractions.val, 0.25);
    assert.equal(out.report.confusion.length, 4);
    assert.match(r.stderr, /epoch 2\/2 │ train loss [\d.]+ acc [\d.]+% │ val loss/);
    for (const f of [
      'config.json',
      'metrics.jsonl',
      'metrics.csv',
      'split.json',
      'summary.json',
      'checkpoints/last.safetensors',
      'checkpoints/best.safetensors',
    ]) {
      assert.ok(existsSync(join(runs, runId, f)), `${f} exists`);
    }
  });

  test('runs lists and compares', () => {
    const r = simmer(['runs', '--runs', runs]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(runId));
    assert.match(r.stdout, /finished\s+shapes\s+mlp/);
    const cmp = simmer(['runs', runId, runId, '--runs', runs]);
    assert.match(cmp.stdout, /train loss \/ val loss \/ val acc per epoch/);
    const json = JSON.parse(simmer(['runs', '--runs', runs, '--json']).stdout);
    assert.equal(json[0].id, runId);
    assert.match(simmer(['runs', 'nope', '--runs', runs]).stderr, /no run 'nope'/);
  });

  test('eval prints metrics and a confusion matrix', () => {
    const ckpt = join(runs, runId, 'checkpoints', 'best.safetensors');
    const r = simmer(['eval', ckpt]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /accuracy [\d.]+%, top-4/);
    assert.match(r.stdout, /true\\pred\s+circle\s+square\s+triangle\s+star/);
    const j = JSON.parse(simmer(['eval', ckpt, '--json']).stdout);
    assert.equal(j.perClass.length, 4);
  });

  test('predict gives top-k labels with probabilities for image files', async () => {
    const { ShapesDataset } = await import('../../src/data/shapes.ts');
    const ds = new ShapesDataset({ kind: 'shapes', count: 2, size: 32, seed: 99 });
    const s = await ds.get(0);
    const png = join(root, 'one.png');
    writeFileSync(png, await encodePng(s.image, s.shape));
    const r = simmer(['predict', join(runs, runId, 'checkpoints', 'best.safetensors'), png, '--top-k', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [res] = JSON.parse(r.stdout);
    assert.equal(res.top.length, 2);
    assert.ok(res.top[0].probability >= res.top[1].probability);
    const bad = join(root, 'bad.png');
    writeFileSync(bad, Buffer.alloc(0));
    const e = simmer(['predict', join(runs, runId, 'checkpoints', 'best.safetensors'), bad]);
    assert.equal(e.code, 1);
    assert.match(e.stderr, /bad.png/);
  });

  test('info reports the backend', () => {
    const r = simmer(['info', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(['js', 'native'].includes(JSON.parse(r.stdout).backend));
  });

  test('bad input gets one clear line, not a stack trace', () => {
    const e1 = simmer(['train', 'shapes', '--epochs', 'two']);
    assert.notEqual(e1.code, 0);
    assert.match(e1.stderr, /--epochs must be an integer >= 1, got 'two'/);
    const e2 = simmer(['train', 'no/such/folder', '--runs', runs]);
    assert.equal(e2.code, 1);
    assert.match(e2.stderr, /dataset 'no\/such\/folder' is neither a built-in/);
    assert.doesNotMatch(e2.stderr, /at .*\.ts:\d+/);
    const e3 = simmer(['train', 'shapes', '--model', 'vgg', '--runs', runs, ...SMALL.slice(0, 2)]);
    assert.match(e3.stderr, /unknown model 'vgg'/);
    const cut = join(root, 'cut.safetensors');
    writeFileSync(cut, readFileSync(join(runs, runId, 'checkpoints', 'best.safetensors')).subarray(0, 100));
    assert.match(simmer(['eval', cut]).stderr, /truncated/);
  });
});

describe('resume after SIGKILL', () => {
  // cnn-small at the default thread count: the conv weight-gradient reduction is where thread timing once leaked in.
  test('a cnn-small run killed mid-epoch and resumed ends with exactly the weights of an uninterrupted run', async () => {
    const args = [
      'train',
      'shapes',
      '--limit',
      '2000',
      '--model',
      'cnn-small',
      '--batch-size',
      '16',
      '--seed',
      '11',
      '--epochs',
      '2',
      '--checkpoint-every',
      '7',
      '--quiet',
    ];
    const full = simmer([...args, '--runs', join(root, 'full'), '--json']);
    assert.equal(full.code, 0, full.stderr);
    const fullId = JSON.parse(full.stdout).run;

    // SIMMER_CRASH_AFTER_CHECKPOINT makes the run SIGKILL itself right after its 3rd mid-epoch checkpoint (step 21)
    // is on disk: a crash at a known point, part way through the first epoch, with no race against the run.
    const killedRoot = join(root, 'killed');
    const killed = spawnSync(process.execPath, [BIN, ...args, '--runs', killedRoot], {
      env: { ...process.env, SIMMER_CRASH_AFTER_CHECKPOINT: '3' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(killed.signal, 'SIGKILL', `the run was not killed at its checkpoint: status ${killed.status}\n${killed.stderr}`);
    const killedId = readdirSync(killedRoot)[0];
    const atCrash = loadCheckpoint(join(killedRoot, killedId, 'checkpoints', 'last.safetensors')).state;
    assert.deepEqual([atCrash.epoch, atCrash.batchInEpoch, atCrash.globalStep], [0, 21, 21], 'the checkpoint left by the crash is mid-epoch');
    const resumed = simmer(['train', '--resume', killedId, '--runs', killedRoot, '--quiet']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const a = modelTensors(join(root, 'full', fullId, 'checkpoints', 'last.safetensors'));
    const b = modelTensors(join(killedRoot, killedId, 'checkpoints', 'last.safetensors'));
    assert.deepEqual([...b.keys()], [...a.keys()]);
    for (const [k, v] of a) assert.deepEqual(b.get(k), v, `${k} differs after resume`);
  });
});
