import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

test('memory does not grow with training: RSS after epoch 3 is within 5% of epoch 1 (nothing to dispose)', () => {
  const script = join(import.meta.dirname, '..', 'fixtures', 'train-rss.ts');
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, mkdtempSync(join(tmpdir(), 'simmer-rss-'))], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const [first, , third] = JSON.parse(r.stdout) as number[];
  const growth = (third - first) / first;
  console.log(`RSS after epoch 1: ${(first / 2 ** 20).toFixed(1)} MiB, after epoch 3: ${(third / 2 ** 20).toFixed(1)} MiB (${(growth * 100).toFixed(2)}%)`);
  assert.ok(Math.abs(growth) <= 0.05, `RSS changed by ${(growth * 100).toFixed(2)}% between epoch 1 and 3`);
});
