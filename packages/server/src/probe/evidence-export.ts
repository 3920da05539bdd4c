/**
 * Evidence export (CORE-VAULT downloads): a scan's evidence objects and its evidence bundle
 * leave through signed URLs valid for 5 minutes. On the filesystem vault the URL is this
 * server's `/api/v1/probe/evidence/download?t=TOKEN`, where TOKEN is
 * base64url(JSON {v, tenant, export, key, exp}) "." base64url(HMAC-SHA256(url key, payload)),
 * the URL key being 32 random bytes in the data directory (0600). The token names one tenant
 * and one object; issuing and every use are audited.
 *
 * On the S3 vault (PARAPET_VAULT=s3) the URLs are presigned S3 GETs (SigV4, 5 minutes) of
 * export copies: evidence is sealed in the vault with a key the downloader does not hold, so
 * issuing writes each object, opened, and the bundle under
 * `tenants/<tenant>/exports/<export id>/...` (Object Lock until the URLs expire, SSE as the
 * bucket's), and signs GETs of those. Issuing is audited here; use is in S3's access logs
 * (server access logging or CloudTrail data events), which the bucket must have enabled.
 *
 * Who: requesting needs step-up MFA (security lead, admin or auditor). For a production scope
 * the request also needs two approvals by two other leads or admins, each with MFA verified
 * within the step-up window, before URLs are issued, as for the scan itself.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { evidenceBundle } from '@parapet/core';
import type { AppDeps } from '../deps.js';
import { defineActions } from '../platform/pdp.js';
import { type UserPrincipal, actorOf } from '../platform/principal.js';
import { type AuditEventName, recordAudit } from '../platform/audit.js';
import { ProblemError } from '../http/problem.js';
import { dataDirVault } from '../platform/vault.js';
import { openVaultObject } from '../platform/sealed.js';
import { tenantKey } from '../vault/sealed.js';
import { VaultError } from '../vault/vault.js';
import type { Queryable } from '@parapet/db';
import { guard } from '../platform/guard.js';
import type { ApiTypeProvider } from '../http/type-provider.js';

defineActions({
  'probe.evidence.export': { roles: ['security_lead', 'admin', 'auditor'], stepUp: true },
  'probe.evidence.export_approve': { roles: ['security_lead', 'admin'], stepUp: true },
});

/** Signed URL lifetime, ms. */
export const URL_TTL_MS = 5 * 60_000;
/** An export request must be approved and used within this, ms. */
export const EXPORT_TTL_MS = 24 * 3600_000;
export const BUNDLE_KEY = 'evidence-bundle.json';

export interface UrlClaims {
  v: 1;
  tenant: string;
  export: string;
  key: string;
  /** expiry, Unix ms */
  exp: number;
}

/** Signs claims into a URL token. */
export function signToken(secret: Buffer, c: UrlClaims): string {
  const payload = Buffer.from(JSON.stringify(c)).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

/**
 * Checks a token's MAC and expiry. @throws ProblemError 403 `evidence_url_invalid` (malformed
 * or wrong MAC) or `evidence_url_expired`.
 */
export function verifyToken(secret: Buffer, token: string, now: Date): UrlClaims {
  const [payload, mac, extra] = token.split('.');
  const bad = () => new ProblemError(403, 'evidence_url_invalid', 'The download link is not valid.');
  if (!payload || !mac || extra !== undefined) throw bad();
  const want = createHmac('sha256', secret).update(payload).digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw bad();
  let c: UrlClaims;
  try {
    c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as UrlClaims;
  } catch {
    throw bad();
  }
  if (c.v !== 1 || typeof c.exp !== 'number') throw bad();
  if (now.getTime() > c.exp) throw new ProblemError(403, 'evidence_url_expired', 'The download link has expired (links are valid for 5 minutes); request a new one.');
  return c;
}

async function urlKey(dataDir: string): Promise<Buffer> {
  const path = join(dataDir, 'keys', 'evidence-url.key');
  try {
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
}

type ExportRow = { id: string; scan_id: string; requested_by: string; state: 'requested' | 'approved'; approvals_required: number; created_at: Date; expires_at: Date; approvals: number };
const view = (r: ExportRow) => ({ id: r.id, scan_id: r.scan_id, requested_by: r.requested_by, state: r.state, approvals_required: r.approvals_required, approvals: Number(r.approvals), created_at: new Date(r.created_at).toISOString(), expires_at: new Date(r.expires_at).toISOString() });
/** An evidence export request: view(). */
const exportView = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'scan_id', 'requested_by', 'state', 'approvals_required', 'approvals', 'created_at', 'expires_at'],
  properties: {
    id: { type: 'string' }, scan_id: { type: 'string' }, requested_by: { type: 'string' }, state: { type: 'string', enum: ['requested', 'approved'] },
    approvals_required: { type: 'integer' }, approvals: { type: 'integer' }, created_at: { type: 'string' }, expires_at: { type: 'string' },
  },
} as const;
/** Download links of an approved export, valid until expires_at. */
const exportUrls = {
  type: 'object',
  additionalProperties: false,
  required: ['expires_at', 'bundle', 'objects'],
  properties: {
    expires_at: { type: 'string' },
    bundle: { type: 'object', additionalProperties: false, required: ['key', 'url'], properties: { key: { type: 'string' }, url: { type: 'string' } } },
    objects: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['key', 'sha256', 'size', 'url'], properties: { key: { type: 'string' }, sha256: { type: 'string' }, size: { type: 'integer' }, url: { type: 'string' } } } },
  },
} as const;
const problems = { '4xx': { $ref: 'Problem#' } } as const;
const EXPORT_SQL = `SELECT x.id, x.scan_id, x.requested_by, x.state, x.approvals_required, x.created_at, x.expires_at,
  (SELECT count(*) FROM probe_evidence_export_approvals a WHERE a.tenant_id = x.tenant_id AND a.export_id = x.id) AS approvals
  FROM probe_evidence_exports x WHERE x.id = $1`;

/** The scan's evidence bundle (the manifest the report's statement names by SHA-256). */
async function bundleOf(q: Queryable, scanId: string): Promise<Buffer> {
  const ev = await q.query<{ object_key: string; sha256: string; size_bytes: number; media_type: string }>(`SELECT object_key, sha256, size_bytes, media_type FROM probe_evidence WHERE scan_id = $1`, [scanId]);
  return evidenceBundle(scanId, ev.rows.map((e) => ({ key: e.object_key, sha256: e.sha256, size: e.size_bytes, media_type: e.media_type })));
}

export async function evidenceExportRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  const vault = deps.vault ?? dataDirVault(deps.dataDir, deps.now);
  const secret = await urlKey(deps.dataDir);
  const ctx = (p: UserPrincipal) => ({ tenantId: p.tenantId, actor: `user:${p.userId}` });

  app.post('/api/v1/probe/scans/:id/evidence-exports', {
    schema: {
      tags: ['probe'],
      summary: "Request an export of a scan's evidence (step-up). Production scopes then need two approvals; others are approved at once.",
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
      body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 500 } } },
      response: { 201: exportView, ...problems },
    } as const,
  }, async (req, reply) => {
    const { principal: p } = await guard(req, 'probe.evidence.export', { type: 'probe_evidence' }, { denialEvent: 'probe.evidence_export.requested', denialTarget: { type: 'probe_scan', id: req.params.id } });
    const r = await deps.db.tx(ctx(p), async (q) => {
      const scan = (await q.query<{ environment: string }>(`SELECT sc.environment FROM probe_scans s JOIN probe_scopes sc ON sc.tenant_id = s.tenant_id AND sc.id = s.scope WHERE s.id = $1`, [req.params.id])).rows[0];
      if (!scan) throw new ProblemError(404, 'scan_not_found', 'No such scan.');
      const required = scan.environment === 'production' ? 2 : 0;
      const now = deps.now();
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO probe_evidence_exports (tenant_id, scan_id, requested_by, state, approvals_required, reason, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [p.tenantId, req.params.id, p.userId, required === 0 ? 'approved' : 'requested', required, req.body.reason ?? '', now, new Date(now.getTime() + EXPORT_TTL_MS)],
      );
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'probe.evidence_export.requested', outcome: 'success', target: { type: 'probe_scan', id: req.params.id }, details: { export_id: rows[0]!.id, approvals_required: required, reason: req.body.reason ?? '', mfa_verified_at: p.mfaVerifiedAt?.toISOString() ?? null } });
      return view((await q.query<ExportRow>(EXPORT_SQL, [rows[0]!.id])).rows[0]!);
    });
    reply.code(201);
    return r;
  });

  app.post('/api/v1/probe/evidence-exports/:id/approve', {
    schema: { tags: ['probe'], summary: 'Approve an evidence export of a production scope (lead or admin, not the requester, step-up MFA).', params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } }, body: { type: 'object', additionalProperties: false, properties: {} }, response: { 200: exportView, ...problems } } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'probe.evidence.export_approve', { type: 'probe_evidence' }, { denialEvent: 'probe.evidence_export.approved', denialTarget: { type: 'probe_scan', id: req.params.id } });
    return deps.db.tx(ctx(p), async (q) => {
      const x = (await q.query<ExportRow>(`${EXPORT_SQL} FOR UPDATE OF x`, [req.params.id])).rows[0];
      if (!x) throw new ProblemError(404, 'export_not_found', 'No such evidence export.');
      if (x.state === 'approved') throw new ProblemError(409, 'export_already_approved', 'The export is approved already.');
      if (deps.now() > x.expires_at) throw new ProblemError(409, 'export_expired', 'The export request has expired; request it again.');
      if (x.requested_by === p.userId) throw new ProblemError(403, 'approver_is_requester', 'The requester cannot approve their own export.');
      const dup = await q.query(`SELECT 1 FROM probe_evidence_export_approvals WHERE export_id = $1 AND user_id = $2`, [x.id, p.userId]);
      if (dup.rows.length) throw new ProblemError(409, 'already_decided', 'You approved this export already; a second approver is needed.');
      await q.query(`INSERT INTO probe_evidence_export_approvals (tenant_id, export_id, user_id, mfa_verified_at, created_at) VALUES ($1, $2, $3, $4, $5)`, [p.tenantId, x.id, p.userId, p.mfaVerifiedAt, deps.now()]);
      if (Number(x.approvals) + 1 >= x.approvals_required) await q.query(`UPDATE probe_evidence_exports SET state = 'approved' WHERE id = $1`, [x.id]);
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'probe.evidence_export.approved', outcome: 'success', target: { type: 'probe_scan', id: x.scan_id }, details: { export_id: x.id, mfa_verified_at: p.mfaVerifiedAt?.toISOString() ?? null } });
      return view((await q.query<ExportRow>(EXPORT_SQL, [x.id])).rows[0]!);
    });
  });

  app.post('/api/v1/probe/evidence-exports/:id/urls', {
    schema: { tags: ['probe'], summary: 'Signed download URLs (5 minutes) for the evidence bundle and every object of an approved export (the requester, step-up).', params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } }, body: { type: 'object', additionalProperties: false, properties: {} }, response: { 200: exportUrls, ...problems } } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'probe.evidence.export', { type: 'probe_evidence' }, { denialEvent: 'probe.evidence_url.issued', denialTarget: { type: 'probe_scan', id: req.params.id } });
    return deps.db.tx(ctx(p), async (q) => {
      const x = (await q.query<ExportRow>(EXPORT_SQL, [req.params.id])).rows[0];
      if (!x) throw new ProblemError(404, 'export_not_found', 'No such evidence export.');
      if (x.requested_by !== p.userId) throw new ProblemError(403, 'not_export_requester', 'Only the requester receives the download links.');
      if (x.state !== 'approved') throw new ProblemError(409, 'export_not_approved', `The export needs ${x.approvals_required} approvals and has ${x.approvals}.`);
      if (deps.now() > x.expires_at) throw new ProblemError(409, 'export_expired', 'The export request has expired; request it again.');
      // Purged transcripts (past retention) have no object left to link; the bundle still names them.
      const objs = await q.query<{ object_key: string; sha256: string; size_bytes: number }>(`SELECT object_key, sha256, size_bytes FROM probe_evidence WHERE scan_id = $1 AND purged_at IS NULL ORDER BY object_key`, [x.scan_id]);
      const now = deps.now();
      const exp = now.getTime() + URL_TTL_MS;
      let url: (key: string) => Promise<string>;
      if (vault.presignGet) {
        const presign = vault.presignGet.bind(vault);
        url = async (key) => {
          const copy = tenantKey(p.tenantId, `exports/${x.id}/${key}`);
          const data = key === BUNDLE_KEY ? await bundleOf(q, x.scan_id) : await openVaultObject(q, vault, deps.keys, p.tenantId, tenantKey(p.tenantId, key));
          try {
            await vault.put(copy, data, { retainUntil: new Date(exp) });
          } catch (e) {
            // Issued before for this export: the same bytes (evidence is write-once).
            if (!(e instanceof VaultError && e.code === 'exists')) throw e;
          }
          return presign(copy, URL_TTL_MS / 1000, now);
        };
      } else {
        url = async (key) => `/api/v1/probe/evidence/download?t=${signToken(secret, { v: 1, tenant: p.tenantId, export: x.id, key, exp })}`;
      }
      const bundle = { key: BUNDLE_KEY, url: await url(BUNDLE_KEY) };
      const objects = [];
      for (const o of objs.rows) objects.push({ key: o.object_key, sha256: o.sha256, size: o.size_bytes, url: await url(o.object_key) });
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'probe.evidence_url.issued', outcome: 'success', target: { type: 'probe_scan', id: x.scan_id }, details: { export_id: x.id, objects: objs.rows.length, expires_at: new Date(exp).toISOString(), via: vault.presignGet ? 's3_presigned' : 'server_signed' } });
      return { expires_at: new Date(exp).toISOString(), bundle, objects };
    });
  });

  // No session: the signed URL is the authorization (it names tenant, export and object), as a presigned S3 GET would.
  // On the untyped instance: the answer is the object's bytes, not a serialized value.
  parent.get<{ Querystring: { t: string } }>('/api/v1/probe/evidence/download', {
    schema: { tags: ['probe'], summary: 'Download one evidence object or the bundle by signed URL (valid 5 minutes).', querystring: { type: 'object', required: ['t'], properties: { t: { type: 'string', maxLength: 2000 } } },
      // The bundle is JSON (the evidence manifest); every other object is the stored bytes.
      response: { 200: { description: 'The object.', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } }, 'application/json': { schema: { type: 'string', format: 'binary' } } } }, ...problems } } as const,
  }, async (req, reply) => {
    const c = verifyToken(secret, req.query.t, deps.now());
    const body = await deps.db.tx({ tenantId: c.tenant, actor: 'signed-url' }, async (q) => {
      const x = (await q.query<{ scan_id: string; state: string }>(`SELECT scan_id, state FROM probe_evidence_exports WHERE id = $1`, [c.export])).rows[0];
      if (!x || x.state !== 'approved') throw new ProblemError(403, 'evidence_url_invalid', 'The download link is not valid.');
      let data: Buffer;
      if (c.key === BUNDLE_KEY) {
        data = await bundleOf(q, x.scan_id);
      } else {
        const ok = await q.query(`SELECT 1 FROM probe_evidence WHERE scan_id = $1 AND object_key = $2`, [x.scan_id, c.key]);
        if (!ok.rows.length) throw new ProblemError(404, 'evidence_not_found', 'No such evidence object in this export.');
        data = await openVaultObject(q, vault, deps.keys, c.tenant, tenantKey(c.tenant, c.key));
      }
      await recordAudit(q, c.tenant, { type: 'system', id: 'signed-url', ip: req.ip, userAgent: req.headers['user-agent'] }, { action: 'probe.evidence.downloaded', outcome: 'success', target: { type: 'probe_scan', id: x.scan_id }, details: { export_id: c.export, key: c.key, bytes: data.length } });
      return data;
    });
    reply.header('content-type', c.key === BUNDLE_KEY ? 'application/json' : 'application/octet-stream').header('cache-control', 'no-store');
    return body;
  });
}
