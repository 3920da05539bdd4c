import { randomUUID } from 'node:crypto';
import { isUniqueViolation, type Database, type Queryable } from '@parapet/db';
import { ProblemError } from '../http/problem.js';
import { checkPasswordPolicy, hashPassword, WeakPasswordError } from '../auth/index.js';
import { recordAudit } from '../platform/audit.js';
import { issueCheckpoint } from '../audit/index.js';
import { insertUser } from '../platform/users.js';
import type { Tenant } from '../platform/tenants.js';
import type { KeyProvider } from '@parapet/core';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function slugify(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
}

export interface NewOrganisation {
  name: string;
  slug?: string | undefined;
  adminEmail: string;
  adminPassword: string;
  adminName?: string | undefined;
}

/**
 * Creates a tenant and its first admin in one transaction. The transaction's tenant is the
 * new id, which is what the tenants INSERT policy demands. With `keys`, the organisation's
 * audit log key and first signed checkpoint (covering tenant.created and auth.user.created) are
 * made right after, so a new log is verifiable from the start rather than "no log key" until
 * the hourly job runs. A failure there leaves the organisation in place (the hourly job
 * signs later) and is reported in `checkpointError`.
 */
export async function createOrganisation(db: Database, o: NewOrganisation, keys?: KeyProvider): Promise<{ tenant: Tenant; adminId: string; checkpointError?: string }> {
  const slug = o.slug ?? slugify(o.name);
  if (!SLUG_PATTERN.test(slug)) throw new ProblemError(400, 'invalid_slug', `"${slug}" is not a valid organisation slug (lower-case letters, digits and hyphens, at most 63).`);
  const email = o.adminEmail.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new ProblemError(400, 'invalid_email', `"${o.adminEmail}" is not an email address.`);
  try {
    checkPasswordPolicy(o.adminPassword);
  } catch (e) {
    if (e instanceof WeakPasswordError) throw new ProblemError(400, 'weak_password', e.message);
    throw e;
  }
  const passwordHash = await hashPassword(o.adminPassword);
  const id = randomUUID();
  let made: { tenant: Tenant; adminId: string };
  try {
    made = await db.tx({ tenantId: id, actor: 'system:init' }, async (q: Queryable) => {
      await q.query(`INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3)`, [id, slug, o.name]);
      const adminId = (await insertUser(q, id, { email, displayName: o.adminName ?? email, roles: ['admin'], passwordHash })).id;
      const system = { type: 'system' as const, id: 'init', name: 'parapet init' };
      await recordAudit(q, id, system, { action: 'tenant.created', outcome: 'success', target: { type: 'tenant', id }, details: { slug, name: o.name } });
      await recordAudit(q, id, system, { action: 'auth.user.created', outcome: 'success', target: { type: 'user', id: adminId }, details: { email, roles: ['admin'] } });
      return { tenant: { id, slug, name: o.name }, adminId };
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new ProblemError(409, 'slug_taken', `An organisation with slug "${slug}" already exists.`);
    throw e;
  }
  if (!keys) return made;
  try {
    await issueCheckpoint(db, keys, id);
    return made;
  } catch (e) {
    return { ...made, checkpointError: (e as Error).message };
  }
}
