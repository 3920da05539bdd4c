/**
 * Read-only audit log browsing for the console: newest first, filtered by actor, action,
 * target and time, paged by sequence number (keyset, so paging is stable while entries are
 * appended). The audit issue adds chain/checkpoint status and exports beside this.
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { defineActions } from '../platform/pdp.js';
import { sequencerFor } from '../platform/audit-sequencer.js';
import { auditEventNamesByPrefix } from '../platform/audit.js';
import { revealPii } from './pii.js';
import { guard } from '../platform/guard.js';
import type { ApiTypeProvider } from '../http/type-provider.js';
import type { RecordColumns } from '../platform/audit-rows.js';

defineActions({
  // Same readers as the audit module's own audit.read: admins and auditors.
  'audit.log.browse': { roles: ['admin', 'auditor'] },
});

/** An audit_log row as the search reads it (actor_name, ip and user_agent opened by revealPii). */
type AuditLogRow = Omit<RecordColumns, 'tenant_id' | 'at'> & { seq: number; at: Date };

/** Escapes LIKE wildcards so a filter is matched literally. */
const like = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c);

export async function auditConsoleRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  app.get(
    '/api/v1/audit/search',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit entries, newest first. actor: email or id contains; action: prefix; target: type, id or type:id contains; since/until: ISO times.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            actor: { type: 'string', maxLength: 200 },
            action: { type: 'string', maxLength: 200 },
            target: { type: 'string', maxLength: 200 },
            outcome: { type: 'string', enum: ['success', 'failure', 'denied'] },
            since: { type: 'string', format: 'date-time' },
            until: { type: 'string', format: 'date-time' },
            before_seq: { type: 'integer', minimum: 1 },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              entries: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    seq: { type: 'integer' },
                    at: { type: 'string' },
                    actor_type: { type: 'string' },
                    actor_id: { type: 'string' },
                    actor_name: { type: ['string', 'null'] },
                    ip: { type: ['string', 'null'] },
                    user_agent: { type: ['string', 'null'] },
                    action: { type: 'string' },
                    target_type: { type: ['string', 'null'] },
                    target_id: { type: ['string', 'null'] },
                    purpose: { type: ['string', 'null'] },
                    outcome: { type: 'string' },
                    // Each event's own facts, as its audit catalogue entry declares them.
                    details: { title: 'Audit event details', type: 'object', additionalProperties: true },
                  },
                  required: ['seq', 'at', 'actor_type', 'actor_id', 'actor_name', 'ip', 'user_agent', 'action', 'target_type', 'target_id', 'purpose', 'outcome', 'details'],
                  additionalProperties: false,
                },
              },
              next_before_seq: { type: ['integer', 'null'] },
            },
            required: ['entries', 'next_before_seq'],
            additionalProperties: false,
          },
          '4xx': { $ref: 'Problem#' },
        },
      },
    },
    async (req) => {
      const { principal: p } = await guard(req, 'audit.log.browse', { type: 'audit_log' });
      const f = req.query;
      const where: string[] = [];
      const args: unknown[] = [];
      const arg = (v: unknown) => (args.push(v), `$${args.length}`);
      // Names are stored encrypted (pii.ts), so a search by e-mail goes through the person's id.
      if (f.actor) {
        const pat = arg('%' + like(f.actor) + '%');
        where.push(`(actor_name ILIKE ${pat} OR actor_id = ${arg(f.actor)} OR actor_id IN (SELECT id::text FROM users WHERE email ILIKE ${pat}))`);
      }
      // Rows keep the name they were written with: a prefix finds an event under its current and former names.
      if (f.action) where.push(`(action LIKE ${arg(like(f.action) + '%')} OR action = ANY (${arg(auditEventNamesByPrefix(f.action))}::text[]))`);
      if (f.target) {
        const t = arg('%' + like(f.target) + '%');
        where.push(`(coalesce(target_type, '') || ':' || coalesce(target_id, '')) ILIKE ${t}`);
      }
      if (f.outcome) where.push(`outcome = ${arg(f.outcome)}`);
      if (f.since) where.push(`at >= ${arg(f.since)}::timestamptz`);
      if (f.until) where.push(`at < ${arg(f.until)}::timestamptz`);
      if (f.before_seq) where.push(`seq < ${arg(f.before_seq)}`);
      const limit = f.limit ?? 50;
      await sequencerFor(deps.db).flush(p.tenantId);
      const { rows } = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}`, purpose: 'audit.browse' }, async (q) =>
        revealPii(
          q,
          p.tenantId,
          (
            await q.query<AuditLogRow>(
              `SELECT seq, at, actor_type, actor_id, actor_name, ip, user_agent, action, target_type, target_id, purpose, outcome, details
                 FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
                ORDER BY seq DESC LIMIT ${arg(limit + 1)}`,
              args,
            )
          ).rows,
        ).then((rows) => ({ rows })),
      );
      const page = rows.slice(0, limit);
      return {
        entries: page.map((r) => ({ ...r, seq: Number(r.seq), at: r.at.toISOString() })),
        next_before_seq: rows.length > limit ? Number(page[page.length - 1]!.seq) : null,
      };
    },
  );
}
