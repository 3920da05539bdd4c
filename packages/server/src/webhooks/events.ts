/**
 * Where domain changes become webhook messages. Each function runs in the caller's
 * transaction, so a message exists exactly when the change it reports committed.
 */
import type { Database, Queryable } from '@parapet/db';
import type { ReportFinding } from '@parapet/core';
import { enqueue } from './deliver.js';
import { complianceFinding, integrityAlert, scanActivity, type WebhookEventType } from './ocsf.js';

const SCAN_EVENT: Record<string, WebhookEventType | undefined> = {
  requested: 'probe.scan.requested',
  approved: 'probe.scan.approved',
  rejected: 'probe.scan.rejected',
  running: 'probe.scan.started',
  finished: 'probe.scan.finished',
  failed: 'probe.scan.finished',
};

async function scopeOf(q: Queryable, scanId: string): Promise<{ scope_id: string; version: number }> {
  const r = await q.query<{ scope_id: string; version: number }>(`SELECT sc.scope_id, sc.version FROM probe_scans s JOIN probe_scopes sc ON sc.tenant_id = s.tenant_id AND sc.id = s.scope WHERE s.id = $1`, [scanId]);
  return r.rows[0] ?? { scope_id: '?', version: 0 };
}

/** A scan reached `state`; lifecycle states without a webhook event (queued, leased...) send nothing. */
export async function emitScanEvent(q: Queryable, tenantId: string, scanId: string, state: string, at: Date, actor?: { type: string; id: string }): Promise<void> {
  const type = SCAN_EVENT[state];
  if (!type) return;
  const hasEndpoints = (await q.query(`SELECT 1 FROM webhook_endpoints WHERE enabled LIMIT 1`)).rows.length > 0;
  if (!hasEndpoints) return;
  const sc = await scopeOf(q, scanId);
  await enqueue(q, tenantId, type, at, (uid) => scanActivity(type, { tenantId, scanId, scopeId: sc.scope_id, scopeVersion: sc.version, state, at, actor, failed: state === 'failed' }, uid));
}

/** The progress milestone (25, 50, 75 %) crossed when done probes go from `before` to `after` of `planned`, if any. */
export function milestoneCrossed(before: number, after: number, planned: number): number | undefined {
  if (planned <= 0) return undefined;
  let hit: number | undefined;
  for (const m of [25, 50, 75]) if (before * 100 < m * planned && after * 100 >= m * planned) hit = m;
  return hit;
}

/** Progress of a running scan: one event per milestone crossed (called by the result-batch handler). */
export async function emitScanProgress(q: Queryable, tenantId: string, scanId: string, before: number, after: number, planned: number, at: Date): Promise<void> {
  if (milestoneCrossed(before, after, planned) === undefined) return;
  const sc = await scopeOf(q, scanId);
  await enqueue(q, tenantId, 'probe.scan.progressed', at, (uid) => scanActivity('probe.scan.progressed', { tenantId, scanId, scopeId: sc.scope_id, scopeVersion: sc.version, state: 'running', at, progress: { done: after, planned } }, uid));
}

/** Findings a finished scan opened (new) or resolved, as Compliance Finding events. */
export async function emitFindingEvents(q: Queryable, tenantId: string, scanId: string, scopeId: string, findings: readonly ReportFinding[], at: Date): Promise<void> {
  for (const f of findings) {
    if (f.trend !== 'new' && f.trend !== 'resolved') continue;
    const type: WebhookEventType = f.trend === 'new' ? 'probe.finding.opened' : 'probe.finding.resolved';
    await enqueue(q, tenantId, type, at, (uid) => complianceFinding({ tenantId, findingId: f.id, scanId, scopeId, rule: f.rule, title: f.title, severity: f.severity, host: f.host, port: f.port, opened: f.trend === 'new', at }, uid));
  }
}

/** The audit log contradicts a checkpoint (or fails verification): alert every subscribed SIEM. */
export async function emitIntegrityAlert(db: Database, tenantId: string, detail: string, at: Date): Promise<void> {
  await db.tx({ tenantId, actor: 'system:audit-integrity' }, (q) => enqueue(q, tenantId, 'audit.integrity.failed', at, (uid) => integrityAlert(tenantId, detail, at, uid)));
}
