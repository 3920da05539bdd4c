import { createHash, randomBytes } from 'node:crypto';
import type { Database, Queryable } from '@parapet/db';
import type { UserPrincipal, Role } from './principal.js';

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
}

/** Creates a session inside the caller's tenant transaction; returns the cookie value. */
export async function createSession(q: Queryable, s: NewSession): Promise<{ id: string; cookie: string; csrfToken: string }> {
  const secret = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO sessions (tenant_id, user_id, token_hash, csrf_token, expires_at, mfa_verified_at, ip, user_agent)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6, $7, $8) RETURNING id`,
    [s.tenantId, s.userId, hashToken(secret), csrfToken, SESSION_ABSOLUTE_SECONDS, s.mfaVerifiedAt ?? null, s.ip ?? null, s.userAgent ?? null],
  );
  return { id: rows[0]!.id, cookie: `${s.tenantId}.${secret}`, csrfToken };
}

/**
 * Resolves a session cookie. The cookie names its tenant; the lookup runs under that tenant's
 * RLS, so a cookie naming the wrong tenant finds nothing. Expired (idle or absolute), revoked
 * sessions and deactivated users resolve to undefined.
 */
export async function resolveSession(db: Database, cookie: string): Promise<UserPrincipal | undefined> {
  const dot = cookie.indexOf('.');
  const tenantId = cookie.slice(0, dot);
  const secret = cookie.slice(dot + 1);
  if (dot < 0 || !UUID.test(tenantId) || secret.length < 16) return undefined;
  return db.tx({ tenantId, actor: 'system:session' }, async (q) => {
    const { rows } = await q.query<{ id: string; user_id: string; email: string; roles: Role[]; mfa_verified_at: Date | null; csrf_token: string }>(
      `UPDATE sessions s SET last_seen_at = now()
         FROM users u
        WHERE s.tenant_id = $1 AND s.token_hash = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
          AND s.last_seen_at > now() - make_interval(secs => $3)
          AND u.tenant_id = s.tenant_id AND u.id = s.user_id AND u.status = 'active'
       RETURNING s.id, s.user_id, u.email, u.roles, s.mfa_verified_at, s.csrf_token`,
      [tenantId, hashToken(secret), SESSION_IDLE_SECONDS],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { kind: 'user', tenantId, userId: r.user_id, email: r.email, roles: r.roles, sessionId: r.id, mfaVerifiedAt: r.mfa_verified_at, csrfToken: r.csrf_token };
  });
}

export async function revokeSession(q: Queryable, sessionId: string): Promise<void> {
  await q.query(`UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [sessionId]);
}

/** Ends every session of a user (logout everywhere, deactivation, password change). */
export async function revokeUserSessions(q: Queryable, userId: string): Promise<number> {
  return (await q.query(`UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [userId])).rowCount;
}

/** Records a passed MFA check on the session (step-up). */
export async function markMfaVerified(q: Queryable, sessionId: string, at: Date): Promise<void> {
  await q.query(`UPDATE sessions SET mfa_verified_at = $2 WHERE id = $1`, [sessionId, at]);
}

export function sessionCookieOptions() {
  return { path: '/', httpOnly: true, secure: true, sameSite: 'strict' as const, maxAge: SESSION_ABSOLUTE_SECONDS };
}
