/**
 * Sign-in throttling (CORE-AUTHN, CORE-MFA), kept in PostgreSQL (`login_throttle`) so every
 * replica counts the same attempts. There is no hard lock an anonymous attacker could trigger;
 * failures buy growing delays, counted on several keys:
 *
 * - `src:<email>|<ip>`, one account from one client address: 5 free failures, then a delay of
 *   30 s doubling per failure up to 15 min. This is what a person mistyping meets.
 * - `acct:<email>`, one account from any address (distributed guessing): 10 free failures, then
 *   the same growing delay, but NOT applied to addresses the account signed in from fully in the
 *   last 30 days (`known:<email>|<ip>`), so strangers elsewhere cannot keep the person out.
 * - `ip:<ip>`, one address across accounts (password spraying): 20 attempts per 15 minutes.
 * - `mfa:<user id>`, second-factor guesses on one account from any address: 5 free failures,
 *   then the growing delay. Only a passed second factor (or an admin's unlock) clears it, and a
 *   correct password clears nothing while a second factor is outstanding, so knowing the
 *   password does not buy new guesses.
 *
 * An attempt is counted BEFORE the secret is checked (the row is locked while counted), so
 * parallel guesses cannot overtake the counter; a success gives it back. A refused attempt is
 * not counted and checks nothing (no Argon2 work for an attacker). Counters reset after 24 h
 * without a failure. Unknown organisations get the same answers from a per-process copy of
 * the same rules (`memoryThrottle`), so throttling does not reveal whether a slug exists.
 */
import type { Queryable } from '@parapet/db';
import { ProblemError } from '../http/problem.js';

/** Failures on one account from one address before delays start. */
export const SOURCE_FREE_FAILURES = 5;
/** Failures on one account from all unknown addresses before delays start. */
export const ACCOUNT_FREE_FAILURES = 10;
/** Second-factor failures on one account before delays start. */
export const MFA_FREE_FAILURES = 5;
/** First delay after the free failures (s); it doubles per further failure. */
export const DELAY_BASE_SECONDS = 30;
/** Longest delay (s). */
export const DELAY_MAX_SECONDS = 15 * 60;
/** A counter without failures for this long starts again (s). */
export const COUNTER_RESET_SECONDS = 24 * 3600;
/** Attempts (failed, or in flight) from one IP address per window. */
export const IP_MAX_ATTEMPTS = 20;
export const THROTTLE_WINDOW_SECONDS = 15 * 60;
/** How long a full sign-in makes its address known to the account (s). */
export const KNOWN_SOURCE_SECONDS = 30 * 24 * 3600;

export const accountKey = (email: string) => `acct:${email}`;
export const sourceKey = (email: string, ip: string) => `src:${email}|${ip}`;
export const knownKey = (email: string, ip: string) => `known:${email}|${ip}`;
export const ipKey = (ip: string) => `ip:${ip}`;
export const mfaKey = (userId: string) => `mfa:${userId}`;

/** A delay or window refusal; `retryAfter` in seconds. */
export type ThrottleRefusal = { reason: 'delayed' | 'ip_throttled'; retryAfter: number };

type Rule = { kind: 'delay'; free: number } | { kind: 'window'; max: number };
const ruleOf = (key: string): Rule =>
  key.startsWith('ip:') ? { kind: 'window', max: IP_MAX_ATTEMPTS } : { kind: 'delay', free: key.startsWith('acct:') ? ACCOUNT_FREE_FAILURES : key.startsWith('mfa:') ? MFA_FREE_FAILURES : SOURCE_FREE_FAILURES };

/** The delay (s) after the k-th failure beyond the free ones (k >= 1). */
export const delayAfter = (k: number) => Math.min(DELAY_MAX_SECONDS, DELAY_BASE_SECONDS * 2 ** Math.min(k - 1, 30));

/** One counter: failures, when the current delay ends, when its window (or last failure) began; times in ms. */
export interface Counter {
  failures: number;
  lockedUntil: number | null;
  windowStart: number;
}

/**
 * The pure rule for one key: whether an attempt now is refused, and the counter after counting
 * it. Shared by the database store and the in-memory one.
 */
export function step(key: string, c: Counter | undefined, now: number): { refusal?: ThrottleRefusal; next: Counter } {
  const rule = ruleOf(key);
  if (rule.kind === 'window') {
    const fresh = !c || now - c.windowStart >= THROTTLE_WINDOW_SECONDS * 1000;
    const next = fresh ? { failures: 1, lockedUntil: null, windowStart: now } : { ...c!, failures: c!.failures + 1 };
    if (next.failures > rule.max) return { refusal: { reason: 'ip_throttled', retryAfter: Math.max(1, Math.ceil((next.windowStart + THROTTLE_WINDOW_SECONDS * 1000 - now) / 1000)) }, next: c! };
    return { next };
  }
  if (c?.lockedUntil && c.lockedUntil > now) return { refusal: { reason: 'delayed', retryAfter: Math.max(1, Math.ceil((c.lockedUntil - now) / 1000)) }, next: c };
  const failures = c && now - c.windowStart < COUNTER_RESET_SECONDS * 1000 ? c.failures + 1 : 1;
  return { next: { failures, windowStart: now, lockedUntil: failures > rule.free ? now + delayAfter(failures - rule.free) * 1000 : null } };
}

/** Where counters live: the tenant's `login_throttle` rows, or process memory (unknown organisations). */
export interface ThrottleStore {
  /** Reads (and locks, for the database) the counters of `keys`. */
  read(keys: string[]): Promise<Map<string, Counter>>;
  write(key: string, c: Counter): Promise<void>;
  remove(keys: string[]): Promise<void>;
}

export function dbThrottle(q: Queryable, tenantId: string): ThrottleStore {
  return {
    async read(keys) {
      const out = new Map<string, Counter>();
      for (const key of keys) {
        // Insert-or-nothing, then FOR UPDATE: concurrent attempts on one key queue behind each other.
        await q.query(`INSERT INTO login_throttle (tenant_id, key, failures, window_started_at) VALUES ($1, $2, 0, to_timestamp(0)) ON CONFLICT (tenant_id, key) DO NOTHING`, [tenantId, key]);
        const { rows } = await q.query<{ failures: number; locked_until: Date | null; window_started_at: Date }>(`SELECT failures, locked_until, window_started_at FROM login_throttle WHERE key = $1 FOR UPDATE`, [key]);
        const r = rows[0];
        if (r && r.failures > 0) out.set(key, { failures: r.failures, lockedUntil: r.locked_until?.getTime() ?? null, windowStart: r.window_started_at.getTime() });
      }
      return out;
    },
    async write(key, c) {
      await q.query(`UPDATE login_throttle SET failures = $2, locked_until = $3, window_started_at = $4 WHERE key = $1`, [key, c.failures, c.lockedUntil === null ? null : new Date(c.lockedUntil), new Date(c.windowStart)]);
    },
    async remove(keys) {
      await q.query(`DELETE FROM login_throttle WHERE key = ANY($1::text[])`, [keys]);
    },
  };
}

const MEMORY_MAX_KEYS = 10_000;
const memory = new Map<string, Counter>();
/**
 * Counters for organisations that do not exist, in this process only (bounded: the oldest
 * entries go first). Answers then match an existing organisation's, attempt for attempt.
 */
export function memoryThrottle(org: string): ThrottleStore {
  const k = (key: string) => `${org}\u0000${key}`;
  return {
    async read(keys) {
      return new Map(keys.flatMap((key) => (memory.has(k(key)) ? [[key, memory.get(k(key))!] as const] : [])));
    },
    async write(key, c) {
      memory.delete(k(key));
      memory.set(k(key), c);
      while (memory.size > MEMORY_MAX_KEYS) memory.delete(memory.keys().next().value!);
    },
    async remove(keys) {
      for (const key of keys) memory.delete(k(key));
    },
  };
}

/**
 * Counts one attempt on each key (none when any key refuses). Returns the refusal with the
 * longest wait, or undefined when the attempt may go ahead. `delaysStarted`, when given,
 * receives the delay keys for which this attempt, should it fail, is the one that starts the
 * delays (the first failure beyond the free ones): the moment to tell the account's owner.
 */
export async function countAttempt(store: ThrottleStore, keys: string[], now: Date, delaysStarted?: string[]): Promise<ThrottleRefusal | undefined> {
  const current = await store.read(keys);
  const steps = keys.map((key) => [key, step(key, current.get(key), now.getTime())] as const);
  const refusals = steps.flatMap(([, s]) => (s.refusal ? [s.refusal] : []));
  if (refusals.length) return refusals.sort((a, b) => b.retryAfter - a.retryAfter)[0];
  for (const [key, s] of steps) {
    await store.write(key, s.next);
    const rule = ruleOf(key);
    if (delaysStarted && rule.kind === 'delay' && s.next.failures === rule.free + 1) delaysStarted.push(key);
  }
  return undefined;
}

/** The password-stage keys for an account and address; `acct:` only for an address the account does not know. */
export async function passwordKeys(q: Queryable | undefined, email: string, ip: string, now: Date): Promise<string[]> {
  const keys = [ipKey(ip), sourceKey(email, ip)];
  const known = q
    ? (await q.query(`SELECT 1 FROM login_throttle WHERE key = $1 AND window_started_at > $2`, [knownKey(email, ip), new Date(now.getTime() - KNOWN_SOURCE_SECONDS * 1000)])).rows.length > 0
    : false;
  if (!known) keys.push(accountKey(email));
  return keys;
}

/** A failure is already counted (in flight); this gives one IP attempt back after a success. */
export async function giveBackIp(q: Queryable, ip: string): Promise<void> {
  await q.query(`UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = $1`, [ipKey(ip)]);
}

/**
 * After a complete sign-in (every factor passed): the account's counters are cleared, the IP
 * gets its attempt back and the address becomes known to the account. Returns true when the
 * account signed in from other addresses in the last 30 days but not from this one (a new
 * address worth telling the person about); false for a known address and for an account's
 * first sign-in in 30 days.
 */
export async function recordFullSignIn(q: Queryable, tenantId: string, email: string, userId: string, ip: string, now: Date): Promise<boolean> {
  await q.query(`DELETE FROM login_throttle WHERE key = ANY($1::text[])`, [[accountKey(email), sourceKey(email, ip), mfaKey(userId)]]);
  await giveBackIp(q, ip);
  const { rows } = await q.query<{ this_one: boolean; others: boolean }>(
    `SELECT coalesce(bool_or(key = $2), false) AS this_one, coalesce(bool_or(key <> $2), false) AS others
       FROM login_throttle WHERE starts_with(key, $1) AND window_started_at > $3`,
    [`known:${email}|`, knownKey(email, ip), new Date(now.getTime() - KNOWN_SOURCE_SECONDS * 1000)],
  );
  await q.query(
    `INSERT INTO login_throttle (tenant_id, key, failures, window_started_at) VALUES ($1, $2, 0, $3)
     ON CONFLICT (tenant_id, key) DO UPDATE SET window_started_at = EXCLUDED.window_started_at`,
    [tenantId, knownKey(email, ip), now],
  );
  return rows[0]!.others && !rows[0]!.this_one;
}

/**
 * Clears every counter of one account (the admin's unlock): password delays from every
 * address, the account-wide counter and the second-factor counter. Returns how many were set.
 */
export async function clearAccountThrottle(q: Queryable, email: string, userId: string): Promise<number> {
  const r = await q.query(`DELETE FROM login_throttle WHERE (key = $1 OR key = $2 OR starts_with(key, $3))`, [accountKey(email), mfaKey(userId), `src:${email}|`]);
  return r.rowCount;
}

/**
 * Removes the tenant's counters that no longer matter: failures older than the reset period
 * with no delay running, and known addresses past their 30 days. Callers run it now and then
 * (it is not on every attempt's path).
 */
export async function purgeStaleThrottle(q: Queryable, now: Date): Promise<number> {
  const r = await q.query(
    `DELETE FROM login_throttle
      WHERE (NOT starts_with(key, 'known:') AND window_started_at < $1 AND (locked_until IS NULL OR locked_until < $3))
         OR (starts_with(key, 'known:') AND window_started_at < $2)`,
    [new Date(now.getTime() - COUNTER_RESET_SECONDS * 1000), new Date(now.getTime() - KNOWN_SOURCE_SECONDS * 1000), now],
  );
  return r.rowCount;
}

/** "30 seconds", "1 minute", "15 minutes": a wait in words. */
export function waitInWords(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const m = Math.ceil(seconds / 60);
  return `${m} minute${m === 1 ? '' : 's'}`;
}

/** 429 too_many_attempts with Retry-After (RFC 9110 10.2.3) and retry_after_seconds. */
export function refusalProblem(r: ThrottleRefusal): ProblemError {
  const detail =
    r.reason === 'ip_throttled'
      ? `Too many sign-in attempts from your address; try again in ${waitInWords(r.retryAfter)}.`
      : `Too many failed attempts; wait ${waitInWords(r.retryAfter)} before trying again, or ask an admin to unlock the account.`;
  return new ProblemError(429, 'too_many_attempts', detail, { retry_after_seconds: r.retryAfter }, { 'retry-after': String(r.retryAfter) });
}
