/**
 * Transfer learning as a user runs it: `simmer models` lists the shipped backbones (their sha256 is the file's),
 * `simmer train --from pretrained:<name> --compare-scratch` on the built-in shapes data prints its plan and the
 * comparison and stores the transfer record, `--from <that run>` fine-tunes again from it, `--from model.onnx` trains,
 * compares and resumes, a bad source names the
 * problem and what to give instead, and the dashboard's model API says which layers were frozen.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pretrainedDir } from '../../src/transfer/pretrained.ts';
import { startServer } from '../../src/server/app.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'simmer.js');
const root = mkdtempSync(join(tmpdir(), 'simmer-transfer-cli-'));
const runs = join(root, 'runs');
after(() => rmSync(root, { recursive: true, force: true }));

function simmer(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TINY = ['--limit', '64', '--batch-size', '32', '--seed', '2', '--runs', runs];

describe('simmer models and train --from', () => {
  let runId = '';

  test('simmer models --json lists the shipped backbones with the sha256 of their files', () => {
    const r = simmer(['models', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout).pretrained as { name: string; file: string; sha256: string; accuracy: { value: number } }[];
    assert.deepEqual(list.map((b) => b.name).sort(), ['fmnist-0-4', 'procedural']);
    for (const b of list) {
      assert.equal(
        createHash('sha256')
          .update(readFileSync(join(pretrainedDir(), b.file)))
          .digest('hex'),
        b.sha256,
        b.name,
      );
      assert.ok(b.accuracy.value > 0.5 && b.accuracy.value <= 1);
    }
  });

  test('--from pretrained:procedural --compare-scratch: the plan, a new head, the comparison, the record', () => {
    const r = simmer(['train', 'shapes', '--from', 'pretrained:procedural', '--epochs', '2', '--freeze-epochs', '1', '--compare-scratch', '--json', ...TINY]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /fine-tuning from pretrained backbone 'procedural'/);
    assert.match(r.stderr, /new head: 128 features → 4 classes/);
    assert.match(r.stderr, /converted RGB to grayscale .* resized 32×32 → 28×28/);
    assert.match(r.stderr, /2 epochs in all — epoch 1: the new head only .*; epoch 2: every layer/);
    assert.match(r.stderr, /training the scratch twin/);
    const out = JSON.parse(r.stdout);
    runId = out.run;
    const c = out.compareScratch;
    assert.equal(c.fineTuned.from, 'pretrained:procedural');
    assert.equal(c.count, 200);
    assert.ok(Math.abs(c.margin - (c.fineTuned.accuracy - c.scratch.accuracy) * 100) < 1e-9);
    assert.ok(Math.abs(c.fineTuned.accuracy - out.report.accuracy) < 1e-9, 'the comparison scores the run’s own model');
    const config = JSON.parse(readFileSync(join(runs, runId, 'config.json'), 'utf8'));
    assert.equal(config.transfer.backbone.kind, 'simmer-cnn');
    assert.equal(config.transfer.freezeEpochs, 1);
    assert.deepEqual(JSON.parse(readFileSync(join(runs, runId, 'compare-scratch.json'), 'utf8')).margin, c.margin);
  });

  test('simmer eval --compare-scratch: the same twin as train’s, scored on the part eval scores', () => {
    const ckpt = join(runs, runId, 'checkpoints', 'last.safetensors');
    const atTrain = JSON.parse(readFileSync(join(runs, runId, 'compare-scratch.json'), 'utf8'));
    const r = simmer(['eval', ckpt, '--compare-scratch', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const c = out.compareScratch;
    assert.equal(c.count, out.count);
    assert.equal(c.fineTuned.accuracy, out.accuracy, 'the fine-tuned side is the checkpoint eval scored');
    // Same seed, data, budget and images as the comparison train printed: the same scratch twin, the same scores.
    assert.equal(c.scratch.accuracy, atTrain.scratch.accuracy);
    assert.equal(c.scratch.loss, atTrain.scratch.loss);
    assert.equal(c.margin, atTrain.margin);
    // On the training part instead: both models scored on those 64 images.
    const onTrain = simmer(['eval', ckpt, '--split', 'train', '--compare-scratch']);
    assert.equal(onTrain.code, 0, onTrain.stderr);
    assert.match(
      onTrain.stdout,
      /Against training from scratch \(same architecture, data, epochs and learning rate; scored on the train split, 64 images\):\n {2}fine-tuned from pretrained:procedural: accuracy [\d.]+%.*\n {2}from scratch \(2 epochs, [\d.]+ s\): accuracy [\d.]+%.*\n {2}margin: [+-][\d.]+ points/,
    );
  });

  test('--from <run id> fine-tunes from that run’s network with a fresh head', () => {
    const r = simmer(['train', 'shapes', '--from', runId, '--epochs', '1', '--json', ...TINY]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`fine-tuning from run ${runId} \\(fine-tuned from pretrained:procedural\\)`));
  });

  test('--from model.onnx: the imported graph with a new head trains, compares with its scratch twin, resumes', () => {
    const onnx = join(import.meta.dirname, '..', 'fixtures', 'onnx', 'mobilenetv2-small.onnx');
    const r = simmer(['train', 'shapes', '--from', onnx, '--epochs', '1', '--compare-scratch', '--json', ...TINY]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /fine-tuning from ONNX model mobilenetv2-small\.onnx\n {2}new head: 128 features → 4 classes/);
    const out = JSON.parse(r.stdout);
    assert.equal(out.compareScratch.fineTuned.from, onnx);
    const resumed = simmer(['train', '--resume', out.run, '--epochs', '2', '--json', '--runs', runs]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(
      JSON.parse(resumed.stdout).history.map((h: { epoch: number }) => h.epoch),
      [0, 1],
    );
  });

  test('a source that is not there names the problem and what to give', () => {
    const cases: [string, RegExp][] = [
      ['pretrained:nope', /no pretrained backbone 'nope'; the shipped ones are: fmnist-0-4, procedural/],
      ['no-such-run', /there is no run 'no-such-run' .*give pretrained:<name>, a run id, a run folder, a checkpoint or a \.onnx file/],
      ['missing.onnx', /missing\.onnx: there is no such ONNX file/],
    ];
    const both = simmer(['train', 'shapes', '--from', 'pretrained:procedural', '--model', 'resnet-mini', ...TINY]);
    assert.match(both.stderr, /--model resnet-mini and --from pretrained:procedural were both given: .* drop --model/);
    for (const [from, message] of cases) {
      const r = simmer(['train', 'shapes', '--from', from, '--epochs', '1', ...TINY]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /--resume/);
    }
  });

  test("the dashboard's model API: which layers were frozen and each one's rate after", async () => {
    const server = await startServer({ runsRoot: runs, dataRoot: join(root, 'data'), port: 0, webDist: join(root, 'no-web') });
    try {
      const res = await fetch(new URL(`/api/runs/${runId}/model`, server.url));
      assert.equal(res.status, 200);
      const t = (await res.json()).transfer as {
        freezeEpochs: number;
        frozenNow: boolean;
        layers: { name: string; part: string; frozenEpochs: number; lrScale: number }[];
      };
      assert.equal(t.freezeEpochs, 1);
      assert.equal(t.frozenNow, false);
      const by = new Map(t.layers.map((l) => [l.name, l]));
      assert.deepEqual(by.get('head'), { name: 'head', part: 'head', frozenEpochs: 0, lrScale: 1 });
      assert.equal(by.get('body.0')!.frozenEpochs, 1);
      assert.ok(Math.abs(by.get('body.0')!.lrScale - 0.01) < 1e-12);
      assert.equal(by.get('adapter')!.part, 'adapter');
    } finally {
      await server.close();
    }
  });
});
