import type { Queryable } from '@parapet/db';
import type { AuditRecord } from '@parapet/core';
import type { AuditAction } from './catalogue.js';
import { sequencerFor } from './sequencer.js';
import { sealActorPii } from './pii.js';

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

/** UTC with microseconds, the form the leaf carries; formatted by PostgreSQL so it is exact. */
export const AT_SQL = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Appends one audit entry inside the caller's transaction, so the change and its record
 * commit together or not at all. `q` must be a tenant transaction for `tenantId`.
 *
 * The entry goes to the tenant's inbox (no lock, no hash), so concurrent writers of one
 * tenant commit in parallel. Once the transaction commits, the sequencer chains it into
 * audit_log; see sequencer.ts and migration 0102 for the ordering this guarantees.
 */
export async function recordAudit(q: Queryable, tenantId: string, who: AuditActor, e: AuditEntry): Promise<{ inboxId: number }> {
  // A person's name, address and user agent are stored encrypted under their subject key (pii.ts).
  const actor = await sealActorPii(q, tenantId, who);
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO audit_inbox (tenant_id, actor_type, actor_id, actor_name, ip, user_agent, action, target_type, target_id, purpose, outcome, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
    [tenantId, actor.type, actor.id, actor.name ?? null, actor.ip ?? null, actor.userAgent ?? null, e.action, e.target?.type ?? null, e.target?.id ?? null, e.purpose ?? null, e.outcome,
      // Through JSON once so what is chained is what jsonb holds (no undefined, no Dates).
      JSON.stringify(e.details ?? {})],
  );
  q.afterCommit?.((db) => sequencerFor(db).kick(tenantId));
  return { inboxId: Number(rows[0]!.id) };
}

/** The record as the row's columns hold it (the export's `record`, compared with the leaf). */
export const RECORD_COLUMNS = `tenant_id, seq, ${AT_SQL('at')} AS at, actor_type, actor_id, actor_name, ip, user_agent, action, target_type, target_id, purpose, outcome, details, prev_hash, entry_hash, leaf`;

/** The record's own columns, as both audit_log and audit_inbox hold them. */
export interface RecordColumns {
  tenant_id: string;
  at: string;
  actor_type: AuditRecord['actor']['type'];
  actor_id: string;
  actor_name: string | null;
  ip: string | null;
  user_agent: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  purpose: string | null;
  outcome: AuditRecord['outcome'];
  details: Record<string, unknown>;
}

export interface AuditRow extends RecordColumns {
  seq: number;
  prev_hash: Buffer;
  entry_hash: Buffer;
  leaf: Buffer;
}

export function recordOfRow(r: RecordColumns & { seq: number }): AuditRecord {
  return {
    tenant_id: r.tenant_id,
    seq: r.seq,
    at: r.at,
    actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name, ip: r.ip, user_agent: r.user_agent },
    action: r.action,
    outcome: r.outcome,
    target: r.target_type !== null || r.target_id !== null ? { type: r.target_type ?? '', id: r.target_id ?? '' } : null,
    purpose: r.purpose,
    details: r.details,
  };
}
