/**
 * Server side of PROBE-REPORT: the tenant's report key, the adapter that gathers a
 * ReportInput from the probe tables, and report generation (checkpoint, proofs, PDF,
 * statement, DSSE signature), stored once per finished scan with its audit entry. The PDF
 * goes to the WORM vault (sealed for the tenant); the row keeps its key and SHA-256.
 */
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import type { Database, Queryable } from '@parapet/db';
import { buildPredicate, buildStatement, envelope, evidenceBundle, signReport, verifyReport, type DsseEnvelope, type KeyProvider, type ReportFinding, type ReportInput, type Severity } from '@parapet/core';
import { issueCheckpoint, logKeys, logOrigin, treeFor } from '../audit/index.js';
import { recordAudit, storedAuditEventNames } from '../platform/audit.js';
import { ProblemError } from '../http/problem.js';
import { registerSealedColumn } from '../platform/sealed.js';
import { emitFindingEvents } from '../webhooks/index.js';
import { openVaultObject } from '../platform/sealed.js';
import { putSealed, tenantKey } from '../vault/sealed.js';
import { VaultError, type WormVault } from '../vault/vault.js';
import { evidenceRetention } from './runs.js';

export interface ReportKey {
  keyId: string;
  publicKeyPem: string;
  privateSealed: string;
}

const binding = (tenantId: string, keyId: string) => ({ tenantId, record: `probe_report_key/${keyId}` });
registerSealedColumn({ table: 'probe_report_keys', column: 'private_sealed', keyColumns: ['key_id'], record: (r) => `probe_report_key/${String(r.key_id)}` });

/** The tenant's newest report key, made (Ed25519, private half sealed under the KEK) on first use. */
export async function ensureReportKey(q: Queryable, keys: KeyProvider, tenantId: string): Promise<ReportKey> {
  await q.query(`SELECT pg_advisory_xact_lock(hashtextextended('reportkey:' || $1, 0))`, [tenantId]);
  const have = await q.query<{ key_id: string; public_key_pem: string; private_sealed: string }>(`SELECT key_id, public_key_pem, private_sealed FROM probe_report_keys ORDER BY created_at DESC, key_id LIMIT 1`);
  const r = have.rows[0];
  if (r) return { keyId: r.key_id, publicKeyPem: r.public_key_pem, privateSealed: r.private_sealed };
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const keyId = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  const privateSealed = await envelope.seal(keys, der, binding(tenantId, keyId));
  der.fill(0);
  await q.query(`INSERT INTO probe_report_keys (tenant_id, key_id, public_key_pem, private_sealed) VALUES ($1, $2, $3, $4)`, [tenantId, keyId, publicKeyPem, privateSealed]);
  return { keyId, publicKeyPem, privateSealed };
}

async function openReportKey(keys: KeyProvider, tenantId: string, k: ReportKey): Promise<string> {
  const der = await envelope.open(keys, k.privateSealed, binding(tenantId, k.keyId));
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
  } finally {
    der.fill(0);
  }
}

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

/** One line from a probe result's observations (the worker's tls/http/banner shapes), for the per-host table. */
export function summarise(outcome: string, reason: string, observed: Record<string, unknown>): string {
  const o = (observed ?? {}) as { tls?: { versions?: Record<string, boolean>; cert?: { not_after?: string; self_signed?: boolean } }; http?: { status?: number; headers?: Record<string, string> }; banner?: { banner?: string } };
  let s = '';
  if (o.tls?.versions) {
    const on = Object.entries(o.tls.versions).filter(([, v]) => v).map(([k]) => k.replace('TLSv1', 'TLS 1.0').replace('TLS 1.0.', 'TLS 1.'));
    s = `${on.join(', ') || 'no TLS version'} accepted` + (o.tls.cert?.not_after ? `; certificate until ${o.tls.cert.not_after.slice(0, 10)}${o.tls.cert.self_signed ? ', self-signed' : ''}` : '');
  } else if (o.http?.status) {
    const server = o.http.headers?.server;
    s = `HTTP ${o.http.status}${server ? `, server: ${server}` : ''}`;
  } else if (typeof o.banner?.banner === 'string') {
    s = `banner: ${o.banner.banner.replace(/\\r|\\n|[\r\n]/g, ' ').trim()}`;
  } else {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(observed ?? {})) {
      if (v === null || v === undefined || typeof v === 'object') continue;
      parts.push(`${k}: ${String(v)}`);
      if (parts.length >= 4) break;
    }
    s = parts.join('; ') || (outcome === 'open' ? 'connected' : reason);
  }
  return s.length > 160 ? s.slice(0, 157) + '...' : s;
}

/**
 * The adapter: a ReportInput for `scanId` from probe_scans, scopes, approvals, leases,
 * results, evidence and findings, with the audit entries about the scan proven against the
 * checkpoint of `treeSize` entries (`checkpointNote`). Runs in the caller's tenant transaction.
 */
export async function gatherReportInput(q: Queryable, tenantId: string, scanId: string, cp: { treeSize: number; note: string; keyId: string }): Promise<ReportInput> {
  const scan = (
    await q.query<{ id: string; state: string; requested_by: string; requester: string; created_at: Date; targets: string[]; ports: number[]; probe_types: string[]; rate_pps: number; note: string; scope: string }>(
      `SELECT s.id, s.state, s.requested_by, u.email AS requester, s.created_at, s.targets, s.ports, s.probe_types, s.rate_pps, s.note, s.scope
         FROM probe_scans s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.requested_by WHERE s.id = $1`,
      [scanId],
    )
  ).rows[0];
  if (!scan) throw new ProblemError(404, 'scan_not_found', 'No such scan.');
  const tenant = (await q.query<{ name: string }>(`SELECT name FROM tenants WHERE id = $1`, [tenantId])).rows[0];
  const scope = (
    await q.query<{ scope_id: string; version: number; name: string; environment: string; document: { expected_policy?: Array<{ cidr: string; open_ports: number[] }> }; payload_sha256: string; key_id: string; signer: string }>(
      `SELECT sc.scope_id, sc.version, sc.name, sc.environment, sc.document, sc.payload_sha256, k.key_id, u.email AS signer
         FROM probe_scopes sc JOIN probe_signing_keys k ON k.tenant_id = sc.tenant_id AND k.id = sc.signing_key
         JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id WHERE sc.id = $1`,
      [scan.scope],
    )
  ).rows[0]!;
  const approvals = await q.query<{ user_id: string; email: string; decision: 'approve' | 'reject'; created_at: Date; mfa_verified_at: Date | null; comment: string }>(
    `SELECT a.user_id, u.email, a.decision, a.created_at, a.mfa_verified_at, a.comment FROM probe_scan_approvals a
       JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id WHERE a.scan_id = $1 ORDER BY a.created_at`,
    [scanId],
  );
  const times = (await q.query<{ started: Date | null; finished: Date | null }>(
    `SELECT min(at) FILTER (WHERE action = ANY ($2::text[])) AS started, max(at) FILTER (WHERE action = ANY ($3::text[])) AS finished
       FROM audit_log WHERE target_type = 'probe_scan' AND target_id = $1`,
    // Scans run before the rename carry the former names (platform/audit.ts).
    [scanId, storedAuditEventNames('probe.scan.started'), storedAuditEventNames('probe.scan.finished', 'probe.scan.failed')],
  )).rows[0];
  const lease = (
    await q.query<{ device_id: string; name: string; version: string | null }>(
      `SELECT l.device_id, d.name, d.version FROM probe_job_leases l JOIN devices d ON d.tenant_id = l.tenant_id AND d.id = l.device_id
        WHERE l.scan_id = $1 ORDER BY l.leased_at DESC LIMIT 1`,
      [scanId],
    )
  ).rows[0];
  const results = await q.query<{ address: string; port: number; probe_type: string; outcome: string; reason: string; observed: Record<string, unknown>; evidence_sha256: string | null; observed_profile: string | null }>(
    `SELECT address, port, probe_type, outcome, reason, observed, evidence_sha256, observed->>'safety_profile' AS observed_profile FROM probe_results WHERE scan_id = $1 ORDER BY address, port, probe_type`,
    [scanId],
  );
  const evidence = await q.query<{ object_key: string; sha256: string; size_bytes: number; media_type: string }>(`SELECT object_key, sha256, size_bytes, media_type FROM probe_evidence WHERE scan_id = $1 ORDER BY object_key`, [scanId]);
  const findings = await q.query<{ id: string; address: string; port: number; kind: string; title: string; severity: Severity; state: 'present' | 'resolved'; first_scan_id: string; evidence_sha256: string | null }>(
    `SELECT f.id, f.address, f.port, f.kind, f.title, f.severity, sf.state, f.first_scan_id, r.evidence_sha256
       FROM probe_scan_findings sf JOIN probe_findings f ON f.tenant_id = sf.tenant_id AND f.id = sf.finding_id
       LEFT JOIN probe_results r ON r.tenant_id = sf.tenant_id AND r.id = sf.result_id
      WHERE sf.scan_id = $1 ORDER BY f.address, f.port, f.kind`,
    [scanId],
  );
  const entries = await q.query<{ seq: number; leaf: Buffer }>(`SELECT seq, leaf FROM audit_log WHERE target_type = 'probe_scan' AND target_id = $1 AND seq <= $2 ORDER BY seq`, [scanId, cp.treeSize]);
  const tree = await treeFor(q, tenantId, cp.treeSize);
  const logKey = (await logKeys(q)).find((k) => k.keyId === cp.keyId);
  if (!logKey) throw new Error(`The audit log key ${cp.keyId} that signed the checkpoint is missing.`);
  const safetyProfile = results.rows.find((r) => r.observed_profile)?.observed_profile;

  return {
    tenant: { id: tenantId, name: tenant?.name ?? tenantId },
    scan: {
      id: scan.id,
      state: scan.state,
      requested_by: scan.requester,
      requested_at: iso(scan.created_at)!,
      started_at: iso(times?.started),
      finished_at: iso(times?.finished),
      targets: scan.targets,
      ports: scan.ports,
      probe_types: scan.probe_types,
      rate_pps: scan.rate_pps,
      note: scan.note,
    },
    scope: { id: scope.scope_id, version: scope.version, name: scope.name, environment: scope.environment, signer_key_id: scope.key_id, signer: scope.signer, payload_sha256: scope.payload_sha256, expected_policy: scope.document.expected_policy ?? [] },
    approvals: approvals.rows.map((a) => ({ user_id: a.user_id, email: a.email, decision: a.decision, at: iso(a.created_at)!, mfa_verified_at: iso(a.mfa_verified_at), comment: a.comment })),
    operators: [{ user_id: scan.requested_by, email: scan.requester }],
    worker: lease ? { id: lease.device_id, name: lease.name, version: lease.version ?? 'not reported', safety_profile_version: safetyProfile ?? 'not reported' } : { id: '-', name: 'no worker leased this scan', version: '-', safety_profile_version: '-' },
    probes: results.rows.map((r) => ({ host: r.address, port: r.port, probe_type: r.probe_type, status: r.outcome, summary: summarise(r.outcome, r.reason, r.observed), evidence_sha256: r.evidence_sha256 })),
    findings: findings.rows.map((f): ReportFinding => ({
      id: f.id,
      host: f.address,
      port: f.port === 0 ? null : f.port,
      rule: f.kind,
      title: f.title,
      severity: f.severity,
      status: f.state === 'present' ? 'open' : 'resolved',
      trend: f.state === 'resolved' ? 'resolved' : f.first_scan_id === scanId ? 'new' : 'recurring',
      evidence_sha256: f.evidence_sha256 ? [f.evidence_sha256] : [],
    })),
    evidence: evidence.rows.map((e) => ({ key: e.object_key, sha256: e.sha256, size: e.size_bytes, media_type: e.media_type })),
    audit: {
      origin: logOrigin(tenantId),
      log_key: logKey.verifierKey,
      checkpoint: cp.note,
      entries: entries.rows.map((e) => ({ seq: Number(e.seq), leaf: e.leaf.toString('base64'), proof: tree.inclusionProof(Number(e.seq) - 1, cp.treeSize).map((h) => h.toString('base64')) })),
    },
  };
}

export interface StoredReport {
  scan_id: string;
  scope_id: string;
  verdict: 'pass' | 'fail';
  findings_open: Record<Severity, number>;
  pdf_sha256: string;
  bundle_sha256: string;
  key_id: string;
  created_at: string;
}

const REPORT_COLS = `scan_id, scope_id, verdict, findings_open, pdf_sha256, bundle_sha256, key_id, created_at`;
const toStored = (r: StoredReport & { created_at: string | Date }): StoredReport => ({ ...r, created_at: new Date(r.created_at).toISOString() });

/**
 * Generates and stores the report of a finished (or failed) scan; returns the stored one when
 * it exists already. Throws ProblemError 409 `scan_not_finished` for a scan still running.
 * Timings: one checkpoint, one PDF render (about 0.5 s for 1,000 probes), one signature.
 */
export async function generateReport(db: Database, keys: KeyProvider, tenantId: string, scanId: string, now: () => Date, vault: WormVault): Promise<StoredReport> {
  const existing = await db.tx({ tenantId }, (q) => q.query<StoredReport>(`SELECT ${REPORT_COLS} FROM probe_reports WHERE scan_id = $1`, [scanId]));
  if (existing.rows[0]) return toStored(existing.rows[0]);
  const st = await db.tx({ tenantId }, (q) => q.query<{ state: string }>(`SELECT state FROM probe_scans WHERE id = $1`, [scanId]));
  if (!st.rows[0]) throw new ProblemError(404, 'scan_not_found', 'No such scan.');
  if (st.rows[0].state !== 'finished' && st.rows[0].state !== 'failed') throw new ProblemError(409, 'scan_not_finished', `The scan is ${st.rows[0].state}; a report is made when it has finished.`);
  const cp = await issueCheckpoint(db, keys, tenantId);
  return db.tx({ tenantId, actor: 'system:probe-report' }, async (q) => {
    await q.query(`SELECT pg_advisory_xact_lock(hashtextextended('report:' || $1, 0))`, [scanId]);
    const again = await q.query<StoredReport>(`SELECT ${REPORT_COLS} FROM probe_reports WHERE scan_id = $1`, [scanId]);
    if (again.rows[0]) return toStored(again.rows[0]);
    const input = await gatherReportInput(q, tenantId, scanId, cp);
    const key = await ensureReportKey(q, keys, tenantId);
    const at = now();
    const predicate = buildPredicate(input, at.toISOString(), key.publicKeyPem);
    // pdfkit and its fonts load with the first report, not with the server (bench/startup).
    const { renderReportPdf } = await import('./report-pdf.js');
    const pdf = await renderReportPdf(predicate);
    const statement = buildStatement(predicate, pdf);
    const env: DsseEnvelope = signReport(statement, await openReportKey(keys, tenantId, key));
    const pdfSha = statement.subject[0]!.digest.sha256;
    const bundleSha = createHash('sha256').update(evidenceBundle(scanId, input.evidence)).digest('hex');
    const scopeRow = (await q.query<{ scope: string }>(`SELECT scope FROM probe_scans WHERE id = $1`, [scanId])).rows[0]!;
    // The object is named by its digest: a transaction that fails after this write leaves an
    // orphan that the next attempt (another PDF, another name) does not collide with.
    const objectKey = `probe/reports/${scanId}/${pdfSha}.pdf`;
    const retainUntil = new Date(at.getTime() + (await evidenceRetention(q, tenantId)) * 86_400_000);
    try {
      await putSealed(vault, keys, tenantId, objectKey, pdf, retainUntil);
    } catch (e) {
      // The same PDF written by an attempt that did not commit: keep it.
      if (!(e instanceof VaultError && e.code === 'exists')) throw e;
    }
    const { rows } = await q.query<StoredReport>(
      `INSERT INTO probe_reports (tenant_id, scan_id, scope, scope_id, key_id, verdict, findings_open, envelope, pdf_object_key, pdf_sha256, bundle_sha256, checkpoint_size, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${REPORT_COLS}`,
      [tenantId, scanId, scopeRow.scope, input.scope.id, key.keyId, predicate.verdict, JSON.stringify(predicate.summary.findings_open), JSON.stringify(env), objectKey, pdfSha, bundleSha, cp.treeSize, at],
    );
    // Findings this scan opened or resolved go to subscribed SIEMs with the report.
    await emitFindingEvents(q, tenantId, scanId, input.scope.id, input.findings, at);
    await recordAudit(q, tenantId, { type: 'system', id: 'probe-report' }, {
      action: 'probe.report.generated',
      outcome: 'success',
      target: { type: 'probe_scan', id: scanId },
      details: { verdict: predicate.verdict, pdf_sha256: pdfSha, bundle_sha256: bundleSha, key_id: key.keyId, checkpoint_size: cp.treeSize, audit_entries: input.audit.entries.length },
    });
    return toStored(rows[0]!);
  });
}

/** Finished scans without a report, per tenant (for the background job). */
export async function scansWithoutReport(q: Queryable, limit = 20): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT s.id FROM probe_scans s WHERE s.state IN ('finished', 'failed') AND NOT EXISTS (SELECT 1 FROM probe_reports r WHERE r.tenant_id = s.tenant_id AND r.scan_id = s.id) ORDER BY s.updated_at LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.id);
}

/**
 * The report PDF of a scan, from the vault (or, for reports made before PDFs moved there, from
 * its row), checked against the SHA-256 the signed statement names.
 * @throws ProblemError 404 report_not_found; 500 report_pdf_integrity when the bytes differ
 *   from the signed digest; VaultError / DecryptError when the object cannot be read or opened
 */
export async function readReportPdf(q: Queryable, vault: WormVault, keys: KeyProvider, tenantId: string, scanId: string): Promise<Buffer> {
  const r = (await q.query<{ pdf: Buffer | null; pdf_object_key: string | null; pdf_sha256: string }>(`SELECT pdf, pdf_object_key, pdf_sha256 FROM probe_reports WHERE scan_id = $1`, [scanId])).rows[0];
  if (!r) throw new ProblemError(404, 'report_not_found', 'No report for this scan.');
  const pdf = r.pdf_object_key ? await openVaultObject(q, vault, keys, tenantId, tenantKey(tenantId, r.pdf_object_key)) : Buffer.from(r.pdf!);
  if (createHash('sha256').update(pdf).digest('hex') !== r.pdf_sha256) throw new ProblemError(500, 'report_pdf_integrity', 'The stored report PDF does not match the SHA-256 in its signed statement.');
  return pdf;
}

/** What one `moveReportPdfsToVault` pass did for a tenant. */
export interface PdfMoveReport {
  /** Reports whose PDF now lives in the vault (row bytes cleared). */
  moved: number;
  /** Reports left as they were, with the reason in one sentence (tampered bytes, bad signature, vault read-back mismatch, vault error). */
  failed: Array<{ scanId: string; reason: string }>;
}

/**
 * Moves the PDFs of a tenant's reports made before PDFs went to the WORM vault (migration
 * 0461) out of their rows: for each row still holding bytes, one transaction that
 *  1. locks the row (`FOR UPDATE SKIP LOCKED`: two servers never move the same report);
 *  2. checks the bytes against the signed report: the DSSE envelope verifies with the
 *     tenant's report key of that `key_id` and its statement's PDF subject digest, and the
 *     row's `pdf_sha256`, equal the SHA-256 of the bytes (`verifyReport`, all steps);
 *  3. writes them sealed to `probe/reports/<scan>/<sha256>.pdf`, retained until the report's
 *     creation + the tenant's evidence retention (not before now); an object already there
 *     (a pass that crashed before its commit) is kept;
 *  4. reads the object back, opens it and compares its SHA-256 again;
 *  5. only then clears `pdf`, sets `pdf_object_key` and records `probe.report_pdf.moved`.
 * A report failing 2-4 keeps its bytes and is listed in `failed` (retried by the next pass).
 * Idempotent (moved rows no longer match) and resumable (per-row commits).
 * @param o.batch rows at most in this pass (default 100)
 */
export async function moveReportPdfsToVault(db: Database, keys: KeyProvider, vault: WormVault, tenantId: string, o: { batch?: number; now?: () => Date } = {}): Promise<PdfMoveReport> {
  const out: PdfMoveReport = { moved: 0, failed: [] };
  const skip: string[] = [];
  const now = o.now ?? (() => new Date());
  for (let i = 0; i < (o.batch ?? 100); i++) {
    const went = await db.tx({ tenantId, actor: 'system:probe-report' }, async (q) => {
      const r = (await q.query<{ scan_id: string; pdf: Buffer; pdf_sha256: string; envelope: unknown; key_id: string; created_at: Date }>(
        `SELECT scan_id::text AS scan_id, pdf, pdf_sha256, envelope, key_id, created_at FROM probe_reports
          WHERE pdf IS NOT NULL AND NOT (scan_id::text = ANY($1::text[])) ORDER BY scan_id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [skip],
      )).rows[0];
      if (!r) return 'done' as const;
      const fail = (reason: string) => {
        skip.push(r.scan_id);
        out.failed.push({ scanId: r.scan_id, reason });
        return 'failed' as const;
      };
      const pdf = Buffer.from(r.pdf);
      const sha = createHash('sha256').update(pdf).digest('hex');
      if (sha !== r.pdf_sha256) return fail("The stored PDF does not match the row's SHA-256.");
      const key = (await q.query<{ public_key_pem: string }>(`SELECT public_key_pem FROM probe_report_keys WHERE key_id = $1`, [r.key_id])).rows[0];
      if (!key) return fail(`The report key ${r.key_id} is missing.`);
      try {
        verifyReport(r.envelope, { publicKeyPem: key.public_key_pem, pdf });
      } catch (e) {
        return fail(`The signed report does not vouch for the stored PDF: ${(e as Error).message}`);
      }
      const objectKey = `probe/reports/${r.scan_id}/${sha}.pdf`;
      const retainUntil = new Date(Math.max(new Date(r.created_at).getTime() + (await evidenceRetention(q, tenantId)) * 86_400_000, now().getTime()));
      try {
        try {
          await putSealed(vault, keys, tenantId, objectKey, pdf, retainUntil);
        } catch (e) {
          if (!(e instanceof VaultError && e.code === 'exists')) throw e;
        }
        const back = await openVaultObject(q, vault, keys, tenantId, tenantKey(tenantId, objectKey));
        if (createHash('sha256').update(back).digest('hex') !== sha) return fail('The vault object read back differs from the signed PDF.');
      } catch (e) {
        return fail(`The vault write or read-back failed: ${(e as Error).message}`);
      }
      await q.query(`UPDATE probe_reports SET pdf = NULL, pdf_object_key = $2 WHERE scan_id = $1`, [r.scan_id, objectKey]);
      await recordAudit(q, tenantId, { type: 'system', id: 'probe-report' }, {
        action: 'probe.report_pdf.moved',
        outcome: 'success',
        target: { type: 'probe_scan', id: r.scan_id },
        details: { pdf_sha256: sha, object_key: objectKey, bytes: pdf.length },
      });
      out.moved++;
      return 'moved' as const;
    });
    if (went === 'done') break;
  }
  return out;
}
