import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { verifyReport, ReportVerifyError } from '@parapet/core';
import { startTestServer, loginAs, type TestServer, type TestClient } from '../src/testing.js';
import { finishedScan } from './probe-finished-scan.js';

let s: TestServer;
/** GET with the client's session, the body as bytes. */
function bytes(c: TestClient, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(c.base + path, { ca: c.ca, servername: 'localhost', headers: { ...c.headers, cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('a finished scan gets a signed report: JSON verifies with the published key, the PDF matches, every audit entry of the scan is proven', async () => {
  const { tenantId, scanId, op } = await finishedScan(s);
  const meta = await op.client.get(`/api/v1/probe/scans/${scanId}/report`);
  assert.equal(meta.status, 200, meta.text);
  assert.equal(meta.json.verdict, 'fail');
  assert.equal(meta.json.findings_open.high, 1);
  const key = await op.client.get('/api/v1/probe/report-key');
  assert.equal(key.json.key_id, meta.json.key_id);
  const json = await op.client.get(`/api/v1/probe/scans/${scanId}/report.json`);
  assert.equal(json.status, 200);
  assert.match(String(json.headers['content-disposition']), /attachment; filename="report-/);
  const pdf = await op.client.request('GET', `/api/v1/probe/scans/${scanId}/report.pdf`);
  assert.equal(pdf.headers['content-type'], 'application/pdf');
  // The test client decodes text; the stored bytes are compared by digest below.
  assert.ok(pdf.text.startsWith('%PDF-'));

  const r = verifyReport(json.json, { publicKeyPem: key.json.public_key_pem });
  const p = r.statement.predicate;
  assert.equal(p.tenant.id, tenantId);
  assert.equal(p.scan.id, scanId);
  assert.equal(p.summary.probes, 4);
  assert.equal(p.evidence.length, 3);
  assert.equal(p.worker.name, 'probe-worker-lab-1');
  assert.equal(p.worker.safety_profile_version, 'safe-v1');
  assert.equal(p.findings[0]!.trend, 'new');
  const actions = p.audit.entries.map((e) => JSON.parse(Buffer.from(e.leaf, 'base64').toString()).action);
  assert.deepEqual(actions, ['probe.scan.requested', 'probe.scan.approved', 'probe.scan.queued', 'probe.scan.leased', 'probe.scan.started', 'probe.scan.finished']);
  assert.equal(r.statement.subject[0]!.digest.sha256, meta.json.pdf_sha256);

  // The audit log key in the report is the one the audit API publishes.
  const admin = await loginAs(s, { roles: ['admin'], tenantId });
  const logKey = (await admin.client.get('/api/v1/audit/key')).json.verifier_key;
  assert.equal(verifyReport(json.json, { logKey }).entries, 6);
  // Downloads are audited.
  const n = await s.asAdmin(async (a) => (await a.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = 'probe.report.downloaded'`, [tenantId])).rows[0]!.n);
  assert.equal(n, 2);
  // The PDF is kept in the WORM vault, sealed for the tenant (no plaintext PDF on disk, none in
  // the row); the downloaded bytes are what the statement names.
  const row = await s.asAdmin(async (a) => (await a.query<{ pdf: Buffer | null; pdf_object_key: string }>(`SELECT pdf, pdf_object_key FROM probe_reports WHERE tenant_id = $1 AND scan_id = $2`, [tenantId, scanId])).rows[0]!);
  assert.equal(row.pdf, null);
  assert.equal(row.pdf_object_key, `probe/reports/${scanId}/${meta.json.pdf_sha256}.pdf`);
  const onDisk = await readFile(join(s.dataDir, 'vault', 'tenants', tenantId, row.pdf_object_key));
  assert.ok(!onDisk.includes(Buffer.from('%PDF-')), 'the vault holds ciphertext');
  const stored = (await bytes(op.client, `/api/v1/probe/scans/${scanId}/report.pdf`)).body;
  assert.equal(createHash('sha256').update(stored).digest('hex'), meta.json.pdf_sha256);
  assert.ok(verifyReport(json.json, { pdf: stored }).pdfChecked);
  assert.throws(() => verifyReport(json.json, { pdf: Buffer.concat([stored, Buffer.from(' ')]) }), ReportVerifyError);
  // A row whose digest no longer matches the vault object is refused, not served.
  await s.asAdmin((a) => a.query(`UPDATE probe_reports SET pdf_sha256 = $3 WHERE tenant_id = $1 AND scan_id = $2`, [tenantId, scanId, 'f'.repeat(64)]));
  const bad = await op.client.request('GET', `/api/v1/probe/scans/${scanId}/report.pdf`);
  assert.equal(bad.status, 500);
  assert.equal(bad.json.code, 'report_pdf_integrity');
});

test('reports: one per scan (idempotent), listed per scope; unfinished scans, other tenants and employees are refused', async () => {
  const a = await finishedScan(s, { scopeId: 'dmz' });
  const first = await a.op.client.get(`/api/v1/probe/scans/${a.scanId}/report`);
  const again = await a.op.client.get(`/api/v1/probe/scans/${a.scanId}/report`);
  assert.deepEqual(again.json, first.json);
  const list = await a.op.client.get('/api/v1/probe/reports?scope_id=dmz');
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.map((x: { scan_id: string }) => x.scan_id), [a.scanId]);
  assert.deepEqual((await a.op.client.get('/api/v1/probe/reports?scope_id=none')).json, []);

  const other = await loginAs(s, { roles: ['operator'] });
  assert.equal((await other.client.get(`/api/v1/probe/scans/${a.scanId}/report`)).json.code, 'scan_not_found');
  const emp = await loginAs(s, { roles: ['employee'], tenantId: a.tenantId });
  assert.equal((await emp.client.get(`/api/v1/probe/scans/${a.scanId}/report`)).status, 403);

  const q = await a.op.client.post('/api/v1/probe/scans', { scope_id: 'dmz', version: 1, targets: ['10.0.0.12'], ports: [443], probe_types: ['tcp_connect'], rate_pps: 10 });
  assert.equal(q.json.state, 'queued', q.text);
  const nf = await a.op.client.get(`/api/v1/probe/scans/${q.json.id}/report`);
  assert.equal(nf.status, 409);
  assert.equal(nf.json.code, 'scan_not_finished');
  const count = await s.asAdmin(async (x) => (await x.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = 'probe.report.generated'`, [a.tenantId])).rows[0]!.n);
  assert.equal(count, 1);
});

test('per-host observations are summarised from the worker’s TLS, HTTP and banner shapes', async () => {
  const { summarise } = await import('../src/probe/report.js');
  assert.equal(summarise('ok', '', { tls: { versions: { TLSv1: true, 'TLSv1.1': true, 'TLSv1.2': true, 'TLSv1.3': false }, cert: { not_after: '2021-01-01T00:00:00.000Z', self_signed: true } } }), 'TLS 1.0, TLS 1.1, TLS 1.2 accepted; certificate until 2021-01-01, self-signed');
  assert.equal(summarise('ok', '', { http: { status: 200, headers: { server: 'nginx' } } }), 'HTTP 200, server: nginx');
  assert.equal(summarise('ok', '', { banner: { banner: 'SSH-2.0-OpenSSH_7.4\\r\\n' } }), 'banner: SSH-2.0-OpenSSH_7.4');
  assert.equal(summarise('open', '', {}), 'connected');
  assert.equal(summarise('closed', 'econnrefused', {}), 'econnrefused');
});
