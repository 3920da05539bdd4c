/** Fleet queries shared by the API and the CLI; each runs inside the caller's tenant transaction. */
import type { Queryable } from '@parapet/db';

export interface DeviceRow {
  id: string;
  kind: 'agent' | 'worker';
  name: string;
  status: 'active' | 'revoked';
  enrolled_at: string;
  revoked_at: string | null;
  last_seen_at: string | null;
  version: string | null;
  platform: string | null;
  key_store: 'os' | 'file' | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export async function listDevices(q: Queryable): Promise<DeviceRow[]> {
  const { rows } = await q.query<Omit<DeviceRow, 'enrolled_at' | 'revoked_at' | 'last_seen_at'> & { enrolled_at: Date; revoked_at: Date | null; last_seen_at: Date | null }>(
    `SELECT id, kind, name, status, enrolled_at, revoked_at, last_seen_at, version, platform, key_store FROM devices ORDER BY enrolled_at, id`,
  );
  return rows.map((r) => ({ ...r, enrolled_at: iso(r.enrolled_at)!, revoked_at: iso(r.revoked_at), last_seen_at: iso(r.last_seen_at) }));
}

/** Revokes a device; undefined when no such device in this tenant. Revoking twice is a no-op. */
export async function revokeDevice(q: Queryable, deviceId: string, by: string): Promise<{ id: string; name: string; alreadyRevoked: boolean; revokedAt: string } | undefined> {
  const { rows } = await q.query<{ id: string; name: string; status: string; revoked_at: Date | null }>(`SELECT id, name, status, revoked_at FROM devices WHERE id = $1 FOR UPDATE`, [deviceId]);
  const d = rows[0];
  if (!d) return undefined;
  if (d.status === 'revoked') return { id: d.id, name: d.name, alreadyRevoked: true, revokedAt: iso(d.revoked_at)! };
  const u = await q.query<{ revoked_at: Date }>(`UPDATE devices SET status = 'revoked', revoked_at = now(), revoked_by = $2 WHERE id = $1 RETURNING revoked_at`, [deviceId, by]);
  return { id: d.id, name: d.name, alreadyRevoked: false, revokedAt: iso(u.rows[0]!.revoked_at)! };
}
