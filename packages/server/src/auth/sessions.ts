import { createHash, randomBytes } from 'node:crypto';
import type { Database, Queryable } from '@parapet/db';
import type { UserPrincipal, Role } from '../platform/principal.js';
import { onUserLifecycle } from '../platform/users.js';
import { settingFrom, settingSql } from '../platform/settings.js';
import { STEP_UP_MAX_AGE_SECONDS } from './settings.js';

export const SESSION_COOKIE = '__Host-parapet_session';
export const CSRF_HEADER = 'x-csrf-token';
/** Idle and absolute lifetimes (CORE-AUTHN). */
export const SESSION_IDLE_SECONDS = 30 * 60;
export const SESSION_ABSOLUTE_SECONDS = 12 * 3600;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const hashToken = (s: string) => createHash('sha256').update(s).digest();

export interface NewSession {
  tenantId: string;
  userId: string;
  ip?: string | undefined;
  userAgent?: string | undefined;
  mfaVerifiedAt?: Date | null;
  /** 'full' unless a second factor (or MFA enrolment) is still outstanding. */
  state?: SessionState;
}

export type SessionState = 'full' | 'mfa_pending' | 'mfa_enroll';
/** A half-signed-in session (password ok, second factor outstanding) lives this long. */
export const PENDING_SESSION_SECONDS = 5 * 60;

/** Creates a session inside the caller's tenant transaction; returns the cookie value. */
export async function createSession(q: Queryable, s: NewSession): Promise<{ id: string; cookie: string; csrfToken: string }> {
  const secret = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO sessions (tenant_id, user_id, token_hash, csrf_token, expires_at, mfa_verified_at, ip, user_agent, state)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6, $7, $8, $9) RETURNING id`,
    [s.tenantId, s.userId, hashToken(secret), csrfToken, (s.state ?? 'full') === 'full' ? SESSION_ABSOLUTE_SECONDS : PENDING_SESSION_SECONDS, s.mfaVerifiedAt ?? null, s.ip ?? null, s.userAgent ?? null, s.state ?? 'full'],
  );
  return { id: rows[0]!.id, cookie: `${s.tenantId}.${secret}`, csrfToken };
}

/**
 * Resolves a session cookie. The cookie names its tenant; the lookup runs under that tenant's
 * RLS, so a cookie naming the wrong tenant finds nothing. Expired (idle or absolute), revoked
 * sessions and deactivated users resolve to undefined.
 */
export async function resolveSession(db: Database, cookie: string): Promise<UserPrincipal | undefined> {
  const r = await resolveAnySession(db, cookie);
  return r && r.state === 'full' ? r.principal : undefined;
}

function splitCookie(cookie: string): { tenantId: string; secret: string } | undefined {
  const dot = cookie.indexOf('.');
  const tenantId = cookie.slice(0, dot);
  const secret = cookie.slice(dot + 1);
  if (dot < 0 || !UUID.test(tenantId) || secret.length < 16) return undefined;
  return { tenantId, secret };
}

/**
 * Like resolveSession, but also finds half-signed-in sessions (state mfa_pending /
 * mfa_enroll), which only the MFA routes accept. The tenant's step-up age comes along.
 */
export async function resolveAnySession(db: Database, cookie: string): Promise<{ principal: UserPrincipal; state: SessionState } | undefined> {
  const c = splitCookie(cookie);
  if (!c) return undefined;
  const { tenantId, secret } = c;
  return db.tx({ tenantId, actor: 'system:session' }, async (q) => {
    const { rows } = await q.query<{ id: string; user_id: string; email: string; roles: Role[]; mfa_verified_at: Date | null; csrf_token: string; state: SessionState; step_up: unknown }>(
      `UPDATE sessions s SET last_seen_at = now()
         FROM users u, tenants t
        WHERE s.tenant_id = $1 AND s.token_hash = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
          AND s.last_seen_at > now() - make_interval(secs => $3)
          AND u.tenant_id = s.tenant_id AND u.id = s.user_id AND u.status = 'active' AND t.id = s.tenant_id
       RETURNING s.id, s.user_id, u.email, u.roles, s.mfa_verified_at, s.csrf_token, s.state, ${settingSql(STEP_UP_MAX_AGE_SECONDS, 't')} AS step_up`,
      [tenantId, hashToken(secret), SESSION_IDLE_SECONDS],
    );
    const r = rows[0];
    if (!r) return undefined;
    const principal: UserPrincipal = { kind: 'user', tenantId, userId: r.user_id, email: r.email, roles: r.roles, sessionId: r.id, mfaVerifiedAt: r.mfa_verified_at, csrfToken: r.csrf_token };
    principal.stepUpSeconds = settingFrom(STEP_UP_MAX_AGE_SECONDS, r.step_up);
    return { principal, state: r.state };
  });
}

/**
 * Rotates a session's credential (new secret, new CSRF token; same id) and sets its state,
 * e.g. on MFA completion and step-up (privilege change): a cookie captured before no longer works.
 * `mfaVerifiedAt` is the session's MFA time; only a passed second-factor check
 * (login.ts completeSecondFactor) may set it, never the registration of a factor.
 */
export async function rotateSession(q: Queryable, tenantId: string, sessionId: string, o: { state?: SessionState; mfaVerifiedAt?: Date } = {}): Promise<{ cookie: string; csrfToken: string }> {
  const secret = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await q.query(
    `UPDATE sessions SET token_hash = $2, csrf_token = $3,
            state = COALESCE($4, state), mfa_verified_at = COALESCE($5, mfa_verified_at),
            expires_at = CASE WHEN state <> 'full' AND $4 = 'full' THEN now() + make_interval(secs => $6) ELSE expires_at END
      WHERE id = $1 AND revoked_at IS NULL`,
    [sessionId, hashToken(secret), csrfToken, o.state ?? null, o.mfaVerifiedAt ?? null, SESSION_ABSOLUTE_SECONDS],
  );
  return { cookie: `${tenantId}.${secret}`, csrfToken };
}

/** The user's live sessions (My account). */
export async function listUserSessions(q: Queryable, userId: string) {
  const { rows } = await q.query<{ id: string; created_at: Date; last_seen_at: Date; expires_at: Date; ip: string | null; user_agent: string | null; mfa_verified_at: Date | null }>(
    `SELECT id, created_at, last_seen_at, expires_at, ip, user_agent, mfa_verified_at FROM sessions
      WHERE user_id = $1 AND revoked_at IS NULL AND state = 'full' AND expires_at > now()
        AND last_seen_at > now() - make_interval(secs => $2)
      ORDER BY last_seen_at DESC`,
    [userId, SESSION_IDLE_SECONDS],
  );
  return rows;
}

export async function revokeSession(q: Queryable, sessionId: string): Promise<void> {
  await q.query(`UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [sessionId]);
}

/** Ends every session of a user (logout everywhere, deactivation, password change). */
export async function revokeUserSessions(q: Queryable, userId: string): Promise<number> {
  return (await q.query(`UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [userId])).rowCount;
}

// A deactivated person is signed out at once, and a role change is a privilege change: the
// person signs in again, meeting the MFA rule of the new roles (CORE-AUTHN, CORE-SCIM).
onUserLifecycle('deactivated', 'sessions', async (q, e) => ({ sessions_revoked: await revokeUserSessions(q, e.userId) }), { order: 10 });
onUserLifecycle('roles_changed', 'sessions', async (q, e) => ({ sessions_revoked: await revokeUserSessions(q, e.userId) }), { order: 10 });

export function sessionCookieOptions() {
  return { path: '/', httpOnly: true, secure: true, sameSite: 'strict' as const, maxAge: SESSION_ABSOLUTE_SECONDS };
}
