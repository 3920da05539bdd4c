/**
 * SCIM resources over Parapet's tables. Every function runs inside the caller's tenant
 * transaction (RLS scopes every statement); PUT and PATCH both end in saveUser/saveGroup.
 */
import type { Queryable } from '@parapet/db';
import { recordAudit, type AuditActor } from '../platform/audit.js';
import { revokeUserSessions } from '../auth/index.js';
import { clearManagerOf, deactivateUser, insertUser, reactivateUser, updateUserProfile } from '../platform/users.js';
import { ScimError } from './errors.js';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './schema.js';
import type { ScimGroup, ScimUser } from './response-schemas.js';

type Obj = Record<string, unknown>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

export function getCI(o: unknown, name: string): unknown {
  if (!isObj(o)) return undefined;
  const l = name.toLowerCase();
  for (const [k, v] of Object.entries(o)) if (k.toLowerCase() === l) return v;
  return undefined;
}

function str(v: unknown, what: string, max = 1000): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length > max) throw new ScimError(400, `${what} must be a string of at most ${max} characters.`, 'invalidValue');
  return v;
}

/** `active` arrives as a boolean, or as "True"/"False" from some providers. */
function bool(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw new ScimError(400, 'active must be a boolean.', 'invalidValue');
}

export interface Ctx {
  q: Queryable;
  tenantId: string;
  actor: AuditActor;
  /** https://host/scim/v2, for meta.location. */
  base: string;
}

// ------------------------------------------------------------------------------------ Users

interface UserRow {
  id: string;
  email: string;
  display_name: string;
  status: 'active' | 'deactivated';
  created_at: Date;
  updated_at: Date;
  manager_id: string | null;
  manager_name: string | null;
  external_id: string | null;
  department: string | null;
  employee_number: string | null;
  attributes: Obj | null;
  s_updated_at: Date | null;
}

const USER_SELECT = `
  SELECT u.id, u.email, u.display_name, u.status, u.created_at, u.updated_at, u.manager_id,
         m.display_name AS manager_name, s.external_id, s.department, s.employee_number, s.attributes,
         s.updated_at AS s_updated_at
    FROM users u
    LEFT JOIN scim_users s ON s.tenant_id = u.tenant_id AND s.user_id = u.id
    LEFT JOIN users m ON m.tenant_id = u.tenant_id AND m.id = u.manager_id
   WHERE s.deleted_at IS NULL`;

async function userGroups(q: Queryable, ids: string[] | null): Promise<Map<string, Array<{ value: string; display: string }>>> {
  const { rows } = await q.query<{ user_id: string; id: string; display_name: string }>(
    `SELECT gm.user_id, g.id, g.display_name FROM group_members gm JOIN groups g ON g.tenant_id = gm.tenant_id AND g.id = gm.group_id
      ${ids ? 'WHERE gm.user_id = ANY($1::uuid[])' : ''} ORDER BY g.display_name`,
    ids ? [ids] : [],
  );
  const m = new Map<string, Array<{ value: string; display: string }>>();
  for (const r of rows) m.set(r.user_id, [...(m.get(r.user_id) ?? []), { value: r.id, display: r.display_name }]);
  return m;
}

/**
 * User attributes a client may send that Parapet does not apply, so they are neither stored
 * nor returned: `roles` (Parapet's roles are granted in Parapet, never by the directory, and
 * echoing them would claim a grant that did not happen) and `password` (SSO only).
 */
const NOT_APPLIED = new Set(['roles', 'password']);

function renderUser(r: UserRow, groups: Array<{ value: string; display: string }>, base: string): ScimUser {
  const attrs = Object.fromEntries(Object.entries(r.attributes ?? {}).filter(([k]) => !NOT_APPLIED.has(k.toLowerCase())));
  const extOther = isObj(attrs[ENTERPRISE_SCHEMA]) ? (attrs[ENTERPRISE_SCHEMA] as Obj) : {};
  delete attrs[ENTERPRISE_SCHEMA];
  const ext: Obj = { ...extOther };
  if (r.department) ext.department = r.department;
  if (r.employee_number) ext.employeeNumber = r.employee_number;
  if (r.manager_id) ext.manager = { value: r.manager_id, $ref: `${base}/Users/${r.manager_id}`, ...(r.manager_name ? { displayName: r.manager_name } : {}) };
  const lastModified = r.s_updated_at && r.s_updated_at > r.updated_at ? r.s_updated_at : r.updated_at;
  return {
    schemas: [USER_SCHEMA, ...(Object.keys(ext).length ? [ENTERPRISE_SCHEMA] : [])],
    id: r.id,
    ...(r.external_id ? { externalId: r.external_id } : {}),
    ...attrs,
    userName: typeof attrs.userName === 'string' ? attrs.userName : r.email,
    ...(attrs.displayName || r.display_name ? { displayName: String(attrs.displayName ?? r.display_name) } : {}),
    active: r.status === 'active',
    emails: Array.isArray(attrs.emails) && attrs.emails.length ? attrs.emails : [{ value: r.email, type: 'work', primary: true }],
    groups: groups.map((g) => ({ ...g, $ref: `${base}/Groups/${g.value}` })),
    ...(Object.keys(ext).length ? { [ENTERPRISE_SCHEMA]: ext } : {}),
    meta: {
      resourceType: 'User',
      created: r.created_at.toISOString(),
      lastModified: lastModified.toISOString(),
      location: `${base}/Users/${r.id}`,
      version: `W/"${lastModified.getTime()}"`,
    },
  };
}

/**
 * All users of the tenant, or only those whose email is `narrow.email` (the provider's usual
 * `userName eq "…"` lookup; the caller still applies the full filter to the result).
 */
export async function listUsers(c: Ctx, narrow: { email?: string | undefined } = {}): Promise<ScimUser[]> {
  const { rows } = narrow.email
    ? await c.q.query<UserRow>(`${USER_SELECT} AND u.email = $1 ORDER BY u.created_at, u.id`, [narrow.email.toLowerCase()])
    : await c.q.query<UserRow>(`${USER_SELECT} ORDER BY u.created_at, u.id`);
  const groups = await userGroups(c.q, narrow.email ? rows.map((r) => r.id) : null);
  return rows.map((r) => renderUser(r, groups.get(r.id) ?? [], c.base));
}

export async function getUser(c: Ctx, id: string): Promise<ScimUser> {
  if (!UUID.test(id)) throw new ScimError(404, `User ${id} not found.`);
  const { rows } = await c.q.query<UserRow>(`${USER_SELECT} AND u.id = $1`, [id]);
  if (!rows[0]) throw new ScimError(404, `User ${id} not found.`);
  return renderUser(rows[0], (await userGroups(c.q, [id])).get(id) ?? [], c.base);
}

interface UserFields {
  userName: string;
  email: string;
  displayName: string;
  active: boolean;
  externalId: string | undefined;
  department: string | undefined;
  employeeNumber: string | undefined;
  managerId: string | null;
  attributes: Obj;
}

/** Validates a SCIM User representation and splits it into columns and stored attributes. */
export function userFields(rep: Obj): UserFields {
  const userName = str(getCI(rep, 'userName'), 'userName', 320);
  if (!userName) throw new ScimError(400, 'userName is required.', 'invalidValue');
  const emails = getCI(rep, 'emails');
  if (emails !== undefined && !Array.isArray(emails)) throw new ScimError(400, 'emails must be an array.', 'invalidValue');
  const list = (emails ?? []) as unknown[];
  // RFC 7643 §2.4: the primary value appears at most once in each multi-valued attribute.
  for (const [k, v] of Object.entries(rep)) {
    if (Array.isArray(v) && v.filter((e) => isObj(e) && e.primary === true).length > 1) throw new ScimError(400, `At most one value of ${k} may be primary.`, 'invalidValue');
  }
  const primary = list.find((e) => isObj(e) && e.primary === true) ?? list[0];
  const candidates = [userName, isObj(primary) ? primary.value : undefined];
  const email = candidates.find((v): v is string => typeof v === 'string' && EMAIL.test(v))?.toLowerCase();
  if (!email) throw new ScimError(400, 'userName or the primary email must be an email address.', 'invalidValue');
  const name = getCI(rep, 'name');
  const fromName = isObj(name) ? (typeof name.formatted === 'string' ? name.formatted : [name.givenName, name.familyName].filter((x) => typeof x === 'string').join(' ')) : '';
  const displayName = (str(getCI(rep, 'displayName'), 'displayName', 400) ?? fromName).slice(0, 400);
  const extKey = Object.keys(rep).find((k) => k.toLowerCase() === ENTERPRISE_SCHEMA.toLowerCase());
  const ext = extKey && isObj(rep[extKey]) ? (rep[extKey] as Obj) : {};
  const mgr = getCI(ext, 'manager');
  const managerRaw = isObj(mgr) ? mgr.value : mgr;
  let managerId: string | null = null;
  if (managerRaw !== undefined && managerRaw !== null && managerRaw !== '') {
    if (typeof managerRaw !== 'string' || !UUID.test(managerRaw)) throw new ScimError(400, 'manager.value must be the id of a User.', 'invalidValue');
    managerId = managerRaw.toLowerCase();
  }
  const attributes: Obj = {};
  for (const [k, v] of Object.entries(rep)) {
    const l = k.toLowerCase();
    if (['schemas', 'id', 'meta', 'groups', 'externalid', 'active', ENTERPRISE_SCHEMA.toLowerCase()].includes(l) || NOT_APPLIED.has(l)) continue;
    attributes[k] = v;
  }
  const extOther: Obj = {};
  for (const [k, v] of Object.entries(ext)) if (!['department', 'employeenumber', 'manager'].includes(k.toLowerCase())) extOther[k] = v;
  if (Object.keys(extOther).length) attributes[ENTERPRISE_SCHEMA] = extOther;
  if (JSON.stringify(attributes).length > 64 * 1024) throw new ScimError(400, 'The user has more than 64 KiB of attributes.', 'invalidValue');
  return {
    userName,
    email,
    displayName,
    active: bool(getCI(rep, 'active'), true),
    externalId: str(getCI(rep, 'externalId'), 'externalId', 400),
    department: str(getCI(ext, 'department'), 'department', 400),
    employeeNumber: str(getCI(ext, 'employeeNumber'), 'employeeNumber', 200),
    managerId,
    attributes,
  };
}

async function checkManager(q: Queryable, userId: string, managerId: string | null): Promise<void> {
  if (!managerId) return;
  const { rows } = await q.query<{ ok: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM users u LEFT JOIN scim_users s ON s.tenant_id = u.tenant_id AND s.user_id = u.id WHERE u.id = $1 AND s.deleted_at IS NULL) AS ok`,
    [managerId],
  );
  if (!rows[0]!.ok) throw new ScimError(400, `Manager ${managerId} is not a User of this tenant.`, 'invalidValue');
  // The manager chain must stay a tree: the user may not appear above themselves.
  const cyc = await q.query(
    `WITH RECURSIVE chain(id, depth) AS (
       SELECT $2::uuid, 0
       UNION ALL
       SELECT u.manager_id, c.depth + 1 FROM users u JOIN chain c ON u.id = c.id WHERE u.manager_id IS NOT NULL AND c.depth < 64
     ) SELECT 1 FROM chain WHERE id = $1 LIMIT 1`,
    [userId, managerId],
  );
  if (cyc.rows.length > 0) throw new ScimError(400, 'That manager would make the manager chain a loop.', 'invalidValue');
}

/**
 * userName is unique in the tenant case-insensitively whatever its shape (RFC 7643 §4.1.1:
 * uniqueness "server", caseExact false): another live user holding it, as its SCIM userName
 * or as its account e-mail, is a 409 uniqueness conflict. The unique index
 * scim_users_user_name_ci backs this against concurrent requests.
 */
async function assertUserNameFree(c: Ctx, userName: string, self: string | undefined): Promise<void> {
  if (await userNameTaken(c, userName, self)) throw new ScimError(409, `A user with userName ${userName} already exists.`, 'uniqueness');
}

/** True when a live user other than `self` holds `userName` (case-insensitively). */
async function userNameTaken(c: Ctx, userName: string, self: string | undefined): Promise<boolean> {
  const { rows } = await c.q.query(
    `SELECT 1 FROM users u LEFT JOIN scim_users s ON s.tenant_id = u.tenant_id AND s.user_id = u.id
      WHERE u.id IS DISTINCT FROM $2::uuid AND s.deleted_at IS NULL
        AND (lower(s.user_name) = lower($1) OR (s.user_name IS NULL AND lower(u.email) = lower($1)))
      LIMIT 1`,
    [userName, self ?? null],
  );
  return rows.length > 0;
}

function uniqueViolation(e: unknown): boolean {
  return (e as { code?: string }).code === '23505';
}

export async function createUser(c: Ctx, rep: Obj): Promise<ScimUser> {
  const f = userFields(rep);
  // A user SCIM deleted earlier comes back (re-hire) on the same account, so their audit trail
  // stays one history; any other existing account with that email is a uniqueness conflict.
  const prior = (await c.q.query<{ id: string; deleted: boolean }>(
    `SELECT u.id, s.deleted_at IS NOT NULL AS deleted FROM users u LEFT JOIN scim_users s ON s.tenant_id = u.tenant_id AND s.user_id = u.id WHERE u.email = $1`,
    [f.email],
  )).rows[0];
  if (prior && !prior.deleted) throw new ScimError(409, `A user with userName ${f.userName} already exists.`, 'uniqueness');
  await assertUserNameFree(c, f.userName, prior?.id);
  if (prior) {
    await c.q.query(`UPDATE scim_users SET deleted_at = NULL, updated_at = now() WHERE user_id = $1`, [prior.id]);
    await recordAudit(c.q, c.tenantId, c.actor, { action: 'scim.user.created', outcome: 'success', target: { type: 'user', id: prior.id }, details: { userName: f.userName, restored: true } });
    return saveUser(c, prior.id, rep, 'put');
  }
  let id: string;
  try {
    id = (await insertUser(c.q, c.tenantId, { email: f.email, displayName: f.displayName, roles: ['employee'], status: f.active ? 'active' : 'deactivated' })).id;
  } catch (e) {
    if (uniqueViolation(e)) throw new ScimError(409, `A user with userName ${f.userName} already exists.`, 'uniqueness');
    throw e;
  }
  await checkManager(c.q, id, f.managerId);
  await updateUserProfile(c.q, id, { managerId: f.managerId });
  await c.q.query(
    `INSERT INTO scim_users (tenant_id, user_id, external_id, department, employee_number, attributes, user_name) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [c.tenantId, id, f.externalId ?? null, f.department ?? null, f.employeeNumber ?? null, JSON.stringify(f.attributes), f.userName],
  ).catch((e: unknown) => {
    if (uniqueViolation(e)) throw new ScimError(409, `A user with userName ${f.userName} already exists.`, 'uniqueness');
    throw e;
  });
  await recordAudit(c.q, c.tenantId, c.actor, {
    action: 'scim.user.created',
    outcome: 'success',
    target: { type: 'user', id },
    details: { userName: f.userName, active: f.active, externalId: f.externalId ?? null, manager_id: f.managerId },
  });
  return getUser(c, id);
}

/** Replaces a user's SCIM state with `rep` (PUT, and PATCH after applying its operations). */
export async function saveUser(c: Ctx, id: string, rep: Obj, via: 'put' | 'patch'): Promise<ScimUser> {
  const before = await getUser(c, id);
  const f = userFields(rep);
  // The uniqueness check applies to a new name. Keeping one's name (in any case) never
  // conflicts, even for an account whose name a duplicate held before migration 0260 and
  // which therefore holds none (user_name NULL): it keeps holding none until renamed.
  const renamed = f.userName.toLowerCase() !== String(before.userName).toLowerCase();
  const held = (await c.q.query<{ user_name: string | null }>(`SELECT user_name FROM scim_users WHERE user_id = $1`, [id])).rows[0]?.user_name ?? null;
  if (renamed) await assertUserNameFree(c, f.userName, id);
  const userNameToStore = renamed || held !== null || !(await userNameTaken(c, f.userName, id)) ? f.userName : null;
  await checkManager(c.q, id, f.managerId);
  const { rows } = await c.q.query<{ status: string }>(`SELECT status FROM users WHERE id = $1 FOR UPDATE`, [id]);
  const wasActive = rows[0]!.status === 'active';
  try {
    await updateUserProfile(c.q, id, { email: f.email, displayName: f.displayName, managerId: f.managerId });
  } catch (e) {
    if (uniqueViolation(e)) throw new ScimError(409, `A user with userName ${f.userName} already exists.`, 'uniqueness');
    throw e;
  }
  await c.q.query(
    `INSERT INTO scim_users (tenant_id, user_id, external_id, department, employee_number, attributes, user_name) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant_id, user_id) DO UPDATE SET external_id = EXCLUDED.external_id, department = EXCLUDED.department,
       employee_number = EXCLUDED.employee_number, attributes = EXCLUDED.attributes, user_name = EXCLUDED.user_name, updated_at = now()`,
    [c.tenantId, id, f.externalId ?? null, f.department ?? null, f.employeeNumber ?? null, JSON.stringify(f.attributes), userNameToStore],
  ).catch((e: unknown) => {
    if (uniqueViolation(e)) throw new ScimError(409, `A user with userName ${f.userName} already exists.`, 'uniqueness');
    throw e;
  });
  // Deactivation runs the lifecycle subscribers (sessions, devices) before the update is
  // audited, so the representation and `changed` show the new state; its own entry follows.
  const hooks = wasActive && !f.active ? await deactivateUser(c.q, c.tenantId, id) : undefined;
  if (!wasActive && f.active) await reactivateUser(c.q, id);
  const after = await getUser(c, id);
  const changed = Object.keys({ ...before, ...after }).filter((k) => k !== 'meta' && JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  await recordAudit(c.q, c.tenantId, c.actor, { action: 'scim.user.updated', outcome: 'success', target: { type: 'user', id }, details: { via, changed } });
  if (hooks) await auditDeactivation(c, id, via, hooks);
  return after;
}

/**
 * Audits a deactivation (the account stays, deactivated, for the audit trail) with what the
 * lifecycle subscribers did: `sessions_revoked` from the sessions subscriber, the others under `hooks`.
 */
async function auditDeactivation(c: Ctx, id: string, via: string, reports: Record<string, unknown>): Promise<void> {
  const { sessions, ...hooks } = reports;
  const sessionsRevoked = (sessions as { sessions_revoked?: number } | undefined)?.sessions_revoked ?? 0;
  await recordAudit(c.q, c.tenantId, c.actor, { action: 'scim.user.deactivated', outcome: 'success', target: { type: 'user', id }, details: { via, sessions_revoked: sessionsRevoked, ...(Object.keys(hooks).length ? { hooks } : {}) } });
}

export async function deleteUser(c: Ctx, id: string): Promise<void> {
  await getUser(c, id); // 404 when absent or already deleted
  const hooks = await deactivateUser(c.q, c.tenantId, id);
  if (hooks) await auditDeactivation(c, id, 'delete', hooks);
  else await revokeUserSessions(c.q, id);
  await c.q.query(`DELETE FROM group_members WHERE user_id = $1`, [id]);
  // Reports of a deleted manager have no manager until the directory names a new one.
  await clearManagerOf(c.q, id);
  await c.q.query(
    `INSERT INTO scim_users (tenant_id, user_id, deleted_at) VALUES ($1, $2, now())
     ON CONFLICT (tenant_id, user_id) DO UPDATE SET deleted_at = now(), updated_at = now()`,
    [c.tenantId, id],
  );
  await recordAudit(c.q, c.tenantId, c.actor, { action: 'scim.user.deleted', outcome: 'success', target: { type: 'user', id } });
}

// ----------------------------------------------------------------------------------- Groups

/**
 * Locks a resource row before PUT/PATCH render it: without the lock two concurrent PATCHes
 * (providers send member adds in parallel) would each apply to the same old state and one
 * would be lost.
 */
export async function lockResource(c: Ctx, table: 'users' | 'groups', id: string): Promise<void> {
  if (UUID.test(id)) await c.q.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
}

interface GroupRow {
  id: string;
  display_name: string;
  external_id: string | null;
  created_at: Date;
  updated_at: Date;
}

async function groupMembers(q: Queryable, ids: string[] | null): Promise<Map<string, Array<{ value: string; display: string }>>> {
  const { rows } = await q.query<{ group_id: string; user_id: string; display_name: string; email: string }>(
    `SELECT gm.group_id, gm.user_id, u.display_name, u.email FROM group_members gm JOIN users u ON u.tenant_id = gm.tenant_id AND u.id = gm.user_id
      ${ids ? 'WHERE gm.group_id = ANY($1::uuid[])' : ''} ORDER BY u.email`,
    ids ? [ids] : [],
  );
  const m = new Map<string, Array<{ value: string; display: string }>>();
  for (const r of rows) m.set(r.group_id, [...(m.get(r.group_id) ?? []), { value: r.user_id, display: r.display_name || r.email }]);
  return m;
}

function renderGroup(g: GroupRow, members: Array<{ value: string; display: string }>, base: string): ScimGroup {
  return {
    schemas: [GROUP_SCHEMA],
    id: g.id,
    ...(g.external_id ? { externalId: g.external_id } : {}),
    displayName: g.display_name,
    members: members.map((m) => ({ ...m, type: 'User', $ref: `${base}/Users/${m.value}` })),
    meta: { resourceType: 'Group', created: g.created_at.toISOString(), lastModified: g.updated_at.toISOString(), location: `${base}/Groups/${g.id}`, version: `W/"${g.updated_at.getTime()}"` },
  };
}

export async function listGroups(c: Ctx): Promise<ScimGroup[]> {
  const { rows } = await c.q.query<GroupRow>(`SELECT id, display_name, external_id, created_at, updated_at FROM groups ORDER BY created_at, id`);
  const members = await groupMembers(c.q, null);
  return rows.map((g) => renderGroup(g, members.get(g.id) ?? [], c.base));
}

export async function getGroup(c: Ctx, id: string): Promise<ScimGroup> {
  if (!UUID.test(id)) throw new ScimError(404, `Group ${id} not found.`);
  const { rows } = await c.q.query<GroupRow>(`SELECT id, display_name, external_id, created_at, updated_at FROM groups WHERE id = $1`, [id]);
  if (!rows[0]) throw new ScimError(404, `Group ${id} not found.`);
  return renderGroup(rows[0], (await groupMembers(c.q, [id])).get(id) ?? [], c.base);
}

function groupFields(rep: Obj): { displayName: string; externalId: string | undefined; members: string[] } {
  const displayName = str(getCI(rep, 'displayName'), 'displayName', 400);
  if (!displayName) throw new ScimError(400, 'displayName is required.', 'invalidValue');
  const raw = getCI(rep, 'members') ?? [];
  if (!Array.isArray(raw)) throw new ScimError(400, 'members must be an array.', 'invalidValue');
  const members = new Set<string>();
  for (const m of raw) {
    const v = isObj(m) ? m.value : undefined;
    if (typeof v !== 'string' || !UUID.test(v)) throw new ScimError(400, 'Each member needs the id of a User as value.', 'invalidValue');
    if (isObj(m) && typeof m.type === 'string' && m.type !== 'User') throw new ScimError(400, 'Only Users can be group members.', 'invalidValue');
    members.add(v.toLowerCase());
  }
  return { displayName, externalId: str(getCI(rep, 'externalId'), 'externalId', 400), members: [...members] };
}

async function setMembers(c: Ctx, groupId: string, members: string[]): Promise<void> {
  if (members.length) {
    const { rows } = await c.q.query<{ id: string }>(
      `SELECT u.id FROM users u LEFT JOIN scim_users s ON s.tenant_id = u.tenant_id AND s.user_id = u.id WHERE u.id = ANY($1::uuid[]) AND s.deleted_at IS NULL`,
      [members],
    );
    const found = new Set(rows.map((r) => r.id));
    const missing = members.filter((m) => !found.has(m));
    if (missing.length) throw new ScimError(400, `Not Users of this tenant: ${missing.slice(0, 5).join(', ')}.`, 'invalidValue');
  }
  await c.q.query(`DELETE FROM group_members WHERE group_id = $1 AND NOT (user_id = ANY($2::uuid[]))`, [groupId, members]);
  await c.q.query(
    `INSERT INTO group_members (tenant_id, group_id, user_id) SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING`,
    [c.tenantId, groupId, members],
  );
}

export async function createGroup(c: Ctx, rep: Obj): Promise<ScimGroup> {
  const f = groupFields(rep);
  const { rows } = await c.q.query<{ id: string }>(`INSERT INTO groups (tenant_id, display_name, external_id) VALUES ($1, $2, $3) RETURNING id`, [c.tenantId, f.displayName, f.externalId ?? null]);
  const id = rows[0]!.id;
  await setMembers(c, id, f.members);
  await recordAudit(c.q, c.tenantId, c.actor, { action: 'scim.group.created', outcome: 'success', target: { type: 'group', id }, details: { displayName: f.displayName, members: f.members.length } });
  return getGroup(c, id);
}

export async function saveGroup(c: Ctx, id: string, rep: Obj, via: 'put' | 'patch'): Promise<ScimGroup> {
  const before = await getGroup(c, id);
  const f = groupFields(rep);
  await c.q.query(`UPDATE groups SET display_name = $2, external_id = $3, updated_at = now() WHERE id = $1`, [id, f.displayName, f.externalId ?? null]);
  await setMembers(c, id, f.members);
  const oldIds = new Set((before.members ?? []).map((m) => m.value));
  const added = f.members.filter((m) => !oldIds.has(m));
  const removed = [...oldIds].filter((m) => !f.members.includes(m));
  await recordAudit(c.q, c.tenantId, c.actor, { action: 'scim.group.updated', outcome: 'success', target: { type: 'group', id }, details: { via, displayName: f.displayName, added, removed } });
  return getGroup(c, id);
}

export async function deleteGroup(c: Ctx, id: string): Promise<void> {
  await getGroup(c, id);
  await c.q.query(`DELETE FROM groups WHERE id = $1`, [id]);
  await recordAudit(c.q, c.tenantId, c.actor, { action: 'scim.group.deleted', outcome: 'success', target: { type: 'group', id } });
}
