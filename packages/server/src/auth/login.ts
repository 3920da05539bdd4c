/**
 * Password login and the second-factor step (CORE-AUTHN, CORE-MFA). Each phase commits its
 * throttle counters and audit entries before the HTTP error is thrown, so failures count.
 */
import type { Queryable } from '@parapet/db';
import type { AppDeps } from '../deps.js';
import { recordAudit, type AuditActor } from '../platform/audit.js';
import { recordBudgeted } from '../audit/index.js';
import { ProblemError } from '../http/problem.js';
import { tenantBySlug } from '../platform/tenants.js';
import { hashPassword, needsRehash, verifyPassword } from './password.js';
import { createHash } from 'node:crypto';
import { createSession, rotateSession, type SessionState } from './sessions.js';
import { countAttempt, dbThrottle, giveBackIp, ipKey, memoryThrottle, mfaKey, passwordKeys, purgeStaleThrottle, recordFullSignIn, refusalProblem, type ThrottleRefusal } from './throttle.js';
import { hasConfirmedMfa, useRecoveryCode, verifyUserTotp } from './totp.js';
import { getAuthSettings, mustEnrolMfa } from './settings.js';
import { setPasswordHash } from '../platform/users.js';
import { enqueueSecurityAlert } from './security-alerts.js';

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

/** The one answer for a wrong organisation, email or password: nothing tells them apart. */
const invalid = () => new ProblemError(401, 'invalid_credentials', 'The organisation, email or password is wrong.');

export async function passwordLogin(deps: AppDeps, input: LoginInput, actor: AuditActor): Promise<LoginResult> {
  const org = input.org.trim().toLowerCase();
  const tenant = await tenantBySlug(deps.db, org);
  const email = input.email.trim().toLowerCase();
  const ip = actor.ip ?? 'unknown';
  const now = deps.now();
  if (!tenant) {
    // The same throttle rules and the same Argon2 work as an existing organisation, in memory
    // (nothing is written for a tenant that does not exist).
    const refusal = await countAttempt(memoryThrottle(org), await passwordKeys(undefined, email, ip, now), now);
    if (refusal) throw refusalProblem(refusal);
    await verifyPassword(await dummy(), input.password);
    throw invalid();
  }
  const tenantId = tenant.id;

  // Phase 1: count the attempt (commits), read the account.
  const pre = await deps.db.tx({ tenantId, actor: 'system:login' }, async (q) => {
    if (Math.random() < 1 / 64) await purgeStaleThrottle(q, now);
    const delaysStarted: string[] = [];
    const refusal = await countAttempt(dbThrottle(q, tenantId), await passwordKeys(q, email, ip, now), now, delaysStarted);
    const { rows } = await q.query<{ id: string; password_hash: string | null; status: string; roles: string[] }>(`SELECT id, password_hash, status, roles FROM users WHERE email = $1`, [email]);
    const user = rows[0];
    if (refusal) {
      await recordBudgeted(q, tenantId, actor, { action: 'auth.session.opened', outcome: 'denied', ...(user ? { target: { type: 'user', id: user.id } } : {}), details: { email, reason: refusal.reason, retry_after_seconds: refusal.retryAfter, stage: 'password' } });
    }
    return { refusal, user, delaysStarted };
  });
  if (pre.refusal) throw refusalProblem(pre.refusal);

  // Phase 2: Argon2id outside any transaction (it takes a while).
  const u = pre.user;
  const usable = u && u.status === 'active' && u.password_hash;
  const ok = usable ? await verifyPassword(u.password_hash!, input.password) : (await verifyPassword(await dummy(), input.password), false);
  const rehash = ok && needsRehash(u!.password_hash!) ? await hashPassword(input.password) : undefined;

  // Phase 3: record the outcome; on success open a (possibly half) session. A failure stays
  // counted (it was counted in phase 1).
  const out = await deps.db.tx({ tenantId, actor: u ? `user:${u.id}` : 'system:login' }, async (q) => {
    if (!ok) {
      const reason = !u ? 'unknown_user' : u.status !== 'active' ? 'deactivated' : !u.password_hash ? 'no_password' : 'bad_password';
      await recordBudgeted(q, tenantId, { ...actor, ...(u ? { id: u.id, type: 'user', name: email } : {}) }, { action: 'auth.session.opened', outcome: 'failure', ...(u ? { target: { type: 'user', id: u.id } } : {}), details: { email, reason, stage: 'password' } });
      // This failure started the account's delays: its owner hears of it (at most once an hour).
      if (u && u.status === 'active' && pre.delaysStarted.length) await alertDelays(q, deps, tenantId, u.id, 'password', ip, now);
      return { error: invalid() };
    }
    const userId = u!.id;
    const who: AuditActor = { ...actor, type: 'user', id: userId, name: email };
    if (rehash) {
      await setPasswordHash(q, userId, rehash);
      await recordAudit(q, tenantId, who, { action: 'auth.password.rehashed', outcome: 'success', target: { type: 'user', id: userId } });
    }
    if (input.previousCookie) await endPreviousSession(q, tenantId, input.previousCookie);
    const settings = await getAuthSettings(q, tenantId);
    // Admins and security leads must have a second factor from their first sign-in
    // (CORE-MFA default); the tenant setting extends that to everyone.
    const state: SessionState = (await hasConfirmedMfa(q, userId)) ? 'mfa_pending' : mustEnrolMfa(u!.roles, settings.mfaRequired) ? 'mfa_enroll' : 'full';
    // With a second factor outstanding the password's counters stay as they are: only the
    // second factor's success clears them (completeSecondFactor).
    if (state === 'mfa_pending') await giveBackIp(q, ip);
    else if (await recordFullSignIn(q, tenantId, email, userId, ip, now)) await alertNewAddress(q, deps, tenantId, userId, ip, now);
    const s = await createSession(q, { tenantId, userId, ip: actor.ip, userAgent: actor.userAgent, state });
    await recordAudit(q, tenantId, who, { action: state === 'full' ? 'auth.session.opened' : 'auth.mfa.challenged', outcome: 'success', target: { type: 'session', id: s.id }, details: { stage: 'password', state } });
    return { result: { tenantId, userId, state, cookie: s.cookie, csrfToken: s.csrfToken, sessionId: s.id } };
  });
  if ('error' in out) throw out.error;
  return out.result!;
}

/** Mails the owner that failed attempts started delays on their account (one mail per account, stage and hour). */
async function alertDelays(q: Queryable, deps: AppDeps, tenantId: string, userId: string, stage: 'password' | 'mfa', ip: string, now: Date): Promise<void> {
  const hour = Math.floor(now.getTime() / 3_600_000);
  await enqueueSecurityAlert(q, tenantId, deps.mailer, { kind: 'sign_in_delayed', userId, at: now.toISOString(), ...(ip !== 'unknown' ? { ip } : {}), details: { stage } }, `delay:${userId}:${stage}:${hour}`);
}

/** Mails the owner that their account signed in from an address new to it. */
async function alertNewAddress(q: Queryable, deps: AppDeps, tenantId: string, userId: string, ip: string, now: Date): Promise<void> {
  if (ip === 'unknown') return;
  await enqueueSecurityAlert(q, tenantId, deps.mailer, { kind: 'new_sign_in_address', userId, at: now.toISOString(), ip });
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

/**
 * Runs a verifier, throttled per account across addresses (`mfa:<user id>`) and per address
 * (`ip:`). Success clears the account's counters (password ones included) and makes the address
 * known; failure stays counted.
 */
async function checkSecondFactor(q: Queryable, deps: AppDeps, tenantId: string, userId: string, email: string, ip: string, verify: MfaVerifier): Promise<{ method?: MfaMethod; refusal?: ThrottleRefusal }> {
  const now = deps.now();
  const delaysStarted: string[] = [];
  const refusal = await countAttempt(dbThrottle(q, tenantId), [ipKey(ip), mfaKey(userId)], now, delaysStarted);
  if (refusal) return { refusal };
  const method = await verify(q);
  if (method && (await recordFullSignIn(q, tenantId, email, userId, ip, now))) await alertNewAddress(q, deps, tenantId, userId, ip, now);
  // Wrong second factors after a right password: the person should know their password is out.
  if (!method && delaysStarted.length) await alertDelays(q, deps, tenantId, userId, 'mfa', ip, now);
  return method ? { method } : {};
}

/**
 * Second factor for a session: completes a pending login ('mfa_pending' -> 'full') or is a
 * step-up of a full session. Either way the session's credential rotates and its MFA time
 * is set: this is the only place a session's MFA time moves.
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
    const r = await checkSecondFactor(q, deps, s.tenantId, s.userId, s.email, actor.ip ?? 'unknown', verifier);
    const action = kind === 'login' ? 'auth.session.opened' : 'auth.session.stepped_up';
    if (!r.method) {
      await recordAudit(q, s.tenantId, who, { action, outcome: r.refusal ? 'denied' : 'failure', target: { type: 'session', id: s.sessionId }, details: { stage: 'mfa', reason: r.refusal?.reason ?? 'bad_code', ...(r.refusal ? { retry_after_seconds: r.refusal.retryAfter } : {}) } });
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
