/**
 * A folder of loose images labelled on the Data page becomes a trainable dataset (issue 12, item 9): while some
 * images have no label it is 'unlabelled' and a run on it is refused with how far the labelling has got; once every
 * image has a label in its `path,label` labels.csv it is listed as labelled, browses by class, and a run started from
 * the form trains on that manifest (split into train and validation like a folder) to the end.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { getJson, postJson, readEvents, startTestServer, type TestServer, writeUnlabelled } from './helpers.ts';

let server: TestServer;
let images: string[] = [];

before(async () => {
  server = await startTestServer();
  // writeUnlabelled draws even-numbered images as bright squares on dark and odd ones the other way round.
  images = await writeUnlabelled(join(server.dataRoot, 'by-hand'), 24);
});

after(async () => {
  await server?.stop();
});

const RUN = { dataset: 'by-hand', model: 'mlp', epochs: 1, batchSize: 8, lr: 0.003, optimizer: 'adam', augment: 'none' };
const labelOf = (i: number) => (i % 2 === 0 ? 'filled' : 'hollow');

async function entryOf(name: string): Promise<Record<string, unknown>> {
  const list = await getJson(server.url, '/api/datasets');
  const entry = (list.body.datasets as Record<string, unknown>[]).find((d) => d.name === name);
  assert.ok(entry, `${name} is listed`);
  return entry;
}

test('a partly labelled folder is listed as unlabelled with its progress, and a run on it is refused saying so', async () => {
  const half = Object.fromEntries(images.slice(0, 12).map((p, i) => [p, labelOf(i)]));
  const put = await postJson(server.url, '/api/label/by-hand', { labels: half }, 'PUT');
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.kind, 'unlabelled');
  const entry = await entryOf('by-hand');
  assert.equal(entry.kind, 'unlabelled');
  assert.equal(entry.images, 24);
  assert.equal(entry.labelled, 12);
  const refused = await postJson(server.url, '/api/runs', RUN);
  assert.equal(refused.status, 400);
  assert.match(String(refused.body.error), /12 of 24 images have a label/);
});

test('with every image labelled the folder is listed as labelled and browses by class from its manifest', async () => {
  const rest = Object.fromEntries(images.slice(12).map((p, i) => [p, labelOf(12 + i)]));
  const put = await postJson(server.url, '/api/label/by-hand', { labels: rest }, 'PUT');
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.kind, 'labelled', 'the last label makes the folder labelled');
  const entry = await entryOf('by-hand');
  assert.equal(entry.kind, 'labelled');
  assert.equal(entry.manifest, join('by-hand', 'labels.csv'));
  assert.doesNotMatch(String(entry.description), /unlabelled|not labelled/);
  const browse = await getJson(server.url, '/api/datasets/by-hand');
  assert.equal(browse.status, 200, JSON.stringify(browse.body));
  assert.deepEqual(browse.body.classes, ['filled', 'hollow']);
  assert.deepEqual(browse.body.counts, [12, 12]);
  const audit = await getJson(server.url, '/api/datasets/by-hand/audit');
  assert.equal(audit.status, 200, JSON.stringify(audit.body));
  assert.match(String(audit.body.text), /filled/);
  // The labels stay editable after the folder counts as labelled.
  const again = await getJson(server.url, '/api/label/by-hand');
  assert.equal(again.status, 200);
  assert.equal(Object.keys(again.body.labels as object).length, 24);
});

test('a run started from the form trains on the labelled folder to the end', async () => {
  const started = await postJson(server.url, '/api/runs', RUN);
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const id = String(started.body.id);
  const events = await readEvents(new URL(`/api/runs/${id}/events`, server.url).href, (e) => e.event === 'status' && e.data.status !== 'stopping');
  assert.equal(events[events.length - 1].data.status, 'finished', JSON.stringify(events[events.length - 1].data));
  const detail = await getJson(server.url, `/api/runs/${id}`);
  assert.equal((detail.body.epochs as unknown[]).length, 1);
  const recipe = (detail.body.config as { recipe: { dataset: string } }).recipe;
  assert.equal(recipe.dataset, join(server.dataRoot, 'by-hand', 'labels.csv'), 'the run trained on the labelling manifest');
});

test('the ten classes of a folder all reach the manifest and the class list (none is dropped)', async () => {
  const names = await writeUnlabelled(join(server.dataRoot, 'ten-classes'), 20);
  const classes = Array.from({ length: 10 }, (_, k) => `class-${k}`);
  const put = await postJson(server.url, '/api/label/ten-classes', { labels: Object.fromEntries(names.map((p, i) => [p, classes[i % 10]])) }, 'PUT');
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.kind, 'labelled');
  const browse = await getJson(server.url, '/api/datasets/ten-classes');
  assert.deepEqual(browse.body.classes, classes);
  assert.deepEqual(browse.body.counts, Array(10).fill(2));
});
