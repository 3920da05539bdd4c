/**
 * Right to erasure (CORE-PRIVACY). Erasing a person removes their sessions, factors, identity
 * links, devices and activity data, anonymises their user row (which stays, because evidence
 * such as scan approvals and signed scopes points at it) and destroys their audit subject key,
 * so the name, e-mail, IP address and user agent in every audit entry they caused become
 * unreadable while the log still verifies (audit/pii.ts).
 *
 * Every column that references a user is declared here with what erasure does to its rows
 * ({@link registerEraser}); `packages/server/test/erasure.test.ts` finds every foreign key to
 * `users` in the catalogue and fails when one is not declared, so a new table cannot keep a
 * person's data past erasure by omission. Other domains (Pulse) register their own erasers.
 * The erasers run as the `erasers` subscriber of the person's `erased` lifecycle event
 * (platform/users.ts), which then anonymises the user row.
 */
import type { Queryable } from '@parapet/db';
import { recordAudit, type AuditActor } from '../platform/audit.js';
import { SECURITY_ALERT_TOPIC } from '../auth/index.js';
import { destroySubjectKey } from '../audit/index.js';
import { ProblemError } from '../http/problem.js';
import { clearManagerOf, eraseUser, onUserLifecycle } from '../platform/users.js';

/**
 * What erasure does to the rows of `table` whose `column` names the person:
 *  - `delete`: the rows go;
 *  - `nullify`: the column becomes NULL (the row is not about the person);
 *  - `keep`: the rows stay as evidence, pointing at the anonymised user row; `reason` says why;
 *  - a function: custom handling, returning the number of rows it changed.
 * `order` sorts erasers (lower first), so dependants are removed before what they point at.
 */
export interface Eraser {
  table: string;
  column: string;
  action: 'delete' | 'nullify' | 'keep' | ((q: Queryable, userId: string) => Promise<number>);
  reason?: string;
  order?: number;
}

const ERASERS = new Map<string, Eraser>();
const IDENT = /^[a-z_][a-z0-9_]*$/;

/** Declares what erasure does to one user-referencing column. Idempotent per table.column. */
export function registerEraser(e: Eraser): void {
  if (!IDENT.test(e.table) || !IDENT.test(e.column)) throw new Error(`Bad identifier ${e.table}.${e.column}.`);
  if (e.action === 'keep' && !e.reason) throw new Error(`Keeping ${e.table}.${e.column} past erasure needs a reason.`);
  ERASERS.set(`${e.table}.${e.column}`, e);
}

export function erasers(): readonly Eraser[] {
  return [...ERASERS.values()].sort((a, b) => (a.order ?? 50) - (b.order ?? 50));
}

// The core's own user references.
registerEraser({ table: 'sessions', column: 'user_id', action: 'delete' });
registerEraser({ table: 'mfa_totp', column: 'user_id', action: 'delete' });
registerEraser({ table: 'mfa_recovery_codes', column: 'user_id', action: 'delete' });
registerEraser({ table: 'webauthn_credentials', column: 'user_id', action: 'delete' });
registerEraser({ table: 'sso_identities', column: 'user_id', action: 'delete' });
registerEraser({ table: 'scim_users', column: 'user_id', action: 'delete' });
registerEraser({ table: 'group_members', column: 'user_id', action: 'delete' });
registerEraser({ table: 'users', column: 'manager_id', action: 'nullify' });
registerEraser({ table: 'scim_tokens', column: 'created_by', action: 'nullify' });
registerEraser({ table: 'invitations', column: 'created_by', action: 'keep', reason: 'an invitation by the person to someone else is that other person’s record' });
registerEraser({ table: 'invitations', column: 'accepted_user_id', action: 'delete' });
registerEraser({ table: 'probe_approver_groups', column: 'user_id', action: 'delete' });
registerEraser({ table: 'delegations', column: 'grantee_id', action: async (q, userId) => (await q.query(`DELETE FROM delegations WHERE grantee_type = 'user' AND grantee_id = $1`, [userId])).rowCount ?? 0 });
registerEraser({ table: 'delegations', column: 'granted_by', action: 'nullify' });
registerEraser({ table: 'device_enrollment_tokens', column: 'owner_user_id', action: 'delete', order: 90 });
registerEraser({
  table: 'devices',
  column: 'owner_user_id',
  order: 80,
  // Their devices go, with the nonces that point at them.
  action: async (q, userId) => {
    await q.query(`DELETE FROM device_nonces WHERE device_id IN (SELECT id FROM devices WHERE owner_user_id = $1)`, [userId]);
    return (await q.query(`DELETE FROM devices WHERE owner_user_id = $1`, [userId])).rowCount ?? 0;
  },
});
registerEraser({ table: 'probe_signing_keys', column: 'user_id', action: 'keep', reason: 'signed scopes stay verifiable; the key is revoked' });
registerEraser({ table: 'probe_signing_keys', column: 'revoked_by', action: 'keep', reason: 'who revoked a key is part of the scope evidence' });
registerEraser({ table: 'probe_scopes', column: 'uploaded_by', action: 'keep', reason: 'scope evidence' });
registerEraser({ table: 'probe_scopes', column: 'revoked_by', action: 'keep', reason: 'scope evidence' });
registerEraser({ table: 'probe_scans', column: 'requested_by', action: 'keep', reason: 'scan authorisation evidence' });
registerEraser({ table: 'probe_scan_approvals', column: 'user_id', action: 'keep', reason: 'dual-approval evidence' });
registerEraser({ table: 'probe_evidence_exports', column: 'requested_by', action: 'keep', reason: 'who exported evidence is part of the evidence trail' });
registerEraser({ table: 'probe_evidence_export_approvals', column: 'user_id', action: 'keep', reason: 'dual-approval evidence' });
registerEraser({ table: 'webhook_endpoints', column: 'created_by', action: 'keep', reason: 'who configured a SIEM endpoint is part of its configuration record' });
// User ids held without a foreign key (found by the catalogue check on column names).
registerEraser({ table: 'device_enrollment_tokens', column: 'created_by', action: 'keep', reason: 'who issued an enrolment token is part of the device trust record' });
registerEraser({ table: 'devices', column: 'revoked_by', action: 'keep', reason: 'who revoked a device is security evidence' });
registerEraser({ table: 'anomaly_alerts', column: 'acknowledged_by', action: 'keep', reason: 'who acknowledged a security alert is part of the incident record' });
registerEraser({ table: 'access_reviews', column: 'opened_by', action: 'keep', reason: 'access-review evidence' });
registerEraser({ table: 'access_reviews', column: 'reviewers', action: 'keep', reason: 'access-review evidence: who was asked to review' });
registerEraser({ table: 'access_reviews', column: 'signed_off_by', action: 'keep', reason: 'access-review evidence' });
registerEraser({ table: 'access_review_items', column: 'decided_by', action: 'keep', reason: 'access-review evidence' });
registerEraser({ table: 'support_grants', column: 'created_by', action: 'keep', reason: 'the customer grant behind vendor support access is its evidence' });
registerEraser({ table: 'support_grants', column: 'revoked_by', action: 'keep', reason: 'the customer grant behind vendor support access is its evidence' });

/** What the column erasers did, per `table.column` (row counts), and what they kept. */
export interface ErasedRows {
  deleted: Record<string, number>;
  nullified: Record<string, number>;
  kept: string[];
}

/** Runs every declared eraser for `userId`, in order. */
async function runErasers(q: Queryable, userId: string): Promise<ErasedRows> {
  const out: ErasedRows = { deleted: {}, nullified: {}, kept: [] };
  for (const e of erasers()) {
    const id = `${e.table}.${e.column}`;
    // The users table has one writer (platform/users.ts).
    if (id === 'users.manager_id') out.nullified[id] = await clearManagerOf(q, userId);
    else if (e.action === 'keep') out.kept.push(id);
    else if (e.action === 'delete') out.deleted[id] = (await q.query(`DELETE FROM ${e.table} WHERE ${e.column} = $1`, [userId])).rowCount ?? 0;
    else if (e.action === 'nullify') out.nullified[id] = (await q.query(`UPDATE ${e.table} SET ${e.column} = NULL WHERE ${e.column} = $1`, [userId])).rowCount ?? 0;
    else out.deleted[id] = await e.action(q, userId);
  }
  return out;
}

onUserLifecycle('erased', 'erasers', async (q, e) => ({ ...(await runErasers(q, e.userId)) }));

/** What one erasure did, per table (row counts), and whether a subject key was destroyed. */
export interface ErasureReport {
  request_id: string;
  subject_id: string;
  deleted: Record<string, number>;
  nullified: Record<string, number>;
  kept: string[];
  subject_key_destroyed: boolean;
}

/**
 * Erases a person in one transaction. Refused for yourself (`erasure_self`), for the last
 * active admin (`last_admin`) and for an unknown or already erased person (`user_not_found`,
 * `already_erased`); nothing changes then.
 */
export async function erasePerson(q: Queryable, tenantId: string, actor: AuditActor & { id: string }, userId: string, reason: string, now: Date): Promise<ErasureReport> {
  if (actor.type === 'user' && actor.id === userId) throw new ProblemError(409, 'erasure_self', 'Ask another admin to erase your own account.');
  const u = (await q.query<{ id: string; email: string; status: string; roles: string[] }>(`SELECT id, email, status, roles FROM users WHERE id = $1 FOR UPDATE`, [userId])).rows[0];
  if (!u) throw new ProblemError(404, 'user_not_found', 'No such person in this organisation.');
  if (u.status === 'erased') throw new ProblemError(409, 'already_erased', 'This person was erased already.');
  if (u.roles.includes('admin')) {
    const admins = await q.query(`SELECT 1 FROM users WHERE status = 'active' AND 'admin' = ANY (roles) AND id <> $1`, [userId]);
    if (!admins.rows.length) throw new ProblemError(409, 'last_admin', 'This is the last active admin; make someone else admin first.');
  }
  const { rows } = await q.query<{ id: string }>(`INSERT INTO erasure_requests (tenant_id, subject_id, reason, requested_by, requested_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [tenantId, userId, reason, actor.type === 'user' ? actor.id : null, now]);
  const requestId = rows[0]!.id;
  await q.query(`UPDATE probe_signing_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE user_id = $1`, [userId, now]);
  await q.query(`DELETE FROM login_throttle WHERE key LIKE $1`, [`%${u.email.replace(/[\\%_]/g, (c) => '\\' + c)}%`]);
  // Security-alert mails not yet sent name the person's account and client addresses.
  await q.query(`DELETE FROM outbox WHERE topic = $1 AND payload->>'userId' = $2`, [SECURITY_ALERT_TOPIC, userId]);
  // The erased lifecycle (platform/users.ts) runs every subscriber, among them the column
  // erasers (runErasers above), then anonymises the user row, in this transaction.
  const done = (await eraseUser(q, tenantId, userId)).erasers as ErasedRows;
  const report: ErasureReport = { request_id: requestId, subject_id: userId, ...done, subject_key_destroyed: false };
  report.subject_key_destroyed = await destroySubjectKey(q, tenantId, userId);
  await q.query(`UPDATE erasure_requests SET completed_at = $2, report = $3 WHERE id = $1`, [requestId, now, JSON.stringify(report)]);
  await recordAudit(q, tenantId, actor, { action: 'governance.erasure.completed', outcome: 'success', target: { type: 'user', id: userId }, details: { request_id: requestId, reason, deleted: report.deleted, nullified: report.nullified, kept: report.kept, subject_key_destroyed: report.subject_key_destroyed } });
  return report;
}

export async function listErasures(q: Queryable): Promise<Array<{ id: string; subject_id: string; reason: string; requested_at: string; completed_at: string | null; report: Record<string, unknown> }>> {
  const { rows } = await q.query<{ id: string; subject_id: string; reason: string; requested_at: Date; completed_at: Date | null; report: Record<string, unknown> }>(`SELECT id, subject_id, reason, requested_at, completed_at, report FROM erasure_requests ORDER BY requested_at DESC LIMIT 500`);
  return rows.map((r) => ({ ...r, requested_at: r.requested_at.toISOString(), completed_at: r.completed_at?.toISOString() ?? null }));
}
