/**
 * Probe runs on the server (PROBE-WORKER, PROBE-EVIDENCE, PROBE-FINDINGS): worker devices lease
 * jobs, renew the lease, report results in idempotent batches and finish. Every lease is a row
 * in probe_job_leases whose id is the fencing token: a worker whose lease ran out (and was
 * taken over) can no longer renew, report or finish. Tenant isolation is RLS: every query runs
 * as the device's own tenant, so a worker can only see and lease its tenant's jobs.
 */
import { createHash } from 'node:crypto';
import { emitScanProgress } from '../webhooks/index.js';
import { EventEmitter } from 'node:events';
import type { KeyProvider } from '@parapet/core';
import { canonicalJson, deriveFindings, fingerprintOf, parseAddress, parseCidr, resolvingProbe, ScopeMatcher, type ProbeResultInput, type Scope } from '@parapet/core';
import type { Database, Queryable } from '@parapet/db';
import { recordAudit, type AuditActor } from '../platform/audit.js';
import { ProblemError } from '../http/problem.js';
import type { DevicePrincipal } from '../platform/principal.js';
import { getSealed, putSealed, tenantKey } from '../vault/sealed.js';
import { VaultError, type WormVault } from '../vault/vault.js';
import { getScan, transition, type ScanState, type ScanView } from './service.js';
import { numberSetting, readSetting } from '../platform/settings.js';
import type { JobLeaseView, ProbeFindingView, ProbeResultView } from './schemas.js';

export interface RunCtx {
  db: Database;
  now: () => Date;
  vault: WormVault;
  keys: KeyProvider;
}

/** Default and bounds of a lease (seconds). */
export const LEASE_SECONDS = { default: 60, min: 5, max: 900 } as const;
/** Evidence is kept this long unless the tenant sets settings.probe.evidence_retention_days. */
export const DEFAULT_EVIDENCE_RETENTION_DAYS = 365;
/** Tenant setting `probe.evidence_retention_days` (30 to 3650 days). */
export const PROBE_EVIDENCE_RETENTION_DAYS = numberSetting({ key: 'probe.evidence_retention_days', owner: 'probe', default: DEFAULT_EVIDENCE_RETENTION_DAYS, min: 30, max: 3650 });

/**
 * Wake-ups for this instance's live streams (per tenant and scan), emitted after commit: a
 * stream that hears one reads the feed at once rather than at its next poll (scanFeed).
 */
export const probeEvents = new EventEmitter();
probeEvents.setMaxListeners(0);
export type ProbeEvent =
  | { type: 'results'; scan_id: string; results: ResultView[] }
  | { type: 'state'; scan_id: string; state: ScanState; planned_probes?: number }
  | { type: 'findings'; scan_id: string; findings: number };
const emit = (tenantId: string, e: ProbeEvent) => probeEvents.emit(`${tenantId}:${e.scan_id}`, e);

const deviceActor = (d: DevicePrincipal, ip?: string): AuditActor => ({ type: 'device', id: d.deviceId, name: d.name, ...(ip ? { ip } : {}) });

/**
 * A leased job (the `jobLease` schema): the scan, the signed scope as uploaded (the worker
 * verifies it itself against the tenant's unrevoked scope-signing keys), and what earlier
 * leases of the scan already recorded (the worker skips these).
 */
export type JobLease = JobLeaseView;

/**
 * Leases the oldest queued job of the device's tenant, or one whose lease ran out (that lease
 * ends as 'expired' and the scan passes through 'queued' again). Returns null when there is none.
 */
/** What a worker reports about its safety profile when it leases: version and SHA-256 (hex) of the signed canonical document. */
export interface ReportedProfile {
  version: number;
  sha256: string;
}

export async function leaseJob(c: RunCtx, d: DevicePrincipal, leaseSeconds: number, ip?: string, profile?: ReportedProfile): Promise<JobLease | null> {
  if (d.deviceKind !== 'worker') throw new ProblemError(403, 'device_not_worker', 'Only enrolled Probe workers lease scan jobs.');
  const now = c.now();
  const actor = deviceActor(d, ip);
  const seconds = Math.min(LEASE_SECONDS.max, Math.max(LEASE_SECONDS.min, Math.floor(leaseSeconds)));
  const r = await c.db.tx({ tenantId: d.tenantId, actor: `device:${d.deviceId}` }, async (q) => {
    const found = await q.query<{ id: string; state: ScanState; envelope: JobLease['envelope'] | string }>(
      `SELECT c.id, c.state, s.envelope FROM probe_scans c JOIN probe_scopes s ON s.tenant_id = c.tenant_id AND s.id = c.scope
        WHERE (c.state = 'queued' OR (c.state IN ('leased', 'running') AND c.lease_expires_at < $1)) AND s.revoked_at IS NULL AND s.valid_until > $1
        ORDER BY c.queued_at, c.id LIMIT 1 FOR UPDATE OF c SKIP LOCKED`,
      [now],
    );
    const job = found.rows[0];
    if (!job) return null;
    if (job.state !== 'queued') {
      const old = await q.query<{ id: string; device_id: string }>(`UPDATE probe_job_leases SET ended_at = $2, end_reason = 'expired' WHERE scan_id = $1 AND ended_at IS NULL RETURNING id, device_id`, [job.id, now]);
      await transition(q, d.tenantId, actor, job.id, job.state, 'queued', now, { reason: 'lease expired', expired_lease: old.rows[0]?.id ?? null, previous_worker: old.rows[0]?.device_id ?? null });
    }
    const until = new Date(now.getTime() + seconds * 1000);
    const lease = await q.query<{ id: string }>(
      `INSERT INTO probe_job_leases (tenant_id, scan_id, device_id, leased_at, expires_at, safety_profile_version, safety_profile_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [d.tenantId, job.id, d.deviceId, now, until, profile?.version ?? null, profile?.sha256 ?? null],
    );
    const leaseId = lease.rows[0]!.id;
    await transition(q, d.tenantId, actor, job.id, 'queued', 'leased', now, { worker: d.deviceId, lease_id: leaseId, lease_expires_at: until.toISOString(), safety_profile_version: profile?.version ?? null, safety_profile_sha256: profile?.sha256 ?? null });
    await q.query(`UPDATE probe_scans SET leased_by = $2, lease_expires_at = $3, lease_count = lease_count + 1 WHERE id = $1`, [job.id, d.deviceId, until]);
    const keys = await q.query<{ key_id: string; public_key_pem: string }>(`SELECT key_id, public_key_pem FROM probe_signing_keys WHERE revoked_at IS NULL ORDER BY created_at`);
    const done = await q.query<{ address: string; port: number; probe_type: string; outcome: string }>(`SELECT address, port, probe_type, outcome FROM probe_results WHERE scan_id = $1 ORDER BY received_at, id`, [job.id]);
    return { scanId: job.id, leaseId, until, envelope: typeof job.envelope === 'string' ? JSON.parse(job.envelope) : job.envelope, keys: keys.rows, done: done.rows };
  });
  if (!r) return null;
  emit(d.tenantId, { type: 'state', scan_id: r.scanId, state: 'leased' });
  return { lease_id: r.leaseId, lease_expires_at: r.until.toISOString(), scan: await getScan(c, d.tenantId, r.scanId), envelope: r.envelope, signing_keys: r.keys, done: r.done.map((x) => ({ ...x, port: Number(x.port) })) };
}

interface LiveLease {
  scan_id: string;
  state: ScanState;
  document: Scope;
  scope_revoked: boolean;
  addresses: string[];
  ports: number[];
  probe_types: string[];
  targets: string[];
}

/**
 * Locks the scan of `leaseId` and checks the lease is this device's, live and unexpired, and
 * the scan still wants work. Throws: job_lease_unknown (404), job_lease_ended,
 * job_lease_expired, job_cancelled (409).
 */
async function liveLease(q: Queryable, d: DevicePrincipal, leaseId: string, now: Date): Promise<LiveLease> {
  const r = await q.query<{ device_id: string; ended_at: Date | null; end_reason: string | null; expires_at: Date | string; scan_id: string; state: ScanState; document: Scope | string; scope_revoked: boolean; addresses: string[]; ports: number[]; probe_types: string[]; targets: unknown }>(
    `SELECT l.device_id, l.ended_at, l.end_reason, l.expires_at, l.scan_id, c.state, s.document, s.revoked_at IS NOT NULL AS scope_revoked, c.addresses, c.ports, c.probe_types, c.targets
       FROM probe_job_leases l JOIN probe_scans c ON c.tenant_id = l.tenant_id AND c.id = l.scan_id JOIN probe_scopes s ON s.tenant_id = c.tenant_id AND s.id = c.scope
      WHERE l.id = $1 FOR UPDATE OF c`,
    [leaseId],
  );
  const l = r.rows[0];
  if (!l || l.device_id !== d.deviceId) throw new ProblemError(404, 'job_lease_unknown', 'This worker holds no such lease.');
  if (l.ended_at) throw new ProblemError(409, 'job_lease_ended', `This lease has ended (${l.end_reason ?? 'ended'}); stop working on the job.`, { reason: l.end_reason });
  if (l.state === 'cancelled' || l.scope_revoked) {
    // The caller ends the lease after this transaction rolls back (endLeaseCancelled).
    throw new ProblemError(409, 'job_cancelled', 'The scan was cancelled or its scope revoked; stop working on it.');
  }
  if (new Date(l.expires_at).getTime() <= now.getTime()) throw new ProblemError(409, 'job_lease_expired', 'This lease has expired; the job goes back to the queue.');
  if (l.state !== 'leased' && l.state !== 'running') throw new ProblemError(409, 'job_lease_ended', `The scan is ${l.state}.`);
  const doc = typeof l.document === 'string' ? (JSON.parse(l.document) as Scope) : l.document;
  return { scan_id: l.scan_id, state: l.state, document: doc, scope_revoked: l.scope_revoked, addresses: l.addresses, ports: l.ports.map(Number), probe_types: l.probe_types, targets: (typeof l.targets === 'string' ? JSON.parse(l.targets) : l.targets) as string[] };
}

/** Extends a live lease by `seconds` from now; optionally records the planned probe count. */
export async function renewLease(c: RunCtx, d: DevicePrincipal, leaseId: string, seconds: number, plannedProbes?: number): Promise<{ lease_expires_at: string }> {
  const now = c.now();
  const s = Math.min(LEASE_SECONDS.max, Math.max(LEASE_SECONDS.min, Math.floor(seconds)));
  const until = new Date(now.getTime() + s * 1000);
  let scanId = '';
  await c.db.tx({ tenantId: d.tenantId, actor: `device:${d.deviceId}` }, async (q) => {
    const l = await liveLease(q, d, leaseId, now);
    scanId = l.scan_id;
    await q.query(`UPDATE probe_job_leases SET expires_at = $2, renewed_at = $3 WHERE id = $1`, [leaseId, until, now]);
    await q.query(`UPDATE probe_scans SET lease_expires_at = $2${plannedProbes !== undefined ? ', planned_probes = $3' : ''} WHERE id = $1`, plannedProbes !== undefined ? [l.scan_id, until, plannedProbes] : [l.scan_id, until]);
  }).catch(async (e) => {
    // A cancellation ends the lease; that must commit even though the request fails.
    if (e instanceof ProblemError && e.code === 'job_cancelled') await endLeaseCancelled(c, d, leaseId);
    throw e;
  });
  if (plannedProbes !== undefined) emit(d.tenantId, { type: 'state', scan_id: scanId, state: 'running', planned_probes: plannedProbes });
  return { lease_expires_at: until.toISOString() };
}

async function endLeaseCancelled(c: RunCtx, d: DevicePrincipal, leaseId: string): Promise<void> {
  await c.db.tx({ tenantId: d.tenantId, actor: `device:${d.deviceId}` }, (q) => q.query(`UPDATE probe_job_leases SET ended_at = $2, end_reason = 'cancelled' WHERE id = $1 AND ended_at IS NULL`, [leaseId, c.now()]));
}

/** One probe result as the API answers it (the `probeResult` schema). */
export type ResultView = ProbeResultView;

const sha256Hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const safeSegment = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/** Days evidence (and the scan's report PDF) is retained: settings.probe.evidence_retention_days (30-3650) or the default. */
export async function evidenceRetention(q: Queryable, tenantId: string): Promise<number> {
  return readSetting(q, PROBE_EVIDENCE_RETENTION_DAYS, tenantId);
}

/**
 * Stores one batch: checks the lease, that every result is inside the scan (address in the
 * scope, port and probe type of the scan) and that each transcript matches its SHA-256; writes
 * each transcript as a sealed WORM object under the tenant's prefix; then, in one transaction
 * with its audit entry, the batch, evidence and result rows. A batch id seen before is answered
 * from the first time and changes nothing; a result whose (address, port, probe type) is already
 * recorded for the scan is skipped (counted as duplicate).
 */
export async function reportBatch(c: RunCtx, d: DevicePrincipal, leaseId: string, batchId: string, results: ProbeResultInput[], ip?: string): Promise<{ accepted: number; duplicates: number; replayed: boolean }> {
  const now = c.now();
  // 1. Check the lease and the results before writing anything anywhere.
  const pre = await c.db.tx({ tenantId: d.tenantId }, async (q) => {
    const l = await liveLease(q, d, leaseId, now);
    const prior = await q.query<{ result_count: number }>(`SELECT result_count FROM probe_result_batches WHERE scan_id = $1 AND batch_id = $2`, [l.scan_id, batchId]);
    return { l, prior: prior.rows[0], retentionDays: await evidenceRetention(q, d.tenantId) };
  }).catch(async (e) => {
    if (e instanceof ProblemError && e.code === 'job_cancelled') await endLeaseCancelled(c, d, leaseId);
    throw e;
  });
  if (pre.prior) return { accepted: Number(pre.prior.result_count), duplicates: 0, replayed: true };
  const { l } = pre;
  const matcher = new ScopeMatcher(l.document.include, l.document.exclude);
  const scanAddresses = l.addresses.map((a) => parseCidr(a));
  const seen = new Set<string>();
  for (const r of results) {
    const where = `${r.address} port ${r.port} ${r.probe_type}`;
    let inScan = false;
    try {
      const a = parseAddress(r.address);
      inScan = matcher.check(r.address).ok && (scanAddresses.some((c2) => c2.family === a.family && a.start >= c2.start && a.start <= c2.end) || l.targets.includes(r.target));
    } catch {
      inScan = false;
    }
    if (!inScan) throw new ProblemError(422, 'result_outside_scan', `The result for ${where} is for an address outside this scan or its scope.`, { address: r.address });
    if (!l.ports.includes(r.port)) throw new ProblemError(422, 'result_outside_scan', `Port ${r.port} is not part of this scan.`, { port: r.port });
    if (!l.probe_types.includes(r.probe_type)) throw new ProblemError(422, 'result_outside_scan', `Probe type ${r.probe_type} is not part of this scan.`, { probe_type: r.probe_type });
    if (!l.targets.includes(r.target) && !l.addresses.includes(r.target)) throw new ProblemError(422, 'result_outside_scan', `Target ${r.target} is not a target of this scan.`, { target: r.target });
    const k = `${r.address}|${r.port}|${r.probe_type}`;
    if (seen.has(k)) throw new ProblemError(422, 'result_duplicate_in_batch', `The batch has two results for ${where}.`);
    seen.add(k);
    if (sha256Hex(canonicalJson(r.transcript)) !== r.transcript_sha256) throw new ProblemError(422, 'evidence_digest_mismatch', `The transcript for ${where} does not match its SHA-256.`);
  }
  // 2. Evidence objects: write-once, so a retry finds its own object and checks it.
  const retainUntil = new Date(now.getTime() + pre.retentionDays * 86_400_000);
  const evidence = new Map<string, { key: string; sha256: string; size: number }>();
  for (const r of results) {
    const key = `probe/${l.scan_id}/${leaseId}/${safeSegment(r.address)}_${r.port}_${r.probe_type}.json`;
    const plain = Buffer.from(canonicalJson(r.transcript), 'utf8');
    try {
      await putSealed(c.vault, c.keys, d.tenantId, key, plain, retainUntil);
    } catch (e) {
      if (!(e instanceof VaultError && e.code === 'exists')) throw e;
      const had = await getSealed(c.vault, c.keys, d.tenantId, key);
      if (sha256Hex(had) !== r.transcript_sha256) throw new ProblemError(409, 'evidence_conflict', `Evidence for ${r.address} port ${r.port} ${r.probe_type} was already stored with other content.`);
    }
    evidence.set(`${r.address}|${r.port}|${r.probe_type}`, { key, sha256: r.transcript_sha256, size: plain.length });
  }
  // 3. Rows, one transaction with the audit entry.
  const inserted: ResultView[] = [];
  const out = await c.db.tx({ tenantId: d.tenantId, actor: `device:${d.deviceId}` }, async (q) => {
    const l2 = await liveLease(q, d, leaseId, c.now());
    const again = await q.query<{ result_count: number }>(`SELECT result_count FROM probe_result_batches WHERE scan_id = $1 AND batch_id = $2`, [l2.scan_id, batchId]);
    if (again.rows[0]) return { accepted: Number(again.rows[0].result_count), duplicates: 0, replayed: true };
    if (l2.state === 'leased') await transition(q, d.tenantId, deviceActor(d, ip), l2.scan_id, 'leased', 'running', now, { worker: d.deviceId, lease_id: leaseId });
    // The scan row is locked (liveLease), so batches of one scan are serialised and this
    // check of what is already recorded holds until commit.
    const recorded = await q.query<{ address: string; port: number; probe_type: string }>(`SELECT address, port, probe_type FROM probe_results WHERE scan_id = $1`, [l2.scan_id]);
    const have = new Set(recorded.rows.map((x) => `${x.address}|${Number(x.port)}|${x.probe_type}`));
    const fresh = results.filter((r) => !have.has(`${r.address}|${r.port}|${r.probe_type}`));
    const accepted = fresh.length;
    await q.query(`INSERT INTO probe_result_batches (tenant_id, scan_id, batch_id, lease_id, received_at, result_count) VALUES ($1, $2, $3, $4, $5, $6)`, [d.tenantId, l2.scan_id, batchId, leaseId, now, accepted]);
    for (const r of fresh) {
      const k = `${r.address}|${r.port}|${r.probe_type}`;
      const ev = evidence.get(k)!;
      const had = await q.query<{ id: string }>(`SELECT id FROM probe_evidence WHERE object_key = $1`, [ev.key]);
      const e = had.rows.length
        ? had
        : await q.query<{ id: string }>(
            `INSERT INTO probe_evidence (tenant_id, scan_id, object_key, sha256, size_bytes, created_at, retain_until) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
            [d.tenantId, l2.scan_id, ev.key, ev.sha256, ev.size, now, retainUntil],
          );
      const row = await q.query<{ id: string }>(
        `INSERT INTO probe_results (tenant_id, scan_id, lease_id, batch_id, device_id, target, address, port, probe_type, outcome, reason, started_at, duration_ms, observed, evidence_id, evidence_sha256, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
        [d.tenantId, l2.scan_id, leaseId, batchId, d.deviceId, r.target, r.address, r.port, r.probe_type, r.outcome, r.reason.slice(0, 200), r.started_at, Math.max(0, Math.round(r.duration_ms)), JSON.stringify(r.observed ?? {}), e.rows[0]!.id, ev.sha256, now],
      );
      inserted.push({ id: row.rows[0]!.id, target: r.target, address: r.address, port: r.port, probe_type: r.probe_type, outcome: r.outcome, reason: r.reason, started_at: r.started_at, duration_ms: Math.round(r.duration_ms), observed: r.observed, device_id: d.deviceId, evidence_id: e.rows[0]!.id, evidence_sha256: ev.sha256, received_at: now.toISOString() });
    }
    // SIEM progress milestones (25/50/75 % of the planned probes), in this transaction.
    const planned = Number((await q.query<{ planned_probes: number }>(`SELECT planned_probes FROM probe_scans WHERE id = $1`, [l2.scan_id])).rows[0]?.planned_probes ?? 0);
    await emitScanProgress(q, d.tenantId, l2.scan_id, have.size, have.size + accepted, planned, now);
    await recordAudit(q, d.tenantId, deviceActor(d, ip), { action: 'probe.results.reported', outcome: 'success', target: { type: 'probe_scan', id: l2.scan_id }, details: { lease_id: leaseId, batch_id: batchId, accepted, duplicates: results.length - accepted } });
    return { accepted, duplicates: results.length - accepted, replayed: false, scanId: l2.scan_id };
  });
  if (inserted.length && 'scanId' in out) emit(d.tenantId, { type: 'results', scan_id: out.scanId as string, results: inserted });
  return { accepted: out.accepted, duplicates: out.duplicates, replayed: out.replayed };
}

/**
 * Ends the job: 'finished' (findings are derived and merged in the same transaction) or
 * 'failed'. The lease ends with the same reason.
 */
export async function finishJob(c: RunCtx, d: DevicePrincipal, leaseId: string, outcome: 'finished' | 'failed', reason: string, ip?: string): Promise<{ state: ScanState; findings: number }> {
  const now = c.now();
  const actor = deviceActor(d, ip);
  const r = await c.db.tx({ tenantId: d.tenantId, actor: `device:${d.deviceId}` }, async (q) => {
    const l = await liveLease(q, d, leaseId, now);
    if (l.state === 'leased') await transition(q, d.tenantId, actor, l.scan_id, 'leased', 'running', now, { worker: d.deviceId, lease_id: leaseId });
    let findings = 0;
    if (outcome === 'finished') findings = await mergeFindings(q, d.tenantId, l.scan_id, l.document, now);
    await transition(q, d.tenantId, actor, l.scan_id, 'running', outcome, now, { worker: d.deviceId, lease_id: leaseId, ...(reason ? { reason } : {}), ...(outcome === 'finished' ? { findings } : {}) });
    await q.query(`UPDATE probe_job_leases SET ended_at = $2, end_reason = $3 WHERE id = $1`, [leaseId, now, outcome]);
    return { scanId: l.scan_id, findings };
  });
  emit(d.tenantId, { type: 'findings', scan_id: r.scanId, findings: r.findings });
  emit(d.tenantId, { type: 'state', scan_id: r.scanId, state: outcome });
  return { state: outcome, findings: r.findings };
}

/**
 * The worker refused the job after its own checks (scope signature, containment at probe time,
 * profile): the scan fails, the lease ends as 'refused', and the refusal is audited as denied.
 */
export async function refuseJob(c: RunCtx, d: DevicePrincipal, leaseId: string, code: string, detail: string, ip?: string): Promise<void> {
  const now = c.now();
  const actor = deviceActor(d, ip);
  const scanId = await c.db.tx({ tenantId: d.tenantId, actor: `device:${d.deviceId}` }, async (q) => {
    const l = await liveLease(q, d, leaseId, now);
    await recordAudit(q, d.tenantId, actor, { action: 'probe.job.refused', outcome: 'denied', target: { type: 'probe_scan', id: l.scan_id }, details: { lease_id: leaseId, code, detail } });
    await transition(q, d.tenantId, actor, l.scan_id, l.state, 'failed', now, { worker: d.deviceId, lease_id: leaseId, refused: code, detail });
    await q.query(`UPDATE probe_job_leases SET ended_at = $2, end_reason = 'refused' WHERE id = $1`, [leaseId, now]);
    return l.scan_id;
  });
  emit(d.tenantId, { type: 'state', scan_id: scanId, state: 'failed' });
}

/**
 * Merges this scan's derived findings into the scope's findings: new ones open, seen ones
 * refresh last_seen (and reopen when resolved), open ones this scan covered conclusively and
 * did not see again are resolved. Returns how many findings the scan observed.
 */
async function mergeFindings(q: Queryable, tenantId: string, scanId: string, scope: Scope, now: Date): Promise<number> {
  const rows = await q.query<{ id: string; address: string; port: number; probe_type: string; outcome: string; observed: unknown }>(`SELECT id, address, port, probe_type, outcome, observed FROM probe_results WHERE scan_id = $1`, [scanId]);
  const results = rows.rows.map((r) => ({ ...r, port: Number(r.port), observed: (typeof r.observed === 'string' ? JSON.parse(r.observed) : r.observed) as ProbeResultInput['observed'] })) as Array<{ id: string; address: string; port: number; probe_type: ProbeResultInput['probe_type']; outcome: ProbeResultInput['outcome']; observed: ProbeResultInput['observed'] }>;
  const idOf = new Map(results.map((r) => [`${r.address}|${r.port}|${r.probe_type}`, r.id]));
  const derived = deriveFindings(scope, results, now);
  const present = new Set<string>();
  for (const f of derived) {
    const fp = fingerprintOf(f);
    present.add(fp);
    const resultId = idOf.get(`${f.result.address}|${f.result.port}|${f.result.probe_type}`)!;
    const up = await q.query<{ id: string }>(
      `INSERT INTO probe_findings (tenant_id, scope_id, fingerprint, kind, severity, address, port, title, detail, status, first_seen_at, last_seen_at, first_scan_id, last_scan_id, last_result_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $10, $11, $11, $12)
       ON CONFLICT (tenant_id, scope_id, fingerprint) DO UPDATE SET severity = EXCLUDED.severity, title = EXCLUDED.title, detail = EXCLUDED.detail, status = 'open',
         last_seen_at = EXCLUDED.last_seen_at, resolved_at = NULL, resolved_scan_id = NULL, last_scan_id = EXCLUDED.last_scan_id, last_result_id = EXCLUDED.last_result_id
       RETURNING id`,
      [tenantId, scope.id, fp, f.kind, f.severity, f.address, f.port, f.title, JSON.stringify(f.detail), now, scanId, resultId],
    );
    await q.query(`INSERT INTO probe_scan_findings (tenant_id, scan_id, finding_id, state, result_id, created_at) VALUES ($1, $2, $3, 'present', $4, $5) ON CONFLICT DO NOTHING`, [tenantId, scanId, up.rows[0]!.id, resultId, now]);
  }
  const conclusive = (r: { outcome: string }) => !['inconclusive', 'refused', 'error'].includes(r.outcome);
  const covered = new Map(results.filter(conclusive).map((r) => [`${r.address}|${r.port}|${r.probe_type}`, r]));
  const open = await q.query<{ id: string; fingerprint: string; kind: string; address: string; port: number }>(`SELECT id, fingerprint, kind, address, port FROM probe_findings WHERE scope_id = $1 AND status = 'open'`, [scope.id]);
  for (const f of open.rows) {
    if (present.has(f.fingerprint)) continue;
    const by = covered.get(`${f.address}|${Number(f.port)}|${resolvingProbe(f.kind)}`);
    const portClosed = covered.get(`${f.address}|${Number(f.port)}|tcp_connect`);
    const gone = by ?? (portClosed && portClosed.outcome !== 'open' && f.kind !== 'expected_port_closed' ? portClosed : undefined);
    if (!gone) continue;
    await q.query(`UPDATE probe_findings SET status = 'resolved', resolved_at = $2, resolved_scan_id = $3 WHERE id = $1`, [f.id, now, scanId]);
    await q.query(`INSERT INTO probe_scan_findings (tenant_id, scan_id, finding_id, state, result_id, created_at) VALUES ($1, $2, $3, 'resolved', $4, $5) ON CONFLICT DO NOTHING`, [tenantId, scanId, f.id, gone.id, now]);
  }
  return derived.length;
}

// ---- reads for people (console, CLI, reports) ----

export async function listResults(c: { db: Database }, tenantId: string, scanId: string): Promise<ResultView[]> {
  const r = await c.db.tx({ tenantId }, async (q) => {
    // Another organisation's scan is not found, rather than an empty list.
    if (!(await q.query(`SELECT 1 FROM probe_scans WHERE id = $1`, [scanId])).rows.length) throw new ProblemError(404, 'scan_not_found', 'No such scan.');
    return q.query<Record<string, unknown>>(`SELECT id, target, address, port, probe_type, outcome, reason, started_at, duration_ms, observed, device_id, evidence_id, evidence_sha256, received_at FROM probe_results WHERE scan_id = $1 ORDER BY received_at, address, port, probe_type`, [scanId]);
  });
  return r.rows.map(resultView);
}

export function resultView(r: Record<string, unknown>): ResultView {
  const iso = (x: unknown) => (x instanceof Date ? x.toISOString() : new Date(String(x)).toISOString());
  return {
    id: String(r.id), target: String(r.target), address: String(r.address), port: Number(r.port), probe_type: String(r.probe_type), outcome: String(r.outcome), reason: String(r.reason),
    started_at: iso(r.started_at), duration_ms: Number(r.duration_ms), observed: (typeof r.observed === 'string' ? JSON.parse(r.observed) : r.observed) as ResultView['observed'], device_id: String(r.device_id),
    evidence_id: r.evidence_id ? String(r.evidence_id) : null, evidence_sha256: r.evidence_sha256 ? String(r.evidence_sha256) : null, received_at: iso(r.received_at),
  };
}

/**
 * One read of a scan's live feed (the SSE stream polls it): state, planned probe count, present
 * findings, and the results of result batches received at or after `since` that are not in
 * `seenBatches` (batch ids, which the caller then adds). Reading the database, not process
 * memory, is what lets a stream on one server instance follow a worker reporting to another.
 * Throws scan_not_found (404).
 */
export async function scanFeed(c: { db: Database }, tenantId: string, scanId: string, since: Date, seenBatches: ReadonlySet<string>): Promise<{ state: ScanState; planned: number; findings: number; batches: Array<{ batch_id: string; received_at: string }>; results: ResultView[] }> {
  return c.db.tx({ tenantId }, async (q) => {
    const s = await q.query<{ state: ScanState; planned: number; findings: number }>(
      `SELECT c.state, c.planned_probes AS planned, (SELECT count(*)::int FROM probe_scan_findings f WHERE f.tenant_id = c.tenant_id AND f.scan_id = c.id AND f.state = 'present') AS findings FROM probe_scans c WHERE c.id = $1`,
      [scanId],
    );
    const x = s.rows[0];
    if (!x) throw new ProblemError(404, 'scan_not_found', 'No such scan.');
    const b = await q.query<{ batch_id: string; received_at: Date | string }>(`SELECT batch_id, received_at FROM probe_result_batches WHERE scan_id = $1 AND received_at >= $2`, [scanId, since]);
    const fresh = b.rows.filter((r) => !seenBatches.has(String(r.batch_id)));
    let results: ResultView[] = [];
    if (fresh.length) {
      const r = await q.query<Record<string, unknown>>(
        `SELECT id, target, address, port, probe_type, outcome, reason, started_at, duration_ms, observed, device_id, evidence_id, evidence_sha256, received_at FROM probe_results WHERE scan_id = $1 AND batch_id = ANY($2::uuid[]) ORDER BY received_at, address, port, probe_type`,
        [scanId, fresh.map((r) => String(r.batch_id))],
      );
      results = r.rows.map(resultView);
    }
    return { state: x.state, planned: Number(x.planned), findings: Number(x.findings), batches: fresh.map((r) => ({ batch_id: String(r.batch_id), received_at: new Date(r.received_at).toISOString() })), results };
  });
}

export async function scanProgress(c: { db: Database }, tenantId: string, scanId: string): Promise<{ planned: number; done: number; first_at: string | null; last_at: string | null }> {
  const r = await c.db.tx({ tenantId }, (q) =>
    q.query<{ planned: number; done: number; first_at: Date | null; last_at: Date | null }>(
      `SELECT c.planned_probes AS planned, (SELECT count(*)::int FROM probe_results r WHERE r.tenant_id = c.tenant_id AND r.scan_id = c.id) AS done,
              (SELECT min(started_at) FROM probe_results r WHERE r.tenant_id = c.tenant_id AND r.scan_id = c.id) AS first_at,
              (SELECT max(received_at) FROM probe_results r WHERE r.tenant_id = c.tenant_id AND r.scan_id = c.id) AS last_at
         FROM probe_scans c WHERE c.id = $1`,
      [scanId],
    ),
  );
  const x = r.rows[0];
  if (!x) throw new ProblemError(404, 'scan_not_found', 'No such scan.');
  const iso = (v: Date | null) => (v ? new Date(v).toISOString() : null);
  return { planned: Number(x.planned), done: Number(x.done), first_at: iso(x.first_at), last_at: iso(x.last_at) };
}

export async function listFindings(c: { db: Database }, tenantId: string, o: { scopeId?: string; scanId?: string; status?: string }) {
  const where: string[] = [];
  const params: unknown[] = [];
  if (o.scopeId) where.push(`f.scope_id = $${params.push(o.scopeId)}`);
  if (o.status) where.push(`f.status = $${params.push(o.status)}`);
  if (o.scanId) where.push(`EXISTS (SELECT 1 FROM probe_scan_findings sf WHERE sf.tenant_id = f.tenant_id AND sf.finding_id = f.id AND sf.scan_id = $${params.push(o.scanId)})`);
  const r = await c.db.tx({ tenantId }, (q) =>
    q.query<ProbeFindingView>(
      `SELECT f.id, f.scope_id, f.kind, f.severity, f.address, f.port, f.title, f.detail, f.status, f.first_seen_at, f.last_seen_at, f.resolved_at, f.first_scan_id, f.last_scan_id, f.resolved_scan_id,
              f.last_result_id, r.evidence_id, r.evidence_sha256,
              (SELECT count(*)::int FROM probe_scan_findings sf WHERE sf.tenant_id = f.tenant_id AND sf.finding_id = f.id AND sf.state = 'present') AS times_seen
         FROM probe_findings f JOIN probe_results r ON r.tenant_id = f.tenant_id AND r.id = f.last_result_id
        ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
        ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, f.address, f.port, f.kind`,
      params,
    ),
  );
  return r.rows.map((x) => ({ ...x, port: Number(x.port), detail: (typeof x.detail === 'string' ? JSON.parse(x.detail) : x.detail) as ProbeFindingView['detail'] }));
}

/** The decrypted transcript of one evidence object, checked against its stored SHA-256. */
export async function readEvidence(c: RunCtx, tenantId: string, evidenceId: string): Promise<{ sha256: string; object_key: string; transcript: Record<string, unknown> }> {
  const r = await c.db.tx({ tenantId }, (q) => q.query<{ object_key: string; sha256: string; purged_at: Date | null }>(`SELECT object_key, sha256, purged_at FROM probe_evidence WHERE id = $1`, [evidenceId]));
  const e = r.rows[0];
  if (!e) throw new ProblemError(404, 'evidence_not_found', 'No such evidence.');
  if (e.purged_at) throw new ProblemError(410, 'evidence_purged', `This transcript passed its retention and was deleted on ${new Date(e.purged_at).toISOString()}; its SHA-256 ${e.sha256} stays on record.`);
  const plain = await getSealed(c.vault, c.keys, tenantId, e.object_key);
  if (sha256Hex(plain) !== e.sha256) throw new ProblemError(409, 'evidence_integrity', 'The evidence object does not match its recorded SHA-256.');
  return { sha256: e.sha256, object_key: tenantKey(tenantId, e.object_key), transcript: JSON.parse(plain.toString('utf8')) };
}
