import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { ProblemError } from '../http/problem.js';
import { registerPrincipalResolver } from '../platform/principal.js';
import { CSRF_HEADER, SESSION_COOKIE, resolveSession } from './sessions.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Registers the session cookie as a principal resolver (root instance): a full session's
 * cookie resolves to its person. Unsafe methods on a cookie session must carry the session's
 * CSRF token (403 csrf_token_invalid).
 */
export async function registerSessionResolver(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(cookie);
  registerPrincipalResolver(app, async (req) => {
    const raw = req.cookies[SESSION_COOKIE];
    if (!raw) return null;
    const p = await resolveSession(deps.db, raw);
    if (!p) return null;
    if (!SAFE.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (sent !== p.csrfToken) throw new ProblemError(403, 'csrf_token_invalid', `Send the session's CSRF token in the ${CSRF_HEADER} header.`);
    }
    return p;
  });
}
