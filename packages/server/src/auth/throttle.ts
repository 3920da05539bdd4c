/**
 * Login throttling and lockout (CORE-AUTHN), kept in PostgreSQL so every replica counts the
 * same attempts. An attempt is counted BEFORE the password is checked (the row is locked by
 * the upsert), so parallel guesses cannot overtake the counter; a success gives it back.
 */
import type { Queryable } from '@parapet/db';
import { ProblemError } from '../http/problem.js';

/** Consecutive failed attempts on one account before it locks. */
export const ACCOUNT_MAX_FAILURES = 5;
export const ACCOUNT_LOCK_SECONDS = 15 * 60;
/** Attempts (failed, or in flight) from one IP address per window. */
export const IP_MAX_ATTEMPTS = 20;
export const THROTTLE_WINDOW_SECONDS = 15 * 60;

export const accountKey = (email: string) => `acct:${email}`;
export const ipKey = (ip: string) => `ip:${ip}`;

export type ThrottleRefusal = { reason: 'locked' | 'ip_throttled'; retryAfter: number };

/**
 * Counts one attempt for the account and the IP. Returns a refusal when the account is locked
 * or the IP used up its window; nothing is verified then (no Argon2 work for an attacker).
 */
export async function countAttempt(q: Queryable, tenantId: string, email: string, ip: string, now: Date): Promise<ThrottleRefusal | undefined> {
  const bump = async (key: string) =>
    (
      await q.query<{ failures: number; locked_until: Date | null; window_started_at: Date }>(
        `INSERT INTO login_throttle AS t (tenant_id, key, failures, window_started_at) VALUES ($1, $2, 1, $3)
         ON CONFLICT (tenant_id, key) DO UPDATE SET
           failures = CASE WHEN t.window_started_at <= $3 - make_interval(secs => $4) AND (t.locked_until IS NULL OR t.locked_until <= $3) THEN 1 ELSE t.failures + 1 END,
           window_started_at = CASE WHEN t.window_started_at <= $3 - make_interval(secs => $4) AND (t.locked_until IS NULL OR t.locked_until <= $3) THEN $3 ELSE t.window_started_at END,
           locked_until = CASE WHEN t.locked_until <= $3 THEN NULL ELSE t.locked_until END
         RETURNING failures, locked_until, window_started_at`,
        [tenantId, key, now, THROTTLE_WINDOW_SECONDS],
      )
    ).rows[0]!;
  const acct = await bump(accountKey(email));
  if (acct.locked_until && acct.locked_until > now) return { reason: 'locked', retryAfter: Math.ceil((acct.locked_until.getTime() - now.getTime()) / 1000) };
  if (acct.failures > ACCOUNT_MAX_FAILURES) {
    const until = new Date(now.getTime() + ACCOUNT_LOCK_SECONDS * 1000);
    await q.query(`UPDATE login_throttle SET locked_until = $2 WHERE key = $1`, [accountKey(email), until]);
    return { reason: 'locked', retryAfter: ACCOUNT_LOCK_SECONDS };
  }
  const byIp = await bump(ipKey(ip));
  if (byIp.failures > IP_MAX_ATTEMPTS) {
    return { reason: 'ip_throttled', retryAfter: Math.max(1, Math.ceil((byIp.window_started_at.getTime() + THROTTLE_WINDOW_SECONDS * 1000 - now.getTime()) / 1000)) };
  }
  return undefined;
}

/** After a failed check: the account locks when this was its last allowed attempt. */
export async function recordFailure(q: Queryable, email: string, now: Date): Promise<boolean> {
  const { rows } = await q.query<{ failures: number }>(`SELECT failures FROM login_throttle WHERE key = $1`, [accountKey(email)]);
  if ((rows[0]?.failures ?? 0) >= ACCOUNT_MAX_FAILURES) {
    await q.query(`UPDATE login_throttle SET locked_until = $2 WHERE key = $1`, [accountKey(email), new Date(now.getTime() + ACCOUNT_LOCK_SECONDS * 1000)]);
    return true;
  }
  return false;
}

/** After a success: the account's counter is cleared and the IP gets its attempt back. */
export async function recordSuccess(q: Queryable, email: string, ip: string): Promise<void> {
  await q.query(`DELETE FROM login_throttle WHERE key = $1`, [accountKey(email)]);
  await q.query(`UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = $1`, [ipKey(ip)]);
}

export function refusalProblem(r: ThrottleRefusal): ProblemError {
  if (r.reason === 'locked') {
    return new ProblemError(423, 'account_locked', `This account is locked after ${ACCOUNT_MAX_FAILURES} failed sign-in attempts; try again in ${Math.ceil(r.retryAfter / 60)} minutes or ask an admin.`, { retry_after_seconds: r.retryAfter }, { 'retry-after': String(r.retryAfter) });
  }
  return new ProblemError(429, 'too_many_attempts', `Too many sign-in attempts from your address; try again in ${Math.ceil(r.retryAfter / 60)} minutes.`, { retry_after_seconds: r.retryAfter }, { 'retry-after': String(r.retryAfter) });
}
