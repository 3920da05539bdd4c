/**
 * Anomaly alerts (CORE-ANOMALY): per-actor baselines of data-access volume, learned per tenant
 * from the audit log, and an alert when an actor reads or exports far beyond their own baseline.
 *
 * What counts as data access: for the tenant's own users and devices, every audit entry that
 * names a purpose (reads of people's data are audited with their purpose) and the export and
 * download events in {@link DATA_ACCESS_ACTIONS}; for vendor support, every request of a support
 * session (`support.request.made`, actor `system` / `support:<staff id>`), since each one reaches the
 * customer's data under a grant. A support member's baseline is their own history in this tenant
 * (across grants and sessions), so a session reading far beyond what that member usually does
 * here raises an alert like anyone else's.
 *
 * The rule, per actor, checked over the trailing hour: the count `n` of data-access entries is
 * anomalous when all three hold:
 *   - n >= floor (tenant setting `anomaly_floor`, default {@link ANOMALY_DEFAULT_FLOOR}), so quiet
 *     actors never page anyone;
 *   - n > 3 × the median of the actor's hourly counts over the baseline window (14 days, hours
 *     with no access counting as 0);
 *   - n > the 99th percentile of those hourly counts.
 * An actor with no history has a baseline of zeros, so the floor decides. One alert per actor per
 * hour; each alert is an audit entry (`governance.anomaly.detected`), a console banner
 * (`GET /api/v1/governance/alerts`) and, where webhooks are configured, a webhook event.
 */
import type { Database, Queryable } from '@parapet/db';
import { recordAudit, storedAuditEventNames, type AuditActor, type AuditEventName } from '../platform/audit.js';
import { revealPii } from '../audit/index.js';
import { integerSetting, readSetting } from '../platform/settings.js';

/** Audit events that are data access whatever their purpose. */
export const DATA_ACCESS_ACTIONS: readonly AuditEventName[] = ['audit.log.exported', 'probe.evidence.downloaded', 'pulse.activity.read', 'pulse.activity.exported'];
/** The same, as rows may store them (current and former names, platform/audit.ts). */
const DATA_ACCESS_STORED = storedAuditEventNames(...DATA_ACCESS_ACTIONS);
export const ANOMALY_DEFAULT_FLOOR = 50;
/** Tenant setting `anomaly_floor`: the fewest data accesses in an hour that can be anomalous (below 1 counts as 1). */
export const ANOMALY_FLOOR = integerSetting({ key: 'anomaly_floor', owner: 'governance', default: ANOMALY_DEFAULT_FLOOR, min: 1, max: 1_000_000, outOfRange: 'clamp' });
/** Baseline window (hours). */
export const ANOMALY_BASELINE_HOURS = 14 * 24;
export const ANOMALY_MEDIAN_FACTOR = 3;

export interface AnomalyAlert {
  id: string;
  actor_type: string;
  actor_id: string;
  actor_name: string | null;
  count: number;
  median: number;
  p99: number;
  floor: number;
  window_start: string;
  detected_at: string;
  acknowledged_at: string | null;
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** The rule above, on one actor's counts: `hourly` are the baseline hours (zeros included). */
export function isAnomalous(n: number, hourly: number[], floor: number): { anomalous: boolean; median: number; p99: number } {
  const sorted = [...hourly].sort((a, b) => a - b);
  const median = sorted.length ? (sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2) : 0;
  const p99 = percentile(sorted, 99);
  return { anomalous: n >= floor && n > ANOMALY_MEDIAN_FACTOR * median && n > p99, median, p99 };
}

/** Audit event of every request in a support session (governance/support-routes.ts). */
export const SUPPORT_REQUEST_ACTION = 'support.request.made' satisfies AuditEventName;
/** Its current and former names, as a SQL array literal's elements (names are [a-z._] only). */
const SUPPORT_REQUEST_STORED = storedAuditEventNames(SUPPORT_REQUEST_ACTION);
const SUPPORT_REQUEST_SQL = `ARRAY[${SUPPORT_REQUEST_STORED.map((n) => `'${n}'`).join(', ')}]`;
const ACCESS_FILTER = `(((purpose IS NOT NULL OR action = ANY ($1::text[])) AND actor_type IN ('user', 'device'))
  OR (action = ANY (${SUPPORT_REQUEST_SQL}) AND actor_type = 'system' AND actor_id LIKE 'support:%'))`;

/**
 * Checks one tenant at `now`; records an alert (and its audit entry) for each actor newly
 * beyond their baseline. Returns the alerts raised.
 */
export async function scoreTenant(db: Database, tenantId: string, now: Date, onAlert?: (q: Queryable, a: AnomalyAlert) => Promise<void>): Promise<AnomalyAlert[]> {
  return db.tx({ tenantId, actor: 'system:anomaly' }, async (q) => {
    const floor = await readSetting(q, ANOMALY_FLOOR, tenantId);
    const windowStart = new Date(now.getTime() - 3600_000);
    const current = await q.query<{ actor_type: string; actor_id: string; actor_name: string | null; n: string }>(
      `SELECT actor_type, actor_id, max(actor_name) AS actor_name, count(*)::text AS n FROM audit_log
        WHERE at > $2 AND at <= $3 AND ${ACCESS_FILTER} GROUP BY actor_type, actor_id HAVING count(*) >= $4`,
      [DATA_ACCESS_STORED, windowStart, now, floor],
    );
    const raised: AnomalyAlert[] = [];
    for (const c of current.rows) {
      const n = Number(c.n);
      const base = await q.query<{ h: string; n: string }>(
        `SELECT date_trunc('hour', at)::text AS h, count(*)::text AS n FROM audit_log
          WHERE actor_type = $2 AND actor_id = $3 AND at > $4 AND at <= $5 AND ${ACCESS_FILTER} GROUP BY 1`,
        [DATA_ACCESS_STORED, c.actor_type, c.actor_id, new Date(windowStart.getTime() - ANOMALY_BASELINE_HOURS * 3600_000), windowStart],
      );
      const hourly = new Array<number>(ANOMALY_BASELINE_HOURS).fill(0);
      base.rows.forEach((r, i) => (hourly[i] = Number(r.n)));
      const v = isAnomalous(n, hourly, floor);
      if (!v.anomalous) continue;
      // One alert per actor per hour.
      const recent = await q.query(`SELECT 1 FROM anomaly_alerts WHERE actor_type = $1 AND actor_id = $2 AND detected_at > $3`, [c.actor_type, c.actor_id, windowStart]);
      if (recent.rows.length) continue;
      const ins = await q.query<{ id: string; detected_at: Date }>(
        `INSERT INTO anomaly_alerts (tenant_id, actor_type, actor_id, actor_name, count, median, p99, floor, window_start, detected_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id, detected_at`,
        [tenantId, c.actor_type, c.actor_id, c.actor_name, n, v.median, v.p99, floor, windowStart, now],
      );
      const alert: AnomalyAlert = { id: ins.rows[0]!.id, actor_type: c.actor_type, actor_id: c.actor_id, actor_name: c.actor_name, count: n, median: v.median, p99: v.p99, floor, window_start: windowStart.toISOString(), detected_at: now.toISOString(), acknowledged_at: null };
      // A support member's alert names the grants their requests in the window were made under.
      const grants = c.actor_type === 'system'
        ? (await q.query<{ g: string }>(`SELECT DISTINCT details->>'grant_id' AS g FROM audit_log WHERE action = ANY ($1::text[]) AND actor_type = 'system' AND actor_id = $2 AND at > $3 AND at <= $4 ORDER BY 1`, [SUPPORT_REQUEST_STORED, c.actor_id, windowStart, now])).rows.map((r) => r.g)
        : undefined;
      const sys: AuditActor = { type: 'system', id: 'anomaly' };
      await recordAudit(q, tenantId, sys, {
        action: 'governance.anomaly.detected',
        outcome: 'failure',
        target: { type: c.actor_type, id: c.actor_id },
        details: { alert_id: alert.id, count: n, median: v.median, p99: v.p99, floor, window_start: alert.window_start, rule: `n >= ${floor} and n > ${ANOMALY_MEDIAN_FACTOR} x median and n > p99`, ...(grants ? { support_grant_ids: grants } : {}) },
      });
      await onAlert?.(q, alert);
      raised.push(alert);
    }
    return raised;
  });
}

export async function listAlerts(q: Queryable, tenantId: string, o: { open?: boolean } = {}): Promise<AnomalyAlert[]> {
  const { rows } = await q.query<Omit<AnomalyAlert, 'window_start' | 'detected_at' | 'acknowledged_at' | 'median' | 'p99'> & { median: string; p99: string; window_start: Date; detected_at: Date; acknowledged_at: Date | null }>(
    `SELECT id, actor_type, actor_id, actor_name, count, median::text, p99::text, floor, window_start, detected_at, acknowledged_at FROM anomaly_alerts
      ${o.open ? 'WHERE acknowledged_at IS NULL' : ''} ORDER BY detected_at DESC LIMIT 200`,
  );
  // The actor's name is the audit log's sealed copy: readable until the person is erased.
  await revealPii(q, tenantId, rows);
  return rows.map((r) => ({ ...r, actor_name: r.actor_name as string | null, median: Number(r.median), p99: Number(r.p99), window_start: r.window_start.toISOString(), detected_at: r.detected_at.toISOString(), acknowledged_at: r.acknowledged_at?.toISOString() ?? null }));
}
