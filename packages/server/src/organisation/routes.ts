/**
 * The signed-in user's organisation (id, slug, name), so the console's header names it.
 * Any role may read it; RLS shows only the caller's own tenant row.
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { requireUser, ROLES } from '../auth/principal.js';
import { authorize, defineActions } from '../auth/pdp.js';
import { ProblemError } from '../http/problem.js';

defineActions({
  'organisation.read': { roles: [...ROLES] },
});

export async function organisationRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.get(
    '/api/v1/organisation',
    {
      schema: {
        tags: ['organisation'],
        summary: "The signed-in user's organisation.",
        response: {
          200: { type: 'object', properties: { id: { type: 'string' }, slug: { type: 'string' }, name: { type: 'string' } } },
          '4xx': { $ref: 'Problem#' },
        },
      },
    },
    async (req) => {
      const p = requireUser(req);
      authorize(p, 'organisation.read', { type: 'tenant', id: p.tenantId, tenantId: p.tenantId });
      const { rows } = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, (q) =>
        q.query<{ id: string; slug: string; name: string }>(`SELECT id, slug, name FROM tenants WHERE id = $1`, [p.tenantId]),
      );
      if (!rows[0]) throw new ProblemError(404, 'organisation_not_found', 'Your organisation no longer exists.');
      return rows[0];
    },
  );
}
