/**
 * People without an identity provider: invitations (a one-time link) and locally managed roles.
 *
 * Invitation token: `pinv_<tenant id>.<secret>`, the secret 32 random bytes (base64url). The
 * tenant id in the token lets the pre-auth accept route open exactly one tenant's rows under
 * RLS, as session cookies do; only SHA-256(secret) is stored, so a database reader cannot
 * accept an invitation. A token is single use (accepted_at, set by a conditional UPDATE),
 * expires (expires_at) and can be revoked.
 *
 * Role rules (each has a test in packages/server/test/people.test.ts):
 *  - nobody changes their own roles (`403 own_roles`);
 *  - the organisation keeps at least one active admin (`409 last_admin`); concurrent
 *    demotions serialise on a row lock of every active admin;
 *  - roles that an identity provider sets (SSO group mapping at each sign-in, for SSO-linked
 *    users, or SCIM-provisioned users in a mapped group) are managed there
 *    (`409 roles_managed_externally`); a local change would be overwritten at the next sign-in.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database, Queryable } from '@parapet/db';
import { recordAudit, type AuditActor } from '../platform/audit.js';
import { ProblemError } from '../http/problem.js';
import { checkPasswordPolicy, hashPassword, WeakPasswordError } from '../auth/index.js';
import { createSession, type SessionState } from '../auth/index.js';
import { insertUser, setUserRoles as storeRoles } from '../platform/users.js';
import { getAuthSettings, mustEnrolMfa } from '../auth/index.js';
import { ROLES, type Role } from '../platform/principal.js';

/** Default and bounds of an invitation's lifetime (seconds). */
export const INVITATION_DEFAULT_SECONDS = 72 * 3600;
export const INVITATION_MIN_SECONDS = 5 * 60;
export const INVITATION_MAX_SECONDS = 30 * 24 * 3600;

const TOKEN = /^pinv_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Roles in the canonical order of ROLES, without duplicates. */
export function normaliseRoles(roles: readonly string[]): Role[] {
  for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) throw new ProblemError(400, 'invalid_role', `"${r}" is not a role; roles are ${ROLES.join(', ')}.`);
  return ROLES.filter((r) => roles.includes(r));
}

/** Splits a token into its tenant id and secret; undefined when it is not one. */
export function parseInvitationToken(token: string): { tenantId: string; secret: string } | undefined {
  const m = TOKEN.exec(token.trim());
  return m ? { tenantId: m[1]!, secret: m[2]! } : undefined;
}

export type ManagedBy = 'sso' | 'scim' | null;

/**
 * Who manages each user's roles: 'sso' when the user signs in through the tenant's IdP and
 * its group mapping sets roles at each sign-in; 'scim' when SCIM provisioned the user and
 * one of their SCIM groups is a key of that mapping; otherwise null (local, editable here).
 */
export async function rolesManagedBy(q: Queryable, userIds?: string[]): Promise<Map<string, ManagedBy>> {
  const { rows } = await q.query<{ id: string; sso: boolean; scim: boolean }>(
    `WITH cfg AS (SELECT group_roles FROM sso_configs WHERE enabled AND groups_claim IS NOT NULL AND group_roles <> '{}'::jsonb)
     SELECT u.id,
            EXISTS (SELECT 1 FROM sso_identities i WHERE i.user_id = u.id) AND EXISTS (SELECT 1 FROM cfg) AS sso,
            EXISTS (SELECT 1 FROM scim_users s JOIN group_members m ON m.tenant_id = s.tenant_id AND m.user_id = s.user_id
                      JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
                     WHERE s.user_id = u.id AND s.deleted_at IS NULL AND EXISTS (SELECT 1 FROM cfg WHERE cfg.group_roles ? g.display_name)) AS scim
       FROM users u WHERE ($1::uuid[] IS NULL OR u.id = ANY($1::uuid[]))`,
    [userIds ?? null],
  );
  return new Map(rows.map((r) => [r.id, r.sso ? 'sso' : r.scim ? 'scim' : null]));
}

export interface RoleChange {
  userId: string;
  email: string;
  from: Role[];
  to: Role[];
}

/**
 * Sets a user's roles (the caller has been authorized for people.roles.manage). Enforces the
 * three rules above; records `people.roles.changed`; ends the user's sessions so the next
 * sign-in meets the MFA rule of the new roles. No change: nothing recorded.
 * Throws ProblemError 403 own_roles, 404 user_not_found, 409 roles_managed_externally,
 * 409 last_admin, 400 invalid_role.
 */
export async function setUserRoles(q: Queryable, tenantId: string, actor: AuditActor & { type: 'user' }, targetId: string, roles: readonly string[]): Promise<RoleChange> {
  const to = normaliseRoles(roles);
  if (targetId === actor.id) throw new ProblemError(403, 'own_roles', 'Nobody may change their own roles; ask another admin.');
  // Lock the active admins first (always in the same order), then the target.
  const admins = (await q.query<{ id: string }>(`SELECT id FROM users WHERE status = 'active' AND 'admin' = ANY(roles) ORDER BY id FOR UPDATE`)).rows.map((r) => r.id);
  const { rows } = await q.query<{ id: string; email: string; roles: Role[]; status: string }>(`SELECT id, email, roles, status FROM users WHERE id = $1 FOR UPDATE`, [targetId]);
  const u = rows[0];
  if (!u) throw new ProblemError(404, 'user_not_found', 'No such person in this organisation.');
  const from = normaliseRoles(u.roles);
  const managed = (await rolesManagedBy(q, [targetId])).get(targetId);
  if (managed) {
    throw new ProblemError(409, 'roles_managed_externally', `This person's roles come from your identity provider (${managed === 'sso' ? 'SSO group mapping' : 'SCIM groups'}); change them there.`, { managed_by: managed });
  }
  if (from.join() === to.join()) return { userId: u.id, email: u.email, from, to };
  if (from.includes('admin') && !to.includes('admin') && u.status === 'active' && admins.filter((id) => id !== targetId).length === 0) {
    throw new ProblemError(409, 'last_admin', 'This is the last admin of the organisation; make someone else admin first.');
  }
  const changed = await storeRoles(q, tenantId, targetId, to);
  const ended = (changed?.reports.sessions as { sessions_revoked?: number } | undefined)?.sessions_revoked ?? 0;
  await recordAudit(q, tenantId, actor, { action: 'people.roles.changed', outcome: 'success', target: { type: 'user', id: targetId }, details: { email: u.email, from, to, sessions_ended: ended } });
  return { userId: u.id, email: u.email, from, to };
}

export interface NewInvitation {
  email: string;
  roles: readonly string[];
  expiresInSeconds?: number | undefined;
}

export interface Invitation {
  id: string;
  email: string;
  roles: Role[];
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  revoked_at: string | null;
  status: 'open' | 'accepted' | 'expired' | 'revoked';
}

interface InvitationRow {
  id: string;
  email: string;
  roles: Role[];
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
}

function present(r: InvitationRow, now: Date): Invitation {
  const status = r.accepted_at ? 'accepted' : r.revoked_at ? 'revoked' : r.expires_at <= now ? 'expired' : 'open';
  return {
    id: r.id, email: r.email, roles: r.roles, created_at: r.created_at.toISOString(), expires_at: r.expires_at.toISOString(),
    accepted_at: r.accepted_at?.toISOString() ?? null, revoked_at: r.revoked_at?.toISOString() ?? null, status,
  };
}

/**
 * Creates an invitation; answers it with its token (shown once, never stored). Refuses an
 * address that already has an account (409 user_exists) or an open invitation (409
 * invitation_exists: revoke it first). Records `people.invitation.created` (no token in it).
 */
export async function createInvitation(q: Queryable, tenantId: string, actor: AuditActor & { type: 'user' }, inv: NewInvitation, now: Date): Promise<{ invitation: Invitation; token: string }> {
  const email = inv.email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new ProblemError(400, 'invalid_email', `"${inv.email}" is not an email address.`);
  const roles = normaliseRoles(inv.roles.length ? inv.roles : ['employee']);
  const secs = inv.expiresInSeconds ?? INVITATION_DEFAULT_SECONDS;
  if (!Number.isInteger(secs) || secs < INVITATION_MIN_SECONDS || secs > INVITATION_MAX_SECONDS) {
    throw new ProblemError(400, 'invalid_expiry', `An invitation lasts between ${INVITATION_MIN_SECONDS / 60} minutes and ${INVITATION_MAX_SECONDS / 86400} days.`);
  }
  if ((await q.query(`SELECT 1 FROM users WHERE email = $1`, [email])).rows.length) throw new ProblemError(409, 'user_exists', `${email} already has an account in this organisation.`);
  // An expired, never-used invitation no longer blocks a new one.
  await q.query(`UPDATE invitations SET revoked_at = $2 WHERE email = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at <= $2`, [email, now]);
  if ((await q.query(`SELECT 1 FROM invitations WHERE email = $1 AND accepted_at IS NULL AND revoked_at IS NULL`, [email])).rows.length) {
    throw new ProblemError(409, 'invitation_exists', `${email} has an open invitation already; revoke it to make a new one.`);
  }
  const secret = randomBytes(32).toString('base64url');
  const { rows } = await q.query<InvitationRow>(
    `INSERT INTO invitations (tenant_id, email, roles, token_hash, created_by, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6::timestamptz + make_interval(secs => $7))
     RETURNING id, email, roles, created_at, expires_at, accepted_at, revoked_at`,
    [tenantId, email, roles, sha256(secret), actor.id, now, secs],
  );
  const row = rows[0]!;
  await recordAudit(q, tenantId, actor, { action: 'people.invitation.created', outcome: 'success', target: { type: 'invitation', id: row.id }, details: { email, roles, expires_at: row.expires_at.toISOString() } });
  return { invitation: present(row, now), token: `pinv_${tenantId}.${secret}` };
}

export async function listInvitations(q: Queryable, now: Date): Promise<Invitation[]> {
  const { rows } = await q.query<InvitationRow>(`SELECT id, email, roles, created_at, expires_at, accepted_at, revoked_at FROM invitations ORDER BY created_at DESC LIMIT 1000`);
  return rows.map((r) => present(r, now));
}

/** Revokes an open invitation. Throws 404 invitation_not_found, 409 invitation_closed. */
export async function revokeInvitation(q: Queryable, tenantId: string, actor: AuditActor, id: string, now: Date): Promise<void> {
  const { rows } = await q.query<InvitationRow>(`SELECT id, email, roles, created_at, expires_at, accepted_at, revoked_at FROM invitations WHERE id = $1 FOR UPDATE`, [id]);
  const r = rows[0];
  if (!r) throw new ProblemError(404, 'invitation_not_found', 'No such invitation.');
  if (r.accepted_at || r.revoked_at) throw new ProblemError(409, 'invitation_closed', `This invitation was ${r.accepted_at ? 'accepted' : 'revoked'} already.`);
  await q.query(`UPDATE invitations SET revoked_at = $2 WHERE id = $1`, [id, now]);
  await recordAudit(q, tenantId, actor, { action: 'people.invitation.revoked', outcome: 'success', target: { type: 'invitation', id }, details: { email: r.email } });
}

const unusable = () => new ProblemError(410, 'invitation_invalid', 'This invitation link is not valid: it was used, revoked or has expired. Ask an admin for a new one.');

/** What an invitation is for (the accept page shows it before a password is chosen). */
export async function lookupInvitation(db: Database, token: string, now: Date): Promise<{ org_name: string; org_slug: string; email: string; roles: Role[]; expires_at: string }> {
  const t = parseInvitationToken(token);
  if (!t) throw unusable();
  const row = await db.tx({ tenantId: t.tenantId, actor: 'system:invitation' }, async (q) =>
    (await q.query<{ email: string; roles: Role[]; expires_at: Date; name: string; slug: string }>(
      `SELECT i.email, i.roles, i.expires_at, t.name, t.slug FROM invitations i JOIN tenants t ON t.id = i.tenant_id
        WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2`,
      [sha256(t.secret), now],
    )).rows[0],
  );
  if (!row) throw unusable();
  return { org_name: row.name, org_slug: row.slug, email: row.email, roles: row.roles, expires_at: row.expires_at.toISOString() };
}

export interface AcceptedInvitation {
  tenantId: string;
  userId: string;
  email: string;
  orgSlug: string;
  state: SessionState;
  cookie: string;
  csrfToken: string;
}

/**
 * Accepts an invitation: creates the account with the invited roles and the chosen password,
 * marks the invitation used and opens a session, in one transaction. The session is
 * 'mfa_enroll' when the roles are privileged or the tenant requires MFA, so the person
 * enrols a factor before anything else. Throws 410 invitation_invalid (unknown, used,
 * revoked, expired: one answer), 400 weak_password, 409 user_exists.
 */
export async function acceptInvitation(db: Database, token: string, password: string, displayName: string | undefined, actor: AuditActor, now: Date): Promise<AcceptedInvitation> {
  const t = parseInvitationToken(token);
  if (!t) throw unusable();
  try {
    checkPasswordPolicy(password);
  } catch (e) {
    if (e instanceof WeakPasswordError) throw new ProblemError(400, 'weak_password', e.message);
    throw e;
  }
  // Argon2id outside the transaction (it takes a while).
  const hash = await hashPassword(password);
  return db.tx({ tenantId: t.tenantId, actor: 'system:invitation' }, async (q) => {
    // The conditional UPDATE is the single-use check: two concurrent accepts cannot both match.
    const { rows } = await q.query<{ id: string; email: string; roles: Role[]; slug: string }>(
      `UPDATE invitations i SET accepted_at = $2 FROM tenants t
        WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2 AND t.id = i.tenant_id
       RETURNING i.id, i.email, i.roles, t.slug`,
      [sha256(t.secret), now],
    );
    const inv = rows[0];
    if (!inv) throw unusable();
    if ((await q.query(`SELECT 1 FROM users WHERE email = $1`, [inv.email])).rows.length) throw new ProblemError(409, 'user_exists', `${inv.email} already has an account in this organisation; sign in instead.`);
    const userId = (await insertUser(q, t.tenantId, { email: inv.email, displayName: displayName?.trim() || inv.email, roles: inv.roles, passwordHash: hash })).id;
    await q.query(`UPDATE invitations SET accepted_user_id = $2 WHERE id = $1`, [inv.id, userId]);
    const settings = await getAuthSettings(q, t.tenantId);
    const state: SessionState = mustEnrolMfa(inv.roles, settings.mfaRequired) ? 'mfa_enroll' : 'full';
    const s = await createSession(q, { tenantId: t.tenantId, userId, ip: actor.ip, userAgent: actor.userAgent, state });
    const who: AuditActor = { ...actor, type: 'user', id: userId, name: inv.email };
    await recordAudit(q, t.tenantId, who, { action: 'people.invitation.accepted', outcome: 'success', target: { type: 'user', id: userId }, details: { invitation_id: inv.id, email: inv.email, roles: inv.roles, session_state: state } });
    return { tenantId: t.tenantId, userId, email: inv.email, orgSlug: inv.slug, state, cookie: s.cookie, csrfToken: s.csrfToken };
  });
}
