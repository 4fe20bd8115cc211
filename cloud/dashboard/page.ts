/**
 * The dashboard's one HTML page: a static shell the browser modules (web/app.js) fill in.
 * Every module is announced with modulepreload and the device list with a preload, so the
 * browser fetches them all at once instead of discovering imports one level at a time (the
 * fleet must be usable within a second). onnxruntime-web is reached through an import map, so
 * the preview loads it only when run and the browser code imports it by its package name (which
 * also lets tsc check that code against the package's own types); likewise the shared audio
 * features' browser bundle, as 'liquidkan-audio'.
 */
import { createHash } from 'node:crypto';
import { ASSET_PREFIX, AUDIO_BUNDLE } from './assets.js';

const IMPORT_MAP = `{"imports":{"onnxruntime-web":"${ASSET_PREFIX.ort}ort.wasm.min.mjs","liquidkan-audio":"${ASSET_PREFIX.audio}${AUDIO_BUNDLE}"}}`;

/**
 * The page's Content-Security-Policy: scripts, styles and data from this origin only (the
 * inline import map by its hash), WebAssembly for the preview's onnxruntime-web, and no framing
 * by any other page (frame-ancestors).
 */
export const PAGE_CSP = [
  "default-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' 'sha256-${createHash('sha256').update(IMPORT_MAP).digest('base64')}'`,
  // the gallery's badges and the rollout bars set widths and colours in style attributes
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The page, given the URLs of the app's modules. */
export function pageHtml(modules: readonly string[]): string {
  const preloads = modules.map((m) => `<link rel="modulepreload" href="${m}">`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>liquidkan · fleet</title>
<link rel="icon" href="data:,">
<link rel="preload" href="/api/devices" as="fetch" crossorigin="anonymous">
${preloads}
<link rel="stylesheet" href="${ASSET_PREFIX.vendor}uPlot.min.css">
<link rel="stylesheet" href="${ASSET_PREFIX.app}style.css">
<script type="importmap">${IMPORT_MAP}</script>
<script defer src="${ASSET_PREFIX.vendor}uPlot.iife.min.js"></script>
<script type="module" src="${ASSET_PREFIX.app}app.js"></script>
</head>
<body>
<header>
  <span class="brand">liquid<b>kan</b></span>
  <nav>
    <a href="#fleet" data-view="fleet">Fleet</a>
    <a href="#library" data-view="library">Library</a>
    <a href="#rollouts" data-view="rollouts">Releases &amp; rollouts</a>
    <a href="#preview" data-view="preview">Preview</a>
  </nav>
  <span id="live" class="live" title="live updates">connecting…</span>
  <form id="login" class="login" autocomplete="off">
    <input id="token" type="password" placeholder="viewer or operator token" aria-label="viewer or operator token">
    <button type="submit">Log in</button>
  </form>
  <span id="operator" class="operator" hidden>operator <button id="logout" type="button">Log out</button></span>
  <span id="login-message" class="message" role="status"></span>
</header>
<main>
  <section id="view-fleet" class="view fleet">
    <div class="fleet-list">
      <div class="toolbar">
        <input id="filter" type="search" placeholder="filter devices…" aria-label="filter devices">
        <select id="state-filter" aria-label="state">
          <option value="">all states</option><option value="online">online</option>
          <option value="offline">offline</option><option value="lost">lost</option>
          <option value="unknown">unknown</option>
        </select>
        <span id="fleet-counts" class="counts"></span>
      </div>
      <div class="table-wrap">
        <table id="fleet-table">
          <thead><tr><th>device</th><th>state</th><th>last seen</th><th>profile</th><th>library</th><th>model</th><th>runtime</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
    </div>
    <div id="device-panel" class="device-panel">
      <h2 id="device-title">Select a device</h2>
      <p id="device-facts" class="facts"></p>
      <div class="charts">
        <figure><figcaption>error (mse)</figcaption><div id="chart-error" class="chart"></div></figure>
        <figure><figcaption>drift statistic</figcaption><div id="chart-drift" class="chart"></div></figure>
        <figure><figcaption>hunger (entropy per layer)</figcaption><div id="chart-hunger" class="chart"></div></figure>
        <figure><figcaption>τ (mean over neurons)</figcaption><div id="chart-tau" class="chart"></div></figure>
        <figure class="wide"><figcaption>step latency (µs)</figcaption><div id="chart-latency" class="chart"></div></figure>
        <figure class="wide"><figcaption id="detections-caption">keyword detections</figcaption><ol id="detections" class="detections"></ol></figure>
      </div>
    </div>
  </section>
  <section id="view-library" class="view" hidden>
    <h2 id="library-title">Activation library</h2>
    <div id="gallery" class="gallery"></div>
  </section>
  <section id="view-rollouts" class="view" hidden>
    <p id="rollout-message" class="message" role="status"></p>
    <h2>Rollouts</h2>
    <div id="rollouts" class="rollouts"></div>
    <h2>Releases</h2>
    <table id="releases"><thead><tr><th>kind</th><th>version</th><th>id (sha256)</th><th>size</th><th>signature</th><th>created</th></tr></thead><tbody></tbody></table>
  </section>
  <section id="view-preview" class="view" hidden>
    <h2>Model preview</h2>
    <p id="preview-info" class="facts"></p>
    <button id="preview-run" type="button" disabled>Run in the browser</button>
    <span id="preview-status" class="message" role="status"></span>
    <div class="table-wrap"><table id="preview-table"><thead></thead><tbody></tbody></table></div>
  </section>
</main>
</body>
</html>
`;
}
