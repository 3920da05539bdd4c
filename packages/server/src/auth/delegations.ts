/**
 * Delegations (CORE-PDP): an admin lets a user or a directory group see one app category's
 * data. The PDP reads them through delegatedCategories(); the subject_data policies use them.
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { recordAudit } from '../platform/audit.js';
import { isUniqueViolation } from '@parapet/db';
import { ProblemError } from '../http/problem.js';
import { actorOf } from '../platform/principal.js';
import { defineActions } from '../platform/pdp.js';
import { guard } from '../platform/guard.js';
import type { ApiTypeProvider } from '../http/type-provider.js';

defineActions({
  'authz.delegation.read': { roles: ['admin', 'auditor'] },
  'authz.delegation.manage': { roles: ['admin'], stepUp: true, sensitive: true },
});

const problem = { $ref: 'Problem#' } as const;
const delegation = {
  type: 'object',
  properties: { id: { type: 'string' }, grantee_type: { type: 'string' }, grantee_id: { type: 'string' }, category: { type: 'string' }, created_at: { type: 'string' } },
  required: ['id', 'grantee_type', 'grantee_id', 'category', 'created_at'],
  additionalProperties: false,
} as const;
const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

export async function delegationRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  app.get('/api/v1/auth/delegations', { schema: { tags: ['auth'], summary: 'Delegations of app categories to users and groups.', response: { 200: { type: 'object', properties: { delegations: { type: 'array', items: delegation } }, required: ['delegations'], additionalProperties: false }, '4xx': problem } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'authz.delegation.read', { type: 'delegation' });
    const { rows } = await deps.db.tx({ tenantId: p.tenantId }, (q) =>
      q.query<{ id: string; grantee_type: string; grantee_id: string; category: string; created_at: Date }>(`SELECT id, grantee_type, grantee_id, category, created_at FROM delegations ORDER BY created_at`),
    );
    return { delegations: rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() })) };
  });

  app.post(
    '/api/v1/auth/delegations',
    {
      schema: {
        tags: ['auth'],
        summary: 'Delegate an app category to a user or group (admin, step-up).',
        body: {
          type: 'object',
          required: ['grantee_type', 'grantee_id', 'category'],
          additionalProperties: false,
          properties: { grantee_type: { type: 'string', enum: ['user', 'group'] }, grantee_id: { type: 'string', pattern: UUID }, category: { type: 'string', minLength: 1, maxLength: 200 } },
        },
        response: { 201: delegation, '4xx': problem },
      } as const,
    },
    async (req, reply) => {
      const { principal: p } = await guard(req, 'authz.delegation.manage', { type: 'delegation' });
      const b = req.body;
      try {
        const row = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
          if (b.grantee_type === 'user' && !(await q.query(`SELECT 1 FROM users WHERE id = $1`, [b.grantee_id])).rows.length) throw new ProblemError(404, 'user_not_found', 'No such user in this organisation.');
          const { rows } = await q.query<{ id: string; created_at: Date }>(
            `INSERT INTO delegations (tenant_id, grantee_type, grantee_id, category, granted_by) VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at`,
            [p.tenantId, b.grantee_type, b.grantee_id, b.category, p.userId],
          );
          await recordAudit(q, p.tenantId, actorOf(req), { action: 'authz.delegation.granted', outcome: 'success', target: { type: b.grantee_type, id: b.grantee_id }, details: { category: b.category, delegation_id: rows[0]!.id } });
          return rows[0]!;
        });
        reply.code(201);
        return { id: row.id, grantee_type: b.grantee_type, grantee_id: b.grantee_id, category: b.category, created_at: row.created_at.toISOString() };
      } catch (e) {
        if (isUniqueViolation(e)) throw new ProblemError(409, 'delegation_exists', 'This delegation exists already.');
        throw e;
      }
    },
  );

  app.delete(
    '/api/v1/auth/delegations/:id',
    { schema: { tags: ['auth'], summary: 'Remove a delegation (admin, step-up).', params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: UUID } } }, response: { 204: { type: 'null' }, '4xx': problem } } as const },
    async (req, reply) => {
      const { principal: p } = await guard(req, 'authz.delegation.manage', { type: 'delegation', id: req.params.id });
      await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const { rows } = await q.query<{ grantee_type: string; grantee_id: string; category: string }>(`DELETE FROM delegations WHERE id = $1 RETURNING grantee_type, grantee_id, category`, [req.params.id]);
        if (!rows[0]) throw new ProblemError(404, 'delegation_not_found', 'No such delegation.');
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'authz.delegation.revoked', outcome: 'success', target: { type: rows[0].grantee_type, id: rows[0].grantee_id }, details: { category: rows[0].category, delegation_id: req.params.id } });
      });
      reply.code(204);
    },
  );
}
