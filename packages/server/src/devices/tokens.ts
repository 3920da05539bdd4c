/**
 * Enrollment tokens: `pet_<tenantId>_<secret>`, 256 random bits of secret. The token names its
 * tenant so the server can look it up under that tenant's RLS; only SHA-256(secret) is stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '@parapet/db';

export type DeviceKind = 'agent' | 'worker';
export const DEVICE_KINDS: DeviceKind[] = ['agent', 'worker'];
export const DEFAULT_TOKEN_SECONDS = 3600;
export const MAX_TOKEN_SECONDS = 7 * 24 * 3600;

const TOKEN = /^pet_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest();

export function parseToken(token: string): { tenantId: string; secret: string } | undefined {
  const m = TOKEN.exec(token);
  return m ? { tenantId: m[1]!, secret: m[2]! } : undefined;
}

/** Creates a token inside the caller's tenant transaction; the returned `token` is shown once. */
export async function createEnrollmentToken(
  q: Queryable,
  o: { tenantId: string; kind: DeviceKind; expiresInSeconds?: number | undefined; createdBy: string; ownerUserId?: string | undefined },
): Promise<{ id: string; token: string; kind: DeviceKind; expiresAt: Date }> {
  const seconds = o.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > MAX_TOKEN_SECONDS) throw new RangeError(`Token lifetime must be between 60 and ${MAX_TOKEN_SECONDS} seconds.`);
  const secret = randomBytes(32).toString('base64url');
  const { rows } = await q.query<{ id: string; expires_at: Date }>(
    `INSERT INTO device_enrollment_tokens (tenant_id, token_hash, kind, created_by, expires_at, owner_user_id)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6) RETURNING id, expires_at`,
    [o.tenantId, hashSecret(secret), o.kind, o.createdBy, seconds, o.ownerUserId ?? null],
  );
  return { id: rows[0]!.id, token: `pet_${o.tenantId}_${secret}`, kind: o.kind, expiresAt: new Date(rows[0]!.expires_at) };
}

/** Parses durations such as 90s, 30m, 1h, 2d into seconds. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d{1,6})([smhd])$/.exec(s.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
