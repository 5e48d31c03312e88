#!/usr/bin/env node
// Runs every test file under test/ with Node's built-in test runner (TypeScript through tsx), then runs the op suite
// (test/ops) a second time on the JS reference backend (SIMMER_BACKEND=js), so every op case checks both backends
// (candle's test_device). Exits non-zero if either pass fails.
// Extra words filter files by path (`node scripts/run-tests.mjs ops conv`); arguments starting with -- go to
// `node --test` (e.g. --test-name-pattern=conv). --one-backend skips the second pass.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function runNodeTest(files, env) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...files], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return result.status ?? 1;
}

const args = process.argv.slice(2);
const oneBackend = args.includes('--one-backend');
const filters = args.filter((a) => !a.startsWith('--'));
const flags = args.filter((a) => a.startsWith('--') && a !== '--one-backend');
let files = collect('test');
if (filters.length > 0) files = files.filter((f) => filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`no test file matches ${filters.join(' ')}`);
  process.exit(1);
}

// Under SIMMER_REQUIRE_NATIVE (CI) the first pass pins the native backend, so no test can fall back to JS silently.
const requireNative = !['', '0', undefined].includes(process.env.SIMMER_REQUIRE_NATIVE);
const status = runNodeTest(files, requireNative && !process.env.SIMMER_BACKEND ? { SIMMER_BACKEND: 'native' } : {});
// The default pass ran the ops on the native backend (where it loaded); this one runs them on the JS reference.
const opFiles = files.filter((f) => f.startsWith(join('test', 'ops') + sep));
let jsStatus = 0;
if (!oneBackend && opFiles.length > 0 && process.env.SIMMER_BACKEND !== 'js') {
  console.log(`\n# op suite again on the JS reference backend (SIMMER_BACKEND=js): ${opFiles.length} files`);
  jsStatus = runNodeTest(opFiles, { SIMMER_BACKEND: 'js' });
  if (jsStatus !== 0) console.error('# the op suite failed on the JS backend (SIMMER_BACKEND=js)');
}
process.exit(status !== 0 ? status : jsStatus);
