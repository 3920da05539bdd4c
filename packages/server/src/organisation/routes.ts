/**
 * The signed-in user's organisation (id, slug, name), so the console's header names it.
 * Any role may read it; RLS shows only the caller's own tenant row.
 *
 * Organisation settings (`/api/v1/organisation/settings`): today the longest support grant an
 * admin may open (`support_grant_max_hours`, CORE-SUPPORT), read by admins, security leads and
 * auditors, changed by an admin with step-up, audited in the same transaction.
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { ROLES, actorOf } from '../platform/principal.js';
import { recordAudit } from '../platform/audit.js';
import { SUPPORT_GRANT_DEFAULT_MAX_HOURS, SUPPORT_GRANT_HARD_MAX_HOURS, maxGrantHours, SUPPORT_GRANT_MAX_HOURS } from '../governance/index.js';
import { defineActions } from '../platform/pdp.js';
import { writeSetting } from '../platform/settings.js';
import { ProblemError } from '../http/problem.js';
import { guard } from '../platform/guard.js';
import type { ApiTypeProvider } from '../http/type-provider.js';

defineActions({
  'organisation.read': { roles: [...ROLES] },
  'organisation.settings.read': { roles: ['admin', 'security_lead', 'auditor'] },
  'organisation.settings.update': { roles: ['admin'], stepUp: true },
});

/** Bounds of `support_grant_max_hours` (hours): at least one hour, at most the platform's hard limit. */
export const SUPPORT_GRANT_MAX_HOURS_BOUNDS = { minimum: 1, maximum: SUPPORT_GRANT_HARD_MAX_HOURS } as const;

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    support_grant_max_hours: { type: 'integer', description: `Longest support grant an admin may open, in hours (${SUPPORT_GRANT_MAX_HOURS_BOUNDS.minimum} to ${SUPPORT_GRANT_MAX_HOURS_BOUNDS.maximum}; default ${SUPPORT_GRANT_DEFAULT_MAX_HOURS}).` },
  },
} as const;
const settingsAnswer = {
  type: 'object',
  additionalProperties: false,
  properties: {
    support_grant_max_hours: { type: 'integer' },
    support_grant_max_hours_default: { type: 'integer' },
    support_grant_max_hours_minimum: { type: 'integer' },
    support_grant_max_hours_maximum: { type: 'integer' },
  },
  required: ['support_grant_max_hours', 'support_grant_max_hours_default', 'support_grant_max_hours_minimum', 'support_grant_max_hours_maximum'],
} as const;
const answer = (h: number) => ({
  support_grant_max_hours: h,
  support_grant_max_hours_default: SUPPORT_GRANT_DEFAULT_MAX_HOURS,
  support_grant_max_hours_minimum: SUPPORT_GRANT_MAX_HOURS_BOUNDS.minimum,
  support_grant_max_hours_maximum: SUPPORT_GRANT_MAX_HOURS_BOUNDS.maximum,
});

export async function organisationRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  app.get(
    '/api/v1/organisation',
    {
      schema: {
        tags: ['organisation'],
        summary: "The signed-in user's organisation.",
        response: {
          200: { type: 'object', properties: { id: { type: 'string' }, slug: { type: 'string' }, name: { type: 'string' } }, required: ['id', 'slug', 'name'], additionalProperties: false },
          '4xx': { $ref: 'Problem#' },
        },
      } as const,
    },
    async (req) => {
      const { principal: p } = await guard(req, 'organisation.read', (p) => ({ type: 'tenant', id: p.tenantId }));
      const { rows } = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, (q) =>
        q.query<{ id: string; slug: string; name: string }>(`SELECT id, slug, name FROM tenants WHERE id = $1`, [p.tenantId]),
      );
      if (!rows[0]) throw new ProblemError(404, 'organisation_not_found', 'Your organisation no longer exists.');
      return rows[0];
    },
  );

  app.get(
    '/api/v1/organisation/settings',
    { schema: { tags: ['organisation'], summary: "The organisation's settings: the longest support grant an admin may open (hours), with its default and bounds.", response: { 200: settingsAnswer, '4xx': { $ref: 'Problem#' } } } as const },
    async (req) => {
      const { principal: p } = await guard(req, 'organisation.settings.read', (p) => ({ type: 'tenant', id: p.tenantId }));
      return answer(await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, (q) => maxGrantHours(q, p.tenantId)));
    },
  );

  app.put(
    '/api/v1/organisation/settings',
    { schema: { tags: ['organisation'], summary: 'Change the organisation settings (admin, step-up; audited). Grants already open keep their end.', body: settingsSchema, response: { 200: settingsAnswer, '4xx': { $ref: 'Problem#' } } } as const },
    async (req) => {
      const { principal: p } = await guard(req, 'organisation.settings.update', (p) => ({ type: 'tenant', id: p.tenantId }));
      const h = req.body.support_grant_max_hours;
      if (h !== undefined && (h < SUPPORT_GRANT_MAX_HOURS_BOUNDS.minimum || h > SUPPORT_GRANT_MAX_HOURS_BOUNDS.maximum)) {
        throw new ProblemError(422, 'support_grant_max_hours_out_of_range', `The longest support grant must be from ${SUPPORT_GRANT_MAX_HOURS_BOUNDS.minimum} to ${SUPPORT_GRANT_MAX_HOURS_BOUNDS.maximum} hours; ${h} is not.`);
      }
      return deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const before = await maxGrantHours(q, p.tenantId);
        if (h === undefined || h === before) return answer(before);
        await writeSetting(q, SUPPORT_GRANT_MAX_HOURS, h, p.tenantId);
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'organisation.settings.changed', outcome: 'success', target: { type: 'tenant', id: p.tenantId }, details: { setting: 'support_grant_max_hours', before, after: h } });
        return answer(h);
      });
    },
  );
}
