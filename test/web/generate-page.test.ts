/**
 * The Generate page in headless Chromium on two real (tiny) runs: pick the DDPM run, a class, a seed, the steps and a
 * guidance scale, press Generate, and watch the denoising trajectory arrive as a filmstrip (x_t and x̂_0 per frame)
 * with the progress bar, then the samples; switch to the VAE run and see its interpolation strip and latent map.
 * A text-to-image run takes a prompt and a negative prompt and shows one attention map per word of the prompt.
 * Screenshots: generate.png (DDPM), generate-vae.png and generate-text.png. Skipped, saying why, without /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTraining } from '../../src/runs/run.ts';
import { type GenerativeRuns, trainGenerativeRuns } from '../server/generative-runs.ts';
import { fillInputs, shot, skipWithoutChromium as skip, useDashboard } from './browser.ts';

let runs: GenerativeRuns;
let text2img: string;

const dash = useDashboard({ width: 1280, height: 1100 }, async ({ server }) => {
  runs = await trainGenerativeRuns(server.runsRoot);
  const t = await runTraining(
    { dataset: 'shapes', model: 'text2img', epochs: 1, limit: 32, batchSize: 32, imageSize: 16, seed: 3 },
    { root: server.runsRoot, quiet: true, progress: false },
  );
  text2img = t.run.id;
});

test('generate: a DDPM run samples a class with a seed and guidance, the trajectory arrives as a filmstrip', { skip }, async () => {
  const page = dash.browser.page;
  await page.goto(`${dash.server.url}#/generate`);
  // The page opens the first ready run; both are in the picker.
  await page.waitForSelector('[data-testid=gen-run]');
  const options = await page.locator('[data-testid=gen-run] option').allTextContents();
  assert.ok(options.some((o) => o.includes('ddpm-small')) && options.some((o) => o.includes('vae-cond')), options.join(' / '));
  await page.locator('[data-testid=gen-run]').selectOption(runs.ddpm);
  const sampler = page.locator('[data-testid=sampler]');
  await sampler.waitFor();
  await sampler.locator('select[name=class]').selectOption('2'); // triangle
  await fillInputs(sampler, { n: '4', seed: '7', steps: '12', guidance: '3' });
  await page.locator('[data-testid=generate]').click();
  await page.waitForSelector('[data-testid=samples] figure', { timeout: 60_000 });
  assert.equal(await page.locator('[data-testid=samples] figure').count(), 4);
  assert.deepEqual([...new Set(await page.locator('[data-testid=samples] figcaption').allTextContents())], ['triangle']);
  assert.match((await page.locator('[data-testid=progress]').textContent()) ?? '', /step 12\/12/);
  // The filmstrip: evenly spaced frames up to the last step, each with x_t above x̂_0.
  const frames = page.locator('[data-testid=filmstrip] [data-testid=frame]');
  const count = await frames.count();
  assert.ok(count >= 6 && count <= 12, `${count} frames`);
  assert.equal(await page.locator('[data-testid=frame-xt]').count(), count);
  assert.equal(await page.locator('[data-testid=frame-x0]').count(), count);
  assert.equal((await frames.last().locator('figcaption').textContent())?.trim(), '12');
  // Every frame image decoded (a broken data URL has naturalWidth 0).
  const widths = await page.locator('[data-testid=filmstrip] img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
  assert.ok(
    widths.every((w) => w > 0),
    `decoded widths ${widths.join(',')}`,
  );
  // The per-epoch grid of training is beside it.
  await page.waitForSelector('[data-testid=epoch-grid]');
  await shot(page, 'generate.png', true);
});

test('generate: a VAE run shows its interpolation strip and latent map', { skip }, async () => {
  const page = dash.browser.page;
  await page.goto(`${dash.server.url}#/generate/${encodeURIComponent(runs.vae)}`);
  await page.waitForSelector('[data-testid=interpolation]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=latent-map]', { timeout: 60_000 });
  const first = await page.locator('[data-testid=interpolation]').getAttribute('src');
  await page.locator('[data-testid=latent] input').last().fill('5'); // "to seed"
  await page.locator('[data-testid=latent] input').last().press('Enter');
  await page.waitForFunction((src) => document.querySelector('[data-testid=interpolation]')?.getAttribute('src') !== src, first, { timeout: 30_000 });
  // A VAE samples in one step: no filmstrip, the samples at once.
  await page.locator('[data-testid=generate]').click();
  await page.waitForSelector('[data-testid=samples] figure', { timeout: 30_000 });
  assert.equal(await page.locator('[data-testid=filmstrip]').count(), 0);
  await shot(page, 'generate-vae.png', true);
});

test('generate: a text2img run takes a prompt and a negative prompt and shows one attention map per word', { skip }, async () => {
  const page = dash.browser.page;
  await page.goto(`${dash.server.url}#/generate/${encodeURIComponent(text2img)}`);
  const sampler = page.locator('[data-testid=sampler]');
  await sampler.locator('input[name=prompt]').waitFor();
  assert.equal(await sampler.locator('select[name=class]').count(), 0, 'a prompt, not a class');
  await fillInputs(sampler, { prompt: 'a red circle above a blue square', negative: 'a gray background', n: '4', steps: '6', guidance: '3' });
  await page.locator('[data-testid=generate]').click();
  await page.waitForSelector('[data-testid=attention] [data-testid=attention-map]', { timeout: 60_000 });
  assert.equal(await page.locator('[data-testid=samples] figure').count(), 4);
  // <start> and the 7 words, each with its share of attention; the shares add up to about 100%.
  const captions = await page.locator('[data-testid=attention-map] figcaption').allTextContents();
  assert.deepEqual(
    captions.map((c) => c.split(' · ')[0].trim()),
    ['<start>', 'a', 'red', 'circle', 'above', 'a', 'blue', 'square'],
  );
  const total = captions.reduce((a, c) => a + Number(/(\d+)%/.exec(c)?.[1] ?? 'NaN'), 0);
  assert.ok(total >= 96 && total <= 104, `shares add up to ${total}%`);
  const widths = await page.locator('[data-testid=attention] img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
  assert.ok(widths.length === 9 && widths.every((w) => w > 0), `decoded widths ${widths.join(',')}`);
  await shot(page, 'generate-text.png', true);
  // A word the model never saw: the error names it.
  await sampler.locator('input[name=prompt]').fill('a pink circle');
  await page.locator('[data-testid=generate]').click();
  await page.waitForSelector('[data-testid=sampler] .error', { timeout: 30_000 });
  assert.match((await page.locator('[data-testid=sampler] .error').textContent()) ?? '', /never saw the word 'pink'/);
});
