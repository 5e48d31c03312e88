// The benchmark's report on fixed numbers: medians and ranges, ratios in the right direction, GEMM efficiency against
// the measured peak, and a missing peer reported as skipped (never a made-up figure). No timing happens here.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { classifyBlas, describeBlas, ratioRefusal } from '../../bench/blas.ts';
import { parseResult, RESULT_PREFIX } from '../../bench/protocol.ts';
import { type BenchResults, formatReport, type Row, speedRatio, stats, writeResults } from '../../bench/report.ts';

function row(p: Partial<Row> & Pick<Row, 'section' | 'metric' | 'system' | 'label' | 'samples'>): Row {
  return { config: '', threads: 2, unit: 'images/s', status: 'ok', notes: [], ...p };
}

function fixture(torchAvailable: boolean): BenchResults {
  const rows: Row[] = [
    row({ section: 'W1', metric: '1024x1024x1024', system: 'simmer-native', label: 'Simmer native 2t', unit: 'GFLOP/s', samples: [300, 320, 310], rssMB: 120 }),
    row({ section: 'W3', metric: 'images/s', system: 'simmer-native', label: 'Simmer native 2t', samples: [1400, 1500, 1450], rssMB: 260 }),
    row({ section: 'T1', metric: 'seconds to target', system: 'simmer-native', label: 'Simmer native 2t', unit: 's', samples: [80] }),
    row({
      section: 'W3',
      metric: 'images/s',
      system: 'tfjs-wasm',
      label: 'TF.js wasm',
      threads: 1,
      samples: [],
      status: 'unsupported',
      reason: "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'",
    }),
  ];
  if (torchAvailable) {
    rows.push(
      row({ section: 'W3', metric: 'images/s', system: 'torch', label: 'PyTorch 1t', threads: 1, samples: [1000, 1200, 1100], rssMB: 480 }),
      row({ section: 'W3', metric: 'images/s', system: 'torch', label: 'PyTorch 2t', samples: [700, 900, 800], rssMB: 480 }),
      row({ section: 'T1', metric: 'seconds to target', system: 'torch', label: 'PyTorch 1t', threads: 1, unit: 's', samples: [100] }),
    );
  }
  return {
    date: '2026-01-01 00:00:00',
    command: 'npm run bench',
    quick: false,
    durationS: 900,
    machine: { model: 'Test CPU', cores: 2, node: 'v20', os: 'Linux' },
    peak: { ok: true, isa: 'avx512', byThreads: { '1': [200], '2': [400] } },
    systems: [
      { id: 'simmer-native', name: 'Simmer native', available: true, detail: 'avx512' },
      { id: 'torch', name: 'PyTorch', available: torchAvailable, detail: torchAvailable ? 'torch 1.13' : '/usr/bin/python3 cannot import torch' },
    ],
    rows,
    torchBest: { W3: 1, T1: 1 },
  };
}

test('stats: median of odd and even counts, min and max', () => {
  assert.deepEqual(stats([3, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.equal(stats([4, 1, 3, 2]).median, 2.5);
  assert.equal(stats([]).n, 0);
});

test('speedRatio: above 1 means Simmer is faster, for throughputs and for seconds', () => {
  assert.equal(speedRatio(1500, 1000, 'images/s'), 1.5);
  assert.equal(speedRatio(80, 100, 's'), 1.25);
  assert.equal(speedRatio(0.9, 0.91, 'accuracy'), null);
  assert.equal(speedRatio(1500, 0, 'images/s'), null);
});

test("the report shows medians with ranges, ratios against PyTorch's better thread count, and GEMM efficiency", () => {
  const md = formatReport(fixture(true));
  assert.match(md, /1450 \(1400–1500\) images\/s/);
  // Summary: PyTorch's better setting (1 thread, 1100) gives 1450 / 1100 = 1.32×.
  assert.match(md, /\| W3 CNN train \(images\/s\) \| 1450 \| 1100 \(1t\) \| 1.32× \|/);
  // T1: 100 s ÷ 80 s = 1.25× in Simmer's favour.
  assert.match(md, /T1 seconds to 90% test accuracy \| 80.0 \| 100 \(1t\) \| 1.25×/);
  // W1 as a fraction of the best 2-thread peak run: 310 / 400.
  assert.match(md, /78% of 400/);
  assert.match(md, /cannot run/);
  assert.match(md, /Conv2DBackpropFilter/);
  assert.match(md, /Machine: Test CPU, 2 cores/);
});

test('a missing peer is reported as skipped, with the reason, and no figure is invented for it', () => {
  const md = formatReport(fixture(false));
  assert.match(md, /PyTorch: \*\*skipped\*\* — \/usr\/bin\/python3 cannot import torch/);
  assert.doesNotMatch(md, /PyTorch 1t/);
  assert.match(md, /\| W3 CNN train \(images\/s\) \| 1450 \| – \| – \|/);
});

test('writeResults writes the JSON with every sample and the Markdown report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simmer-bench-'));
  const { json, md } = writeResults(fixture(true), dir);
  const parsed = JSON.parse(readFileSync(json, 'utf8')) as { rows: (Row & { stats: { median: number } })[] };
  assert.deepEqual(parsed.rows[1].samples, [1400, 1500, 1450]);
  assert.equal(parsed.rows[1].stats.median, 1450);
  assert.match(readFileSync(md, 'utf8'), /Benchmark results/);
});

test('parseResult finds the result line among other output', () => {
  const out = `warming up\n${RESULT_PREFIX}{"ok":true,"threads":1,"rssMB":10,"figures":{"images/s":[5]},"notes":[]}\nbye\n`;
  assert.deepEqual(parseResult(out)?.figures, { 'images/s': [5] });
  assert.equal(parseResult('crashed'), null);
});

const REFERENCE = ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0', '/usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3.11.0'];
const OPENBLAS = [
  '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3',
  '/usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3',
  '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so',
];

test('classifyBlas: the generic libblas.so.3 is reference BLAS unless the alternative resolves to an optimised one', () => {
  assert.equal(classifyBlas(REFERENCE).kind, 'reference');
  assert.equal(classifyBlas(OPENBLAS).kind, 'openblas');
  assert.equal(classifyBlas(['/opt/intel/lib/libmkl_rt.so.2']).kind, 'mkl');
  assert.equal(classifyBlas(['/usr/lib/x86_64-linux-gnu/blis-openmp/libblis.so.4']).kind, 'blis');
  assert.equal(classifyBlas([]).kind, 'unknown');
  assert.match(describeBlas(classifyBlas(OPENBLAS)), /OpenBLAS \(.*libopenblasp-r0\.3\.21\.so\)/);
  assert.match(describeBlas(classifyBlas(REFERENCE)), /reference/);
});

test('ratioRefusal: only W1/W2 against reference BLAS are refused, and the reason names the fix', () => {
  const ref = classifyBlas(REFERENCE);
  assert.match(ratioRefusal('W1', ref) ?? '', /reference BLAS.*apt-get install libopenblas0-pthread/);
  assert.notEqual(ratioRefusal('W2', ref), null);
  assert.equal(ratioRefusal('W3', ref), null);
  assert.equal(ratioRefusal('W1', classifyBlas(OPENBLAS)), null);
  assert.equal(ratioRefusal('W1', undefined), null);
});

test('the report refuses W1 ratios against PyTorch on reference BLAS, says why and how to fix it, and keeps W3', () => {
  const results = fixture(true);
  results.rows.push(row({ section: 'W1', metric: '1024x1024x1024', system: 'torch', label: 'PyTorch 2t', unit: 'GFLOP/s', samples: [7, 7, 7] }));
  results.torchBest.W1 = 2;
  const torch = results.systems.find((s) => s.id === 'torch');
  assert.ok(torch);
  torch.blas = classifyBlas(REFERENCE);
  const md = formatReport(results);
  assert.match(md, /No W1\/W2 ratios against PyTorch:\*\* .*apt-get install libopenblas0-pthread/);
  assert.match(md, /\| W1 SGEMM 1024³ \(GFLOP\/s\) \| 310 \| 7.00 \(2t\) \| refused: reference BLAS \|/);
  assert.doesNotMatch(md, /44\.3×/);
  assert.match(md, /\| W3 CNN train \(images\/s\) \| 1450 \| 1100 \(1t\) \| 1.32× \|/);
  torch.blas = classifyBlas(OPENBLAS);
  assert.doesNotMatch(formatReport(results), /refused/);
});
