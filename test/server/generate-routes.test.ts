/**
 * The Generate page's routes on two real (tiny) runs: the run list says what each model can be asked, sampling
 * streams a DDPM's steps with x_t and x̂_0 frames and ends with the images (the same seed gives the same images,
 * another seed others), a VAE samples in one frame and walks its latent space; bad requests name the problem.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type GenerativeRuns, trainGenerativeRuns } from './generative-runs.ts';
import { getJson, postJson, type SseEvent, startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
let runs: GenerativeRuns;

before(async () => {
  server = await startTestServer();
  runs = await trainGenerativeRuns(server.runsRoot);
});

after(async () => {
  await server?.stop();
});

/** POSTs a sample request and reads its server-sent events to the end of the stream. */
async function sample(id: string, body: Record<string, unknown>): Promise<SseEvent[]> {
  const res = await fetch(new URL(`/api/generate/${id}/sample`, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const events: SseEvent[] = [];
  for (const frame of (await res.text()).split('\n\n')) {
    const event = /^event: (.*)$/m.exec(frame)?.[1];
    const data = /^data: (.*)$/m.exec(frame)?.[1];
    if (event && data !== undefined) events.push({ event, data: JSON.parse(data) });
  }
  return events;
}

test('GET /api/generate/runs: both runs, ready, with the controls their model takes', async () => {
  const { status, body } = await getJson(server.url, '/api/generate/runs');
  assert.equal(status, 200);
  const list = body.runs as { id: string; family: string; ready: boolean; controls: string[]; classes: string[]; hasLatent: boolean; sequential: boolean }[];
  const ddpm = list.find((r) => r.id === runs.ddpm);
  const vae = list.find((r) => r.id === runs.vae);
  assert.ok(ddpm && vae, `both runs listed: ${list.map((r) => r.id).join(', ')}`);
  assert.equal(ddpm.family, 'ddpm');
  assert.deepEqual(ddpm.controls, ['steps', 'sampler', 'eta', 'guidance']);
  assert.equal(ddpm.sequential, true);
  assert.deepEqual(ddpm.classes, ['circle', 'square', 'triangle', 'star']);
  assert.equal(vae.family, 'vae');
  assert.equal(vae.hasLatent, true);
  assert.deepEqual(vae.controls, []);
});

test('POST sample on a DDPM: every step streamed, frames of x_t and x̂_0, images at the end; the seed decides them', async () => {
  const body = { n: 3, seed: 5, class: 2, steps: 6, guidance: 3, frames: 3 };
  const events = await sample(runs.ddpm, body);
  assert.equal(events[0].event, 'start');
  assert.deepEqual(events[0].data.labels, [2, 2, 2]);
  const steps = events.filter((e) => e.event === 'step');
  assert.deepEqual(
    steps.map((e) => e.data.step),
    [1, 2, 3, 4, 5, 6],
  );
  const framed = steps.filter((e) => e.data.frame);
  assert.deepEqual(
    framed.map((e) => e.data.step),
    [2, 4, 6],
    'three evenly spaced frames, the last step always',
  );
  for (const f of framed) {
    assert.match(String(f.data.frame), /^data:image\/png;base64,/);
    assert.match(String(f.data.noisy), /^data:image\/png;base64,/);
  }
  // The first frame's x_t is still mostly noise, so it differs from its x̂_0; by the last step x_t is x_0.
  assert.notEqual(framed[0].data.noisy, framed[0].data.frame);
  const done = events.find((e) => e.event === 'done');
  assert.ok(done, `a done event: ${events.map((e) => e.event).join(', ')}`);
  assert.equal((done.data.images as string[]).length, 3);
  assert.equal(done.data.steps, 6);
  const again = (await sample(runs.ddpm, body)).find((e) => e.event === 'done');
  assert.deepEqual(again?.data.images, done.data.images, 'same seed, same images');
  const other = (await sample(runs.ddpm, { ...body, seed: 6 })).find((e) => e.event === 'done');
  assert.notDeepEqual(other?.data.images, done.data.images, 'another seed, other images');
});

test('POST sample on a VAE: one frame; interpolation and latent map come back as images', async () => {
  const events = await sample(runs.vae, { n: 4, seed: 1, class: 0 });
  assert.deepEqual(
    events.map((e) => e.event),
    ['start', 'step', 'done'],
  );
  assert.equal((events[2].data.images as string[]).length, 4);
  const walk = await postJson(server.url, `/api/generate/${runs.vae}/interpolate`, { a: 1, b: 2, steps: 6, class: 1 });
  assert.equal(walk.status, 200);
  assert.equal((walk.body.images as string[]).length, 6);
  assert.match(String(walk.body.strip), /^data:image\/png;base64,/);
  const map = await postJson(server.url, `/api/generate/${runs.vae}/latent-map`, { dims: [0, 3], size: 4 });
  assert.equal(map.status, 200);
  assert.deepEqual(map.body.dims, [0, 3]);
});

test('bad requests name the problem: an unknown class lists the classes; a DDPM has no latent space; a bad run id', async () => {
  const cls = await postJson(server.url, `/api/generate/${runs.ddpm}/sample`, { n: 2, seed: 1, class: 9 });
  assert.equal(cls.status, 400);
  assert.match(String(cls.body.error), /class 9 is out of range; ddpm-small has 4 classes \(0 circle, 1 square, 2 triangle, 3 star\)/);
  const latent = await postJson(server.url, `/api/generate/${runs.ddpm}/interpolate`, { a: 1, b: 2 });
  assert.equal(latent.status, 400);
  assert.match(String(latent.body.error), /no latent space to walk; interpolation is for VAEs/);
  const missing = await getJson(server.url, '/api/generate/no-such-run');
  assert.equal(missing.status, 404);
  const tooMany = await postJson(server.url, `/api/generate/${runs.vae}/sample`, { n: 1000, seed: 1 });
  assert.equal(tooMany.status, 400);
});
