/**
 * The owner of the `users` table: the only module that inserts or updates a user row, and the
 * publisher of a person's lifecycle (created, roles changed, deactivated, erased) to which any
 * domain subscribes with {@link onUserLifecycle}.
 *
 * Every function takes the caller's tenant transaction `q` and runs the subscribers of the
 * event in it, after the row has changed: a lifecycle change and everything that follows from
 * it (sessions ended, devices revoked, Pulse data erased) commit together or not at all. A
 * subscriber that throws rolls the whole change back.
 *
 * Writers elsewhere (SCIM, SSO, invitations, `parapet init`, access reviews, erasure, the
 * password rehash at sign-in) call these functions; `test/owners.test.ts` reads the sources
 * and fails when any other module writes `users`, and checks the registered subscribers
 * against the expected list. It is platform code because the domains that write users (people,
 * auth, tenants, SCIM, SSO, governance) and those that subscribe (auth's sessions, devices,
 * governance's erasers) build on it, and a registry they all import cannot sit inside one of
 * them without an import cycle.
 */
import type { Queryable } from '@parapet/db';
import type { Role } from './principal.js';

/** What each lifecycle event tells its subscribers. */
export interface UserLifecycleEvents {
  /** A user row was inserted (`status` is `deactivated` when SCIM provisions an inactive person). */
  created: { tenantId: string; userId: string; email: string; roles: Role[]; status: 'active' | 'deactivated' };
  /** The user's roles changed from `before` to `after` (both in the stored order). */
  roles_changed: { tenantId: string; userId: string; before: Role[]; after: Role[] };
  /** An active user became deactivated; the row stays. */
  deactivated: { tenantId: string; userId: string };
  /**
   * The person is being erased (CORE-PRIVACY). Subscribers run before the row is anonymised,
   * so `email` is still the person's address; afterwards it is `erased-<id>@erased.invalid`.
   */
  erased: { tenantId: string; userId: string; email: string };
}
export type UserLifecycleEvent = keyof UserLifecycleEvents;
export const USER_LIFECYCLE_EVENTS: readonly UserLifecycleEvent[] = ['created', 'roles_changed', 'deactivated', 'erased'];

/**
 * A subscriber: runs inside the changing transaction, returns what it did (recorded in the
 * caller's audit entry under its name) or nothing.
 */
export type UserLifecycleSubscriber<E extends UserLifecycleEvent> = (q: Queryable, e: UserLifecycleEvents[E]) => Promise<Record<string, unknown> | void>;

interface Entry {
  name: string;
  order: number;
  fn: UserLifecycleSubscriber<UserLifecycleEvent>;
}
const SUBSCRIBERS: Record<UserLifecycleEvent, Entry[]> = { created: [], roles_changed: [], deactivated: [], erased: [] };

/**
 * Subscribes `fn` to `event` under a unique `name` (conventionally the subscribing domain,
 * e.g. `sessions`, `devices`). `order` sorts subscribers of one event (lower first, default
 * 50; then by registration). Throws when the name is taken for that event.
 */
export function onUserLifecycle<E extends UserLifecycleEvent>(event: E, name: string, fn: UserLifecycleSubscriber<E>, o: { order?: number } = {}): void {
  const list = SUBSCRIBERS[event];
  if (list.some((s) => s.name === name)) throw new Error(`User lifecycle subscriber ${event}/${name} is registered twice.`);
  list.push({ name, order: o.order ?? 50, fn: fn as UserLifecycleSubscriber<UserLifecycleEvent> });
  list.sort((a, b) => a.order - b.order);
}

/** The registered subscribers' names per event, in the order they run. */
export function userLifecycleSubscribers(): Record<UserLifecycleEvent, string[]> {
  return Object.fromEntries(USER_LIFECYCLE_EVENTS.map((e) => [e, SUBSCRIBERS[e].map((s) => s.name)])) as Record<UserLifecycleEvent, string[]>;
}

/** Runs every subscriber of `event` in order; returns each one's report by name (`true` when it reported nothing). */
async function publish<E extends UserLifecycleEvent>(q: Queryable, event: E, e: UserLifecycleEvents[E]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const s of SUBSCRIBERS[event]) out[s.name] = (await s.fn(q, e)) ?? true;
  return out;
}

/** A new user row. `roles` in the canonical order (the caller normalises). */
export interface NewUser {
  email: string;
  displayName?: string;
  roles: readonly Role[];
  /** An Argon2id PHC string (auth/password.ts); absent for SSO- and SCIM-only people. */
  passwordHash?: string | null;
  status?: 'active' | 'deactivated';
}

/**
 * Inserts a user and runs the `created` subscribers. The email must already be lower-case
 * (the table checks it). Throws the database's unique violation (SQLSTATE 23505) when the
 * email is taken in the tenant; callers turn it into their own problem.
 * Returns the new row's id, email, roles and status, and the subscribers' reports.
 */
export async function insertUser(q: Queryable, tenantId: string, u: NewUser): Promise<{ id: string; email: string; roles: Role[]; status: 'active' | 'deactivated'; reports: Record<string, unknown> }> {
  const status = u.status ?? 'active';
  const { rows } = await q.query<{ id: string; email: string; roles: Role[] }>(
    `INSERT INTO users (tenant_id, email, display_name, roles, password_hash, status) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, email, roles`,
    [tenantId, u.email, u.displayName ?? '', [...u.roles], u.passwordHash ?? null, status],
  );
  const row = rows[0]!;
  const reports = await publish(q, 'created', { tenantId, userId: row.id, email: row.email, roles: row.roles, status });
  return { ...row, status, reports };
}

/**
 * Changes the profile attributes a directory manages (email, display name, manager); a field
 * left undefined keeps its value, `managerId: null` clears the manager. No lifecycle event.
 * Throws the database's unique violation (23505) when the email is taken.
 */
export async function updateUserProfile(q: Queryable, userId: string, p: { email?: string; displayName?: string; managerId?: string | null }): Promise<void> {
  await q.query(
    `UPDATE users SET email = COALESCE($2, email), display_name = COALESCE($3, display_name),
            manager_id = CASE WHEN $4 THEN $5::uuid ELSE manager_id END, updated_at = now()
      WHERE id = $1`,
    [userId, p.email ?? null, p.displayName ?? null, p.managerId !== undefined, p.managerId ?? null],
  );
}

/** Reports of `managerId` have no manager any more (the manager left the directory or is erased). Returns how many changed. */
export async function clearManagerOf(q: Queryable, managerId: string): Promise<number> {
  return (await q.query(`UPDATE users SET manager_id = NULL, updated_at = now() WHERE manager_id = $1`, [managerId])).rowCount ?? 0;
}

/**
 * Sets the user's roles and, when they differ from the stored ones, runs the `roles_changed`
 * subscribers (sessions end: a privilege change is a new sign-in). The row is locked first.
 * Returns undefined for an unknown user, `changed: false` when the roles were already these.
 */
export async function setUserRoles(q: Queryable, tenantId: string, userId: string, roles: readonly Role[]): Promise<{ before: Role[]; after: Role[]; changed: boolean; reports: Record<string, unknown> } | undefined> {
  const cur = (await q.query<{ roles: Role[] }>(`SELECT roles FROM users WHERE id = $1 FOR UPDATE`, [userId])).rows[0];
  if (!cur) return undefined;
  const after = [...roles];
  if (cur.roles.length === after.length && cur.roles.every((r, i) => r === after[i])) return { before: cur.roles, after, changed: false, reports: {} };
  await q.query(`UPDATE users SET roles = $2, updated_at = now() WHERE id = $1`, [userId, after]);
  const reports = await publish(q, 'roles_changed', { tenantId, userId, before: cur.roles, after });
  return { before: cur.roles, after, changed: true, reports };
}

/**
 * Deactivates an active user and runs the `deactivated` subscribers (sessions end, devices
 * are revoked). Returns the subscribers' reports, or undefined when the user was not active
 * (nothing changes then).
 */
export async function deactivateUser(q: Queryable, tenantId: string, userId: string): Promise<Record<string, unknown> | undefined> {
  const r = await q.query(`UPDATE users SET status = 'deactivated', updated_at = now() WHERE id = $1 AND status = 'active'`, [userId]);
  if (!r.rowCount) return undefined;
  return publish(q, 'deactivated', { tenantId, userId });
}

/** A deactivated user becomes active again (SCIM `active: true`). Returns false when they were not deactivated. */
export async function reactivateUser(q: Queryable, userId: string): Promise<boolean> {
  const r = await q.query(`UPDATE users SET status = 'active', updated_at = now() WHERE id = $1 AND status = 'deactivated'`, [userId]);
  return (r.rowCount ?? 0) > 0;
}

/** Stores a new password hash (an Argon2id PHC string; e.g. the rehash after a sign-in with old parameters). */
export async function setPasswordHash(q: Queryable, userId: string, passwordHash: string): Promise<void> {
  await q.query(`UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, [userId, passwordHash]);
}

/**
 * Erases a person: runs the `erased` subscribers (each domain removes or keeps what it holds
 * about them), then anonymises the row, which stays because evidence points at it: email
 * `erased-<id>@erased.invalid`, no name, no password, no roles, status `erased`. The caller
 * (governance/erasure.ts) has checked that erasure is allowed and locked the row.
 * Returns the subscribers' reports by name; throws when the user is unknown or already erased.
 */
export async function eraseUser(q: Queryable, tenantId: string, userId: string): Promise<Record<string, unknown>> {
  const u = (await q.query<{ email: string; status: string }>(`SELECT email, status FROM users WHERE id = $1 FOR UPDATE`, [userId])).rows[0];
  if (!u || u.status === 'erased') throw new Error(`User ${userId} is unknown or already erased.`);
  const reports = await publish(q, 'erased', { tenantId, userId, email: u.email });
  await q.query(
    `UPDATE users SET email = $2, display_name = '', password_hash = NULL, roles = '{}', status = 'erased', updated_at = now() WHERE id = $1`,
    [userId, `erased-${userId}@erased.invalid`],
  );
  return reports;
}
