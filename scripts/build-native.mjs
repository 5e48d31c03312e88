#!/usr/bin/env node
// Builds the native addon with node-gyp. A failed build never fails `npm install`:
// Simmer then runs on the JS backend and says so once, with this log's location.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';

if (!existsSync('binding.gyp')) process.exit(0);
const gyp = process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp';
const result = spawnSync('npx', ['--no-install', gyp, 'rebuild'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
mkdirSync('build', { recursive: true });
writeFileSync('build/native-build.log', `${result.stdout ?? ''}\n${result.stderr ?? ''}`);
if (result.status !== 0) {
  console.warn('simmer: the native addon did not build; Simmer will run on the slower JS backend. See build/native-build.log.');
  if (process.argv.includes('--force')) process.exit(1);
} else {
  console.log('simmer: native addon built (build/Release/simmer_native.node)');
}
