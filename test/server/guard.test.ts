/**
 * The dashboard's guard against DNS rebinding and cross-site requests, over real HTTP on a real server: every
 * state-changing route (enumerated from the fastify instance, so a new route cannot be forgotten) refuses a foreign
 * Host, a foreign Origin and a foreign Referer with a 403 that says why, and accepts same-origin requests; and the
 * cap on concurrent runs answers 429 naming the running run and how to stop it.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { allowedHostNames, hostNameOf } from '../../src/server/guard.ts';
import { startTestServer, type TestServer } from './helpers.ts';

// One run at a time, so the cap is reached with a single (small) training process.
process.env.SIMMER_MAX_RUNS = '1';

let server: TestServer;
let port = 0;

before(async () => {
  server = await startTestServer();
  port = Number(new URL(server.url).port);
});

after(async () => {
  await server?.stop();
});

/** Raw HTTP, because fetch does not let a caller set Host (and sets Origin itself in browsers only). */
function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed: Record<string, unknown>;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = { text };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Every [method, path] the server routes, parsed from fastify's route tree (`printRoutes`). */
function routesOf(tree: string): [string, string][] {
  const out: [string, string][] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│├└─]*)(\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = Math.round(m[1].length / 4);
    stack.length = depth;
    stack[depth] = m[2];
    const path = stack.join('').replace(/\/+/g, '/');
    for (const method of m[3].split(', ')) out.push([method, path]);
  }
  return out;
}

function stateChangingRoutes(): [string, string][] {
  const routes = routesOf(server.app.printRoutes({ commonPrefix: false }));
  assert.ok(
    routes.some(([m, p]) => m === 'GET' && p === '/api/runs'),
    `the route tree parses (${JSON.stringify(routes)})`,
  );
  const changing = routes.filter(([m]) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(m));
  // Today: start a run, stop a run, save labels. A new state-changing route joins this loop by itself.
  for (const known of ['POST /api/runs', 'POST /api/runs/:id/stop', 'PUT /api/label/:name'])
    assert.ok(
      changing.some(([m, p]) => `${m} ${p}` === known),
      `${known} is among ${JSON.stringify(changing)}`,
    );
  return changing;
}

const concrete = (path: string) => path.replace(':id', 'no-such-run').replace(':name', 'unsorted').replace(':index', '0').replace('*', 'x.png');
/** A body each route accepts when it gets past the guard, except POST /api/runs (which would start a run): {} is a 400. */
const bodyFor = (method: string, path: string) => (path === '/api/label/:name' ? JSON.stringify({ labels: {} }) : method === 'DELETE' ? undefined : '{}');

test('a foreign Host is refused with a 403 on every route, state-changing or not', async () => {
  const routes = stateChangingRoutes();
  for (const [method, path] of [...routes, ['GET', '/api/runs'], ['GET', '/api/files/unsorted/img-00.png'], ['GET', '/']] as [string, string][]) {
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`, 'localhost@evil.example', '[::2]']) {
      const res = await send(method, concrete(path), { host, origin: `http://${host}` }, method === 'GET' ? undefined : bodyFor(method, path));
      assert.equal(res.status, 403, `${method} ${path} with Host '${host}' → ${res.status} ${JSON.stringify(res.body)}`);
      assert.match(String(res.body.error), /Host header .* does not name this dashboard/);
      assert.match(String(res.body.error), /--host/, 'the message says how to serve under another name');
    }
  }
});

test('a foreign Origin, a foreign Referer without Origin, and Origin null are refused on every state-changing route', async () => {
  for (const [method, path] of stateChangingRoutes()) {
    const host = `127.0.0.1:${port}`;
    const cases: Record<string, string>[] = [
      { origin: `http://evil.example:${port}` },
      { origin: `http://localhost:${port + 1}` }, // another local site is another origin
      { origin: 'null' },
      { referer: `http://evil.example:${port}/page.html` },
    ];
    for (const headers of cases) {
      const res = await send(method, concrete(path), { host, ...headers }, bodyFor(method, path));
      assert.equal(res.status, 403, `${method} ${path} with ${JSON.stringify(headers)} → ${res.status} ${JSON.stringify(res.body)}`);
      assert.match(String(res.body.error), /comes from another site/);
    }
  }
});

test('same-origin requests, and requests without Origin or Referer (curl), pass the guard', async () => {
  for (const [method, path] of stateChangingRoutes()) {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      for (const headers of <Record<string, string>[]>[{ origin: `http://${host.toLowerCase()}` }, { referer: `http://${host.toLowerCase()}/#/data` }, {}]) {
        const res = await send(method, concrete(path), { host, ...headers }, bodyFor(method, path));
        assert.notEqual(res.status, 403, `${method} ${path} from ${host} ${JSON.stringify(headers)} passes the guard: ${JSON.stringify(res.body)}`);
      }
    }
  }
  // And a real change from the dashboard's own page goes through.
  const host = `localhost:${port}`;
  const saved = await send('PUT', '/api/label/unsorted', { host, origin: `http://${host}` }, JSON.stringify({ labels: { 'img-00.png': 'a' } }));
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  const read = await send('GET', '/api/runs', { host: `127.0.0.1:${port}` });
  assert.equal(read.status, 200);
});

test('host names: loopback, the configured host, and every local address when bound to all interfaces', () => {
  assert.equal(hostNameOf('[::1]:8080'), '::1');
  assert.equal(hostNameOf('Localhost:1'), 'localhost');
  assert.equal(hostNameOf('a:b:c'), null);
  assert.equal(hostNameOf('evil.example/x'), null);
  const own = allowedHostNames('simmer.lan');
  assert.ok(own.has('simmer.lan') && own.has('127.0.0.1') && own.has('::1') && own.has('localhost'));
  assert.ok(!own.has('evil.example'));
  assert.ok(allowedHostNames('0.0.0.0').has('127.0.0.1'));
});

test('concurrent runs are capped: one more is a 429 that names the running run and how to stop it', async () => {
  const recipe = JSON.stringify({ dataset: 'shapes', model: 'mlp', epochs: 200, batchSize: 32, augment: 'none', limit: 400 });
  const headers = { host: `127.0.0.1:${port}` };
  // Two at once while the cap is 1: the start in flight counts, so exactly one process is started.
  const [a, b] = await Promise.all([send('POST', '/api/runs', headers, recipe), send('POST', '/api/runs', headers, recipe)]);
  const started = [a, b].filter((r) => r.status === 201);
  const refused = [a, b].filter((r) => r.status === 429);
  assert.equal(started.length, 1, JSON.stringify([a, b]));
  assert.equal(refused.length, 1, JSON.stringify([a, b]));
  assert.match(String(refused[0].body.error), /already training .*at most 1 at a time.*Stop one/);
  const id = String(started[0].body.id);
  const again = await send('POST', '/api/runs', headers, recipe);
  assert.equal(again.status, 429);
  assert.ok(String(again.body.error).includes(`/api/runs/${id}/stop`), again.body.error as string);
  const stopped = await send('POST', `/api/runs/${id}/stop`, headers, '{}');
  assert.equal(stopped.status, 202, JSON.stringify(stopped.body));
});
