/**
 * Headless Chromium for the dashboard's browser tests: playwright-core driving Debian's /usr/bin/chromium with a
 * throwaway profile, and screenshots saved as palette PNGs — to docs/screenshots/ for the README when
 * SIMMER_UPDATE_SCREENSHOTS=1, otherwise to build/screenshots/ for a look (a test run leaves the tree clean).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { DEFAULT_WEB_DIST } from '../../src/server/app.ts';
import { skipUnless } from '../helpers/requirements.ts';
import { startTestServer, type TestServer } from '../server/helpers.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = process.env.SIMMER_UPDATE_SCREENSHOTS
  ? new URL('../../docs/screenshots/', import.meta.url)
  : new URL('../../build/screenshots/', import.meta.url);
/** The skip reason of a browser test (false when Chromium is there). */
export const skipWithoutChromium = skipUnless('chromium', existsSync(CHROMIUM), `${CHROMIUM} is missing`);

export type Page = import('playwright-core').Page;
export type Locator = import('playwright-core').Locator;

/** Types each value into the form's `input[name=…]` of that name, in the order given. */
export async function fillInputs(form: Locator, values: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(values)) await form.locator(`input[name=${name}]`).fill(value);
}

export interface HeadlessBrowser {
  page: Page;
  close(): Promise<void>;
}

/** Builds web/dist when it is missing (the server serves it). */
export function ensureWebBuilt(): void {
  if (existsSync(join(DEFAULT_WEB_DIST, 'index.html'))) return;
  const built = spawnSync('npm', ['run', 'build:web'], { stdio: 'inherit' });
  assert.equal(built.status, 0, 'npm run build:web failed');
}

export interface Dashboard {
  server: TestServer;
  browser: HeadlessBrowser;
}

/**
 * Registers a test file's before/after: a test server on the built front end and a headless Chromium (then `setup`,
 * which may fill the run store), stopped after the file's tests; nothing at all when Chromium is missing. The returned
 * object is filled in by the before hook.
 */
export function useDashboard(viewport?: { width: number; height: number }, setup?: (dash: Dashboard) => Promise<void> | void): Dashboard {
  const dash = {} as Dashboard;
  before(async () => {
    if (skipWithoutChromium) return;
    ensureWebBuilt();
    dash.server = await startTestServer({ webDist: DEFAULT_WEB_DIST });
    dash.browser = await launchBrowser(viewport);
    await setup?.(dash);
  });
  after(async () => {
    if (skipWithoutChromium) return;
    await dash.browser?.close();
    await dash.server?.stop();
  });
  return dash;
}

export async function launchBrowser(viewport = { width: 1280, height: 860 }): Promise<HeadlessBrowser> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'simmer-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport,
    deviceScaleFactor: 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => process.stderr.write(`# page error: ${e.message}\n`));
  return {
    page,
    async close() {
      await context.close();
      await context
        .browser()
        ?.close()
        .catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot of the page as a palette PNG (a third of the size, indistinguishable for flat UI colours). */
export async function shot(page: Page, name: string, fullPage = false): Promise<string> {
  const png = await page.screenshot({ fullPage });
  mkdirSync(SHOTS.pathname, { recursive: true });
  const path = new URL(name, SHOTS).pathname;
  await sharp(png).png({ palette: true, quality: 90, compressionLevel: 9 }).toFile(path);
  return path;
}
