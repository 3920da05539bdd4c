/**
 * The local transparency page (PULSE-CONTROL): an HTTP server bound to 127.0.0.1 only, with a
 * random session token (256 bits) that must come with every API request (header
 * `x-parapet-token`, compared in constant time). The Host header must name the loopback
 * address and port (against DNS rebinding). Responses carry a strict Content-Security-Policy:
 * scripts, styles and data from the page's own origin only, no inline code, no framing.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join, dirname } from 'node:path';
import { showData, startOfLocalDay } from './show.js';
import type { Store } from './store.js';

export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const here = dirname(new URL(import.meta.url).pathname);
const uplotDir = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: join(here, 'page', 'index.html'), type: 'text/html; charset=utf-8' },
  '/assets/page.js': { file: join(here, 'page', 'page.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/page.css': { file: join(here, 'page', 'page.css'), type: 'text/css; charset=utf-8' },
  '/assets/uPlot.iife.min.js': { file: join(uplotDir, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/uPlot.min.css': { file: join(uplotDir, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

export interface LocalPage {
  /** The address to open, token included (`http://127.0.0.1:PORT/?token=…`). */
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the page on 127.0.0.1 (port 0: any free port). */
export async function startLocalPage(store: Store, o: { port?: number; now?: () => number } = {}): Promise<LocalPage> {
  const token = randomBytes(32).toString('base64url');
  const tokenBuf = Buffer.from(token);
  let port = 0;
  const server: Server = createServer((req, res) => {
    const headers = { 'content-security-policy': PAGE_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };
    if (req.headers.host !== `127.0.0.1:${port}`) {
      res.writeHead(421, { ...headers, 'content-type': 'text/plain' }).end('Wrong host.\n');
      return;
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (req.method !== 'GET') {
      res.writeHead(405, { ...headers, allow: 'GET' }).end();
      return;
    }
    if (url.pathname === '/api/day') {
      const given = Buffer.from(String(req.headers['x-parapet-token'] ?? ''));
      if (given.length !== tokenBuf.length || !timingSafeEqual(given, tokenBuf)) {
        res.writeHead(401, { ...headers, 'content-type': 'application/json' }).end('{"code":"token_required"}');
        return;
      }
      const now = o.now?.() ?? Date.now();
      const from = startOfLocalDay(now);
      const body = JSON.stringify(showData(store, { from, to: from + 24 * 3600 * 1000, now }));
      res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(body);
      return;
    }
    const a = ASSETS[url.pathname];
    if (!a) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('Not found.\n');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': a.type }).end(readFileSync(a.file));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    token,
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
