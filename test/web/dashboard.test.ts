/**
 * The dashboard in a real browser (playwright-core driving Debian's chromium, headless): every page opens, a short
 * shapes run started from the form draws its curve live, the confusion matrix and Grad-CAM open, three images get
 * labelled by keyboard. Screenshots go to docs/screenshots/ for the README.
 * Skipped, saying why, when /usr/bin/chromium is not installed (`apt-get install chromium`); fails instead under
 * SIMMER_REQUIRE_CHROMIUM=1 (CI).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeUnlabelled } from '../server/helpers.ts';
import { fillInputs, type Page, shot as saveShot, skipWithoutChromium as skip, useDashboard } from './browser.ts';

let page: Page;
let runId = '';

const dash = useDashboard(undefined, (d) => {
  page = d.browser.page;
});

async function shot(name: string): Promise<void> {
  await saveShot(page, name);
}

test('runs: start a short shapes run from the form and watch the curve update live', { skip }, async () => {
  await page.goto(dash.server.url);
  await page.waitForSelector('[data-testid=new-run]');
  const form = page.locator('[data-testid=new-run]');
  await form.locator('select[name=model]').selectOption('cnn-small');
  await fillInputs(form, { epochs: '3', batchSize: '32', lr: '0.001', limit: '1500' });
  await form.locator('button[type=submit]').click();
  await page.waitForURL(/#\/runs\/.+/);
  runId = decodeURIComponent(page.url().split('#/runs/')[1]);
  // Live: the loss chart gains points while the run trains.
  const points = () => page.locator('[data-testid=loss-chart]').getAttribute('data-points').then(Number);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=loss-chart]')?.getAttribute('data-points')) > 2, null, { timeout: 60_000 });
  const early = await points();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=loss-chart]')?.getAttribute('data-points')) > n, early, { timeout: 60_000 });
  assert.ok((await points()) > early, 'the curve grew without a reload');
  await page.waitForSelector('.badge.finished', { timeout: 90_000 });
  await shot('run.png');
  // A reload shows the same run with its whole curve.
  await page.reload();
  await page.waitForSelector('.badge.finished');
  assert.ok((await points()) >= 3);
  assert.equal(await page.locator('.epochs tbody tr').count(), 3);
  await page.goto(`${dash.server.url}#/runs`);
  await page.waitForSelector('[data-testid=runs-table] tbody tr');
  await page.locator('[data-testid=runs-table] input[type=checkbox]').first().check();
  await page.waitForSelector('[data-testid=compare] .chart canvas');
  await shot('runs.png');
});

test('evaluation: the confusion matrix opens and a cell shows its images', { skip }, async () => {
  await page.goto(`${dash.server.url}#/eval/${encodeURIComponent(runId)}`);
  await page.waitForSelector('[data-testid=confusion]', { timeout: 60_000 });
  const cell = page.locator('[data-testid=confusion] button:not([disabled])').first();
  const count = Number(await cell.textContent());
  await cell.click();
  await page.waitForSelector('[data-testid=cell-images] img');
  assert.equal(await page.locator('[data-testid=cell-images] img').count(), Math.min(60, count));
  await shot('evaluation.png');
});

test('inside the model: architecture, filters, feature maps, saliency and Grad-CAM', { skip }, async () => {
  await page.goto(`${dash.server.url}#/model/${encodeURIComponent(runId)}/4`);
  await page.waitForSelector('[data-testid=gradcam] img', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=architecture]');
  assert.equal(await page.locator('[data-testid=feature-map]').count(), 2);
  assert.equal(await page.locator('[data-testid=filters] img').count(), 32);
  await shot('model.png');
});

test('data: browse by class, preview augmentation, and label three images by keyboard', { skip }, async () => {
  await page.goto(`${dash.server.url}#/data/shapes`);
  await page.waitForSelector('[data-testid=browse] img');
  await page.locator('[data-testid=browse] button').nth(2).click();
  await page.waitForSelector('[data-testid=augment] img');
  await shot('data.png');
  await page.goto(`${dash.server.url}#/data/unsorted`);
  await page.waitForSelector('[data-testid=labeller] img.big');
  await page.locator('input[name=classes]').fill('filled,hollow');
  await page.locator('input[name=classes]').press('Tab');
  await page.locator('h1').click();
  for (const key of ['1', '2', '1']) {
    await page.keyboard.press(key);
    await page.waitForTimeout(150);
  }
  await page.waitForFunction(() => document.querySelectorAll('.thumb-button.done').length === 3);
  const csv = readFileSync(join(dash.server.dataRoot, 'unsorted', 'labels.csv'), 'utf8');
  assert.equal(csv, 'path,label\nimg-00.png,filled\nimg-01.png,hollow\nimg-02.png,filled\n');
  await shot('labelling.png');
});

test('data: more than nine classes label by the keys 1–9 and 0, a click and the typed filter; a fully labelled folder browses by class', { skip }, async () => {
  const names = await writeUnlabelled(join(dash.server.dataRoot, 'many-classes'), 4);
  const classes = Array.from({ length: 11 }, (_, k) => `c${k}`);
  await page.goto(`${dash.server.url}#/data/many-classes`);
  await page.waitForSelector('[data-testid=labeller] img.big');
  await page.locator('input[name=classes]').fill(classes.join(','));
  await page.locator('h1').click();
  assert.equal(await page.locator('[data-testid=class-list] li').count(), 11, 'every class is listed, none dropped');
  const progress = (n: number) => page.waitForFunction((k) => document.querySelector('[data-testid=label-progress]')?.textContent?.startsWith(`${k}/`), n);
  await page.keyboard.press('0'); // the tenth class
  await progress(1);
  await page.locator('[data-testid=class-list] button', { hasText: 'c3' }).click();
  await progress(2);
  await page.locator('input[name=class-filter]').fill('c10'); // the eleventh has no key: typed, Enter assigns it
  await page.locator('input[name=class-filter]').press('Enter');
  await progress(3);
  await page.locator('h1').click();
  await page.keyboard.press('9');
  await progress(4);
  const csv = readFileSync(join(dash.server.dataRoot, 'many-classes', 'labels.csv'), 'utf8');
  assert.equal(csv, `path,label\n${names[0]},c9\n${names[1]},c3\n${names[2]},c10\n${names[3]},c8\n`);
  await page.waitForSelector('[data-testid=labelled-all]');
  await page.locator('[data-testid=labelled-all] button').click();
  await page.waitForSelector('[data-testid=browse] img');
  assert.deepEqual(await page.locator('[data-testid=browse] h3').allTextContents(), ['c10 (1)', 'c3 (1)', 'c8 (1)', 'c9 (1)']);
  await page.waitForSelector('[data-testid=edit-labels]');
  // The Runs page's form offers it for training now.
  await page.goto(`${dash.server.url}#/runs`);
  await page.waitForSelector('[data-testid=new-run]');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=new-run] option')].some((o) => o.textContent === 'many-classes'));
});

test('learn: gradient descent steps down the loss surface', { skip }, async () => {
  await page.goto(`${dash.server.url}#/learn`);
  await page.waitForSelector('[data-testid=surface]');
  const before = Number(await page.locator('[data-testid=loss]').textContent());
  await page.locator('[data-testid=optimizer]').selectOption('momentum');
  for (let i = 0; i < 25; i++) await page.locator('[data-testid=step]').click();
  const afterLoss = Number(await page.locator('[data-testid=loss]').textContent());
  assert.ok(afterLoss < before, `loss ${before} → ${afterLoss}`);
  await shot('learn.png');
});

test('rl: a CLI-style run shows its reward curve and an animated replay; a run started from the page updates live and stops', { skip }, async () => {
  const { trainRlRun } = await import('../../src/runs/rl-runs.ts');
  // A finished run in the store, as `simmer rl cartpole --algo ppo --steps 4096` writes it.
  const done = await trainRlRun(dash.server.runsRoot, { env: 'cartpole', algo: 'ppo', seed: 1, steps: 4096 });
  const evaluations = done.result.evaluations.length;
  await page.goto(`${dash.server.url}#/rl/${encodeURIComponent(done.run.id)}`);
  await page.waitForSelector('[data-testid=replay][data-loaded=yes]', { timeout: 60_000 });
  const chart = page.locator('[data-testid=reward-chart]');
  // One x value per iteration (8 PPO rollouts of 512 steps); the evaluations share their steps.
  assert.equal(Number(await chart.getAttribute('data-points')), 8);
  assert.ok(evaluations >= 1);
  const replay = page.locator('[data-testid=replay]');
  const frames = Number(await replay.getAttribute('data-frames'));
  assert.ok(frames >= 2, `the replay has ${frames} frames`);
  // The replay animates: the shown frame advances without any click.
  const f0 = Number(await replay.getAttribute('data-frame'));
  await page.waitForFunction((f) => Number(document.querySelector('[data-testid=replay]')?.getAttribute('data-frame')) !== f, f0, { timeout: 10_000 });
  const shown = await replay.locator('p.muted').textContent();
  assert.match(shown ?? '', /last\.safetensors/, 'the replay plays the current policy (the last checkpoint)');
  await shot('rl.png');

  // A run started from the form: a gridworld DQN (no "solved" stop) whose curve grows while the page watches.
  await page.goto(`${dash.server.url}#/rl`);
  const form = page.locator('[data-testid=rl-start]');
  await form.locator('select').nth(0).selectOption('gridworld');
  await form.locator('select').nth(1).selectOption('dqn');
  await form.locator('input').nth(1).fill('200000');
  await form.locator('button.primary').click();
  await page.waitForURL((u) => u.hash.startsWith('#/rl/') && !u.hash.endsWith(encodeURIComponent(done.run.id)), { timeout: 120_000 });
  const points = () => page.locator('[data-testid=reward-chart]').getAttribute('data-points').then(Number);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=reward-chart]')?.getAttribute('data-points')) >= 2, null, { timeout: 120_000 });
  const early = await points();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=reward-chart]')?.getAttribute('data-points')) > n, early, { timeout: 60_000 });
  assert.ok((await points()) > early, 'the reward curve grew without a reload');
  await page.waitForSelector('[data-testid=replay][data-loaded=yes]', { timeout: 60_000 });
  await shot('rl-live.png');
  await page.locator('h2 button', { hasText: 'Stop' }).click();
  await page.waitForSelector('h2 .badge.stopped', { timeout: 60_000 });
  const live = decodeURIComponent(page.url().split('#/rl/')[1]);
  const summary = JSON.parse(readFileSync(join(dash.server.runsRoot, live, 'summary.json'), 'utf8'));
  assert.equal(summary.status, 'stopped');
  assert.ok(summary.envSteps < 200_000, 'stopped before its budget');
});
