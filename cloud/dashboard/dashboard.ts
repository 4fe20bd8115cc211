/**
 * The dashboard's routes, mounted by the cloud server after its own /api routes:
 *   GET /                      the page (page.ts)
 *   GET /assets/...            its browser modules, uPlot and onnxruntime-web (assets.ts)
 *   GET /api/events            the live feed, server-sent events (live.ts)
 *   GET /api/library           the gallery's data (gallery.ts)
 *   GET /api/preview           the preview's model, sample window and server outputs (preview.ts)
 *   GET /api/preview/model.onnx  the step graph's bytes
 * Everything here only reads; the page and its assets are open, the data behind /api needs a
 * viewer or operator login (auth.ts). The operator actions (rollout cancel and abort) are the
 * fleet API's, which checks the login itself. The page is sent with a Content-Security-Policy
 * (page.ts PAGE_CSP) that also forbids framing it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardDeps, HttpRoute } from '../fleet/http/types.js';
import { ASSET_PREFIX, listAssets, serveAsset } from './assets.js';
import { Gallery } from './gallery.js';
import { CONTENT_TYPES, readOnly, sendError, sendJson } from './http-util.js';
import { LiveFeed, type LiveFeedOptions } from './live.js';
import { PAGE_CSP, pageHtml } from './page.js';
import { PREVIEW_MODEL_PATH, Preview, type PreviewOptions } from './preview.js';

export interface DashboardOptions {
  readonly live?: LiveFeedOptions;
  readonly preview?: PreviewOptions;
  /** One line per failed request. @defaultValue stderr */
  readonly log?: (line: string) => void;
}

export type Dashboard = HttpRoute & {
  /** Ends every live stream. */
  close(): void;
};

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createDashboard(deps: DashboardDeps, options: DashboardOptions = {}): Dashboard {
  const log = options.log ?? ((line: string) => process.stderr.write(`dashboard: ${line}\n`));
  const assets = listAssets();
  const live = new LiveFeed({ events: deps.events, registry: deps.registry }, options.live);
  const gallery = new Gallery(() => deps.libraryDir());
  const preview = new Preview(() => deps.modelBundleDir(), options.preview);
  const modules = [...assets.keys()].filter((k) => k.startsWith(ASSET_PREFIX.app) && k.endsWith('.js'));
  const page = Buffer.from(pageHtml(modules), 'utf8');

  function sendPage(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': CONTENT_TYPES['.html']!,
      'content-length': page.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy': PAGE_CSP,
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    res.end(req.method === 'HEAD' ? undefined : page);
  }

  async function sendPreviewModel(res: ServerResponse): Promise<void> {
    const bytes = preview.modelBytes();
    if (!bytes) return sendError(res, 404, 'no model bundle');
    res.writeHead(200, {
      'content-type': CONTENT_TYPES['.onnx']!,
      'content-length': bytes.length,
      'cache-control': 'no-cache',
    });
    res.end(bytes);
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    const ours =
      path === '/' ||
      path.startsWith('/assets/') ||
      path === '/api/events' ||
      path === '/api/library' ||
      path === '/api/preview' ||
      path === PREVIEW_MODEL_PATH;
    if (!ours) return false;
    if (!readOnly(req.method, res)) return true;
    if (path.startsWith('/api/') && !deps.auth.canRead(req)) {
      sendError(res, 401, 'a viewer or operator login is required');
      return true;
    }
    try {
      if (path === '/') sendPage(req, res);
      else if (path.startsWith('/assets/')) {
        if (!serveAsset(assets, req, res, path)) sendError(res, 404, 'no such asset');
      } else if (path === '/api/events') {
        if (req.method === 'HEAD') {
          res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
          res.end();
        } else if (!live.open(res, url)) sendError(res, 503, `too many live streams (${live.maxStreams})`);
      } else if (path === '/api/library') sendJson(res, 200, gallery.current());
      else if (path === '/api/preview') sendJson(res, 200, await previewData());
      else await sendPreviewModel(res);
    } catch (err) {
      log(`${req.method} ${path} failed: ${message(err)}`);
      if (!res.headersSent) sendError(res, 500, message(err));
      else res.destroy();
    }
    return true;
  }

  async function previewData() {
    try {
      return await preview.data();
    } catch (err) {
      log(`preview: ${message(err)}`);
      return { available: false as const, reason: message(err) };
    }
  }

  return Object.assign(route, { close: () => live.close() });
}
