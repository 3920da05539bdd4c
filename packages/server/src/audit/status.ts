/**
 * The server-side re-check of one tenant's audit log, as `parapet audit verify` does it offline:
 * hash chain, Merkle tree, every checkpoint signature and witness cosignature, bounded below by
 * the checkpoint pinned in the WORM vault. Used by GET /api/v1/audit/status and the posture check.
 */
import type { Database } from '@parapet/db';
import { verifyExport } from '@parapet/core';
import type { WormVault } from '../vault/vault.js';
import { sequencerFor } from '../platform/audit-sequencer.js';
import { AUDIT_WITNESSES } from './witness-client.js';
import { readSetting } from '../platform/settings.js';
import { buildExport, latestCheckpoint, pinnedCheckpoint } from './service.js';

/** The verification result; `state` 'nothing_to_verify' means no log key and no checkpoint yet. */
export interface AuditStatus {
  verified: boolean;
  state: 'verified' | 'nothing_to_verify' | 'failed';
  entries: number;
  checkpoints: number;
  cosignatures: number;
  latest_checkpoint: { tree_size: number; created_at: string; key_id: string } | null;
  /** Names of the witnesses that cosigned the latest checkpoint. */
  witnesses: string[];
  first_bad_entry: number | null;
  reason: string | null;
}

/** Verifies the tenant's whole log now. O(entries). */
export async function auditStatus(db: Database, vault: WormVault, tenantId: string, actor: string): Promise<AuditStatus> {
  await sequencerFor(db).flush(tenantId);
  // The vault's latest checkpoint bounds the log from below: fewer entries than it covers,
  // or other ones, fail verification even when the database's checkpoints were removed too.
  const pinned = await pinnedCheckpoint(vault, tenantId);
  const { x, cp, witnessList } = await db.tx({ tenantId, actor }, async (q) => ({
    x: await buildExport(q, tenantId, pinned),
    cp: await latestCheckpoint(q),
    witnessList: await readSetting(q, AUDIT_WITNESSES, tenantId),
  }));
  if (x.log_keys.length === 0 && x.checkpoints.length === 0) {
    return { verified: false, state: 'nothing_to_verify', entries: x.entries.length, checkpoints: 0, cosignatures: 0, latest_checkpoint: null, witnesses: [], first_bad_entry: null, reason: null };
  }
  const witnessKeys = witnessList.map((w) => w.verifier_key);
  const r = verifyExport(x, { witnesses: witnessKeys });
  // Stored cosignature lines follow the log's own signature in the checkpoint's note.
  const latest = cp ? x.checkpoints.find((n) => n.startsWith(cp.note)) : undefined;
  const witnesses = (latest && cp ? latest.slice(cp.note.length) : '')
    .split('\n')
    .map((l) => /^\u2014 (\S+) /.exec(l)?.[1])
    .filter((n): n is string => Boolean(n));
  return {
    verified: r.ok,
    state: r.ok ? 'verified' : 'failed',
    entries: r.entries,
    checkpoints: r.checkpoints,
    cosignatures: r.cosignatures,
    latest_checkpoint: cp ? { tree_size: cp.treeSize, created_at: cp.createdAt.toISOString(), key_id: cp.keyId } : null,
    witnesses,
    first_bad_entry: r.ok ? null : (r.seq ?? null),
    reason: r.ok ? null : (r.reason ?? 'verification failed'),
  };
}
