/**
 * The model page of a fine-tuned run in headless Chromium (issue 15 item 5: which layers are frozen). Two short runs
 * from the shipped procedural backbone on shapes — the body frozen for the first of two epochs, and frozen for all of
 * them — and for each the page must mark every layer: the pretrained conv and batch-norm layers frozen (then at their
 * discriminative rate), the new head trained every epoch, the input adapter fixed, weightless layers without a mark.
 * The truth per layer is the run's own checkpoint, read through the model API the page uses. Screenshot:
 * model-transfer.png. Skipped, saying why, without /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_WEB_DIST } from '../../src/server/app.ts';
import { getJson, startTestServer, type TestServer } from '../server/helpers.ts';
import { ensureWebBuilt, type HeadlessBrowser, launchBrowser, type Page, shot, skipWithoutChromium as skip } from './browser.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'simmer.js');
let server: TestServer;
let browser: HeadlessBrowser;

before(async () => {
  if (skip) return;
  ensureWebBuilt();
  server = await startTestServer({ webDist: DEFAULT_WEB_DIST });
  browser = await launchBrowser({ width: 1280, height: 1100 });
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await server?.stop();
});

/** A short fine-tuning run into the server's run store; its id. */
function fineTuneRun(epochs: number, freezeEpochs: number): string {
  const args = ['train', 'shapes', '--from', 'pretrained:procedural', '--epochs', String(epochs), '--freeze-epochs', String(freezeEpochs)];
  const r = spawnSync(process.execPath, [BIN, ...args, '--limit', '64', '--batch-size', '32', '--json', '--runs', server.runsRoot], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, SIMMER_THREADS: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).run;
}

interface Row {
  name: string;
  state: string | null;
  training: string;
  params: number;
}

/** The architecture table as the page shows it: each layer's name, its marking and its training text. */
async function openModelPage(page: Page, id: string): Promise<Row[]> {
  await page.goto(`${server.url}#/model/${encodeURIComponent(id)}/0`);
  await page.waitForSelector('[data-testid=architecture] tr[data-layer=head]', { timeout: 60_000 });
  return page.locator('[data-testid=architecture] tr[data-layer]').evaluateAll((trs) =>
    trs.map((tr) => ({
      name: tr.getAttribute('data-layer') ?? '',
      state: tr.getAttribute('data-state'),
      training: tr.querySelector('[data-testid=layer-training]')?.textContent?.trim() ?? '',
      params: Number(tr.querySelectorAll('td')[3]?.textContent?.replace(/,/g, '')),
    })),
  );
}

/** What the model API (the run's checkpoint) says of each layer: part, frozen epochs, rate after unfreezing. */
async function truth(id: string) {
  const r = await getJson(server.url, `/api/runs/${encodeURIComponent(id)}/model`);
  assert.equal(r.status, 200);
  const t = r.body.transfer as { layers: { name: string; part: string; frozenEpochs: number; lrScale: number }[] };
  return new Map(t.layers.map((l) => [l.name, l]));
}

test('model page of a run frozen for 1 of 2 epochs: every pretrained layer marked frozen, the head trains, the adapter is fixed', { skip }, async () => {
  const id = fineTuneRun(2, 1);
  const page = browser.page;
  const rows = await openModelPage(page, id);
  const layers = await truth(id);
  const summary = (await page.locator('[data-testid=transfer]').textContent()) ?? '';
  assert.match(summary, /Fine-tuned from pretrained backbone 'procedural'/);
  assert.match(summary, /frozen \(no gradient, batch-norm statistics fixed\) for the first epoch of 2; only the new head learned then/);
  assert.doesNotMatch(summary, /still frozen/);
  assert.match(summary, /Input: converted RGB to grayscale/);
  const weighted = rows.filter((r) => r.name.startsWith('body.') && r.params > 0);
  assert.deepEqual(
    weighted.map((r) => r.name),
    ['body.0', 'body.1', 'body.4', 'body.5', 'body.8', 'body.9'],
    'the conv and batch-norm layers of the three stages',
  );
  for (const r of weighted) {
    const l = layers.get(r.name)!;
    assert.equal(l.frozenEpochs, 1, r.name);
    assert.equal(r.state, 'frozen', r.name);
    assert.equal(r.training, `frozen epoch 1, then lr ×${l.lrScale.toPrecision(2)} of the head's`, r.name);
  }
  // Earliest layers slowest after unfreezing (discriminative rates): body.0's share is below body.8's.
  assert.ok(layers.get('body.0')!.lrScale < layers.get('body.8')!.lrScale);
  const by = new Map(rows.map((r) => [r.name, r]));
  assert.deepEqual([by.get('head')!.state, by.get('head')!.training], ['trainable', 'trains new head, every epoch']);
  assert.deepEqual([by.get('adapter')!.state, by.get('adapter')!.training], ['fixed', 'fixed (input conversion)']);
  assert.deepEqual([by.get('body')!.state, by.get('body')!.training], ['frozen', 'frozen epoch 1, then each layer below at its own rate']);
  for (const name of ['body.2', 'body.3', 'body.10', 'body.11'])
    assert.deepEqual([by.get(name)!.state, by.get(name)!.training], ['none', '— (no weights)'], name);
  // Every row is marked, and the marks are the visible badges.
  assert.equal(rows.filter((r) => r.state === null).length, 0);
  assert.equal(await page.locator('[data-testid=architecture] .badge.frozen').count(), weighted.length + 1);
  assert.equal(await page.locator('[data-testid=architecture] .badge.trainable').count(), 1);
  await shot(page, 'model-transfer.png');
});

test('model page of a run frozen for all its epochs: the body says frozen throughout and still frozen', { skip }, async () => {
  const id = fineTuneRun(2, 2);
  const page = browser.page;
  const rows = await openModelPage(page, id);
  assert.match(
    (await page.locator('[data-testid=transfer]').textContent()) ?? '',
    /frozen .* for all 2 epochs; only the new head learned then\. The body is still frozen in this checkpoint\./,
  );
  const frozen = rows.filter((r) => r.state === 'frozen');
  assert.deepEqual(
    frozen.map((r) => r.name),
    ['body', 'body.0', 'body.1', 'body.4', 'body.5', 'body.8', 'body.9'],
  );
  for (const r of frozen) assert.equal(r.training, 'frozen all 2 epochs', r.name);
  assert.deepEqual(
    rows.filter((r) => r.state === 'trainable').map((r) => r.name),
    ['head'],
  );
});
