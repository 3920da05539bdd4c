/**
 * Serves the web console (packages/console/dist) from the API's own origin, so the session
 * cookie (__Host-, SameSite=Strict) and the strict CSP (script-src 'self') cover it. Hashed
 * assets are cached for a year; index.html is revalidated every time. Any GET that is not an
 * API path and not a file answers a browser (Accept: text/html) with index.html, so
 * client-side routes survive a reload; other clients get the usual 404 problem.
 *
 * Nothing of the build is held in memory: index.html is read from disk for each page request
 * and assets are looked up by name when asked for, so a rebuild while the server runs
 * (`npm run build`, new hashed asset names, the old ones deleted) is served at once. A
 * browser revalidates index.html (no-cache) and so loads the new page with its new assets.
 *
 * A missing or stale build is rebuilt in the background (never inside plugin registration,
 * which has a start-up timeout); console requests wait for it, API requests do not.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../deps.js';
import { CONSOLE_DIST, ensureConsoleBuilt } from './build.js';
import { ProblemError } from '../http/problem.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Vite's output names: name-hash.ext, flat under assets/. */
const ASSET = /^[A-Za-z0-9_.-]+\.(js|css|svg|png|woff2?|ico|map)$/;

export async function consoleRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const dist = deps.consoleDist ?? CONSOLE_DIST;
  // Only the checkout's own dist is (re)built here; a directory given by deps is served as is.
  const buildHere = dist === CONSOLE_DIST && process.env.PARAPET_CONSOLE_BUILD !== 'off';
  let ready: Promise<void> | undefined;
  const built = () =>
    (ready ??= (buildHere ? ensureConsoleBuilt() : Promise.resolve())
      .catch((err: unknown) => app.log.error({ err }, 'building the web console failed'))
      .then(() => {
        if (!existsSync(join(dist, 'index.html'))) app.log.warn({ dist }, 'the web console is not built; run "npm run build"');
      }));
  void built();

  /** The current index.html (about 1 KB), or null while there is none (not built, or a build is emptying dist). */
  const currentIndex = async (): Promise<Buffer | null> => {
    await built();
    return readFile(join(dist, 'index.html')).catch(() => null);
  };

  // sendFile only: routes are ours, so unknown asset names get the ordinary 404 problem.
  await app.register(fastifyStatic, { root: dist, serve: false });

  const notBuilt = () => new ProblemError(503, 'console_unavailable', 'The web console is not built on this server (or a build is under way); run "npm run build".');

  app.get<{ Params: { '*': string } }>('/assets/*', { schema: { hide: true } }, async (req, reply) => {
    const name = req.params['*'];
    await built();
    if (!ASSET.test(name) || !existsSync(join(dist, 'assets', name))) {
      if (!existsSync(join(dist, 'index.html'))) throw notBuilt();
      return reply.callNotFound();
    }
    return reply.header('cache-control', IMMUTABLE).sendFile(join('assets', name), { cacheControl: false, lastModified: false });
  });

  const sendIndex = async (_req: FastifyRequest, reply: FastifyReply) => {
    const html = await currentIndex();
    if (!html) throw notBuilt();
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
  };
  app.get('/', { schema: { hide: true } }, sendIndex);
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const path = req.url.split('?')[0]!;
    // API paths never fall back to the app: a typo there is a real 404 problem. Nor do
    // requests that do not accept HTML (API clients, scripts): only browsers get the app.
    if (path === '/api' || path.startsWith('/api/')) return reply.callNotFound();
    if (!String(req.headers.accept ?? '').includes('text/html')) return reply.callNotFound();
    return sendIndex(req, reply);
  });
}
