/**
 * The audit log's row shapes: what `audit_log` and `audit_inbox` hold per entry and how a row
 * becomes the `AuditRecord` the leaf hashes (`@parapet/core`). Shared by the writer
 * (audit.ts), the sequencer and the log's readers.
 */
import type { AuditRecord } from '@parapet/core';

/** UTC with microseconds, the form the leaf carries; formatted by PostgreSQL so it is exact. */
export const AT_SQL = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

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
