/**
 * Support access by customer grant (CORE-SUPPORT): the data side.
 *
 * Vendor support staff are a deployment-wide realm (tables support_staff, support_credentials):
 * no tenant membership, WebAuthn-only sign-in, enrolled by the deployment operator with a
 * one-time code from `parapet support staff add`. A tenant admin opens a grant (reason, ticket
 * reference, duration up to the tenant maximum, read_only or read_write) with step-up; only
 * while it is open can a support member open a session, and the session lives in that tenant
 * (its cookie names the tenant; every query runs under that tenant's RLS), ends with the grant's
 * expiry, and ends at once when the grant is revoked (checked on every request).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database, Queryable } from '@parapet/db';
import { recordAudit, type AuditActor } from '../platform/audit.js';
import { ProblemError } from '../http/problem.js';
import { integerSetting, readSetting } from '../platform/settings.js';

export const SUPPORT_COOKIE = '__Host-parapet_support';
/** Default and hard upper bound of a grant's duration (hours); a tenant lowers it with settings.support_grant_max_hours. */
export const SUPPORT_GRANT_DEFAULT_MAX_HOURS = 72;
export const SUPPORT_GRANT_HARD_MAX_HOURS = 24 * 14;
/** A support session's idle lifetime (s); it never outlives its grant. */
export const SUPPORT_SESSION_IDLE_SECONDS = 30 * 60;
/** Enrolment codes live this long (s). */
export const SUPPORT_ENROLMENT_SECONDS = 24 * 3600;
export const SUPPORT_SCOPES = ['read_only', 'read_write'] as const;
export type SupportScope = (typeof SUPPORT_SCOPES)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** A support session resolved from its cookie: pinned to one tenant and one grant. */
export interface SupportPrincipal {
  kind: 'support';
  tenantId: string;
  sessionId: string;
  grantId: string;
  scope: SupportScope;
  staffId: string;
  staffEmail: string;
  /** When the grant ends (the session ends with it). */
  expiresAt: Date;
  csrfToken: string;
}

/**
 * The audit actor of a support member in the customer's log. Actor types are user, device or
 * system; vendor staff are not tenant users, so they appear as `system` with id
 * `support:<staff id>` and their e-mail as name; details carry the grant id.
 */
export function supportActor(p: Pick<SupportPrincipal, 'staffId' | 'staffEmail'>, ip?: string, userAgent?: string): AuditActor {
  return { type: 'system', id: `support:${p.staffId}`, name: p.staffEmail, ...(ip ? { ip } : {}), ...(userAgent ? { userAgent } : {}) };
}

// ---------------------------------------------------------------------------------------
// Vendor realm (operator CLI)
// ---------------------------------------------------------------------------------------

/**
 * Adds a support member (or re-issues the enrolment code of an existing one) and returns a
 * one-time enrolment code valid {@link SUPPORT_ENROLMENT_SECONDS}. Throws 400
 * support_email_invalid.
 */
export async function addSupportStaff(db: Database, email: string, name = ''): Promise<{ staffId: string; email: string; code: string; expiresAt: Date }> {
  const e = email.trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(e) || e.length > 320) throw new ProblemError(400, 'support_email_invalid', 'Give the support member a valid e-mail address.');
  const code = randomBytes(18).toString('base64url');
  return db.tx({ actor: 'system:cli' }, async (q) => {
    const { rows } = await q.query<{ id: string }>(
      `INSERT INTO support_staff (email, name) VALUES ($1, $2) ON CONFLICT (email) DO UPDATE SET disabled_at = NULL RETURNING id`,
      [e, name],
    );
    const staffId = rows[0]!.id;
    const r = await q.query<{ expires_at: Date }>(
      `INSERT INTO support_enrolments (staff_id, code_hash, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (staff_id) DO UPDATE SET code_hash = EXCLUDED.code_hash, challenge = NULL, expires_at = EXCLUDED.expires_at RETURNING expires_at`,
      [staffId, sha256(code), SUPPORT_ENROLMENT_SECONDS],
    );
    return { staffId, email: e, code, expiresAt: r.rows[0]!.expires_at };
  });
}

/** Lists support members with their number of keys. */
export async function listSupportStaff(db: Database): Promise<Array<{ id: string; email: string; name: string; keys: number; disabled: boolean; created_at: Date }>> {
  return db.tx({ actor: 'system:cli' }, async (q) =>
    (await q.query<{ id: string; email: string; name: string; keys: number; disabled: boolean; created_at: Date }>(
      `SELECT s.id, s.email, s.name, (SELECT count(*)::int FROM support_credentials c WHERE c.staff_id = s.id) AS keys, s.disabled_at IS NOT NULL AS disabled, s.created_at
         FROM support_staff s ORDER BY s.email`,
    )).rows,
  );
}

/** Disables a support member: no new sign-in. Open sessions end at their next request. Throws 404 support_staff_not_found. */
export async function disableSupportStaff(db: Database, email: string): Promise<void> {
  await db.tx({ actor: 'system:cli' }, async (q) => {
    const r = await q.query(`UPDATE support_staff SET disabled_at = now() WHERE email = $1 AND disabled_at IS NULL`, [email.trim().toLowerCase()]);
    if (!r.rowCount) throw new ProblemError(404, 'support_staff_not_found', `There is no active support member ${email}.`);
    await q.query(`DELETE FROM support_enrolments WHERE staff_id = (SELECT id FROM support_staff WHERE email = $1)`, [email.trim().toLowerCase()]);
  });
}

// ---------------------------------------------------------------------------------------
// Grants (tenant side)
// ---------------------------------------------------------------------------------------

export interface SupportGrant {
  id: string;
  reason: string;
  ticket: string;
  scope: SupportScope;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  status: 'open' | 'expired' | 'revoked';
  /** Live support sessions under this grant (the customer sees who is in). */
  sessions: Array<{ id: string; staff_email: string; created_at: string; last_seen_at: string; ip: string | null }>;
}

/** Tenant setting `support_grant_max_hours`: the longest grant an admin may open (1 hour to the hard maximum). */
export const SUPPORT_GRANT_MAX_HOURS = integerSetting({ key: 'support_grant_max_hours', owner: 'governance', default: SUPPORT_GRANT_DEFAULT_MAX_HOURS, min: 1, max: SUPPORT_GRANT_HARD_MAX_HOURS, outOfRange: 'clamp' });

/** The tenant's maximum grant duration (hours). */
export async function maxGrantHours(q: Queryable, tenantId: string): Promise<number> {
  return readSetting(q, SUPPORT_GRANT_MAX_HOURS, tenantId);
}

/**
 * Opens a grant in the caller's tenant transaction, audited with it. `hours` must be within the
 * tenant maximum: throws 422 support_grant_too_long otherwise (nothing written).
 */
export async function openGrant(q: Queryable, tenantId: string, actor: AuditActor & { id: string }, g: { reason: string; ticket: string; hours: number; scope: SupportScope }, now: Date): Promise<SupportGrant> {
  const max = await maxGrantHours(q, tenantId);
  if (g.hours > max) throw new ProblemError(422, 'support_grant_too_long', `A support grant may last at most ${max} hours in this organisation.`);
  const expires = new Date(now.getTime() + g.hours * 3600_000);
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO support_grants (tenant_id, reason, ticket, scope, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [tenantId, g.reason, g.ticket, g.scope, actor.id, now, expires],
  );
  const id = rows[0]!.id;
  await recordAudit(q, tenantId, actor, { action: 'support.grant.opened', outcome: 'success', target: { type: 'support_grant', id }, details: { grant_id: id, ticket: g.ticket, reason: g.reason, scope: g.scope, hours: g.hours, expires_at: expires.toISOString() } });
  return (await listGrants(q, now, id))[0]!;
}

/** Revokes a grant and ends its sessions at once, audited. Throws 404 support_grant_not_found, 409 support_grant_closed. */
export async function revokeGrant(q: Queryable, tenantId: string, actor: AuditActor & { id: string }, grantId: string, now: Date): Promise<SupportGrant> {
  const g = (await q.query<{ revoked: boolean; expired: boolean }>(`SELECT revoked_at IS NOT NULL AS revoked, expires_at <= $2 AS expired FROM support_grants WHERE id = $1`, [grantId, now])).rows[0];
  if (!g) throw new ProblemError(404, 'support_grant_not_found', 'There is no such support grant.');
  if (g.revoked || g.expired) throw new ProblemError(409, 'support_grant_closed', 'This support grant is already closed.');
  await q.query(`UPDATE support_grants SET revoked_at = $2, revoked_by = $3 WHERE id = $1`, [grantId, now, actor.id]);
  const ended = await q.query(`UPDATE support_sessions SET ended_at = $2 WHERE grant_id = $1 AND ended_at IS NULL`, [grantId, now]);
  await recordAudit(q, tenantId, actor, { action: 'support.grant.revoked', outcome: 'success', target: { type: 'support_grant', id: grantId }, details: { grant_id: grantId, sessions_ended: ended.rowCount } });
  return (await listGrants(q, now, grantId))[0]!;
}

/** The tenant's grants, newest first (or the one with `id`), with their live sessions. */
export async function listGrants(q: Queryable, now: Date, id?: string): Promise<SupportGrant[]> {
  const { rows } = await q.query<{ id: string; reason: string; ticket: string; scope: SupportScope; created_by: string; created_at: Date; expires_at: Date; revoked_at: Date | null }>(
    `SELECT id, reason, ticket, scope, created_by, created_at, expires_at, revoked_at FROM support_grants ${id ? 'WHERE id = $1' : ''} ORDER BY created_at DESC LIMIT 200`,
    id ? [id] : [],
  );
  const sessions = (await q.query<{ id: string; grant_id: string; staff_email: string; created_at: Date; last_seen_at: Date; ip: string | null }>(
    `SELECT s.id, s.grant_id, s.staff_email, s.created_at, s.last_seen_at, s.ip FROM support_sessions s JOIN support_grants g ON g.tenant_id = s.tenant_id AND g.id = s.grant_id
      WHERE s.ended_at IS NULL AND s.expires_at > $1 AND s.last_seen_at > $1::timestamptz - make_interval(secs => $2) AND g.revoked_at IS NULL AND g.expires_at > $1 ORDER BY s.created_at`,
    [now, SUPPORT_SESSION_IDLE_SECONDS],
  )).rows;
  return rows.map((r) => ({
    id: r.id, reason: r.reason, ticket: r.ticket, scope: r.scope, created_by: r.created_by,
    created_at: r.created_at.toISOString(), expires_at: r.expires_at.toISOString(), revoked_at: r.revoked_at?.toISOString() ?? null,
    status: r.revoked_at ? 'revoked' : r.expires_at <= now ? 'expired' : 'open',
    sessions: sessions.filter((s) => s.grant_id === r.id).map((s) => ({ id: s.id, staff_email: s.staff_email, created_at: s.created_at.toISOString(), last_seen_at: s.last_seen_at.toISOString(), ip: s.ip })),
  }));
}

// ---------------------------------------------------------------------------------------
// Support sessions
// ---------------------------------------------------------------------------------------

/**
 * Opens a support session for `staff` under grant `grantId` of `tenantId` (inside that
 * tenant's transaction), audited in the customer's log. Throws 403 support_grant_not_open
 * when the grant is unknown, expired or revoked (the refusal is audited by the caller).
 */
export async function openSupportSession(q: Queryable, tenantId: string, grantId: string, staff: { id: string; email: string }, ip: string | undefined, userAgent: string | undefined, now: Date): Promise<{ cookie: string; csrfToken: string; principal: SupportPrincipal }> {
  const g = (await q.query<{ scope: SupportScope; expires_at: Date }>(`SELECT scope, expires_at FROM support_grants WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2`, [grantId, now])).rows[0];
  if (!g) throw new ProblemError(403, 'support_grant_not_open', 'There is no open support grant with this id in this organisation.');
  const secret = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO support_sessions (tenant_id, grant_id, staff_id, staff_email, token_hash, csrf_token, created_at, last_seen_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) RETURNING id`,
    [tenantId, grantId, staff.id, staff.email, sha256(secret), csrfToken, now, g.expires_at, ip ?? null],
  );
  const principal: SupportPrincipal = { kind: 'support', tenantId, sessionId: rows[0]!.id, grantId, scope: g.scope, staffId: staff.id, staffEmail: staff.email, expiresAt: g.expires_at, csrfToken };
  await recordAudit(q, tenantId, supportActor(principal, ip, userAgent), { action: 'support.session.opened', outcome: 'success', target: { type: 'support_grant', id: grantId }, details: { grant_id: grantId, session_id: principal.sessionId, scope: g.scope, method: 'webauthn' } });
  return { cookie: `${tenantId}.${secret}`, csrfToken, principal };
}

/**
 * Resolves a support cookie `<tenant id>.<secret>`. The lookup runs under the tenant the cookie
 * names, so a cookie edited to name another tenant finds nothing. The session must be live, its
 * grant open (not revoked, not expired) and its member not disabled; otherwise undefined.
 */
export async function resolveSupportSession(db: Database, cookie: string, now: Date): Promise<SupportPrincipal | undefined> {
  const dot = cookie.indexOf('.');
  const tenantId = cookie.slice(0, dot);
  const secret = cookie.slice(dot + 1);
  if (dot < 0 || !UUID.test(tenantId) || secret.length < 16) return undefined;
  return db.tx({ tenantId, actor: 'system:support-session' }, async (q) => {
    const { rows } = await q.query<{ id: string; grant_id: string; staff_id: string; staff_email: string; csrf_token: string; scope: SupportScope; expires_at: Date }>(
      `UPDATE support_sessions s SET last_seen_at = $3
         FROM support_grants g, support_staff st
        WHERE s.tenant_id = $1 AND s.token_hash = $2 AND s.ended_at IS NULL AND s.expires_at > $3
          AND s.last_seen_at > $3::timestamptz - make_interval(secs => $4)
          AND g.tenant_id = s.tenant_id AND g.id = s.grant_id AND g.revoked_at IS NULL AND g.expires_at > $3
          AND st.id = s.staff_id AND st.disabled_at IS NULL
       RETURNING s.id, s.grant_id, s.staff_id, s.staff_email, s.csrf_token, g.scope, g.expires_at`,
      [tenantId, sha256(secret), now, SUPPORT_SESSION_IDLE_SECONDS],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { kind: 'support', tenantId, sessionId: r.id, grantId: r.grant_id, scope: r.scope, staffId: r.staff_id, staffEmail: r.staff_email, expiresAt: r.expires_at, csrfToken: r.csrf_token };
  });
}
