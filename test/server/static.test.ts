/**
 * The built front end is served from disk per request: a file written after the server started (a rebuilt front end
 * with new hashed asset names) is served without a restart, while unknown API paths keep the JSON 404.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
let webDist = '';

before(async () => {
  webDist = mkdtempSync(join(tmpdir(), 'simmer-web-'));
  mkdirSync(join(webDist, 'assets'));
  writeFileSync(join(webDist, 'index.html'), '<!doctype html><title>first build</title>');
  server = await startTestServer({ webDist });
});

after(async () => {
  await server?.stop();
  rmSync(webDist, { recursive: true, force: true });
});

test('assets written after the server started are served, the index follows the rebuild, unknown paths are 404', async () => {
  writeFileSync(join(webDist, 'assets', 'index-abc123.js'), 'console.log("rebuilt")');
  writeFileSync(join(webDist, 'index.html'), '<!doctype html><title>second build</title>');

  const asset = await fetch(new URL('assets/index-abc123.js', server.url));
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('content-type') ?? '', /javascript/);
  assert.equal(await asset.text(), 'console.log("rebuilt")');

  const index = await fetch(server.url);
  assert.equal(index.status, 200);
  assert.match(await index.text(), /second build/);

  const missing = await fetch(new URL('assets/gone.js', server.url));
  assert.equal(missing.status, 404);
  await missing.arrayBuffer();

  const api = await fetch(new URL('api/no-such-route', server.url));
  assert.equal(api.status, 404);
  assert.deepEqual(await api.json(), { error: 'no route GET /api/no-such-route' });
});
