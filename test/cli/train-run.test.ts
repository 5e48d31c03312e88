/**
 * What `simmer train` and the run application do around the loop (issue 12 items 3, 4 and 14): the line saying what a
 * run trains on, resume recording each epoch once and sweeping stale temp files, `--early-stop`, warnings for
 * non-finite weights, CLI wording for library errors, and a quiet exit when stdout is closed (`| head`).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { cliMessage } from '../../src/cli/errors.ts';
import { formatDataSummary } from '../../src/runs/data-setup.ts';
import { RunError } from '../../src/runs/errors.ts';
import { openCheckpointModel } from '../../src/runs/open-model.ts';
import { runTraining } from '../../src/runs/run.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.ts';
import { NonFiniteLossError } from '../../src/train/trainer.ts';

const TINY = { dataset: 'shapes', model: 'mlp', limit: 64, batchSize: 32, seed: 3 };
const epochsIn = (jsonl: string) =>
  readFileSync(jsonl, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"epoch"'))
    .map((l) => JSON.parse(l).epoch as number);

describe('runs', () => {
  test('the run says what it trains on before the first step (images, classes, size × channels, counts, split seed)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'simmer-data-line-'));
    let line = '';
    await runTraining({ ...TINY, epochs: 1, valSplit: 0.25 }, { root, quiet: true, onDataReady: (s) => (line = formatDataSummary(s)) });
    assert.match(line, /^data: 4 classes, 32×32×3; 64 images: 48 train, 16 validation \(held out, split seed 3\), 200 test$/);
  });

  test('resume after a kill between the logs and the checkpoint records each epoch once and removes stale temp files', async () => {
    const root = mkdtempSync(join(tmpdir(), 'simmer-dedupe-'));
    const first = await runTraining({ ...TINY, epochs: 1 }, { root, quiet: true });
    const dir = first.run.dir;
    // What a kill leaves: epoch 2 already logged (jsonl and csv) but its checkpoint never written, and a temp file.
    const logged = readFileSync(first.run.metrics, 'utf8')
      .split('\n')
      .find((l) => l.includes('"type":"epoch"')) as string;
    appendFileSync(first.run.metrics, `${logged.replace('"epoch":0', '"epoch":1')}\n{"type":"epo`);
    const csv = join(dir, 'metrics.csv');
    appendFileSync(csv, `1${readFileSync(csv, 'utf8').trim().split('\n')[1].slice(1)}\n`);
    writeFileSync(join(first.run.checkpoints, '.last.safetensors.4242.1700000000000.tmp'), 'half a checkpoint');
    assert.deepEqual(epochsIn(first.run.metrics), [0, 1], 'the failure as it was: epoch 1 logged ahead of its checkpoint');

    await runTraining({ epochs: 2 }, { root, resume: first.run.id, quiet: true });
    assert.deepEqual(epochsIn(first.run.metrics), [0, 1]);
    const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1);
    assert.deepEqual(
      rows.map((r) => r.split(',')[0]),
      ['0', '1'],
    );
    assert.deepEqual(
      readdirSync(first.run.checkpoints).filter((f) => f.endsWith('.tmp')),
      [],
    );
    assert.equal(JSON.parse(readFileSync(first.run.summary, 'utf8')).epochs, 2);
  });

  test('a checkpoint write that fails (a full disk) leaves summary.json agreeing with the last checkpoint', async () => {
    const root = mkdtempSync(join(tmpdir(), 'simmer-enospc-'));
    let checkpoints = '';
    // At the start of epoch 2 the checkpoint folder stops being writable (a file where the folder was: fails as root too).
    const breakDisk = {
      onEpochStart(_t: unknown, epoch: number) {
        if (epoch === 1) {
          renameSync(checkpoints, `${checkpoints}.saved`);
          writeFileSync(checkpoints, 'not a folder');
        }
      },
    };
    await assert.rejects(
      runTraining({ ...TINY, epochs: 3 }, { root, quiet: true, callbacks: [breakDisk], onRunCreated: (r) => (checkpoints = r.checkpoints) }),
    );
    rmSync(checkpoints);
    renameSync(`${checkpoints}.saved`, checkpoints);
    const summary = JSON.parse(readFileSync(join(dirname(checkpoints), 'summary.json'), 'utf8'));
    const saved = loadCheckpoint(join(checkpoints, 'last.safetensors')).state;
    assert.equal(summary.status, 'failed');
    assert.equal(saved.epoch, 1);
    assert.equal(summary.epochs, saved.epoch, 'summary and checkpoint agree on the completed epochs');
    assert.equal(summary.globalStep, saved.globalStep);
    assert.equal(summary.final.epoch, 0);
  });

  test('--early-stop stops when validation loss stops improving, and the run still finishes with its report', async () => {
    const root = mkdtempSync(join(tmpdir(), 'simmer-early-'));
    // A learning rate too small to change a float32 weight: the validation loss is exactly flat.
    const r = await runTraining(
      { ...TINY, epochs: 6, optimizer: 'sgd', momentum: 0, lr: 1e-12, schedule: 'none' },
      { root, quiet: true, earlyStopPatience: 1 },
    );
    assert.equal(r.history.length, 2);
    assert.ok(r.report, 'an early-stopped run is finished, not stopped: it gets its final report');
    assert.equal(r.reportWeights, 'last');
    assert.equal(JSON.parse(readFileSync(r.run.summary, 'utf8')).status, 'finished');
  });

  test('a checkpoint holding NaN weights opens with a warning that says the run diverged (issue 12 item 3)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'simmer-nan-weights-'));
    const r = await runTraining({ ...TINY, epochs: 1 }, { root, quiet: true });
    const path = join(r.run.checkpoints, 'last.safetensors');
    assert.deepEqual(openCheckpointModel(path).warnings, []);
    const ck = loadCheckpoint(path);
    const opened = openCheckpointModel(path);
    (opened.model.parameters()[0].data as Float32Array)[3] = Number.NaN;
    const bad = join(root, 'diverged.safetensors');
    saveCheckpoint(bad, opened.model, null, ck.state);
    const warnings = openCheckpointModel(bad).warnings;
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /diverged\.safetensors: the weights hold NaN or Infinity \(first in '\S+'\); the run diverged/);
    assert.ok(existsSync(bad));
  });
});

describe('the CLI speaks flags, the library does not', () => {
  test('run errors and divergence are worded with the flags that fix them', () => {
    const unknown = new RunError('unknown-run', "there is no run 'x'", { run: 'x', dir: 'runs/x' });
    assert.doesNotMatch(unknown.message, /--|simmer /);
    assert.equal(cliMessage(unknown), '--resume x: no run folder runs/x (list runs with `simmer runs`)');
    const done = new RunError('already-finished', 'run a already finished 2 epochs', { run: 'a', epochs: 2 });
    assert.match(cliMessage(done), /pass --epochs N with N > 2/);
    const nan = new NonFiniteLossError(0, 1, 1, Number.NaN);
    assert.doesNotMatch(nan.message, /--/);
    assert.match(cliMessage(nan), /gradient clipping \(--clip-grad\)/);
  });

  test('a model that cannot take the data fails before training, names the fix in CLI words and leaves no run folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'simmer-bad-model-'));
    const err = await runTraining({ ...TINY, model: 'vae', imageSize: 30, epochs: 1 }, { root, quiet: true }).then(
      () => assert.fail('a 30x30 VAE trained'),
      (e: Error) => e,
    );
    assert.equal(err.message, 'vae: image height and width must be divisible by 4, got 30x30; resize the images (e.g. to 28 or 32)');
    assert.match(cliMessage(err), /resize the images with --image-size \(e\.g\. to 28 or 32\)$/);
    assert.deepEqual(existsSync(root) ? readdirSync(root) : [], []);
  });

  test('piping into a reader that closes early (| head) exits quietly, without an EPIPE stack', async () => {
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'simmer.js');
    const child = spawn(process.execPath, [bin, 'train', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the first write
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.doesNotMatch(stderr, /EPIPE|Error/);
    assert.equal(code, 0);
  });
});
