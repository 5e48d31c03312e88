/**
 * The profiler: its table sums to the measured wall time of the profiled steps (an "other" row holds what no span
 * covered), kernels carry shapes and FLOPs, the Chrome trace is valid trace-event JSON with nested spans, the
 * Trainer callback and SIMMER_PROFILE=1 work, and profiling off leaves backend() the plain backend. Both backends.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { backend, backward, manualSeed, randn, randint, withBackend } from '../../src/index.ts';
import { jsBackend } from '../../src/backend/index.ts';
import { loadNativeBackend } from '../../src/backend/native/load.ts';
import { buildClassifier } from '../../src/models/classifiers.ts';
import { Flatten, Linear, Sequential } from '../../src/nn/index.ts';
import { crossEntropy } from '../../src/ops/loss.ts';
import { Adam, SGD } from '../../src/optim/index.ts';
import {
  beginSpan,
  chromeTrace,
  endSpan,
  formatProfile,
  markStep,
  PROFILE,
  profileCallback,
  type ProfileReport,
  profileModules,
  rowsSumMs,
  startProfile,
  stopProfile,
} from '../../src/profile/index.ts';
import { Trainer } from '../../src/train/index.ts';
import { arraySource, blobs } from '../helpers/blobs.ts';
import { skipUnless } from '../helpers/requirements.ts';

const native = loadNativeBackend();
const backends = [
  { name: 'js', b: jsBackend, skip: false as false | string },
  { name: 'native', b: native.backend, skip: skipUnless('native', native.backend !== null, native.error) },
];

/** A few W3 steps (the cnn-small model, batch 4) profiled; returns the report and the wall time measured outside. */
function profiledCnnSteps(steps: number, trace: boolean): { report: ProfileReport; wall: number } {
  manualSeed(3);
  const model = buildClassifier('cnn-small', { inputShape: [1, 28, 28], numClasses: 10 });
  model.train();
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const x = randn([4, 1, 28, 28]);
  const y = randint(0, 10, [4]);
  const unhook = profileModules(model);
  startProfile({ trace });
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    beginSpan('phase', 'forward', 'forward');
    const loss = crossEntropy(model.forward(x), y);
    endSpan();
    backward(loss);
    opt.step();
    markStep();
  }
  const wall = performance.now() - t0;
  const report = stopProfile();
  unhook();
  return { report, wall };
}

describe('profiler', () => {
  for (const { name, b, skip } of backends) {
    test(`the table of a W3 step sums to the measured time, with kernels, shapes and FLOPs (${name})`, { skip }, () => {
      const { report, wall } = withBackend(b!, () => profiledCnnSteps(2, false));
      const sum = rowsSumMs(report);
      assert.ok(Math.abs(sum - report.totalMs) < 1e-6 * Math.max(1, report.totalMs), `rows ${sum} vs total ${report.totalMs}`);
      assert.ok(Math.abs(sum - wall) <= 0.05 * wall, `table ${sum.toFixed(2)} ms vs measured ${wall.toFixed(2)} ms`);
      assert.equal(report.steps, 2);
      assert.ok(report.backend.includes(name), report.backend);
      const find = (phase: string, label: string) => report.rows.find((r) => r.phase === phase && r.name === label);
      // The profiled step is the real one: Sequential's fused conv + ReLU + pool kernel, not the unfused modules.
      assert.equal(find('forward', 'conv2dForward'), undefined, 'no unfused conv2dForward under the profiler');
      const conv = find('forward', 'conv2dReluMaxPool2Argmax');
      assert.ok(conv, 'conv2dReluMaxPool2Argmax in the forward phase');
      assert.equal(conv.calls, 4, 'two convolutions per step');
      // 2·N·K·OH·OW·C·R·S for both convs of cnn-small, batch 4.
      const flops = 2 * 4 * (32 * 28 * 28 * 1 * 9 + 64 * 14 * 14 * 32 * 9);
      assert.equal(conv.flops, 2 * flops);
      assert.ok([...conv.shapes.keys()].includes('4×1×28×28 * 32×1×3×3 p1 → 28×28'), [...conv.shapes.keys()].join(' | '));
      assert.ok(find('backward', 'conv2dBackwardWeight'), 'conv backward-weight in backward');
      assert.equal(find('optimizer', 'adamStep')?.calls, 16, 'one Adam kernel per parameter per step');
      assert.ok(find('backward', 'linear.backward'), 'JS of the linear backward rule');
      assert.ok(find('forward', 'Conv2d+ReLU+MaxPool2d.forward'), 'JS of the fused Conv2d → ReLU → MaxPool2d modules');
      assert.ok(find('forward', 'Linear.forward'), 'JS of the Linear module');
      assert.ok(
        report.rows.some((r) => r.kind === 'other'),
        'the unattributed row',
      );
      const table = formatProfile(report);
      assert.match(table, /conv2dReluMaxPool2Argmax/);
      assert.match(table, /GFLOP\/s/);
      assert.match(table, /rows sum to/);
    });

    test(`the Chrome trace is valid trace-event JSON with nested spans (${name})`, { skip }, () => {
      const { report } = withBackend(b!, () => profiledCnnSteps(1, true));
      const doc = JSON.parse(JSON.stringify(chromeTrace(report))) as { traceEvents: Record<string, unknown>[]; displayTimeUnit: string };
      assert.equal(doc.displayTimeUnit, 'ms');
      assert.ok(doc.traceEvents.length > 20);
      for (const e of doc.traceEvents) {
        assert.equal(typeof e.name, 'string');
        assert.ok(e.ph === 'X' || e.ph === 'M', `phase ${String(e.ph)}`);
        assert.ok(Number.isInteger(e.pid) && Number.isInteger(e.tid));
        if (e.ph === 'X') {
          assert.ok(Number.isInteger(e.ts) && (e.ts as number) >= 0, `ts ${String(e.ts)}`);
          assert.ok(Number.isInteger(e.dur) && (e.dur as number) >= 0, `dur ${String(e.dur)}`);
          assert.equal(typeof e.cat, 'string');
        }
      }
      const xs = doc.traceEvents.filter((e) => e.ph === 'X') as { name: string; cat: string; ts: number; dur: number }[];
      const phase = xs.find((e) => e.name === 'backward' && e.cat === 'backward')!;
      const kernels = xs.filter((e) => e.cat === 'kernel:backward');
      assert.ok(kernels.length > 5);
      // Every backward kernel lies inside the backward span (1 µs of rounding either side).
      for (const k of kernels) assert.ok(k.ts >= phase.ts - 1 && k.ts + k.dur <= phase.ts + phase.dur + 1, `${k.name} outside backward`);
    });
  }

  test('off, backend() is the plain backend and nothing is recorded', () => {
    assert.equal(PROFILE.on, false);
    withBackend(jsBackend, () => assert.equal(backend(), jsBackend));
    startProfile();
    withBackend(jsBackend, () => assert.notEqual(backend(), jsBackend));
    const r = stopProfile();
    withBackend(jsBackend, () => assert.equal(backend(), jsBackend));
    assert.equal(r.rows.filter((x) => x.kind === 'kernel').length, 0);
  });

  test('a Trainer fit with profileCallback reports data, forward, backward and optimizer phases', async () => {
    manualSeed(2);
    const model = new Sequential(new Flatten(), new Linear(16, 8), new Linear(8, 4));
    const trainer = new Trainer({ model, optimizer: new SGD(model.parameters(), { lr: 0.1 }) });
    let report: ProfileReport | null = null;
    let text = '';
    trainer.callbacks.push(profileCallback({ write: (t) => (text += t), onReport: (r) => (report = r) }));
    await trainer.fit(arraySource(blobs(64, 4, 1), 16, 1), { epochs: 1 });
    assert.ok(report !== null);
    const r = report as ProfileReport;
    assert.equal(r.steps, 4);
    const phases = new Set(r.rows.map((x) => x.phase));
    for (const p of ['data', 'forward', 'backward', 'optimizer', 'callbacks']) assert.ok(phases.has(p as never), `phase ${p}`);
    const sgd = r.rows.filter((x) => x.name === 'sgdStep');
    assert.deepEqual(
      sgd.map((x) => [x.phase, x.calls]),
      [['optimizer', 16]],
      'one SGD kernel per parameter per step, in the optimizer phase',
    );
    assert.match(text, /ms\/step/);
    assert.equal(PROFILE.on, false);
  });

  test('SIMMER_PROFILE=1 prints the table at exit and SIMMER_PROFILE_TRACE writes the trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simmer-profile-'));
    const trace = join(dir, 'trace.json');
    const script = "import { randn, matmul } from './src/index.ts'; matmul(randn([8, 8]), randn([8, 8]));";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, SIMMER_PROFILE: '1', SIMMER_PROFILE_TRACE: trace, SIMMER_BACKEND: 'js' },
      encoding: 'utf8',
      cwd: join(import.meta.dirname, '..', '..'),
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Simmer profile: js backend/);
    assert.match(r.stderr, /matmul\s.*8×8×8/);
    const doc = JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: { name: string }[] };
    assert.ok(doc.traceEvents.some((e) => e.name === 'matmul'));
  });
});
