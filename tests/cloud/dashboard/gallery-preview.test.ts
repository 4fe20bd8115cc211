/**
 * The library gallery and the in-browser preview in headless Chromium, against the real cloud
 * (startCloud): every entry of the library release the cloud holds gets a card with its curve
 * and metadata, and the model release's bundle, run by onnxruntime-web's wasm build in the page,
 * gives the numbers onnxruntime-node computed on the cloud.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GalleryData, PreviewData } from '../../../cloud/dashboard/index.js';
import { classicEntries } from '../../../shared/activations/index.js';
import { exportModel, writeBundle } from '../../../shared/export/export.js';
import { makeLibrary } from '../../../shared/library/library.js';
import { loadProfile } from '../../../shared/profiles.js';
import { createRelease } from '../../../shared/release/create.js';
import { encodeReleaseFile } from '../../../shared/release/release-file.js';
import { dataOf, launchBrowser, pageErrors } from '../../helpers/browser.js';
import { entriesOfEveryForm, perturbLogits, tinyModel } from '../../helpers/models.js';
import { TOOLS } from '../../helpers/system-tools.js';
import { getJson, KEYS, startTestCloud, type TestCloud } from './real-cloud.js';

describe.skipIf(TOOLS.chromium())('dashboard gallery and preview in Chromium', () => {
  let app: TestCloud;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    app = await startTestCloud();
    // the library the cloud serves is its last library release's, unpacked by the release service
    const library = makeLibrary([...classicEntries(), ...entriesOfEveryForm()], 3);
    await app.cloud.releases.addRelease(
      encodeReleaseFile(createRelease({ kind: 'library', library, key: KEYS.privateKey })),
    );
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.context().addCookies([await app.viewerCookie()]);
    errors = pageErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('renders one card per library entry, each with its curve, form, provenance, usage and cost', async () => {
    const api = await getJson<GalleryData>(`${app.url}/api/library`, app.viewerToken);
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
    expect(app.cloud.modelBundleDir()).toBeNull();
    // a model release uploaded through the API, as `liquidkan release publish` does
    const bundle = join(app.dir, 'export');
    writeBundle(bundle, exportModel(model, { profile: loadProfile('pi5'), quant: 'fp32' }));
    const file = encodeReleaseFile(createRelease({ kind: 'model', dir: bundle, key: KEYS.privateKey }));
    const login = await fetch(`${app.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: app.token }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const upload = await fetch(`${app.url}/api/releases`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/octet-stream' },
      body: file,
    });
    expect(upload.status).toBe(201);
    expect(app.cloud.modelBundleDir()).not.toBeNull();
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
    const preview = await getJson<PreviewData>(`${app.url}/api/preview`, app.viewerToken);
    if (!preview.available) throw new Error(preview.reason);
    const firstRow = await page.$$eval('#preview-table tbody tr:first-child td', (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(Number(firstRow[2])).toBeCloseTo(preview.sample.expected[0], 5);
    expect(Number(firstRow[1])).toBeCloseTo(preview.sample.expected[0], 4);
    expect(errors).toEqual([]);
  });
});
