/**
 * Headless Chromium for browser tests: playwright-core drives the distribution's own build
 * (Debian's /usr/bin/chromium, which CI installs), so no browser is downloaded. Suites skip
 * with a named reason, describe.skipIf(TOOLS.chromium()), where it is missing
 * (helpers/system-tools.ts).
 */
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['LIQUIDKAN_CHROMIUM'] ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--disable-gpu',
      '--disable-extensions',
      '--mute-audio',
    ],
  });
}

/**
 * Collects the page's console errors and uncaught exceptions, for assertions and failure
 * messages. `expected` drops console lines a test provokes on purpose (e.g. a refused request).
 */
export function pageErrors(page: Page, expected: readonly RegExp[] = []): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && !expected.some((re) => re.test(text))) errors.push(`console: ${text}`);
  });
  return errors;
}

/** A data-* attribute of the first element matching `selector` (null when absent). */
export function dataOf(page: Page, selector: string, name: string): Promise<string | null> {
  return page.locator(selector).first().getAttribute(`data-${name}`);
}
