/**
 * Fleet operations for the operator who holds the database credentials (the `parapet devices`
 * commands), without an API session. Each runs one tenant transaction that makes the change
 * and appends its audit entry, so the operator's tools never write audit rows themselves and
 * the entry is chained by the same sequencer as every other.
 *
 * The actor is `system/cli` with a display name naming the OS user; every entry's details
 * carry `via: 'cli'`.
 */
import type { Database } from '@parapet/db';
import { recordAudit, type AuditActor } from '../platform/audit.js';
import { createEnrollmentToken, type DeviceKind } from './tokens.js';
import { listDevices, revokeDevice, type DeviceRow } from './fleet.js';

/** Who ran the operator command: the OS user name (or "unknown" without a passwd entry). */
export interface Operator {
  osUser: string;
}

const CREATED_BY = 'system:cli';
const actorOf = (o: Operator): AuditActor => ({ type: 'system', id: 'cli', name: `parapet CLI (${o.osUser})` });

/**
 * Creates a single-use enrollment token (lifetime in seconds, 60 s to 7 d) and audits
 * `device.token.created`. `ownerUserId` names the person whose machine an agent is (Pulse
 * accepts uploads only from such an agent); the caller checks that the person is active. The
 * returned `token` is shown once. Throws RangeError for a lifetime out of bounds (nothing is written).
 */
export function operatorCreateEnrollmentToken(db: Database, tenantId: string, op: Operator, o: { kind: DeviceKind; expiresInSeconds: number; ownerUserId?: string | undefined }): Promise<{ id: string; token: string; kind: DeviceKind; expiresAt: Date }> {
  return db.tx({ tenantId, actor: CREATED_BY }, async (q) => {
    const t = await createEnrollmentToken(q, { tenantId, kind: o.kind, expiresInSeconds: o.expiresInSeconds, createdBy: CREATED_BY, ownerUserId: o.ownerUserId });
    await recordAudit(q, tenantId, actorOf(op), { action: 'device.token.created', outcome: 'success', target: { type: 'enrollment_token', id: t.id }, details: { kind: t.kind, expires_at: t.expiresAt.toISOString(), owner_user_id: o.ownerUserId ?? null, via: 'cli' } });
    return t;
  });
}

/** Lists the tenant's devices, oldest enrollment first, and audits `device.listed` with the count. */
export function operatorListDevices(db: Database, tenantId: string, op: Operator): Promise<DeviceRow[]> {
  return db.tx({ tenantId, actor: CREATED_BY }, async (q) => {
    const list = await listDevices(q);
    await recordAudit(q, tenantId, actorOf(op), { action: 'device.listed', outcome: 'success', details: { count: list.length, via: 'cli' } });
    return list;
  });
}

/**
 * Revokes a device (revoking twice is a no-op reported as `alreadyRevoked`) and audits
 * `device.revoked`: success, or failure with code `device_not_found` when the tenant has no
 * such device, in which case it resolves undefined.
 */
export function operatorRevokeDevice(db: Database, tenantId: string, op: Operator, deviceId: string): Promise<{ id: string; name: string; alreadyRevoked: boolean; revokedAt: string } | undefined> {
  return db.tx({ tenantId, actor: CREATED_BY }, async (q) => {
    const r = await revokeDevice(q, deviceId, CREATED_BY);
    await recordAudit(q, tenantId, actorOf(op), {
      action: 'device.revoked',
      outcome: r ? 'success' : 'failure',
      target: { type: 'device', id: deviceId },
      details: r ? { already_revoked: r.alreadyRevoked, name: r.name, via: 'cli' } : { code: 'device_not_found', via: 'cli' },
    });
    return r;
  });
}
