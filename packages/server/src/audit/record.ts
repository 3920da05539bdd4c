import type { Queryable } from '@parapet/db';
import type { AuditAction } from './catalogue.js';

/** Who did it. `name` is the human-readable name at the time (email, device name, job). */
export interface AuditActor {
  type: 'user' | 'device' | 'system';
  id: string;
  name?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export interface AuditEntry {
  action: AuditAction;
  outcome: 'success' | 'failure' | 'denied';
  target?: { type: string; id: string } | undefined;
  purpose?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

/**
 * Appends one audit entry inside the caller's transaction, so the change and its record
 * commit together or not at all. `q` must be a tenant transaction for `tenantId`.
 */
export async function recordAudit(q: Queryable, tenantId: string, actor: AuditActor, e: AuditEntry): Promise<{ seq: number }> {
  // Per-tenant lock: sequence order equals commit order (the audit issue builds the chain on it).
  await q.query(`SELECT pg_advisory_xact_lock(hashtextextended('audit:' || $1, 0))`, [tenantId]);
  const { rows } = await q.query<{ seq: number }>(
    `INSERT INTO audit_log (tenant_id, seq, actor_type, actor_id, actor_name, ip, user_agent, action, target_type, target_id, purpose, outcome, details)
     SELECT $1, COALESCE(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM audit_log WHERE tenant_id = $1
     RETURNING seq`,
    [tenantId, actor.type, actor.id, actor.name ?? null, actor.ip ?? null, actor.userAgent ?? null, e.action, e.target?.type ?? null, e.target?.id ?? null, e.purpose ?? null, e.outcome, JSON.stringify(e.details ?? {})],
  );
  return rows[0]!;
}
