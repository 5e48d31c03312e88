/**
 * The embedding projector in headless Chromium: project the shapes dataset's pixels with t-SNE, see the scatter,
 * hover a point for its image, click it for the members of its k-means cluster, colour by cluster and pick one in the
 * legend. Screenshot: projector.png. Skipped, saying why, without /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Page, shot, skipWithoutChromium as skip, useDashboard } from './browser.ts';

const dash = useDashboard({ width: 1280, height: 1000 });

/** Page coordinates of a drawn point: the first opaque pixel of the scatter canvas, read back from its pixels. */
async function aDrawnPoint(page: Page): Promise<{ x: number; y: number }> {
  const p = await page.locator('[data-testid=scatter]').evaluate((c: HTMLCanvasElement) => {
    const { data, width, height } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    const rect = c.getBoundingClientRect();
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) if (data[(y * width + x) * 4 + 3] > 200) return { x: rect.left + x + 2, y: rect.top + y + 2 };
    return null;
  });
  assert.ok(p, 'the scatter has drawn points');
  return p;
}

test('projector: t-SNE of a dataset, hover shows the image, a click lists its cluster', { skip }, async () => {
  const page = dash.browser.page;
  await page.goto(`${dash.server.url}#/projector`);
  await page.waitForSelector('[data-testid=projector-form]');
  const form = page.locator('[data-testid=projector-form]');
  await form.locator('select[name=source]').selectOption('dataset:shapes');
  const methods = await form.locator('select[name=method] option').allTextContents();
  assert.deepEqual(methods, ['PCA', 'UMAP', 'TSNE']);
  await form.locator('select[name=method]').selectOption('tsne');
  await form.locator('input[name=n]').fill('300');
  await form.locator('input[name=k]').fill('4');
  await page.locator('[data-testid=project]').click();
  await page.waitForSelector('[data-testid=scatter][data-points="300"]', { timeout: 120_000 });
  const info = await page.locator('[data-testid=projection-info]').textContent();
  assert.match(info ?? '', /300 images of shapes .*TSNE in .* k-means k = 4 · clustering accuracy/);

  const point = await aDrawnPoint(page);
  await page.mouse.move(point.x, point.y);
  await page.waitForSelector('[data-testid=hover]');
  assert.match((await page.locator('[data-testid=hover]').textContent()) ?? '', /cluster \d+/);
  assert.equal(await page.locator('[data-testid=hover] .thumb-cell').count(), 1, 'the hover card shows the image');
  await shot(page, 'projector.png');

  await page.mouse.click(point.x, point.y);
  await page.waitForSelector('[data-testid=members]');
  const heading = (await page.locator('[data-testid=members] h2').textContent()) ?? '';
  const size = Number(/(\d+) images/.exec(heading)?.[1]);
  assert.ok(size > 0, heading);
  assert.equal(await page.locator('[data-testid=members] .members > span').count(), size);

  // Coloured by cluster, the legend's counts add up to every point, and a legend button selects that cluster.
  await page.locator('select[name=color-by]').selectOption('cluster');
  const legend = await page.locator('[data-testid=legend] button').allTextContents();
  assert.equal(legend.length, 4);
  assert.equal(
    legend.reduce((s, t) => s + Number(/\((\d+)\)/.exec(t)?.[1]), 0),
    300,
  );
  await page.locator('[data-testid=legend] button').nth(2).click();
  await page.waitForFunction(() => /^Cluster 2:/.test(document.querySelector('[data-testid=members] h2')?.textContent ?? ''));
  await shot(page, 'projector-cluster.png');
});
