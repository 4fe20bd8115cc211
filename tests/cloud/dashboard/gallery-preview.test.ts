/**
 * The library gallery and the in-browser preview in headless Chromium, against the stand-in API
 * (stand-in.ts): every library entry gets a card with its curve and metadata, and the current
 * model run by onnxruntime-web's wasm build in the page gives onnxruntime-node's numbers.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GalleryData, PreviewData } from '../../../cloud/dashboard/index.js';
import { classicEntries } from '../../../shared/activations/index.js';
import { exportModel, writeBundle } from '../../../shared/export/export.js';
import { makeLibrary, saveLibrary } from '../../../shared/library/library.js';
import { loadProfile } from '../../../shared/profiles.js';
import { dataOf, HAS_CHROMIUM, launchBrowser, pageErrors } from '../../helpers/browser.js';
import { entriesOfEveryForm, perturbLogits, tinyModel } from '../../helpers/models.js';
import { getJson, type StandIn, startStandIn } from './stand-in.js';

describe.skipIf(!HAS_CHROMIUM)('dashboard gallery and preview in Chromium', () => {
  let app: StandIn;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const dirs: { library: string | null; bundle: string | null } = { library: null, bundle: null };

  beforeAll(async () => {
    app = await startStandIn({
      libraryDir: () => dirs.library,
      bundleDir: () => dirs.bundle,
      dashboard: { log: () => {} },
    });
    dirs.library = join(app.dir, 'library');
    mkdirSync(dirs.library);
    saveLibrary(dirs.library, makeLibrary([...classicEntries(), ...entriesOfEveryForm()], 3));
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = pageErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('renders one card per library entry, each with its curve, form, provenance, usage and cost', async () => {
    const api = await getJson<GalleryData>(`${app.url}/api/library`);
    await page.goto(`${app.url}/#library`);
    await page.waitForSelector('#gallery[data-entries]');
    const cards = page.locator('#gallery article.entry');
    expect(await cards.count()).toBe(api.entries.length);
    expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(
      api.entries.map((e: { id: string }) => e.id),
    );
    // every curve is drawn: one path with a point per sample (151), tails shaded
    const paths = await page.$$eval('#gallery svg.curve path', (ps) =>
      ps.map((p) => (p.getAttribute('d') ?? '').split(/[ML]/).filter(Boolean).length),
    );
    expect(paths).toEqual(api.entries.map(() => 151));
    expect(await page.locator('#gallery svg.curve rect.tail').count()).toBe(2 * api.entries.length);
    const chebId = api.entries.find((e) => e.name === 'cheb_j0')!.id;
    const cheb = page.locator(`#gallery article.entry[data-id="${chebId}"]`);
    const text = await cheb.textContent();
    expect(text).toContain('cheb_j0');
    expect(text).toMatch(/Chebyshev degree \d+ · tail constant/);
    expect(text).toContain('from' + 'user');
    expect(text).toMatch(/usage0/);
    expect(text).toMatch(/cost\d+ ops\/elt/);
    expect(await page.textContent('#library-title')).toContain(`library v3 · ${api.entries.length} entries`);
    expect(errors).toEqual([]);
  });

  it('runs the current model in the browser with onnxruntime-web and matches onnxruntime-node within 1e-4', async () => {
    const model = tinyModel({ hidden: 8, liquidLayers: 2 });
    perturbLogits(model, 3);
    dirs.bundle = join(app.dir, 'bundle');
    writeBundle(dirs.bundle, exportModel(model, { profile: loadProfile('pi5'), quant: 'fp32' }));
    await page.goto(`${app.url}/#preview`);
    await page.waitForSelector('#preview-run:not([disabled])', { timeout: 20_000 });
    expect(await page.textContent('#preview-info')).toContain('reference: onnxruntime-node on the server');
    await page.click('#preview-run');
    await page.waitForSelector('#preview-status[data-max-delta]', { timeout: 30_000 });
    const status = await page.textContent('#preview-status');
    const maxDelta = Number(await dataOf(page, '#preview-status', 'max-delta'));
    console.log(`preview: ${status}`);
    expect(Number.isFinite(maxDelta)).toBe(true);
    expect(maxDelta).toBeLessThanOrEqual(1e-4);
    expect(status).toMatch(/onnxruntime-web \(wasm\) vs onnxruntime-node: max \|Δ\| = /);
    // the numbers shown are the server's and the browser's, side by side
    const preview = await getJson<PreviewData>(`${app.url}/api/preview`);
    if (!preview.available) throw new Error(preview.reason);
    const firstRow = await page.$$eval('#preview-table tbody tr:first-child td', (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(Number(firstRow[2])).toBeCloseTo(preview.sample.expected[0], 5);
    expect(Number(firstRow[1])).toBeCloseTo(preview.sample.expected[0], 4);
    expect(errors).toEqual([]);
  });
});
