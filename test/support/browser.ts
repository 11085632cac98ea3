/**
 * Test support: Debian's chromium driven by playwright-core (never a downloaded browser), and a
 * signed-in page of the platform's web app.
 */
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Debian's package (listed in .ci/apt-packages); CHROMIUM_PATH overrides it. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
}

export interface SignedInPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and failed requests the page reported. */
  readonly problems: string[];
}

/** Opens `/` in a fresh context, signs in through the form, and waits for the map to be drawn. */
export async function signIn(
  browser: Browser,
  baseUrl: string,
  username: string,
  password: string,
  viewport = { width: 1600, height: 900 },
  prepare?: (context: BrowserContext) => Promise<void>,
): Promise<SignedInPage> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  // A loaded machine (parallel test files, software WebGL) loads the page slowly: wait longer than playwright's 30 s.
  context.setDefaultTimeout(90_000);
  context.setDefaultNavigationTimeout(90_000);
  await prepare?.(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${baseUrl}/`);
  await page.getByTestId('sign-in').waitFor();
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('form[data-testid="sign-in"] button[type="submit"]').click();
  await page.getByTestId('map').waitFor();
  await page.waitForFunction(() => (globalThis as unknown as { shanshui?: unknown }).shanshui !== undefined, undefined, { timeout: 90_000 });
  await page.evaluate(() => (globalThis as unknown as { shanshui: { ready(): Promise<void> } }).shanshui.ready());
  return { context, page, problems };
}
