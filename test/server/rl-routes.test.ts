/**
 * The RL routes' answers to bad requests, and a run's curve read back through the API: a run folder that is not an
 * RL run or does not exist, a replay asked before the first checkpoint, a start request naming no known algorithm.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { trainRlRun } from '../../src/runs/rl-runs.ts';
import { createRun } from '../../src/runs/run-store.ts';
import { getJson, postJson, startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;

before(async () => {
  server = await startTestServer();
});

after(async () => {
  await server.stop();
});

test('RL routes: 404 for no run or a classifier run, 409 for a replay before any checkpoint, 400 for an unknown algorithm', async () => {
  assert.equal((await getJson(server.url, '/api/rl/no-such-run')).status, 404);
  const classifier = createRun(server.runsRoot, { model: 'cnn-small', recipe: {} });
  const notRl = await getJson(server.url, `/api/rl/${classifier.id}`);
  assert.equal(notRl.status, 404);
  assert.match(String(notRl.body.error), /not an RL run/);
  const fresh = createRun(server.runsRoot, { kind: 'rl', model: 'rl-ppo-cartpole', rl: { env: 'cartpole', algo: 'ppo', seed: 1 } });
  const early = await postJson(server.url, `/api/rl/${fresh.id}/replay`, {});
  assert.equal(early.status, 409);
  assert.match(String(early.body.error), /no checkpoint yet/);
  const bad = await postJson(server.url, '/api/rl/runs', { env: 'cartpole', algo: 'a2c' });
  assert.equal(bad.status, 400);
});

test('RL routes: the curve and evaluations of a run as metrics.jsonl holds them, and a replay of its last checkpoint', async () => {
  const r = await trainRlRun(server.runsRoot, { env: 'gridworld', algo: 'dqn', seed: 2, steps: 3000 });
  const detail = await getJson(server.url, `/api/rl/${r.run.id}`);
  assert.equal(detail.status, 200);
  const iterations = detail.body.iterations as { envSteps: number }[];
  // One iteration record per 1,000-step DQN chunk; an evaluation every 150 steps (budget / 20) lands on each chunk end.
  assert.deepEqual(
    iterations.map((i) => i.envSteps),
    [1000, 2000, 3000],
  );
  assert.deepEqual(
    (detail.body.evaluations as { meanReturn: number }[]).map((e) => e.meanReturn),
    r.result.evaluations.map((e) => e.meanReturn),
  );
  const rows = (await getJson(server.url, '/api/rl/runs')).body.runs as { id: string; status: string; envSteps: number }[];
  const row = rows.find((x) => x.id === r.run.id);
  assert.deepEqual({ status: row?.status, envSteps: row?.envSteps }, { status: 'finished', envSteps: 3000 });
  assert.ok(
    rows.every((x) => !x.id.includes('cnn-small')),
    'classifier runs are not listed',
  );
  const trainingRows = (await getJson(server.url, '/api/runs')).body.runs as { id: string }[];
  assert.ok(!trainingRows.some((x) => x.id === r.run.id), 'the RL run is not on the training runs page');
  const replay = await postJson(server.url, `/api/rl/${r.run.id}/replay`, { seed: 5, frames: 3 });
  assert.equal(replay.status, 200);
  assert.equal(replay.body.checkpoint, 'last.safetensors');
  assert.equal(replay.body.frames, 3);
  assert.match(String((replay.body.sprite as { url: string }).url), /^data:image\/png;base64,/);
});
