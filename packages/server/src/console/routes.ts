/**
 * Serves the web console (packages/console/dist) from the API's own origin, so the session
 * cookie (__Host-, SameSite=Strict) and the strict CSP (script-src 'self') cover it. Hashed
 * assets are cached for a year; index.html is revalidated every time. Any GET that is not an
 * API path and not a file answers with index.html, so client-side routes survive a reload.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './build.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';

export async function consoleRoutes(app: FastifyInstance, _deps: AppDeps): Promise<void> {
  if (process.env.PARAPET_CONSOLE_BUILD !== 'off') await ensureConsoleBuilt();
  const index = join(CONSOLE_DIST, 'index.html');
  if (!existsSync(index)) {
    app.log.warn({ dist: CONSOLE_DIST }, 'the web console is not built; run "npm run build -w @parapet/console"');
    return;
  }
  const indexHtml = await readFile(index);

  await app.register(fastifyStatic, {
    root: join(CONSOLE_DIST, 'assets'),
    prefix: '/assets/',
    // One route per file found now (the build is fixed while the server runs); no wildcard,
    // so unknown /assets/ paths get the ordinary 404 problem.
    wildcard: false,
    index: false,
    cacheControl: false,
    etag: true,
    lastModified: false,
    setHeaders: (res) => void res.header('cache-control', IMMUTABLE),
  });

  const sendIndex = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(indexHtml);
  app.get('/', { schema: { hide: true } }, sendIndex);
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const path = req.url.split('?')[0]!;
    // API and asset paths never fall back to the app: a typo there is a real 404.
    if (path.startsWith('/api/') || path === '/api' || path.startsWith('/assets/')) return reply.callNotFound();
    return sendIndex(req, reply);
  });
}
