/**
 * `simmer cluster` and `simmer embed` end to end on the built-in shapes dataset (a tiny classifier is trained first so
 * embed has a checkpoint), and the .npy writer's header against the NumPy format 1.0 layout.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { npyBytes } from '../../src/unsupervised/export.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'simmer.js');
const root = mkdtempSync(join(tmpdir(), 'simmer-unsup-cli-'));

function simmer(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('npy header: magic, version 1.0, dict, padded to 64 bytes, then the raw little-endian values', () => {
  const bytes = npyBytes(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLength = bytes[8] | (bytes[9] << 8);
  assert.equal((10 + headerLength) % 64, 0);
  const header = Buffer.from(bytes.subarray(10, 10 + headerLength)).toString('latin1');
  assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
  assert.deepEqual([...new Float32Array(bytes.slice(10 + headerLength).buffer)], [1, 2, 3, 4, 5, 6]);
  assert.match(Buffer.from(npyBytes(new Int32Array(3), [3])).toString('latin1'), /'descr': '<i4'.*'shape': \(3,\)/);
});

test('simmer cluster prints accuracy, NMI and ARI (--json), and simmer embed writes .npy files', () => {
  const c = simmer(['cluster', 'shapes', '--limit', '300', '--k', '3', '--n-init', '2', '--pca', '8', '--silhouette', '100', '--json']);
  assert.equal(c.code, 0, c.stderr);
  const report = JSON.parse(c.stdout);
  assert.equal(report.samples, 300);
  assert.equal(report.pca.components, 8);
  for (const key of ['accuracy', 'nmi', 'ari']) assert.ok(report.metrics[key] >= -1 && report.metrics[key] <= 1, key);
  assert.equal(
    report.clusterSizes.reduce((a: number, b: number) => a + b, 0),
    300,
  );
  assert.ok(Math.abs(report.silhouette.score) <= 1);

  const t = simmer(['train', 'shapes', '--model', 'mlp', '--epochs', '1', '--limit', '100', '--batch-size', '50', '--workers', '0', '-q']);
  assert.equal(t.code, 0, t.stderr);
  const run = readdirSync(join(root, 'runs'))[0];
  const checkpoint = join(root, 'runs', run, 'checkpoints', 'last.safetensors');
  const out = join(root, 'emb.npy');
  const e = simmer(['embed', checkpoint, 'shapes', '--out', out, '--project', 'pca', '--limit', '50', '--cluster', '3', '--json']);
  assert.equal(e.code, 0, e.stderr);
  const summary = JSON.parse(e.stdout);
  assert.equal(summary.rows, 50);
  assert.equal(summary.features, 128); // the input of the MLP's last Linear (256 → 128 → classes)
  assert.ok(summary.clusters.accuracy > 0);
  const npy = readFileSync(out);
  assert.match(npy.subarray(10, 80).toString('latin1'), /'shape': \(50, 128\)/);
  assert.match(readFileSync(join(root, 'emb.pca.npy')).subarray(10, 80).toString('latin1'), /'shape': \(50, 2\)/);
  assert.match(readFileSync(join(root, 'emb.labels.npy')).subarray(10, 80).toString('latin1'), /'<i4'.*'shape': \(50,\)/);
  const bad = simmer(['embed', checkpoint, 'shapes', '--out', join(root, 'emb.txt')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /\.json or \.npy/);
});

/** The --json report of a one-epoch ae-kmeans on the first n shapes images (k 4, no UMAP, one restart), plus extra flags. */
function aeKmeansReport(n: number, extra: string[]) {
  const args = ['cluster', 'shapes', '--limit', String(n), '--k', '4', '--method', 'ae-kmeans', '--ae-epochs', '1', '--umap', '0', '--n-init', '1', '--json'];
  const c = simmer([...args, ...extra]);
  assert.equal(c.code, 0, c.stderr);
  return JSON.parse(c.stdout);
}

test('simmer cluster --method ae-kmeans trains the autoencoder and reports its stages; embed --project tsne writes the layout', () => {
  const report = aeKmeansReport(96, ['--ae', 'conv', '--ae-width', '4', '--bottleneck', '6']);
  assert.equal(report.method, 'ae-kmeans');
  assert.equal(report.autoencoder.architecture, 'conv');
  assert.equal(report.autoencoder.bottleneck, 6);
  assert.equal(report.autoencoder.epochs, 1);
  assert.equal(report.autoencoder.umapDims, 0);
  assert.ok(Number.isFinite(report.autoencoder.loss.first));
  assert.equal(
    report.clusterSizes.reduce((a: number, b: number) => a + b, 0),
    96,
  );
  const denseReport = aeKmeansReport(64, []);
  assert.equal(denseReport.autoencoder.architecture, 'dense', 'the default autoencoder is the dense one');
  assert.equal(denseReport.autoencoder.bottleneck, 10);
  assert.equal(denseReport.samples, 64);
  const badAe = simmer(['cluster', 'shapes', '--method', 'ae-kmeans', '--ae', 'resnet']);
  assert.equal(badAe.code, 1);
  assert.match(badAe.stderr, /--ae.*resnet.*conv, dense/s);
  // The classifier run of the test above gives embed its checkpoint (tests in a file run in order).
  const run = readdirSync(join(root, 'runs'))[0];
  const checkpoint = join(root, 'runs', run, 'checkpoints', 'last.safetensors');
  const out = join(root, 'emb-tsne.npy');
  const e = simmer(['embed', checkpoint, 'shapes', '--out', out, '--project', 'tsne', '--limit', '40', '--json']);
  assert.equal(e.code, 0, e.stderr);
  assert.match(readFileSync(join(root, 'emb-tsne.tsne.npy')).subarray(10, 80).toString('latin1'), /'shape': \(40, 2\)/);
});
