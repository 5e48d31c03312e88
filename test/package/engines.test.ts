/**
 * The `engines` field is a promise: every package `npm install simmer-ml` brings in must support the oldest Node it
 * names (issue 12 item 15: light-my-request 6.8 pulled cookie 2, which needs Node 22, and users of Node 20 got
 * EBADENGINE). The lockfile is what npm resolves from package.json's ranges, so every runtime (non-dev) package in it
 * is checked against the lowest version of each range in `engines.node`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import semver from 'semver';

const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  overrides?: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean; optional?: boolean; os?: string[]; engines?: { node?: string } }>;
};

/** The lowest Node of each `||` alternative of our engines range (20.19.0 and 22.13.0 for "^20.19.0 || >=22.13.0"). */
const floors = pkg.engines.node.split('||').map((r) => semver.minVersion(r.trim())!.version);

test('the engines range names Node 20 and the floors it promises', () => {
  assert.ok(
    floors.some((v) => semver.major(v) === 20),
    `engines.node ${pkg.engines.node} does not include Node 20`,
  );
});

test('every runtime dependency in the lockfile supports the oldest Node of each engines range', () => {
  const refused: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev || !entry.engines?.node) continue;
    // Platform binaries for other systems (e.g. sharp's win32 build) are never installed here.
    if (entry.optional && entry.os && !entry.os.includes(process.platform)) continue;
    for (const node of floors)
      if (!semver.satisfies(node, entry.engines.node, { includePrerelease: true }))
        refused.push(`${path.replace(/^.*node_modules\//, '')}@${entry.version} needs node ${entry.engines.node}, not ${node}`);
  }
  assert.deepEqual(refused, [], 'pin a release that supports our engines range as a direct dependency (see light-my-request)');
});

test("every override is also a direct dependency pin, since npm ignores a dependency's overrides", () => {
  // The lockfile obeys our overrides, so the test above passes; a project installing simmer-ml does not: there only
  // a direct dependency of ours holds the version (npm dedupes fastify's ^6 range onto it).
  for (const [name, version] of Object.entries(pkg.overrides ?? {}))
    assert.equal(pkg.dependencies[name], version, `overrides pins ${name}@${version}; add "${name}": "${version}" to dependencies too`);
});
