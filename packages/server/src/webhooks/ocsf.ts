/**
 * OCSF 1.1 shaped payloads for SIEMs (https://schema.ocsf.io): scan events are Scan Activity
 * (class 6007, category 6 Application Activity), findings are Compliance Finding (class 2003,
 * category 2 Findings) and audit-integrity alerts Detection Finding (class 2004). Each
 * webhook body is the Standard Webhooks envelope `{type, timestamp, data}` with the OCSF
 * event in `data`. `time` is Unix milliseconds, as OCSF defines its timestamp type.
 */
import type { Severity } from '@parapet/core';

export const OCSF_VERSION = '1.1.0';
const product = { name: 'Parapet Probe', vendor_name: 'Parapet', version: '0.1.0' };

/**
 * The event types an endpoint can subscribe to (the envelope's `type`, OCSF
 * `metadata.event_code`). Named like audit events, `domain.object.verb` with a past
 * participle (docs/audit.md); where a type reports the same step as an audit event it has
 * the same name.
 */
export const WEBHOOK_EVENT_TYPES = [
  'probe.scan.requested',
  'probe.scan.approved',
  'probe.scan.rejected',
  'probe.scan.started',
  'probe.scan.progressed',
  'probe.scan.finished',
  'probe.finding.opened',
  'probe.finding.resolved',
  'audit.integrity.failed',
  'governance.anomaly.detected',
  'webhook.test.sent',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * Former type → current type. Subscriptions stored under a former name keep receiving the
 * event (under its current type); the API accepts a former name and stores the current one.
 * Add a line whenever a type is renamed; never remove one.
 */
export const WEBHOOK_EVENT_RENAMES: Readonly<Record<string, WebhookEventType>> = {
  'audit.integrity_alert': 'audit.integrity.failed',
  'probe.scan.progress': 'probe.scan.progressed',
  'webhook.test': 'webhook.test.sent',
};

/** Today's name of a subscribed or stored type (a former name maps to its successor). */
export function currentWebhookEventType(t: string): string {
  return WEBHOOK_EVENT_RENAMES[t] ?? t;
}

/** A type and its former names: what a stored subscription may say for it. */
export function storedWebhookEventTypes(t: WebhookEventType): string[] {
  return [t, ...Object.keys(WEBHOOK_EVENT_RENAMES).filter((old) => WEBHOOK_EVENT_RENAMES[old] === t)];
}

export type OcsfEvent = Record<string, unknown> & { class_uid: number; category_uid: number; activity_id: number; type_uid: number; time: number; severity_id: number; metadata: Record<string, unknown> };

const SEVERITY_ID: Record<Severity, number> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };

function metadata(tenantId: string, eventType: string, uid: string) {
  return { version: OCSF_VERSION, product, tenant_uid: tenantId, uid, event_code: eventType, log_name: 'parapet.probe' };
}

/** Scan Activity activity ids for our lifecycle (1 Started, 2 Completed, 3 Cancelled, 6 Error, 99 Other). */
const SCAN_ACTIVITY: Record<string, { id: number; name: string }> = {
  'probe.scan.requested': { id: 99, name: 'Requested' },
  'probe.scan.approved': { id: 99, name: 'Approved' },
  'probe.scan.rejected': { id: 3, name: 'Cancelled' },
  'probe.scan.started': { id: 1, name: 'Started' },
  'probe.scan.progressed': { id: 99, name: 'Progress' },
  'probe.scan.finished': { id: 2, name: 'Completed' },
};

export interface ScanEventFacts {
  tenantId: string;
  scanId: string;
  scopeId: string;
  scopeVersion: number;
  state: string;
  at: Date;
  actor?: { type: string; id: string } | undefined;
  /** For progress: probes done and planned. */
  progress?: { done: number; planned: number } | undefined;
  /** For finished: counts. */
  result?: { probes: number; findings_open: number; verdict?: string } | undefined;
  failed?: boolean;
}

/** An OCSF Scan Activity (6007) event for a scan lifecycle step. */
export function scanActivity(type: WebhookEventType, f: ScanEventFacts, uid: string): OcsfEvent {
  const act = f.failed ? { id: 6, name: 'Error' } : SCAN_ACTIVITY[type] ?? { id: 99, name: 'Other' };
  return {
    class_uid: 6007,
    class_name: 'Scan Activity',
    category_uid: 6,
    category_name: 'Application Activity',
    activity_id: act.id,
    activity_name: act.name,
    type_uid: 6007 * 100 + act.id,
    time: f.at.getTime(),
    severity_id: f.failed ? 3 : 1,
    status_id: f.failed ? 2 : 1,
    status: f.state,
    message: `Scan ${f.scanId} of scope ${f.scopeId} v${f.scopeVersion}: ${type.split('.').pop()}`,
    metadata: metadata(f.tenantId, type, uid),
    // Scan type 99 (Other): OCSF's scan types are antivirus-shaped; this is a network perimeter scan.
    scan: { uid: f.scanId, name: `${f.scopeId} v${f.scopeVersion}`, type_id: 99, type: 'Perimeter validation' },
    ...(f.actor ? { actor: { user: { uid: f.actor.id, type: f.actor.type } } } : {}),
    ...(f.progress ? { unmapped: { probes_done: f.progress.done, probes_planned: f.progress.planned } } : {}),
    ...(f.result ? { unmapped: { probes: f.result.probes, findings_open: f.result.findings_open, verdict: f.result.verdict ?? null } } : {}),
  };
}

export interface FindingFacts {
  tenantId: string;
  findingId: string;
  scanId: string;
  scopeId: string;
  rule: string;
  title: string;
  severity: Severity;
  host: string;
  port: number | null;
  opened: boolean;
  at: Date;
}

/** An OCSF Compliance Finding (2003): activity 1 Create when opened, 3 Close when resolved. */
export function complianceFinding(f: FindingFacts, uid: string): OcsfEvent {
  const activity = f.opened ? { id: 1, name: 'Create' } : { id: 3, name: 'Close' };
  return {
    class_uid: 2003,
    class_name: 'Compliance Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: 2003 * 100 + activity.id,
    time: f.at.getTime(),
    severity_id: SEVERITY_ID[f.severity],
    severity: f.severity,
    // Finding status: 1 New, 4 Resolved.
    status_id: f.opened ? 1 : 4,
    status: f.opened ? 'New' : 'Resolved',
    metadata: metadata(f.tenantId, f.opened ? 'probe.finding.opened' : 'probe.finding.resolved', uid),
    finding_info: { uid: f.findingId, title: f.title, types: [f.rule], related_events: [{ uid: f.scanId, type: 'probe.scan' }] },
    // Compliance status: 3 Fail while open, 1 Pass once resolved.
    compliance: { standards: [`parapet:scope:${f.scopeId}:expected_policy`], control: f.rule, status_id: f.opened ? 3 : 1, status: f.opened ? 'Fail' : 'Pass' },
    resources: [{ uid: f.port === null ? f.host : `${f.host}:${f.port}`, type: 'network_endpoint', data: { ip: f.host, port: f.port } }],
  };
}

/** An OCSF Detection Finding (2004) for an audit log that no longer matches its checkpoints. */
export function integrityAlert(tenantId: string, detail: string, at: Date, uid: string): OcsfEvent {
  return {
    class_uid: 2004,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: 1,
    activity_name: 'Create',
    type_uid: 200401,
    time: at.getTime(),
    severity_id: 5,
    severity: 'Critical',
    status_id: 1,
    metadata: metadata(tenantId, 'audit.integrity.failed', uid),
    finding_info: { uid, title: 'Audit log integrity check failed', desc: detail, types: ['audit.integrity'] },
    message: detail,
  };
}

/** What an anomaly alert (governance/anomaly.ts) reports: counts per hour, the baseline, the rule. */
export interface AnomalyFacts {
  tenantId: string;
  alertId: string;
  actorType: string;
  actorId: string;
  /** Data-access entries in the trailing hour. */
  count: number;
  median: number;
  p99: number;
  floor: number;
  windowStart: string;
  at: Date;
}

/**
 * An OCSF Detection Finding (2004) for an actor far beyond their data-access baseline
 * (CORE-ANOMALY), severity High. The actor is named by type and id only: a person's name and
 * address stay inside Parapet, where erasure can shred them.
 */
export function anomalyAlert(f: AnomalyFacts, uid: string): OcsfEvent {
  const desc = `${f.actorType} ${f.actorId} made ${f.count} data reads or exports in the hour from ${f.windowStart}; their hourly median is ${f.median} and 99th percentile ${f.p99} (rule: at least ${f.floor}, above 3x the median and above the 99th percentile).`;
  return {
    class_uid: 2004,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: 1,
    activity_name: 'Create',
    type_uid: 200401,
    time: f.at.getTime(),
    severity_id: 4,
    severity: 'High',
    status_id: 1,
    metadata: { version: OCSF_VERSION, product: { ...product, name: 'Parapet' }, tenant_uid: f.tenantId, uid, event_code: 'governance.anomaly.detected', log_name: 'parapet.governance' },
    finding_info: { uid: f.alertId, title: 'Data access far beyond baseline', desc, types: ['governance.anomaly'], first_seen_time: Date.parse(f.windowStart), last_seen_time: f.at.getTime() },
    actor: { user: { uid: f.actorId, type: f.actorType } },
    observables: [{ name: 'count', type: 'Other', value: String(f.count) }, { name: 'baseline_median', type: 'Other', value: String(f.median) }, { name: 'baseline_p99', type: 'Other', value: String(f.p99) }],
    message: desc,
  };
}

/** A test event an admin sends from the console: Scan Activity "Other", clearly marked. */
export function testEvent(tenantId: string, at: Date, uid: string): OcsfEvent {
  return { ...scanActivity('webhook.test.sent', { tenantId, scanId: '00000000-0000-0000-0000-000000000000', scopeId: 'test', scopeVersion: 0, state: 'test', at }, uid), message: 'Parapet test event: the endpoint receives and verifies signed webhooks.' };
}
