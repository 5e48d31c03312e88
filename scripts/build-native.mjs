#!/usr/bin/env node
// Builds the native addon (binding.gyp → build/Release/simmer_native.node) with node-gyp, offline:
// when the running node ships its own headers (e.g. /usr/include/node) they are used, so nothing is
// downloaded. A failed build never fails `npm install`: Simmer then runs on the JS backend and says so
// once; the compiler output is kept in build/native-build.log. `--force` (npm run build:native) makes a
// failure exit non-zero and echoes the log.
// Then, only where Open MPI's `mpicc` is on the PATH, the optional distributed-training addon (native/mpi/binding.gyp →
// native/mpi/build/Release/simmer_mpi.node); without mpicc it says once how to get it, and its failure never fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

if (!existsSync('binding.gyp')) process.exit(0);
const force = process.argv.includes('--force');

/** The node-gyp entry script, resolved from this package's dependencies (no npx lookup, no network). */
function nodeGypScript() {
  try {
    return createRequire(join(process.cwd(), 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return null;
  }
}

/** A --nodedir with local headers for this node, when they exist, so node-gyp needs no download. */
function localNodeDir() {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? prefix : null;
}

const script = nodeGypScript();
mkdirSync('build', { recursive: true });
if (script === null) {
  writeFileSync('build/native-build.log', 'node-gyp is not installed (it is a dependency of simmer; run npm install)\n');
  console.warn('simmer: node-gyp not found; Simmer will run on the slower JS backend. See build/native-build.log.');
  process.exit(force ? 1 : 0);
}
const args = [script, 'rebuild'];
const nodedir = localNodeDir();
if (nodedir !== null) args.push(`--nodedir=${nodedir}`);
const jobs = process.env.JOBS ?? 'max';
args.push('-j', jobs);
const started = Date.now();
const result = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const log = `$ node ${args.join(' ')}\n${result.stdout ?? ''}\n${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
writeFileSync('build/native-build.log', log);
if (result.status !== 0) {
  console.warn('simmer: the native addon did not build; Simmer will run on the slower JS backend. See build/native-build.log.');
  if (force) {
    console.error(readFileSync('build/native-build.log', 'utf8').slice(-4000));
    process.exit(1);
  }
} else {
  console.log(`simmer: native addon built in ${((Date.now() - started) / 1000).toFixed(1)} s (build/Release/simmer_native.node)`);
}

buildMpi();

/** The Open MPI addon for `simmer train --distributed` (native/mpi/): optional, so it never makes the install fail. */
function buildMpi() {
  if (!existsSync(join('native', 'mpi', 'binding.gyp'))) return;
  const probe = spawnSync('mpicc', ['--showme:version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (probe.error || probe.status !== 0) {
    writeFileSync('build/mpi-build.log', 'mpicc was not found on the PATH, so the MPI addon was not built\n');
    console.log(
      'simmer: mpicc not found, so distributed training (--distributed) is unavailable; to enable it: apt-get install openmpi-bin libopenmpi-dev, then npm run build:native',
    );
    return;
  }
  const mpiArgs = [script, 'rebuild', ...(nodedir !== null ? [`--nodedir=${nodedir}`] : []), '-j', jobs];
  const t0 = Date.now();
  const r = spawnSync(process.execPath, mpiArgs, { cwd: join('native', 'mpi'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  writeFileSync(
    'build/mpi-build.log',
    `$ (cd native/mpi && node ${mpiArgs.join(' ')})\n${r.stdout ?? ''}\n${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`,
  );
  if (r.status !== 0) console.warn('simmer: the MPI addon (distributed training) did not build; everything else works. See build/mpi-build.log.');
  else console.log(`simmer: MPI addon built in ${((Date.now() - t0) / 1000).toFixed(1)} s (native/mpi/build/Release/simmer_mpi.node)`);
}
