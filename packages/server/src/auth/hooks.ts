import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { ProblemError } from '../http/problem.js';
import { CSRF_HEADER, SESSION_COOKIE, resolveSession } from './sessions.js';
import { registerDeviceAuth } from '../devices/verify.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves the principal of every request (root-level hooks, not encapsulated): a session
 * cookie for people. Unsafe methods on a cookie session must carry the session's CSRF token.
 * Device requests are resolved by the devices module (RFC 9421 signatures).
 */
export async function registerAuthHooks(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(cookie);
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const raw = req.cookies[SESSION_COOKIE];
    if (!raw) return;
    const p = await resolveSession(deps.db, raw);
    if (!p) return;
    if (!SAFE.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (sent !== p.csrfToken) throw new ProblemError(403, 'csrf_token_invalid', `Send the session's CSRF token in the ${CSRF_HEADER} header.`);
    }
    req.principal = p;
  });
  await registerDeviceAuth(app, deps);
}
