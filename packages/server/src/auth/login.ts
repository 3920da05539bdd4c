/**
 * Password login and the second-factor step (CORE-AUTHN, CORE-MFA). Each phase commits its
 * throttle counters and audit entries before the HTTP error is thrown, so failures count.
 */
import type { Queryable } from '@parapet/db';
import type { AppDeps } from '../deps.js';
import { recordAudit, type AuditActor } from '../audit/record.js';
import { ProblemError } from '../http/problem.js';
import { tenantBySlug } from '../tenants/service.js';
import { hashPassword, needsRehash, verifyPassword } from './password.js';
import { createHash } from 'node:crypto';
import { createSession, rotateSession, type SessionState } from './sessions.js';
import { ACCOUNT_MAX_FAILURES, countAttempt, recordFailure, recordSuccess, refusalProblem, type ThrottleRefusal } from './throttle.js';
import { hasConfirmedMfa, useRecoveryCode, verifyUserTotp } from './totp.js';
import { getAuthSettings } from './settings.js';
import { mustEnrolMfa } from '../people/service.js';

let dummyHash: Promise<string> | undefined;
/** Unknown users cost the same Argon2 work as known ones, so timing does not reveal accounts. */
const dummy = () => (dummyHash ??= hashPassword('parapet-dummy-password-for-timing'));

export interface LoginInput {
  org: string;
  email: string;
  password: string;
  /** The cookie the client sent, if any: its session ends (rotation on login). */
  previousCookie?: string | undefined;
}

export interface LoginResult {
  tenantId: string;
  userId: string;
  state: SessionState;
  cookie: string;
  csrfToken: string;
  sessionId: string;
}

const invalid = (remaining?: number) =>
  new ProblemError(401, 'invalid_credentials', 'The organisation, email or password is wrong.', remaining !== undefined ? { attempts_remaining: remaining } : {});

export async function passwordLogin(deps: AppDeps, input: LoginInput, actor: AuditActor): Promise<LoginResult> {
  const tenant = await tenantBySlug(deps.db, input.org.trim().toLowerCase());
  const email = input.email.trim().toLowerCase();
  const ip = actor.ip ?? 'unknown';
  if (!tenant) {
    await verifyPassword(await dummy(), input.password);
    throw invalid();
  }
  const tenantId = tenant.id;
  const now = deps.now();

  // Phase 1: count the attempt (commits), read the account.
  const pre = await deps.db.tx({ tenantId, actor: 'system:login' }, async (q) => {
    const refusal = await countAttempt(q, tenantId, email, ip, now);
    const { rows } = await q.query<{ id: string; password_hash: string | null; status: string; roles: string[] }>(`SELECT id, password_hash, status, roles FROM users WHERE email = $1`, [email]);
    const user = rows[0];
    if (refusal) {
      await recordAudit(q, tenantId, actor, { action: 'auth.login', outcome: 'denied', ...(user ? { target: { type: 'user', id: user.id } } : {}), details: { email, reason: refusal.reason, stage: 'password' } });
    }
    return { refusal, user };
  });
  if (pre.refusal) throw refusalProblem(pre.refusal);

  // Phase 2: Argon2id outside any transaction (it takes a while).
  const u = pre.user;
  const usable = u && u.status === 'active' && u.password_hash;
  const ok = usable ? await verifyPassword(u.password_hash!, input.password) : (await verifyPassword(await dummy(), input.password), false);
  const rehash = ok && needsRehash(u!.password_hash!) ? await hashPassword(input.password) : undefined;

  // Phase 3: record the outcome; on success open a (possibly half) session.
  const out = await deps.db.tx({ tenantId, actor: u ? `user:${u.id}` : 'system:login' }, async (q) => {
    if (!ok) {
      const locked = await recordFailure(q, email, now);
      const reason = !u ? 'unknown_user' : u.status !== 'active' ? 'deactivated' : !u.password_hash ? 'no_password' : 'bad_password';
      await recordAudit(q, tenantId, { ...actor, ...(u ? { id: u.id, type: 'user', name: email } : {}) }, { action: 'auth.login', outcome: 'failure', ...(u ? { target: { type: 'user', id: u.id } } : {}), details: { email, reason, stage: 'password', locked } });
      const { rows } = await q.query<{ failures: number }>(`SELECT failures FROM login_throttle WHERE key = $1`, [`acct:${email}`]);
      return { error: locked ? refusalProblem({ reason: 'locked', retryAfter: 15 * 60 }) : invalid(Math.max(0, ACCOUNT_MAX_FAILURES - (rows[0]?.failures ?? 0))) };
    }
    const userId = u!.id;
    const who: AuditActor = { ...actor, type: 'user', id: userId, name: email };
    await recordSuccess(q, email, ip);
    if (rehash) {
      await q.query(`UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, [userId, rehash]);
      await recordAudit(q, tenantId, who, { action: 'auth.password_rehashed', outcome: 'success', target: { type: 'user', id: userId } });
    }
    if (input.previousCookie) await endPreviousSession(q, tenantId, input.previousCookie);
    const settings = await getAuthSettings(q, tenantId);
    // Admins and security leads must have a second factor from their first sign-in
    // (CORE-MFA default); the tenant setting extends that to everyone.
    const state: SessionState = (await hasConfirmedMfa(q, userId)) ? 'mfa_pending' : mustEnrolMfa(u!.roles, settings.mfaRequired) ? 'mfa_enroll' : 'full';
    const s = await createSession(q, { tenantId, userId, ip: actor.ip, userAgent: actor.userAgent, state });
    await recordAudit(q, tenantId, who, { action: state === 'full' ? 'auth.login' : 'auth.mfa_challenge', outcome: 'success', target: { type: 'session', id: s.id }, details: { stage: 'password', state } });
    return { result: { tenantId, userId, state, cookie: s.cookie, csrfToken: s.csrfToken, sessionId: s.id } };
  });
  if ('error' in out) throw out.error;
  return out.result!;
}

async function endPreviousSession(q: Queryable, tenantId: string, cookie: string): Promise<void> {
  const dot = cookie.indexOf('.');
  if (dot < 0 || cookie.slice(0, dot) !== tenantId) return;
  const hash = createHash('sha256').update(cookie.slice(dot + 1)).digest();
  await q.query(`UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL`, [hash]);
}

export interface SecondFactor {
  code?: string | undefined;
  recovery_code?: string | undefined;
}

export type MfaMethod = 'totp' | 'recovery_code' | 'webauthn';
/** Checks one second factor inside the caller's transaction; the method that passed, or undefined. */
export type MfaVerifier = (q: Queryable) => Promise<MfaMethod | undefined>;

function codeVerifier(deps: AppDeps, tenantId: string, userId: string, f: SecondFactor): MfaVerifier {
  return async (q) => {
    if (f.code && (await verifyUserTotp(q, deps.keys, tenantId, userId, f.code, deps.now()))) return 'totp';
    if (f.recovery_code && (await hasConfirmedMfa(q, userId)) && (await useRecoveryCode(q, userId, f.recovery_code))) return 'recovery_code';
    return undefined;
  };
}

/** Runs a verifier, throttled like passwords (the account's counter and the IP's). */
async function checkSecondFactor(q: Queryable, deps: AppDeps, tenantId: string, email: string, ip: string, verify: MfaVerifier): Promise<{ method?: MfaMethod; refusal?: ThrottleRefusal }> {
  const now = deps.now();
  const refusal = await countAttempt(q, tenantId, email, ip, now);
  if (refusal) return { refusal };
  const method = await verify(q);
  if (method) await recordSuccess(q, email, ip);
  else await recordFailure(q, email, now);
  return method ? { method } : {};
}

/**
 * Second factor for a session: completes a pending login ('mfa_pending' -> 'full') or is a
 * step-up of a full session. Either way the session's credential rotates and its MFA time
 * is set (markMfaVerified semantics).
 */
export async function completeSecondFactor(
  deps: AppDeps,
  s: { tenantId: string; userId: string; email: string; sessionId: string },
  f: SecondFactor | MfaVerifier,
  actor: AuditActor,
  kind: 'login' | 'step_up',
): Promise<{ cookie: string; csrfToken: string; method: string; mfaVerifiedAt: Date }> {
  if (typeof f !== 'function' && !f.code && !f.recovery_code) throw new ProblemError(400, 'code_required', 'Send a TOTP code (code) or a recovery code (recovery_code).');
  const verifier = typeof f === 'function' ? f : codeVerifier(deps, s.tenantId, s.userId, f);
  const who: AuditActor = { ...actor, type: 'user', id: s.userId, name: s.email };
  const out = await deps.db.tx({ tenantId: s.tenantId, actor: `user:${s.userId}` }, async (q) => {
    const r = await checkSecondFactor(q, deps, s.tenantId, s.email, actor.ip ?? 'unknown', verifier);
    const action = kind === 'login' ? 'auth.login' : 'auth.step_up';
    if (!r.method) {
      await recordAudit(q, s.tenantId, who, { action, outcome: r.refusal ? 'denied' : 'failure', target: { type: 'session', id: s.sessionId }, details: { stage: 'mfa', reason: r.refusal?.reason ?? 'bad_code' } });
      return { error: r.refusal ? refusalProblem(r.refusal) : new ProblemError(401, 'mfa_code_invalid', 'The code is wrong, expired or already used.') };
    }
    const at = deps.now();
    const rot = await rotateSession(q, s.tenantId, s.sessionId, { state: 'full', mfaVerifiedAt: at });
    await recordAudit(q, s.tenantId, who, { action, outcome: 'success', target: { type: 'session', id: s.sessionId }, details: { stage: 'mfa', method: r.method } });
    return { ok: { ...rot, method: r.method, mfaVerifiedAt: at } };
  });
  if ('error' in out) throw out.error;
  return out.ok!;
}
