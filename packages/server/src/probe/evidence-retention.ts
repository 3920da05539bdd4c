/**
 * Evidence retention (PROBE, CORE-VAULT): every probe transcript is kept until its
 * `retain_until` (settings.probe.evidence_retention_days when it was recorded; see runs.ts).
 * After that the `probe.evidence-retention` job deletes the sealed vault object and marks the
 * row `purged_at`; the row keeps its SHA-256, which the signed report names, so the report
 * still verifies and readers are told the transcript is gone (410 `evidence_purged`).
 *
 * Order makes the purge resumable: the vault object goes first, then the rows are marked in one
 * transaction with one audit entry. A run that stops in between finds the objects already gone
 * (`not_found`) next time and only marks them. The WORM vault refuses a delete before the
 * object's own retain-until (`retained`): such an object is left alone, its row unmarked, and
 * the run fails so the job's failure metric shows it.
 */
import type { Database } from '@parapet/db';
import { recordAudit } from '../platform/audit.js';
import { tenantKey } from '../vault/sealed.js';
import { VaultError, type WormVault } from '../vault/vault.js';

/** How often the job runs, ms. */
export const EVIDENCE_RETENTION_JOB_MS = 6 * 3600_000;
/** Objects purged per tenant per run, at most; the rest wait for the next run. */
export const EVIDENCE_PURGE_BATCH = 1000;

/** What one run purged for one tenant. */
export interface EvidencePurge {
  /** Evidence objects deleted and marked. */
  purged: number;
  /** Objects the vault still retained (left as they were). */
  retained: number;
}

/**
 * Purges one tenant's evidence whose retention ended at or before `now`: deletes each vault
 * object, then marks the rows and writes one `probe.evidence.purged` audit entry (count, ids,
 * latest retain_until). Nothing expired: nothing written. Throws the vault's error for anything
 * but `not_found`/`retained`, and an Error naming the count when objects were still retained.
 */
export async function purgeExpiredEvidence(c: { db: Database; vault: WormVault }, tenantId: string, now: Date, limit = EVIDENCE_PURGE_BATCH): Promise<EvidencePurge> {
  const due = await c.db.tx({ tenantId, actor: 'system:probe-evidence-retention' }, async (q) =>
    (await q.query<{ id: string; object_key: string; retain_until: Date }>(
      `SELECT id, object_key, retain_until FROM probe_evidence WHERE purged_at IS NULL AND retain_until <= $1 ORDER BY retain_until, id LIMIT $2`,
      [now, limit],
    )).rows,
  );
  const gone: typeof due = [];
  let retained = 0;
  for (const e of due) {
    try {
      await c.vault.delete(tenantKey(tenantId, e.object_key));
      gone.push(e);
    } catch (err) {
      if (err instanceof VaultError && err.code === 'not_found') gone.push(e);
      else if (err instanceof VaultError && err.code === 'retained') retained++;
      else throw err;
    }
  }
  if (gone.length) {
    await c.db.tx({ tenantId, actor: 'system:probe-evidence-retention' }, async (q) => {
      await q.query(`UPDATE probe_evidence SET purged_at = $2 WHERE id = ANY($1::uuid[]) AND purged_at IS NULL`, [gone.map((e) => e.id), now]);
      const latest = gone.reduce((m, e) => (new Date(e.retain_until) > m ? new Date(e.retain_until) : m), new Date(0));
      await recordAudit(q, tenantId, { type: 'system', id: 'probe-evidence-retention' }, {
        action: 'probe.evidence.purged',
        outcome: 'success',
        target: { type: 'probe_evidence', id: '*' },
        details: { count: gone.length, retained_until: latest.toISOString(), evidence_ids: gone.map((e) => e.id) },
      });
    });
  }
  if (retained) throw new Error(`${retained} evidence object(s) are past retention in the database but the vault still retains them; they were left in place.`);
  return { purged: gone.length, retained };
}
