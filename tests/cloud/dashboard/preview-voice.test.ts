/**
 * The in-browser preview of a voice model in headless Chromium, against the real cloud: the page
 * computes the clip features from the raw samples with the shared clip code (bundled for the
 * browser by scripts/web-bundle.mjs), they equal the server's, and the model fed with them by
 * onnxruntime-web gives the outputs onnxruntime-node computed on the server.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PreviewData, syntheticWordPcm } from '../../../cloud/dashboard/preview.js';
import { TRAINING_FILE, trainingRecordJson } from '../../../cloud/train/training-record.js';
// @ts-expect-error plain ESM build script without type declarations
import { buildWebAudio } from '../../../scripts/web-bundle.mjs';
import { clipFeatures, clipShape, VOICE_CLIP } from '../../../shared/audio/clip.js';
import { exportModel, writeBundle } from '../../../shared/export/export.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { loadProfile } from '../../../shared/profiles.js';
import { createRelease } from '../../../shared/release/create.js';
import { encodeReleaseFile } from '../../../shared/release/release-file.js';
import { dataOf, launchBrowser, pageErrors } from '../../helpers/browser.js';
import { TOOLS } from '../../helpers/system-tools.js';
import { getJson, KEYS, startTestCloud, type TestCloud } from './real-cloud.js';

const CLASSES = ['yes', 'no', 'up', 'down', 'other'];

describe.skipIf(TOOLS.chromium())('dashboard preview of a voice model in Chromium', () => {
  let app: TestCloud;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    // the dashboard lists its assets when it starts, so the bundle must exist before
    await (buildWebAudio as () => Promise<string>)();
    app = await startTestCloud();
    const { dim } = clipShape(VOICE_CLIP);
    const model = initModel({
      library: classicLibrary(),
      inputs: dim,
      hidden: 8,
      outputs: CLASSES.length,
      seed: 3,
      liquidLayers: 1,
    });
    const bundle = join(app.dir, 'voice-export');
    mkdirSync(bundle, { recursive: true });
    writeBundle(bundle, exportModel(model, { profile: loadProfile('pi5'), quant: 'fp32' }));
    const record = trainingRecordJson({
      task: 'classify',
      data: 'voice',
      classes: CLASSES,
      keywords: CLASSES.slice(0, 4),
      perClass: 4,
      seed: 0,
      testAccuracy: 0.5,
    });
    writeFileSync(join(bundle, TRAINING_FILE), record);
    await app.cloud.releases.addRelease(
      encodeReleaseFile(createRelease({ kind: 'model', dir: bundle, key: KEYS.privateKey })),
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

  it('sends one audio clip whose server features are the shared clip features of its samples', async () => {
    const preview = await getJson<PreviewData>(`${app.url}/api/preview`, app.viewerToken);
    if (!preview.available) throw new Error(preview.reason);
    const { samples, steps, dim } = clipShape(VOICE_CLIP);
    const audio = preview.sample.audio!;
    expect(audio.sampleRate).toBe(16_000);
    expect(audio.pcm).toEqual(Array.from(syntheticWordPcm(16_000, samples, 7)));
    const features = clipFeatures(
      Float64Array.from(audio.pcm, (v) => v / 32768),
      VOICE_CLIP,
    );
    expect(audio.features).toEqual(Array.from(features));
    // the window fed to the model is one clip: a row of features per step
    expect(preview.sample.steps).toBe(steps);
    expect(preview.sample.x).toEqual(Array.from(Float32Array.from(features)));
    // a clip with a word in it: the features are not the all-zero ones of silence
    expect(Math.max(...features.map(Math.abs))).toBeGreaterThan(1);
    expect(features.length).toBe(steps * dim);
  });

  it('computes the clip features in the browser equal to the server’s and runs the model on them', async () => {
    await page.goto(`${app.url}/#preview`);
    await page.waitForSelector('#preview-run:not([disabled])', { timeout: 20_000 });
    expect(await page.textContent('#preview-info')).toMatch(
      /voice: features of a 16000-sample clip at 16000 Hz/,
    );
    await page.click('#preview-run');
    await page.waitForSelector('#preview-status[data-max-delta]', { timeout: 30_000 });
    const status = await page.textContent('#preview-status');
    console.log(`voice preview: ${status}`);
    const featureDelta = Number(await dataOf(page, '#preview-status', 'feature-max-delta'));
    const maxDelta = Number(await dataOf(page, '#preview-status', 'max-delta'));
    // float64 on both sides; only the two engines' Math.log/cos may differ in the last bits
    expect(Number.isFinite(featureDelta)).toBe(true);
    expect(featureDelta).toBeLessThanOrEqual(1e-9);
    expect(Number.isFinite(maxDelta)).toBe(true);
    expect(maxDelta).toBeLessThanOrEqual(1e-4);
    expect(status).toMatch(/clip features \(browser vs server\): max \|Δ\| = .* over 640 values/);
    expect(errors).toEqual([]);
  });
});
