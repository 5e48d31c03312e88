#!/usr/bin/env node
// Runs every test file under test/ with Node's built-in test runner (TypeScript through tsx).
// Extra arguments are passed to `node --test` (e.g. --test-name-pattern=conv).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
let files = collect('test');
if (filters.length > 0) files = files.filter((f) => filters.some((s) => f.includes(s)));
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
