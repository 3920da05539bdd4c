import type { Queryable } from '@parapet/db';
import { leafBytes, merkle, ZERO_HASH, type AuditRecord } from '@parapet/core';
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

/** UTC with microseconds, the form the leaf carries; formatted by PostgreSQL so it is exact. */
export const AT_SQL = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Tenants that appended since the checkpoint timer last looked (cheap hint, per process). */
export const dirtyTenants = new Set<string>();
/** Tenants with entries not yet in a vault snapshot, as far as this process knows. */
export const snapshotPending = new Set<string>();

/**
 * Appends one audit entry inside the caller's transaction, so the change and its record
 * commit together or not at all. `q` must be a tenant transaction for `tenantId`.
 *
 * The per-tenant advisory lock is held to commit, so the next writer of this tenant reads
 * our entry as the chain head: sequence order equals commit order and the chain never forks
 * (a BEFORE INSERT trigger re-checks both). Different tenants never wait for each other.
 */
export async function recordAudit(q: Queryable, tenantId: string, actor: AuditActor, e: AuditEntry): Promise<{ seq: number }> {
  await q.query(`SELECT pg_advisory_xact_lock(hashtextextended('audit:' || $1, 0))`, [tenantId]);
  const { rows } = await q.query<{ at: string; seq: number | null; entry_hash: Buffer | null }>(
    `SELECT ${AT_SQL('now()')} AS at, h.seq, h.entry_hash
       FROM (SELECT 1) one LEFT JOIN LATERAL (
         SELECT seq, entry_hash FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1) h ON true`,
    [tenantId],
  );
  const head = rows[0]!;
  const seq = (head.seq ?? 0) + 1;
  const prev = head.entry_hash ?? ZERO_HASH;
  const record: AuditRecord = {
    tenant_id: tenantId,
    seq,
    at: head.at,
    actor: { type: actor.type, id: actor.id, name: actor.name ?? null, ip: actor.ip ?? null, user_agent: actor.userAgent ?? null },
    action: e.action,
    outcome: e.outcome,
    target: e.target ? { type: e.target.type, id: e.target.id } : null,
    purpose: e.purpose ?? null,
    // Through JSON once so the leaf holds what jsonb will hold (no undefined, no Dates).
    details: JSON.parse(JSON.stringify(e.details ?? {})) as Record<string, unknown>,
  };
  const leaf = leafBytes(record, prev);
  await q.query(
    `INSERT INTO audit_log (tenant_id, seq, at, actor_type, actor_id, actor_name, ip, user_agent, action, target_type, target_id, purpose, outcome, details, prev_hash, entry_hash, leaf)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
    [tenantId, seq, record.at, actor.type, actor.id, record.actor.name, record.actor.ip, record.actor.user_agent, e.action, record.target?.type ?? null, record.target?.id ?? null, record.purpose, e.outcome, JSON.stringify(record.details), prev, merkle.leafHash(leaf), leaf],
  );
  dirtyTenants.add(tenantId);
  snapshotPending.add(tenantId);
  return { seq };
}

/** The record as the row's columns hold it (the export's `record`, compared with the leaf). */
export const RECORD_COLUMNS = `tenant_id, seq, ${AT_SQL('at')} AS at, actor_type, actor_id, actor_name, ip, user_agent, action, target_type, target_id, purpose, outcome, details, prev_hash, entry_hash, leaf`;

export interface AuditRow {
  tenant_id: string;
  seq: number;
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
  prev_hash: Buffer;
  entry_hash: Buffer;
  leaf: Buffer;
}

export function recordOfRow(r: AuditRow): AuditRecord {
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
