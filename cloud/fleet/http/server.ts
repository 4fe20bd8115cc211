/**
 * The cloud's HTTP server (node:http): tries its routes in order (types.ts HttpRoute: the fleet
 * API first, then the dashboard), answers 404 when none takes the request, and turns whatever a
 * route throws into a JSON error (respond.ts) so a bad request never takes the server down.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorStatus, sendJson } from './respond.js';
import type { HttpRoute } from './types.js';

export interface HttpServerOptions {
  /** Interface to listen on. @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** TCP port; 0 lets the OS choose. @defaultValue 8080 */
  readonly port?: number;
  readonly routes: readonly HttpRoute[];
  /** One line per failed request. @defaultValue stderr */
  readonly log?: (line: string) => void;
}

export const HTTP_DEFAULTS = Object.freeze({ host: '127.0.0.1', port: 8080 });

export interface CloudHttpServer {
  readonly server: Server;
  readonly port: number;
  /** e.g. http://127.0.0.1:8080 (loopback when listening on every interface). */
  readonly url: string;
  /** Stops listening and closes every connection, including long-lived event streams. */
  close(): Promise<void>;
}

/** A URL a local client can use for a listening address. */
export function localUrl(scheme: 'http' | 'mqtt', host: string, port: number): string {
  const h =
    host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${h}:${port}`;
}

export async function startHttpServer(options: HttpServerOptions): Promise<CloudHttpServer> {
  const o = { ...HTTP_DEFAULTS, ...options };
  const log = options.log ?? ((line: string) => process.stderr.write(`http: ${line}\n`));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendJson(res, 400, { error: 'malformed request URL' });
      return;
    }
    try {
      for (const route of o.routes) if (await route(req, res, url)) return;
      sendJson(res, 404, { error: `nothing at ${req.method} ${url.pathname}` });
    } catch (err) {
      const { status, message } = errorStatus(err);
      if (status >= 500) log(`${req.method} ${url.pathname}: ${(err as Error)?.stack ?? String(err)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // An unread (e.g. oversized) body must not be drained or parsed as the next request.
      sendJson(res, status, { error: message }, req.complete ? {} : { connection: 'close' });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      log(`request failed: ${(err as Error).message}`);
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('clientError', (err, socket) => {
    log(`bad HTTP request: ${err.message}`);
    socket.destroy();
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    server,
    port,
    url: localUrl('http', o.host, port),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
