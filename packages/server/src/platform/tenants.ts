/**
 * Reads of the tenant directory that code outside any one organisation needs: the sign-in's
 * lookup by slug (before anyone is authenticated) and the list of every tenant for system jobs.
 * The tenants domain (`tenants/`) creates organisations; these reads sit in platform/ so that
 * every domain can use them without importing that domain, which itself builds on auth, people
 * and audit.
 */
import type { Database } from '@parapet/db';

/** An organisation: its id (UUID), its slug (lower-case letters, digits, hyphens) and its name. */
export interface Tenant {
  id: string;
  slug: string;
  name: string;
}

/** Finds a tenant by slug before anyone is signed in (the only pre-auth tenant lookup). */
export async function tenantBySlug(db: Database, slug: string): Promise<Tenant | undefined> {
  return db.tx({ tenantSlug: slug }, async (q) => {
    const { rows } = await q.query<Tenant>(`SELECT id, slug, name FROM tenants WHERE slug = $1`, [slug]);
    return rows[0];
  });
}

/** Every tenant id, for system jobs that then work tenant by tenant in their own transactions. */
export async function listTenantIds(db: Database): Promise<string[]> {
  return db.tx({ listTenants: true, actor: 'system:jobs' }, async (q) => (await q.query<{ id: string }>(`SELECT id FROM tenants ORDER BY created_at, id`)).rows.map((r) => r.id));
}
