/**
 * Probe scopes, scan requests, approvals and the job queue. Every change and its audit entry
 * commit in one transaction; refusals are audited by the routes (see audited() there).
 */
import { createHash } from 'node:crypto';
import { canonicalJson, dsse, DsseError, parseScope, ScopeError, SCOPE_PAYLOAD_TYPE, type Scope } from '@parapet/core';
import type { Database, Queryable } from '@parapet/db';
import { recordAudit, type AuditActor, type AuditEventName } from '../platform/audit.js';
import type { ScanTransitionDetails } from './audit-events.js';
import { ProblemError, type ProblemCode } from '../http/problem.js';
import type { UserPrincipal } from '../platform/principal.js';
import { checkScanRequest, type Resolver, type ScanRequestInput } from './checks.js';
import { emitScanEvent } from '../webhooks/index.js';
import { booleanSetting, numberSetting, readSettings } from '../platform/settings.js';
import type { ReplyOf } from '../http/type-provider.js';
import type { ApproverGroupView, KeyView, ScopeDetail, ScopeView, scanView } from './schemas.js';

export const SCAN_STATES = ['requested', 'approved', 'queued', 'leased', 'running', 'finished', 'failed', 'cancelled', 'rejected', 'expired'] as const;
export type ScanState = (typeof SCAN_STATES)[number];
export const APPROVER_ROLES = ['security_lead', 'admin'] as const;
export const DEFAULT_APPROVAL_TTL_HOURS = 24;
/** Tenant setting `probe.approval_ttl_hours`: how long a requested scan waits for its approvals (one minute to 30 days). */
export const PROBE_APPROVAL_TTL_HOURS = numberSetting({ key: 'probe.approval_ttl_hours', owner: 'probe', default: DEFAULT_APPROVAL_TTL_HOURS, min: 1 / 60, max: 24 * 30 });
/** Tenant setting `probe.require_distinct_approver_groups`: the two approvals of a production scan come from two approver groups. */
export const PROBE_DISTINCT_APPROVER_GROUPS = booleanSetting({ key: 'probe.require_distinct_approver_groups', owner: 'probe', default: false });

/** The lifecycle: which state may follow which. */
const NEXT: Record<ScanState, ScanState[]> = {
  requested: ['approved', 'rejected', 'expired', 'cancelled'],
  approved: ['queued', 'cancelled'],
  queued: ['leased', 'cancelled'],
  leased: ['running', 'queued', 'failed', 'cancelled'],
  // Back to the queue when the worker's lease runs out (another worker resumes it).
  running: ['finished', 'failed', 'cancelled', 'queued'],
  finished: [],
  failed: [],
  cancelled: [],
  rejected: [],
  expired: [],
};

interface Ctx {
  db: Database;
  now: () => Date;
}

// ---- signing keys ----

export async function registerKey(c: Ctx, p: UserPrincipal, actor: AuditActor, name: string, publicKeyPem: string): Promise<{ id: string; key_id: string }> {
  let keyId: string;
  let pem: string;
  try {
    const k = dsse.ed25519PublicKey(publicKeyPem);
    keyId = dsse.keyId(k);
    pem = k.export({ type: 'spki', format: 'pem' }) as string;
  } catch {
    throw new ProblemError(422, 'key_invalid', 'The public key is not an Ed25519 public key in PEM (SPKI) form.');
  }
  return c.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
    const dup = await q.query(`SELECT 1 FROM probe_signing_keys WHERE key_id = $1`, [keyId]);
    if (dup.rows.length) throw new ProblemError(409, 'key_exists', 'This public key is already registered.');
    const { rows } = await q.query<{ id: string }>(`INSERT INTO probe_signing_keys (tenant_id, user_id, name, key_id, public_key_pem, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, [p.tenantId, p.userId, name, keyId, pem, c.now()]);
    const id = rows[0]!.id;
    await recordAudit(q, p.tenantId, actor, { action: 'probe.key.registered', outcome: 'success', target: { type: 'probe_signing_key', id }, details: { key_id: keyId, name, mfa_verified_at: p.mfaVerifiedAt?.toISOString() ?? null } });
    return { id, key_id: keyId };
  });
}

export async function revokeKey(c: Ctx, p: UserPrincipal, actor: AuditActor, id: string): Promise<void> {
  await c.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
    const r = await q.query(`UPDATE probe_signing_keys SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING key_id`, [id, c.now(), p.userId]);
    if (!r.rowCount) throw new ProblemError(404, 'key_not_found', 'No such signing key that is not revoked already.');
    await recordAudit(q, p.tenantId, actor, { action: 'probe.key.revoked', outcome: 'success', target: { type: 'probe_signing_key', id } });
  });
}

export async function listKeys(c: Ctx, tenantId: string) {
  const { rows } = await c.db.tx({ tenantId }, (q) =>
    q.query<KeyView>(`SELECT k.id, k.name, k.key_id, k.user_id, u.email AS owner_email, k.created_at, k.revoked_at FROM probe_signing_keys k JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id ORDER BY k.created_at`),
  );
  return rows;
}

// ---- scopes ----

const invalid = (code: ProblemCode, detail: string) => new ProblemError(422, code, detail);

/** Checks a signed scope and stores it. Order: envelope, key, signature, signer, payload, tenant, version. */
export async function uploadScope(c: Ctx, p: UserPrincipal, actor: AuditActor, envelope: unknown): Promise<{ id: string; scope: Scope }> {
  let env;
  try {
    env = dsse.parseEnvelope(envelope);
  } catch (e) {
    throw invalid('scope_envelope_malformed', e instanceof DsseError ? e.message : 'The envelope is malformed.');
  }
  if (env.payloadType !== SCOPE_PAYLOAD_TYPE) throw invalid('scope_payload_type_invalid', `The payload type must be ${SCOPE_PAYLOAD_TYPE}.`);
  return c.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
    const keyids = env.signatures.map((s) => s.keyid);
    const keys = await q.query<{ id: string; key_id: string; public_key_pem: string; revoked_at: Date | null; roles: string[]; status: string; user_id: string }>(
      `SELECT k.id, k.key_id, k.public_key_pem, k.revoked_at, u.roles, u.status, k.user_id FROM probe_signing_keys k
         JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id WHERE k.key_id = ANY($1::text[])`,
      [keyids],
    );
    if (keys.rows.length === 0) throw invalid('scope_signing_key_unknown', 'The scope is not signed by a key registered in this organisation.');
    const live = keys.rows.filter((k) => !k.revoked_at);
    if (live.length === 0) throw invalid('scope_signing_key_revoked', 'The scope is signed by a revoked key.');
    let key: (typeof live)[number] | undefined;
    let payload: Buffer | undefined;
    for (const k of live) {
      try {
        payload = dsse.verifyEnvelope(envelope, SCOPE_PAYLOAD_TYPE, k.public_key_pem).payload;
        key = k;
        break;
      } catch {
        /* try the next registered key */
      }
    }
    if (!key || !payload) throw invalid('scope_signature_invalid', 'The scope signature does not verify: the scope was changed after signing or signed with another key.');
    // The key's owner must be a security lead now, not only when the key was registered.
    if (key.status !== 'active' || !key.roles.includes('security_lead')) throw invalid('scope_signer_not_security_lead', 'The signing key belongs to a user who is not an active security lead.');
    let doc: unknown;
    try {
      doc = JSON.parse(payload.toString('utf8'));
    } catch {
      throw invalid('scope_schema_invalid', 'The signed payload is not JSON.');
    }
    if (canonicalJson(doc) !== payload.toString('utf8')) throw invalid('scope_payload_not_canonical', 'The signed payload is not in RFC 8785 canonical form.');
    let scope: Scope;
    try {
      scope = parseScope(doc);
    } catch (e) {
      if (e instanceof ScopeError) throw invalid('scope_schema_invalid', e.message);
      throw e;
    }
    if (scope.tenant !== p.tenantId) throw invalid('scope_tenant_mismatch', 'The scope names another organisation.');
    const exists = await q.query(`SELECT 1 FROM probe_scopes WHERE scope_id = $1 AND version = $2`, [scope.id, scope.version]);
    if (exists.rows.length) throw new ProblemError(409, 'scope_version_exists', `Scope ${scope.id} version ${scope.version} exists already; a signed scope never changes, sign a new version.`);
    const { rows } = await q.query<{ id: string }>(
      `INSERT INTO probe_scopes (tenant_id, scope_id, version, name, environment, document, envelope, payload_sha256, signing_key, uploaded_by, uploaded_at, valid_from, valid_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [p.tenantId, scope.id, scope.version, scope.name, scope.environment, JSON.stringify(scope), JSON.stringify(envelope), createHash('sha256').update(payload).digest('hex'), key.id, p.userId, c.now(), scope.valid_from, scope.valid_until],
    );
    const id = rows[0]!.id;
    await recordAudit(q, p.tenantId, actor, { action: 'probe.scope.uploaded', outcome: 'success', target: { type: 'probe_scope', id }, details: { scope_id: scope.id, version: scope.version, environment: scope.environment, key_id: key.key_id, signer: key.user_id } });
    return { id, scope };
  });
}

const SCOPE_COLS = `id, scope_id, version, name, environment, document, signing_key, uploaded_by, uploaded_at, valid_from, valid_until, revoked_at, revoke_reason`;

export async function listScopes(c: Ctx, tenantId: string) {
  return (await c.db.tx({ tenantId }, (q) => q.query<ScopeView>(`SELECT ${SCOPE_COLS} FROM probe_scopes ORDER BY scope_id, version`))).rows;
}

export async function getScope(c: Ctx, tenantId: string, id: string) {
  const r = await c.db.tx({ tenantId }, (q) => q.query<ScopeDetail>(`SELECT ${SCOPE_COLS}, envelope FROM probe_scopes WHERE id = $1`, [id]));
  if (!r.rows.length) throw new ProblemError(404, 'scope_not_found', 'No such scope.');
  return r.rows[0]!;
}

/** Revokes a scope and cancels its scans that have not started running. */
export async function revokeScope(c: Ctx, p: UserPrincipal, actor: AuditActor, id: string, reason: string): Promise<{ cancelled: string[] }> {
  return c.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
    const now = c.now();
    const r = await q.query(`UPDATE probe_scopes SET revoked_at = $2, revoked_by = $3, revoke_reason = $4 WHERE id = $1 AND revoked_at IS NULL RETURNING id`, [id, now, p.userId, reason]);
    if (!r.rowCount) throw new ProblemError(404, 'scope_not_found', 'No such scope that is not revoked already.');
    await recordAudit(q, p.tenantId, actor, { action: 'probe.scope.revoked', outcome: 'success', target: { type: 'probe_scope', id }, details: { reason } });
    const scans = await q.query<{ id: string; state: ScanState }>(`SELECT id, state FROM probe_scans WHERE scope = $1 AND state IN ('requested', 'approved', 'queued', 'leased') FOR UPDATE`, [id]);
    for (const s of scans.rows) await transition(q, p.tenantId, actor, s.id, s.state, 'cancelled', now, { reason: 'scope revoked' });
    return { cancelled: scans.rows.map((s) => s.id) };
  });
}

// ---- scans ----

const EVENT: Record<ScanState, AuditEventName> = {
  requested: 'probe.scan.requested', approved: 'probe.scan.approved', queued: 'probe.scan.queued', leased: 'probe.scan.leased', running: 'probe.scan.started',
  finished: 'probe.scan.finished', failed: 'probe.scan.failed', cancelled: 'probe.scan.cancelled', rejected: 'probe.scan.rejected', expired: 'probe.scan.expired',
};

/** What a lifecycle step records besides its states (the event's details, probe/audit-events.ts). */
export type ScanStepDetails = Omit<ScanTransitionDetails, 'from' | 'to'>;

/** One audited state change; refuses transitions the lifecycle does not allow. */
export async function transition(q: Queryable, tenantId: string, actor: AuditActor, scanId: string, from: ScanState, to: ScanState, now: Date, details: ScanStepDetails = {}): Promise<void> {
  if (!NEXT[from].includes(to)) throw new ProblemError(409, 'scan_transition_invalid', `A scan cannot go from ${from} to ${to}.`);
  const r = await q.query(
    `UPDATE probe_scans SET state = $3, updated_at = $4, queued_at = CASE WHEN $3 = 'queued' THEN $4 ELSE queued_at END,
            leased_by = CASE WHEN $3 IN ('leased', 'running') THEN leased_by END, lease_expires_at = CASE WHEN $3 IN ('leased', 'running') THEN lease_expires_at END
      WHERE id = $1 AND state = $2`,
    [scanId, from, to, now],
  );
  if (!r.rowCount) throw new ProblemError(409, 'scan_state_changed', 'The scan changed state meanwhile; reload and retry.');
  await recordAudit(q, tenantId, actor, { action: EVENT[to], outcome: 'success', target: { type: 'probe_scan', id: scanId }, details: { from, to, ...details } });
  await emitScanEvent(q, tenantId, scanId, to, now, actor);
}

/** The tenant's Probe approval settings (slices above). */
async function tenantSettings(q: Queryable, tenantId: string): Promise<{ ttlHours: number; distinctGroups: boolean }> {
  const [ttlHours, distinctGroups] = await readSettings(q, [PROBE_APPROVAL_TTL_HOURS, PROBE_DISTINCT_APPROVER_GROUPS] as const, { tenantId });
  return { ttlHours, distinctGroups };
}

export async function setApproverGroup(c: Ctx, p: UserPrincipal, actor: AuditActor, userId: string, group: string | null): Promise<void> {
  await c.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
    const u = await q.query(`SELECT 1 FROM users WHERE id = $1`, [userId]);
    if (!u.rows.length) throw new ProblemError(404, 'user_not_found', 'No such user in this organisation.');
    if (group === null) await q.query(`DELETE FROM probe_approver_groups WHERE user_id = $1`, [userId]);
    else {
      await q.query(
        `INSERT INTO probe_approver_groups (tenant_id, user_id, group_name, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET group_name = EXCLUDED.group_name, updated_at = EXCLUDED.updated_at`,
        [p.tenantId, userId, group, c.now()],
      );
    }
    await recordAudit(q, p.tenantId, actor, { action: 'probe.approver_group.changed', outcome: 'success', target: { type: 'user', id: userId }, details: { group } });
  });
}

export async function listApproverGroups(c: Ctx, tenantId: string) {
  return (await c.db.tx({ tenantId }, (q) => q.query<ApproverGroupView>(`SELECT g.user_id, u.email, g.group_name, g.updated_at FROM probe_approver_groups g JOIN users u ON u.tenant_id = g.tenant_id AND u.id = g.user_id ORDER BY g.group_name, u.email`))).rows;
}

/** With distinct groups required, this approver needs a group no earlier approver shares. */
async function checkApproverGroup(q: Queryable, scanId: string, userId: string): Promise<void> {
  const mine = await q.query<{ group_name: string }>(`SELECT group_name FROM probe_approver_groups WHERE user_id = $1`, [userId]);
  const group = mine.rows[0]?.group_name;
  if (!group) throw new ProblemError(403, 'approver_group_missing', 'This organisation requires approvers from two different groups, and you are in no approver group.');
  const same = await q.query(
    `SELECT 1 FROM probe_scan_approvals a JOIN probe_approver_groups g ON g.tenant_id = a.tenant_id AND g.user_id = a.user_id
      WHERE a.scan_id = $1 AND a.decision = 'approve' AND g.group_name = $2`,
    [scanId, group],
  );
  if (same.rows.length) throw new ProblemError(409, 'approver_same_group', `The other approval already comes from group ${group}; the second approval must come from another group.`);
}

export interface ScanRequest extends ScanRequestInput {
  scope_id: string;
  version: number;
  note?: string | undefined;
}

/** Loads a scope usable for scans, or refuses: not found, revoked, or its key revoked. */
async function usableScope(q: Queryable, where: string, params: unknown[]): Promise<{ id: string; scope: Scope }> {
  const r = await q.query<{ id: string; document: Scope; revoked_at: Date | null; key_revoked_at: Date | null }>(
    `SELECT s.id, s.document, s.revoked_at, k.revoked_at AS key_revoked_at FROM probe_scopes s JOIN probe_signing_keys k ON k.tenant_id = s.tenant_id AND k.id = s.signing_key WHERE ${where}`,
    params,
  );
  const row = r.rows[0];
  if (!row) throw new ProblemError(404, 'scope_not_found', 'No such scope version in this organisation.');
  if (row.revoked_at) throw new ProblemError(422, 'scope_revoked', 'The scope has been revoked.', { rule: 'scope_revoked' });
  if (row.key_revoked_at) throw new ProblemError(422, 'scope_signing_key_revoked', 'The key that signed this scope has been revoked; sign and upload it again with a valid key.', { rule: 'scope_signing_key_revoked' });
  return { id: row.id, scope: row.document };
}

export async function requestScan(c: Ctx & { resolve: Resolver }, p: UserPrincipal, actor: AuditActor, req: ScanRequest): Promise<ScanView> {
  const now = c.now();
  // Resolution happens outside the transaction (it can be slow); the scope is re-read inside.
  const pre = await c.db.tx({ tenantId: p.tenantId }, (q) => usableScope(q, 's.scope_id = $1 AND s.version = $2', [req.scope_id, req.version]));
  const { addresses } = await checkScanRequest(pre.scope, req, { now, resolve: c.resolve });
  const id = await c.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
    const { id: scopeRow, scope } = await usableScope(q, 's.id = $1', [pre.id]);
    const { ttlHours } = await tenantSettings(q, p.tenantId);
    const required = scope.environment === 'production' ? 2 : 0;
    const expires = new Date(now.getTime() + ttlHours * 3600_000);
    const { rows } = await q.query<{ id: string }>(
      `INSERT INTO probe_scans (tenant_id, scope, requested_by, state, targets, addresses, ports, probe_types, rate_pps, approvals_required, note, created_at, updated_at, expires_at)
       VALUES ($1, $2, $3, 'requested', $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) RETURNING id`,
      [p.tenantId, scopeRow, p.userId, JSON.stringify(req.targets), addresses, req.ports, req.probe_types, req.rate_pps, required, req.note ?? '', now, expires],
    );
    const scanId = rows[0]!.id;
    await recordAudit(q, p.tenantId, actor, {
      action: 'probe.scan.requested', outcome: 'success', target: { type: 'probe_scan', id: scanId },
      details: { to: 'requested', scope_id: scope.id, version: scope.version, environment: scope.environment, targets: req.targets, addresses, ports: req.ports, probe_types: req.probe_types, rate_pps: req.rate_pps, approvals_required: required },
    });
    await emitScanEvent(q, p.tenantId, scanId, 'requested', now, actor);
    if (required === 0) {
      await transition(q, p.tenantId, actor, scanId, 'requested', 'approved', now, { reason: 'non-production scope needs no approval' });
      await transition(q, p.tenantId, actor, scanId, 'approved', 'queued', now);
    }
    return scanId;
  });
  return getScan(c, p.tenantId, id);
}

/** A scan as the API answers it (the `scanView` schema). */
export type ScanView = ReplyOf<typeof scanView>;

const SCAN_SELECT = `SELECT c.id, c.state, c.scope, s.scope_id, s.version, s.environment, c.requested_by, c.targets, c.addresses, c.ports, c.probe_types, c.rate_pps,
  c.approvals_required, c.note, c.created_at, c.updated_at, c.expires_at, c.queued_at,
  COALESCE((SELECT json_agg(json_build_object('user_id', a.user_id, 'email', u.email, 'decision', a.decision, 'created_at', a.created_at) ORDER BY a.created_at)
     FROM probe_scan_approvals a JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id WHERE a.tenant_id = c.tenant_id AND a.scan_id = c.id), '[]'::json) AS approvals,
  COALESCE((SELECT json_agg(json_build_object('device_id', l.device_id, 'leased_at', l.leased_at, 'ended_at', l.ended_at, 'end_reason', l.end_reason,
       'safety_profile_version', l.safety_profile_version, 'safety_profile_sha256', l.safety_profile_sha256) ORDER BY l.leased_at, l.id)
     FROM probe_job_leases l WHERE l.tenant_id = c.tenant_id AND l.scan_id = c.id), '[]'::json) AS leases
  FROM probe_scans c JOIN probe_scopes s ON s.tenant_id = c.tenant_id AND s.id = c.scope`;

type ScanRow = Record<string, unknown> & { approvals: unknown; leases: unknown };
const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : d === null ? null : new Date(String(d)).toISOString());

function view(r: ScanRow): ScanView {
  const approvals = (typeof r.approvals === 'string' ? JSON.parse(r.approvals) : r.approvals) as ScanView['approvals'];
  const leases = (typeof r.leases === 'string' ? JSON.parse(r.leases) : r.leases) as ScanView['leases'];
  return {
    id: String(r.id), state: r.state as ScanState,
    scope: { id: String(r.scope), scope_id: String(r.scope_id), version: Number(r.version), environment: String(r.environment) },
    requested_by: String(r.requested_by), targets: r.targets as string[], addresses: r.addresses as string[], ports: r.ports as number[], probe_types: r.probe_types as string[],
    rate_pps: Number(r.rate_pps), approvals_required: Number(r.approvals_required), approvals: approvals.map((a) => ({ ...a, created_at: iso(a.created_at)! })),
    note: String(r.note), created_at: iso(r.created_at)!, updated_at: iso(r.updated_at)!, expires_at: iso(r.expires_at)!, queued_at: iso(r.queued_at),
    leases: leases.map((l) => ({ ...l, leased_at: iso(l.leased_at)!, ended_at: l.ended_at ? iso(l.ended_at) : null })),
  };
}

export async function getScan(c: Ctx, tenantId: string, id: string): Promise<ScanView> {
  const r = await c.db.tx({ tenantId }, (q) => q.query<ScanRow>(`${SCAN_SELECT} WHERE c.id = $1`, [id]));
  if (!r.rows.length) throw new ProblemError(404, 'scan_not_found', 'No such scan.');
  return view(r.rows[0]!);
}

export async function listScans(c: Ctx, tenantId: string, state?: string): Promise<ScanView[]> {
  const r = await c.db.tx({ tenantId }, (q) => q.query<ScanRow>(`${SCAN_SELECT} ${state ? 'WHERE c.state = $1' : ''} ORDER BY c.created_at DESC LIMIT 500`, state ? [state] : []));
  return r.rows.map(view);
}

/**
 * Records one approval or rejection. The caller has passed the guard for the approve action
 * (approver role, MFA within the step-up age at this moment).
 */
export async function decideScan(c: Ctx, p: UserPrincipal, actor: AuditActor, scanId: string, decision: 'approve' | 'reject', comment: string): Promise<ScanView> {
  const now = c.now();
  const expired = await c.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
    const r = await q.query<{ state: ScanState; requested_by: string; approvals_required: number; expires_at: Date | string; scope: string }>(
      `SELECT state, requested_by, approvals_required, expires_at, scope FROM probe_scans WHERE id = $1 FOR UPDATE`,
      [scanId],
    );
    const scan = r.rows[0];
    if (!scan) throw new ProblemError(404, 'scan_not_found', 'No such scan.');
    if (scan.state !== 'requested') throw new ProblemError(409, 'scan_not_awaiting_approval', `The scan is ${scan.state}, not awaiting approval.`, { state: scan.state });
    if (decision === 'approve' && scan.requested_by === p.userId) throw new ProblemError(403, 'approver_is_requester', 'The requester of a scan cannot approve it.');
    const prior = await q.query(`SELECT decision FROM probe_scan_approvals WHERE scan_id = $1 AND user_id = $2`, [scanId, p.userId]);
    if (prior.rows.length) throw new ProblemError(409, 'already_decided', 'You have already approved or rejected this scan; a second approval must come from another person.');
    if (now.getTime() >= new Date(scan.expires_at).getTime()) {
      // Past the deadline: the request expires now (committed), then the caller is told.
      await transition(q, p.tenantId, actor, scanId, 'requested', 'expired', now, { reason: 'approval deadline passed' });
      return true;
    }
    if (decision === 'approve' && scan.approvals_required > 1 && (await tenantSettings(q, p.tenantId)).distinctGroups) await checkApproverGroup(q, scanId, p.userId);
    await q.query(`INSERT INTO probe_scan_approvals (tenant_id, scan_id, user_id, decision, mfa_verified_at, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [p.tenantId, scanId, p.userId, decision, p.mfaVerifiedAt, comment, now]);
    await recordAudit(q, p.tenantId, actor, { action: 'probe.scan.decided', outcome: 'success', target: { type: 'probe_scan', id: scanId }, details: { decision, comment, mfa_verified_at: p.mfaVerifiedAt?.toISOString() ?? null } });
    if (decision === 'reject') {
      await transition(q, p.tenantId, actor, scanId, 'requested', 'rejected', now, { comment });
      return false;
    }
    const n = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM probe_scan_approvals WHERE scan_id = $1 AND decision = 'approve' AND user_id <> $2`, [scanId, scan.requested_by]);
    if (n.rows[0]!.n >= scan.approvals_required) {
      // The scope must still be usable when the scan enters the queue.
      const s = await usableScope(q, 's.id = $1', [scan.scope]);
      if (now.getTime() >= Date.parse(s.scope.valid_until)) throw new ProblemError(422, 'scope_expired', `The scope expired at ${s.scope.valid_until}.`, { rule: 'scope_expired' });
      await transition(q, p.tenantId, actor, scanId, 'requested', 'approved', now, { approvals: n.rows[0]!.n });
      await transition(q, p.tenantId, actor, scanId, 'approved', 'queued', now);
    }
    return false;
  });
  if (expired) throw new ProblemError(409, 'approval_expired', 'The approval period of this scan has ended; the request has expired. Request the scan again.');
  return getScan(c, p.tenantId, scanId);
}

export async function cancelScan(c: Ctx, p: UserPrincipal, actor: AuditActor, scanId: string): Promise<ScanView> {
  await c.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
    const r = await q.query<{ state: ScanState }>(`SELECT state FROM probe_scans WHERE id = $1 FOR UPDATE`, [scanId]);
    if (!r.rows.length) throw new ProblemError(404, 'scan_not_found', 'No such scan.');
    await transition(q, p.tenantId, actor, scanId, r.rows[0]!.state, 'cancelled', c.now());
  });
  return getScan(c, p.tenantId, scanId);
}

/** Expires requests past their approval deadline (for a periodic sweep). */
export async function expireOverdue(c: Ctx, tenantId: string): Promise<string[]> {
  return c.db.tx({ tenantId, actor: 'system:probe-expiry' }, async (q) => {
    const now = c.now();
    const r = await q.query<{ id: string }>(`SELECT id FROM probe_scans WHERE state = 'requested' AND expires_at <= $1 FOR UPDATE SKIP LOCKED`, [now]);
    for (const s of r.rows) await transition(q, tenantId, { type: 'system', id: 'probe-expiry' }, s.id, 'requested', 'expired', now, { reason: 'approval deadline passed' });
    return r.rows.map((s) => s.id);
  });
}

// ---- the queue ----

export interface LeasedJob {
  scan: ScanView;
  /** The signed scope as uploaded, so the worker verifies it itself. */
  envelope: unknown;
  lease_expires_at: string;
}

/**
 * Leases the oldest queued scan (or one whose lease ran out) to `worker`. Concurrent workers
 * never get the same job: the row is locked with FOR UPDATE SKIP LOCKED.
 */
export async function leaseNextScan(c: Ctx, tenantId: string, worker: { id: string; name?: string }, leaseSeconds = 300): Promise<LeasedJob | null> {
  const now = c.now();
  const actor: AuditActor = { type: 'device', id: worker.id, ...(worker.name ? { name: worker.name } : {}) };
  const leased = await c.db.tx({ tenantId, actor: `device:${worker.id}` }, async (q) => {
    const r = await q.query<{ id: string; state: ScanState; envelope: unknown }>(
      `SELECT c.id, c.state, s.envelope FROM probe_scans c JOIN probe_scopes s ON s.tenant_id = c.tenant_id AND s.id = c.scope
        WHERE (c.state = 'queued' OR (c.state = 'leased' AND c.lease_expires_at < $1)) AND s.revoked_at IS NULL AND s.valid_until > $1
        ORDER BY c.queued_at, c.id LIMIT 1 FOR UPDATE OF c SKIP LOCKED`,
      [now],
    );
    const job = r.rows[0];
    if (!job) return null;
    if (job.state === 'leased') await transition(q, tenantId, actor, job.id, 'leased', 'queued', now, { reason: 'lease expired' });
    const until = new Date(now.getTime() + leaseSeconds * 1000);
    await transition(q, tenantId, actor, job.id, 'queued', 'leased', now, { worker: worker.id, lease_expires_at: until.toISOString() });
    await q.query(`UPDATE probe_scans SET leased_by = $2, lease_expires_at = $3, lease_count = lease_count + 1 WHERE id = $1`, [job.id, worker.id, until]);
    return { id: job.id, envelope: typeof job.envelope === 'string' ? JSON.parse(job.envelope) : job.envelope, until };
  });
  if (!leased) return null;
  return { scan: await getScan(c, tenantId, leased.id), envelope: leased.envelope, lease_expires_at: leased.until.toISOString() };
}

/** The worker reports progress on a job it holds: running, then finished or failed. */
export async function reportScan(c: Ctx, tenantId: string, worker: { id: string }, scanId: string, to: 'running' | 'finished' | 'failed', details: ScanStepDetails = {}): Promise<void> {
  await c.db.tx({ tenantId, actor: `device:${worker.id}` }, async (q) => {
    const r = await q.query<{ state: ScanState; leased_by: string | null }>(`SELECT state, leased_by FROM probe_scans WHERE id = $1 FOR UPDATE`, [scanId]);
    const s = r.rows[0];
    if (!s || s.leased_by !== worker.id) throw new ProblemError(404, 'job_not_leased', 'This worker holds no lease on that scan.');
    await transition(q, tenantId, { type: 'device', id: worker.id }, scanId, s.state, to, c.now(), details);
  });
}
