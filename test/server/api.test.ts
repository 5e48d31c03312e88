/**
 * The dashboard API end to end over real HTTP: a short shapes run started from the form and followed live over SSE,
 * its evaluation and explanations, labelling, the API answering while a run trains (its latency is a bench figure:
 * `npm run bench -- --only latency`), and bad requests answered with the right status while the server keeps serving.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MAX_IMAGE_SIZE, RECIPE_FIELDS } from '../../src/runs/recipe-fields.ts';
import { getJson, postJson, readEvents, startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
let finishedRun = '';

before(async () => {
  server = await startTestServer();
});

after(async () => {
  await server?.stop();
});

const SHORT_RUN = { dataset: 'shapes', model: 'cnn-small', epochs: 1, batchSize: 32, lr: 0.003, optimizer: 'adam', augment: 'none', limit: 300 };

test('a run started from the form trains in a child process and streams batches, epochs and its end over SSE', async () => {
  const started = await postJson(server.url, '/api/runs', SHORT_RUN);
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const id = String(started.body.id);
  finishedRun = id;
  const events = await readEvents(new URL(`/api/runs/${id}/events`, server.url).href, (e) => e.event === 'status' && e.data.status !== 'stopping');
  assert.equal(events[0].event, 'snapshot');
  const batches = events.filter((e) => e.event === 'batch');
  const epochs = events.filter((e) => e.event === 'epoch');
  assert.ok(batches.length + ((events[0].data.batches as unknown[]) ?? []).length > 0, 'batch reports arrive');
  assert.equal(epochs.length + ((events[0].data.epochs as unknown[]) ?? []).length, 1);
  assert.equal(events[events.length - 1].data.status, 'finished');

  const list = await getJson(server.url, '/api/runs');
  const row = (list.body.runs as Record<string, unknown>[]).find((r) => r.id === id);
  assert.ok(row, 'the run is listed');
  assert.equal(row.status, 'finished');
  assert.equal(row.epochsDone, 1);
  const detail = await getJson(server.url, `/api/runs/${id}`);
  assert.equal((detail.body.epochs as unknown[]).length, 1);
  assert.ok((detail.body.batches as unknown[]).length >= 9, 'every batch of the session is kept for the curve');
});

test('a run from the form with classes and images per class trains and is scored on those classes only', async () => {
  const started = await postJson(server.url, '/api/runs', { ...SHORT_RUN, classes: 'star,circle', perClass: 30 });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const id = String(started.body.id);
  const events = await readEvents(new URL(`/api/runs/${id}/events`, server.url).href, (e) => e.event === 'status' && e.data.status !== 'stopping');
  assert.equal(events[events.length - 1].data.status, 'finished');
  const ev = await getJson(server.url, `/api/runs/${id}/evaluation`);
  assert.equal(ev.status, 200, JSON.stringify(ev.body));
  assert.deepEqual(ev.body.classes, ['star', 'circle'], 'the chosen classes, in the order given, with their names');
  const confusion = ev.body.confusion as number[][];
  assert.equal(confusion.length, 2);
  assert.equal(
    confusion.flat().reduce((a, b) => a + b, 0),
    ev.body.count,
  );
  // Refused before a run starts (one at a time: each starts a training process), saying why.
  const refusals: [Record<string, unknown>, RegExp][] = [
    [{ classes: 'circle,hexagon' }, /there is no class 'hexagon' in shapes.*its classes are: 0 circle, 1 square, 2 triangle, 3 star/s],
    [{ classes: 'circle,star', perClass: 100_000 }, /per-class 100000 is more than shapes's train split has of 'circle'/],
    [{ classes: 'circle,,star' }, /classes 'circle,,star' has an empty item/],
  ];
  for (const [fields, message] of refusals) {
    const r = await postJson(server.url, '/api/runs', { ...SHORT_RUN, ...fields });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(String(r.body.error), message);
  }
});

test('evaluation: confusion matrix, per-class precision and recall, a cell’s images, the most confidently wrong', async () => {
  const ev = await getJson(server.url, `/api/runs/${finishedRun}/evaluation`);
  assert.equal(ev.status, 200, JSON.stringify(ev.body));
  const classes = ev.body.classes as string[];
  assert.deepEqual(classes, ['circle', 'square', 'triangle', 'star']);
  const confusion = ev.body.confusion as number[][];
  const total = confusion.flat().reduce((a, b) => a + b, 0);
  assert.equal(total, ev.body.count);
  assert.equal((ev.body.perClass as unknown[]).length, 4);
  for (const w of ev.body.mostConfidentlyWrong as { label: number; predicted: number }[]) assert.notEqual(w.label, w.predicted);
  // The busiest cell's images are exactly the predictions in it.
  let best = [0, 0];
  for (let a = 0; a < 4; a++) for (let p = 0; p < 4; p++) if (confusion[a][p] > confusion[best[0]][best[1]]) best = [a, p];
  const cell = await getJson(server.url, `/api/runs/${finishedRun}/evaluation/cell?actual=${best[0]}&predicted=${best[1]}`);
  assert.equal(cell.status, 200);
  assert.equal((cell.body.images as unknown[]).length, confusion[best[0]][best[1]]);
  const img = await fetch(new URL(`/api/runs/${finishedRun}/images/0.png`, server.url));
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/png');
  assert.deepEqual([...new Uint8Array(await img.arrayBuffer()).slice(1, 4)], [0x50, 0x4e, 0x47]);
});

test('inside the model: architecture with shapes and parameter counts, filters, feature maps, saliency and Grad-CAM', async () => {
  const model = await getJson(server.url, `/api/runs/${finishedRun}/model`);
  assert.equal(model.status, 200);
  const layers = model.body.layers as { name: string; type: string; outputShape: number[]; params: number }[];
  assert.deepEqual(layers[0], { name: '0', type: 'Conv2d', outputShape: [1, 32, 32, 32], params: 3 * 32 * 9 + 32 });
  assert.equal(
    layers.reduce((a, l) => a + l.params, 0),
    model.body.totalParams,
  );
  assert.equal(((model.body.filters as { images: string[] }).images ?? []).length, 32);
  const ex = await getJson(server.url, `/api/runs/${finishedRun}/explain/5?class=1`);
  assert.equal(ex.status, 200);
  assert.equal(ex.body.target, 1);
  assert.deepEqual(
    (ex.body.featureMaps as { name: string }[]).map((l) => l.name),
    ['0', '3'],
  );
  assert.match(String((ex.body.gradCam as { overlay: string }).overlay), /^data:image\/png;base64,/);
  assert.match(String((ex.body.saliency as { heat: string }).heat), /^data:image\/png;base64,/);
  const probs = ex.body.probabilities as number[];
  assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-6);
});

test('datasets: list, browse by class, sample image, augmentation preview', async () => {
  const list = await getJson(server.url, '/api/datasets');
  const names = (list.body.datasets as { name: string; kind: string }[]).map((d) => `${d.name}:${d.kind}`);
  assert.ok(names.includes('shapes:builtin') && names.includes('unsorted:unlabelled'), names.join());
  const shapes = await getJson(server.url, '/api/datasets/shapes');
  assert.deepEqual(shapes.body.classes, ['circle', 'square', 'triangle', 'star']);
  assert.equal(
    (shapes.body.counts as number[]).reduce((a, b) => a + b, 0),
    shapes.body.length,
  );
  const sample = await fetch(new URL('/api/datasets/shapes/samples/3.png', server.url));
  assert.equal(sample.status, 200);
  const audit = await getJson(server.url, '/api/datasets/shapes/audit');
  assert.equal(audit.status, 200);
  assert.match(String(audit.body.text), /circle/);
  const aug = await getJson(server.url, '/api/datasets/shapes/augment?index=3&preset=strong&count=4');
  assert.equal(aug.status, 200);
  assert.equal((aug.body.variants as string[]).length, 4);
});

test('labelling writes the manifest atomically, and refuses images outside the folder', async () => {
  const before = await getJson(server.url, '/api/label/unsorted');
  assert.equal((before.body.images as string[]).length, 6);
  const put = await postJson(server.url, '/api/label/unsorted', { labels: { 'img-00.png': 'square', 'img-01.png': 'hollow, square' } }, 'PUT');
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const csv = readFileSync(join(server.dataRoot, 'unsorted', 'labels.csv'), 'utf8');
  assert.equal(csv, 'path,label\nimg-00.png,square\nimg-01.png,"hollow, square"\n');
  const cleared = await postJson(server.url, '/api/label/unsorted', { labels: { 'img-01.png': '' } }, 'PUT');
  assert.deepEqual(cleared.body.labels, { 'img-00.png': 'square' });
  assert.equal((await postJson(server.url, '/api/label/unsorted', { labels: { '../../etc/passwd': 'x' } }, 'PUT')).status, 403);
  assert.equal((await postJson(server.url, '/api/label/unsorted', { labels: { 'nope.png': 'x' } }, 'PUT')).status, 400);
  const file = await fetch(new URL('/api/files/unsorted/img-02.png', server.url));
  assert.equal(file.status, 200);
});

/** GET with the path sent exactly as written (fetch would resolve `..` segments before sending). */
function rawGet(base: string, path: string): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('bad requests are refused with the right status, and the server keeps serving', async () => {
  const cases: [string, Promise<{ status: number } | number>, number][] = [
    ['unknown run', getJson(server.url, '/api/runs/20990101-000000-none'), 404],
    ['invalid run id', getJson(server.url, '/api/runs/..%2F..%2Fetc'), 400],
    ['unknown run events', getJson(server.url, '/api/runs/nope/events'), 404],
    ['stop an unknown run', postJson(server.url, '/api/runs/nope/stop', {}), 404],
    ['stop a finished run', postJson(server.url, `/api/runs/${finishedRun}/stop`, {}), 409],
    ['image index not a number', getJson(server.url, `/api/runs/${finishedRun}/images/abc.png`), 400],
    ['image index out of range', getJson(server.url, `/api/runs/${finishedRun}/images/999999.png`), 404],
    ['class out of range', getJson(server.url, `/api/runs/${finishedRun}/explain/0?class=9`), 400],
    ['cell outside the matrix', getJson(server.url, `/api/runs/${finishedRun}/evaluation/cell?actual=7&predicted=0`), 400],
    ['encoded traversal in an image URL', getJson(server.url, '/api/files/unsorted/..%2F..%2F..%2Fetc%2Fpasswd'), 403],
    ['raw traversal in an image URL', rawGet(server.url, '/api/files/unsorted/../../../../etc/passwd'), 403],
    ['absolute path in an image URL', getJson(server.url, '/api/files/unsorted/%2Fetc%2Fpasswd'), 403],
    ['traversal in a dataset name', getJson(server.url, '/api/datasets/..%2F..'), 400],
    ['unknown dataset', getJson(server.url, '/api/datasets/nothing-here'), 404],
    ['sample out of range', getJson(server.url, '/api/datasets/shapes/samples/99999999.png'), 400],
    ['unknown preset', getJson(server.url, '/api/datasets/shapes/augment?preset=wild'), 400],
    ['form: epochs as text', postJson(server.url, '/api/runs', { ...SHORT_RUN, epochs: 'lots' }), 400],
    ['form: negative lr', postJson(server.url, '/api/runs', { ...SHORT_RUN, lr: -1 }), 400],
    ['form: unknown model', postJson(server.url, '/api/runs', { ...SHORT_RUN, model: 'gpt' }), 400],
    ['form: image size beyond the table maximum', postJson(server.url, '/api/runs', { ...SHORT_RUN, imageSize: MAX_IMAGE_SIZE + 1 }), 400],
    ['form: a filesystem path for the data', postJson(server.url, '/api/runs', { ...SHORT_RUN, data: '/etc' }), 400],
    ['form: unknown field', postJson(server.url, '/api/runs', { ...SHORT_RUN, root: '/' }), 400],
    ['form: dataset as a path', postJson(server.url, '/api/runs', { ...SHORT_RUN, dataset: '../../etc' }), 400],
    ['form: unknown dataset', postJson(server.url, '/api/runs', { ...SHORT_RUN, dataset: 'missing' }), 404],
    ['form: unlabelled dataset', postJson(server.url, '/api/runs', { ...SHORT_RUN, dataset: 'unsorted' }), 400],
    ['form: not JSON', postJson(server.url, '/api/runs', '{"dataset": "shapes",'), 400],
    ['form: no body', getJson(server.url, '/api/runs', { method: 'POST', headers: { 'content-type': 'application/json' } }), 400],
    ['form: wrong content type', getJson(server.url, '/api/runs', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }), 415],
    ['oversized body', postJson(server.url, '/api/runs', { dataset: 'shapes', pad: 'x'.repeat(200_000) }), 413],
    ['oversized labels', postJson(server.url, '/api/label/unsorted', { labels: { 'img-00.png': 'y'.repeat(70_000) } }, 'PUT'), 413],
    ['unknown route', getJson(server.url, '/api/nothing'), 404],
  ];
  for (const [what, pending, expected] of cases) {
    const r = await pending;
    const status = typeof r === 'number' ? r : r.status;
    assert.equal(
      status,
      expected,
      `${what}: expected ${expected}, got ${status} ${typeof r === 'number' ? '' : JSON.stringify((r as { body?: unknown }).body)}`,
    );
  }
  assert.equal((await getJson(server.url, '/api/health')).status, 200);
  assert.equal((await getJson(server.url, '/api/runs')).status, 200);
});

// How fast it answers while a run trains is a measurement: `npm run bench -- --only latency` reports p50 and p95.
test('while a run trains the runs endpoint keeps answering, and the run can be stopped', async () => {
  const started = await postJson(server.url, '/api/runs', { ...SHORT_RUN, epochs: 20, limit: 2000 });
  assert.equal(started.status, 201);
  const id = String(started.body.id);
  // Wait until batches flow, so the measurement happens during training.
  await readEvents(new URL(`/api/runs/${id}/events`, server.url).href, (e) => e.event === 'batch');
  for (let i = 0; i < 20; i++) {
    const r = await getJson(server.url, '/api/runs');
    assert.equal(r.status, 200);
    const row = (r.body.runs as Record<string, unknown>[]).find((x) => x.id === id);
    assert.equal(row?.status, 'running', 'GET /api/runs lists the training run as running');
  }
  const detail = await getJson(server.url, `/api/runs/${id}`);
  assert.equal(detail.body.status, 'running', 'the run was still training while the endpoint was called');

  const events = readEvents(new URL(`/api/runs/${id}/events`, server.url).href, (e) => e.event === 'status' && e.data.status === 'stopped');
  const stop = await postJson(server.url, `/api/runs/${id}/stop`, {});
  assert.equal(stop.status, 202);
  await events;
  // The summary is written as the child exits.
  for (let i = 0; i < 50; i++) {
    const r = await getJson(server.url, `/api/runs/${id}`);
    if ((r.body.summary as { status?: string } | null)?.status === 'stopped') return;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.fail('the stopped run has no summary with status stopped');
});

test('GET /api/recipe-schema serves the one recipe table (what the form builds itself from)', async () => {
  const r = await getJson(server.url, '/api/recipe-schema');
  assert.equal(r.status, 200);
  const fields = r.body.fields as { name: string; default: unknown; max?: number; choices?: string[] }[];
  assert.deepEqual(
    fields.map((f) => f.name),
    RECIPE_FIELDS.filter((f) => f.api).map((f) => f.name),
  );
  const imageSize = fields.find((f) => f.name === 'imageSize');
  assert.equal(imageSize?.max, MAX_IMAGE_SIZE);
  assert.deepEqual(fields.find((f) => f.name === 'optimizer')?.choices, ['sgd', 'adam', 'adamw', 'rmsprop']);
  assert.deepEqual(r.body.defaultLr, { sgd: 0.05, adam: 2e-3, adamw: 2e-3, rmsprop: 1e-3 });
  assert.ok(!fields.some((f) => f.name === 'data'), 'a filesystem path is not settable over HTTP');
});
