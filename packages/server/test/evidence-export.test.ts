import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { FileKeyProvider } from '../src/crypto/keyfile.js';
import { dataPaths } from '../src/datadir.js';
import { dataDirVault } from '../src/platform/vault.js';
import { putSealed } from '../src/vault/sealed.js';
import { signToken, verifyToken } from '../src/probe/evidence-export.js';
import { finishedScan } from './probe-finished-scan.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const auditCount = (tenantId: string, action: string) => s.asAdmin(async (a) => (await a.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = $2`, [tenantId, action])).rows[0]!.n);

test('signed URL tokens: a changed byte, another key or an expired one is refused', () => {
  const k = Buffer.alloc(32, 1);
  const c = { v: 1 as const, tenant: 't', export: 'x', key: 'a', exp: Date.now() + 1000 };
  const tok = signToken(k, c);
  assert.deepEqual(verifyToken(k, tok, new Date()), c);
  assert.throws(() => verifyToken(Buffer.alloc(32, 2), tok, new Date()), { code: 'evidence_url_invalid' });
  const forged = Buffer.from(JSON.stringify({ ...c, tenant: 'other' })).toString('base64url') + '.' + tok.split('.')[1];
  assert.throws(() => verifyToken(k, forged, new Date()), { code: 'evidence_url_invalid' });
  assert.throws(() => verifyToken(k, tok, new Date(Date.now() + 2000)), { code: 'evidence_url_expired' });
  assert.throws(() => verifyToken(k, 'nonsense', new Date()), { code: 'evidence_url_invalid' });
});

test('non-production: step-up, then 5-minute URLs; the object and bundle download and match their hashes; issue and use audited', async () => {
  const { tenantId, scanId } = await finishedScan(s);
  const keys = await FileKeyProvider.open(dataPaths(s.dataDir).keyFile);
  const vault = dataDirVault(s.dataDir);
  const objs = await s.asAdmin(async (a) => (await a.query<{ object_key: string }>(`SELECT object_key FROM probe_evidence WHERE tenant_id = $1 AND scan_id = $2`, [tenantId, scanId])).rows);
  // The helper wrote rows; put matching sealed objects in the vault as the worker would.
  for (const o of objs) {
    const [addr, port] = o.object_key.split('/').pop()!.replace('.json', '').split('-');
    await putSealed(vault, keys, tenantId, o.object_key, Buffer.from(JSON.stringify({ addr, port: Number(port), outcome: 'open' })), new Date(Date.now() + 86400_000));
  }
  const stale = await loginAs(s, { roles: ['security_lead'], tenantId });
  assert.equal((await stale.client.post(`/api/v1/probe/scans/${scanId}/evidence-exports`, {})).json.code, 'step_up_required');
  const op = await loginAs(s, { roles: ['operator'], tenantId, mfaFresh: true });
  assert.equal((await op.client.post(`/api/v1/probe/scans/${scanId}/evidence-exports`, {})).status, 403);
  const aud = await loginAs(s, { roles: ['auditor'], tenantId, mfaFresh: true });
  const x = await aud.client.post(`/api/v1/probe/scans/${scanId}/evidence-exports`, { reason: 'SOC 2 sample' });
  assert.equal(x.status, 201, x.text);
  assert.equal(x.json.state, 'approved');
  const urls = await aud.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/urls`, {});
  assert.equal(urls.status, 200, urls.text);
  assert.ok(Date.parse(urls.json.expires_at) - Date.now() <= 5 * 60_000 + 1000);
  const anon = s.client();
  for (const o of urls.json.objects) {
    const r = await anon.get(o.url);
    assert.equal(r.status, 200, r.text);
    assert.equal(createHash('sha256').update(r.text).digest('hex'), o.sha256);
  }
  const b = await anon.get(urls.json.bundle.url);
  assert.equal(JSON.parse(b.text).objects.length, objs.length);
  // One changed character in the token.
  const bad = urls.json.bundle.url.replace(/t=(.)/, (_m: string, ch: string) => `t=${ch === 'A' ? 'B' : 'A'}`);
  assert.equal((await anon.get(bad)).json.code, 'evidence_url_invalid');
  assert.equal(await auditCount(tenantId, 'probe.evidence_url.issued'), 1);
  assert.equal(await auditCount(tenantId, 'probe.evidence.downloaded'), objs.length + 1);
  // Another tenant's signed-in user gains nothing: the token alone decides, and names this tenant.
  const other = await loginAs(s, { roles: ['auditor'], mfaFresh: true });
  assert.equal((await other.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/urls`, {})).json.code, 'export_not_found');
});

test('production scope: URLs only after two other approvers with fresh MFA', async () => {
  const { tenantId, scanId } = await finishedScan(s, { scopeId: 'prod' });
  // The helper's scope is non-production; mark it production for this test (admin session).
  await s.asAdmin((a) => a.query(`UPDATE probe_scopes SET environment = 'production' WHERE tenant_id = $1 AND scope_id = 'prod'`, [tenantId]));
  const req = await loginAs(s, { roles: ['security_lead'], tenantId, mfaFresh: true });
  const x = await req.client.post(`/api/v1/probe/scans/${scanId}/evidence-exports`, {});
  assert.equal(x.json.state, 'requested');
  assert.equal(x.json.approvals_required, 2);
  assert.equal((await req.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/urls`, {})).json.code, 'export_not_approved');
  assert.equal((await req.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/approve`, {})).json.code, 'approver_is_requester');
  const a1 = await loginAs(s, { roles: ['admin'], tenantId, mfaFresh: true });
  const staleApprover = await loginAs(s, { roles: ['admin'], tenantId, mfaFresh: false });
  assert.equal((await staleApprover.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/approve`, {})).json.code, 'step_up_required');
  assert.equal((await a1.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/approve`, {})).json.approvals, 1);
  assert.equal((await a1.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/approve`, {})).json.code, 'already_decided');
  assert.equal((await req.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/urls`, {})).json.code, 'export_not_approved');
  const a2 = await loginAs(s, { roles: ['security_lead'], tenantId, mfaFresh: true });
  assert.equal((await a2.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/approve`, {})).json.state, 'approved');
  const urls = await req.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/urls`, {});
  assert.equal(urls.status, 200, urls.text);
  assert.equal((await a1.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/urls`, {})).json.code, 'not_export_requester');
  const mfa = await s.asAdmin(async (a) => (await a.query<{ n: number }>(`SELECT count(*)::int AS n FROM probe_evidence_export_approvals WHERE tenant_id = $1 AND mfa_verified_at IS NOT NULL`, [tenantId])).rows[0]!.n);
  assert.equal(mfa, 2);
});
