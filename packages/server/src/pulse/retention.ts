/**
 * Pulse retention (PULSE-ANALYTICS): per tenant, raw intervals (and their batch records) are
 * kept `detail_retention_days`, daily rollups `rollup_retention_days`. The purge runs as a
 * platform job (routes.ts starts it every 6 hours) in one transaction per tenant with one
 * audit entry saying what it purged and up to when.
 *
 * Partitions are shared by tenants (each month holds every tenant's rows), so a tenant's
 * expired rows are deleted through the (tenant_id, start_at, id) key, not by dropping tables.
 */
import type { Database } from '@parapet/db';
import { recordAudit } from '../platform/audit.js';
import { loadSettings } from './settings.js';

const DAY_MS = 86_400_000;

export interface PurgeResult {
  intervals: number;
  batches: number;
  rollups: number;
  /** Intervals starting before this instant were purged (RFC 3339). */
  detail_before: string;
  /** Rollup days before this day were purged (YYYY-MM-DD). */
  rollups_before: string;
}

/** Purges one tenant's expired Pulse data and audits it; nothing is audited when nothing expired. */
export async function purgeExpired(db: Database, tenantId: string, now: Date): Promise<PurgeResult> {
  return db.tx({ tenantId, actor: 'system:pulse-retention' }, async (q) => {
    const s = await loadSettings(q, tenantId);
    const detailBefore = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - s.detailRetentionDays * DAY_MS);
    const rollupsBefore = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - s.rollupRetentionDays * DAY_MS).toISOString().slice(0, 10);
    const intervals = (await q.query(`DELETE FROM pulse_intervals WHERE tenant_id = $1 AND start_at < $2`, [tenantId, detailBefore])).rowCount;
    const batches = (await q.query(`DELETE FROM pulse_batches WHERE tenant_id = $1 AND received_at < $2`, [tenantId, detailBefore])).rowCount;
    const rollups = (await q.query(`DELETE FROM pulse_daily WHERE tenant_id = $1 AND day < $2::date`, [tenantId, rollupsBefore])).rowCount;
    // The stored charts of weeks that ended before the rollups kept.
    await q.query(`DELETE FROM pulse_week_charts WHERE tenant_id = $1 AND week + 7 <= $2::date`, [tenantId, rollupsBefore]);
    // Differential-privacy ledgers of periods that began before the rollups kept (their
    // charges go with them); what each read spent stays in its audit entry.
    await q.query(`DELETE FROM pulse_dp_budgets WHERE tenant_id = $1 AND period_start < $2::date`, [tenantId, rollupsBefore]);
    const r: PurgeResult = { intervals, batches, rollups, detail_before: detailBefore.toISOString(), rollups_before: rollupsBefore };
    if (intervals + batches + rollups > 0) {
      await recordAudit(q, tenantId, { type: 'system', id: 'pulse-retention' }, { action: 'pulse.retention.purged', outcome: 'success', target: { type: 'pulse_data', id: tenantId }, details: { ...r, detail_retention_days: s.detailRetentionDays, rollup_retention_days: s.rollupRetentionDays } });
    }
    return r;
  });
}
