/**
 * SCIM bearer tokens: `pscim_<tenant id>_<secret>`. The token names its tenant so the lookup
 * runs under that tenant's RLS (a token relabelled with another tenant finds nothing); only
 * SHA-256(secret) is stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database, Queryable } from '@parapet/db';

const TOKEN = /^pscim_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const hash = (secret: string) => createHash('sha256').update(secret).digest();

export interface ScimTokenInfo {
  tenantId: string;
  tokenId: string;
  name: string;
}

export async function issueScimToken(q: Queryable, tenantId: string, name: string, createdBy: string): Promise<{ id: string; token: string }> {
  const secret = randomBytes(32).toString('base64url');
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO scim_tokens (tenant_id, name, secret_hash, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
    [tenantId, name, hash(secret), createdBy],
  );
  return { id: rows[0]!.id, token: `pscim_${tenantId}_${secret}` };
}

/** The tenant a token claims, when it is well-formed (for auditing failed attempts). */
export function claimedTenant(token: string): string | undefined {
  return TOKEN.exec(token)?.[1];
}

/** Resolves a bearer token to its tenant and token id, or undefined (unknown, revoked, malformed). */
export async function resolveScimToken(db: Database, token: string): Promise<ScimTokenInfo | undefined> {
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const tenantId = m[1]!;
  return db.tx({ tenantId, actor: 'system:scim' }, async (q) => {
    const { rows } = await q.query<{ id: string; name: string }>(
      `UPDATE scim_tokens SET last_used_at = now() WHERE secret_hash = $1 AND revoked_at IS NULL RETURNING id, name`,
      [hash(m[2]!)],
    );
    return rows[0] ? { tenantId, tokenId: rows[0].id, name: rows[0].name } : undefined;
  });
}
