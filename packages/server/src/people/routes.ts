/**
 * People, read-only: the list the console's People page shows. Creating, changing and
 * deactivating users belongs to the identity module; this only reads the users table under
 * the caller's tenant (RLS).
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { requireUser } from '../auth/principal.js';
import { authorize, defineActions } from '../auth/pdp.js';

defineActions({
  'people.list': { roles: ['admin', 'security_lead', 'auditor'] },
});

/** A tenant's directory is small; beyond this the API would need paging. */
export const PEOPLE_LIST_MAX = 5000;

export async function peopleRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.get(
    '/api/v1/people',
    {
      schema: {
        tags: ['people'],
        summary: "The organisation's people: email, name, roles and status (admin, security lead, auditor).",
        response: {
          200: {
            type: 'object',
            properties: {
              people: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    email: { type: 'string' },
                    display_name: { type: 'string' },
                    roles: { type: 'array', items: { type: 'string' } },
                    status: { type: 'string' },
                    created_at: { type: 'string' },
                  },
                },
              },
              truncated: { type: 'boolean' },
            },
          },
          '4xx': { $ref: 'Problem#' },
        },
      },
    },
    async (req) => {
      const p = requireUser(req);
      authorize(p, 'people.list', { type: 'people', tenantId: p.tenantId });
      const { rows } = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}`, purpose: 'people.list' }, (q) =>
        q.query<{ id: string; email: string; display_name: string; roles: string[]; status: string; created_at: Date }>(
          `SELECT id, email, display_name, roles, status, created_at FROM users ORDER BY email LIMIT $1`,
          [PEOPLE_LIST_MAX + 1],
        ),
      );
      return {
        people: rows.slice(0, PEOPLE_LIST_MAX).map((r) => ({ ...r, created_at: r.created_at.toISOString() })),
        truncated: rows.length > PEOPLE_LIST_MAX,
      };
    },
  );
}
