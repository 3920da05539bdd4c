/**
 * Daily (and on-demand) snapshots of new audit entries plus their checkpoint into the WORM
 * vault, encrypted, kept for the tenant's retention (default 7 years, at least 24 months).
 */
import type { Database } from '@parapet/db';
import type { KeyProvider } from '@parapet/core';
import type { WormVault } from '../vault/vault.js';
import { putSealed, tenantKey } from '../vault/sealed.js';
import { VaultError } from '../vault/vault.js';
import { entriesRange, issueCheckpoint, logKeys, logOrigin } from './service.js';
import { integerSetting, readSetting } from '../platform/settings.js';

export const DEFAULT_RETENTION_MONTHS = 84;
export const MIN_RETENTION_MONTHS = 24;
/** Longest retention an admin may set (100 years). */
export const MAX_RETENTION_MONTHS = 1200;
/**
 * Tenant setting `audit_retention_months`: how long snapshots are locked in the WORM vault.
 * A stored value below the minimum (or above the maximum) counts as that bound.
 */
export const AUDIT_RETENTION_MONTHS = integerSetting({ key: 'audit_retention_months', owner: 'audit', default: DEFAULT_RETENTION_MONTHS, min: MIN_RETENTION_MONTHS, max: MAX_RETENTION_MONTHS, outOfRange: 'clamp' });
export const SNAPSHOT_FORMAT = 'parapet-audit-snapshot/v1';

export interface SnapshotInfo {
  fromSeq: number;
  toSeq: number;
  objectKey: string;
  sha256: string;
  retainUntil: Date;
}

function addMonths(d: Date, months: number): Date {
  const r = new Date(d);
  r.setUTCMonth(r.getUTCMonth() + months);
  return r;
}

/** Writes a snapshot of entries since the last one; undefined when nothing is new. */
export async function snapshotAuditLog(db: Database, keys: KeyProvider, vault: WormVault, tenantId: string, now: Date): Promise<SnapshotInfo | undefined> {
  const cp = await issueCheckpoint(db, keys, tenantId, { vault });
  const ctx = { tenantId, actor: 'system:audit-snapshot' };
  const prep = await db.tx(ctx, async (q) => {
    const last = Number((await q.query<{ n: number | null }>(`SELECT max(to_seq) AS n FROM audit_snapshots`)).rows[0]!.n ?? 0);
    if (cp.treeSize <= last) return undefined;
    return { last, months: await readSetting(q, AUDIT_RETENTION_MONTHS, tenantId), keys: (await logKeys(q)).map((k) => k.verifierKey), entries: await entriesRange(q, last + 1, cp.treeSize - last) };
  });
  if (!prep) return undefined;
  const body = {
    format: SNAPSHOT_FORMAT,
    tenant_id: tenantId,
    origin: logOrigin(tenantId),
    from_seq: prep.last + 1,
    to_seq: cp.treeSize,
    log_keys: prep.keys,
    checkpoint: cp.note,
    entries: prep.entries,
  };
  let retainUntil = addMonths(now, prep.months);
  const objectKey = `audit/snapshots/${String(cp.treeSize).padStart(12, '0')}.json`;
  let info;
  try {
    info = await putSealed(vault, keys, tenantId, objectKey, Buffer.from(JSON.stringify(body)), retainUntil);
  } catch (e) {
    // Written before a crash but not recorded: the object is write-once, so record what is there.
    const had = e instanceof VaultError && e.code === 'exists' ? await vault.head(tenantKey(tenantId, objectKey)) : undefined;
    if (!had) throw e;
    info = had;
    retainUntil = had.retainUntil;
  }
  await db.tx(ctx, (q) =>
    q.query(`INSERT INTO audit_snapshots (tenant_id, to_seq, from_seq, object_key, sha256, retain_until) VALUES ($1, $2, $3, $4, $5, $6)`, [tenantId, cp.treeSize, prep.last + 1, info.key, info.sha256, retainUntil]),
  );
  return { fromSeq: prep.last + 1, toSeq: cp.treeSize, objectKey: info.key, sha256: info.sha256, retainUntil };
}
