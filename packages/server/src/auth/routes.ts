import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { recordAudit } from '../audit/record.js';
import { actorOf, requireUser } from './principal.js';
import { SESSION_COOKIE, revokeSession, sessionCookieOptions } from './sessions.js';

export async function authRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.get(
    '/api/v1/auth/session',
    {
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user, their roles, MFA freshness and CSRF token.',
        response: {
          200: {
            type: 'object',
            properties: {
              tenant_id: { type: 'string' },
              user_id: { type: 'string' },
              email: { type: 'string' },
              roles: { type: 'array', items: { type: 'string' } },
              mfa_verified_at: { type: ['string', 'null'] },
              csrf_token: { type: 'string' },
            },
          },
          401: { $ref: 'Problem#' },
        },
      },
    },
    async (req) => {
      const p = requireUser(req);
      return { tenant_id: p.tenantId, user_id: p.userId, email: p.email, roles: p.roles, mfa_verified_at: p.mfaVerifiedAt?.toISOString() ?? null, csrf_token: p.csrfToken };
    },
  );

  app.post('/api/v1/auth/logout', { schema: { tags: ['auth'], summary: 'End this session.', response: { 204: { type: 'null' }, '4xx': { $ref: 'Problem#' } } } }, async (req, reply) => {
    const p = requireUser(req);
    await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
      await revokeSession(q, p.sessionId);
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'auth.logout', outcome: 'success', target: { type: 'session', id: p.sessionId } });
    });
    reply.clearCookie(SESSION_COOKIE, sessionCookieOptions());
    reply.code(204);
  });
}
