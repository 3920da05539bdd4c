/**
 * CORE-POSTURE: GET /api/v1/posture re-checks the running deployment (a real TLS listener, the
 * real catalogue, the real audit log) and signs the result with the audit log key. A control
 * broken on purpose (RLS no longer forced, an admin without a factor) is caught, and the
 * envelope verifies with plain node:crypto and fails once tampered with.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { createServer as createHttpsServer } from 'node:https';
import { POSTURE_PAYLOAD_TYPE, tlsChecks } from '../src/posture/checks.js';
import { loadTls } from '../src/tls/certificate.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const IDS = ['tls.protocol', 'tls.hsts', 'tls.csp', 'rls', 'db.role', 'audit.log', 'audit.checkpoint', 'audit.witness', 'keys.kek', 'keys.audit_log', 'keys.report', 'mfa.privileged', 'support.grants'];
type Check = { id: string; title: string; status: string; detail: string };
const byId = (checks: Check[], id: string) => checks.find((c) => c.id === id)!;

/** A plain DSSE v1 check: PAE over the payload, Ed25519 over PAE, with node:crypto only. */
function paeVerify(env: { payloadType: string; payload: string; signatures: Array<{ sig: string }> }, key: KeyObject): boolean {
  const body = Buffer.from(env.payload, 'base64');
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(env.payloadType)} ${env.payloadType} ${body.length} `), body]);
  return verify(null, pae, key, Buffer.from(env.signatures[0]!.sig, 'base64'));
}

async function enrolTotp(tenantId: string, userId: string) {
  await s.asAdmin((q) => q.query(`INSERT INTO mfa_totp (tenant_id, user_id, secret_sealed, confirmed_at) VALUES ($1, $2, 'sealed-placeholder', now())`, [tenantId, userId]));
}

test('every check is present, from a real TLS handshake with the listener; the result is signed and audited', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  await enrolTotp(a.tenantId, a.userId);
  const r = await a.client.get('/api/v1/posture');
  assert.equal(r.status, 200, r.text);
  const checks = r.json.checks as Check[];
  assert.deepEqual(checks.map((c) => c.id), IDS);
  for (const c of checks) assert.ok(['pass', 'warn', 'fail'].includes(c.status) && c.title && c.detail, JSON.stringify(c));
  assert.equal(byId(checks, 'tls.protocol').status, 'pass', byId(checks, 'tls.protocol').detail);
  assert.match(byId(checks, 'tls.protocol').detail, /TLS 1\.2 handshake refused/);
  assert.equal(byId(checks, 'tls.hsts').status, 'pass');
  assert.equal(byId(checks, 'tls.csp').status, 'pass');
  assert.equal(byId(checks, 'rls').status, 'pass', byId(checks, 'rls').detail);
  assert.equal(byId(checks, 'mfa.privileged').status, 'pass', byId(checks, 'mfa.privileged').detail);
  assert.match(byId(checks, 'support.grants').detail, /No open support grants/);
  const role = byId(checks, 'db.role');
  if (s.db.engine === 'pglite') {
    assert.equal(role.status, 'warn');
    assert.match(role.detail, /not an isolation boundary/);
  } else assert.equal(role.status, 'pass', role.detail);
  assert.equal(r.json.overall, checks.some((c) => c.status === 'fail') ? 'fail' : checks.some((c) => c.status === 'warn') ? 'warn' : 'pass');

  // A third party verifies the envelope with the published log key and plain node:crypto.
  const key = await a.client.get('/api/v1/audit/key');
  assert.equal(key.status, 200, key.text);
  const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.json.public_key, 'base64').toString('base64url') }, format: 'jwk' });
  const env = r.json.envelope;
  assert.equal(env.payloadType, POSTURE_PAYLOAD_TYPE);
  assert.ok(paeVerify(env, pub));
  const statement = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  assert.equal(statement.schema, 'parapet.posture/v1');
  assert.equal(statement.tenant, a.tenantId);
  assert.deepEqual(statement.checks, checks);
  // Turning a fail into a pass (or any edit) breaks the signature; so does another payload type.
  const forged = { ...statement, overall: 'pass', checks: statement.checks.map((c: Check) => ({ ...c, status: 'pass' })) };
  assert.equal(paeVerify({ ...env, payload: Buffer.from(JSON.stringify(forged)).toString('base64') }, pub), false);
  assert.equal(paeVerify({ ...env, payloadType: 'application/vnd.in-toto+json' }, pub), false);

  // Each run is audited.
  await s.db.idle();
  const rows = await s.asAdmin(async (q) => (await q.query<{ details: { overall: string } }>(`SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'posture.checked'`, [a.tenantId])).rows);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.details.overall, r.json.overall);
});

test('a deliberately broken control is caught: RLS not forced on a tenant table, an admin without MFA', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  await enrolTotp(a.tenantId, a.userId);
  await s.asAdmin((q) => q.query(`ALTER TABLE delegations NO FORCE ROW LEVEL SECURITY`));
  try {
    const r = await a.client.get('/api/v1/posture');
    assert.equal(r.status, 200, r.text);
    const rls = byId(r.json.checks, 'rls');
    assert.equal(rls.status, 'fail');
    assert.match(rls.detail, /delegations \(RLS not forced\)/);
    assert.equal(r.json.overall, 'fail');
  } finally {
    await s.asAdmin((q) => q.query(`ALTER TABLE delegations FORCE ROW LEVEL SECURITY`));
  }
  assert.equal(byId((await a.client.get('/api/v1/posture')).json.checks, 'rls').status, 'pass');

  // A second admin with no factor fails the MFA check and is named; a security lead alone warns.
  const b = await loginAs(s, { roles: ['admin'], tenantId: a.tenantId, email: 'nofactor@example.test' });
  let mfa = byId((await a.client.get('/api/v1/posture')).json.checks, 'mfa.privileged');
  assert.equal(mfa.status, 'fail');
  assert.match(mfa.detail, /nofactor@example\.test/);
  await enrolTotp(a.tenantId, b.userId);
  await loginAs(s, { roles: ['security_lead'], tenantId: a.tenantId, email: 'lead@example.test' });
  mfa = byId((await a.client.get('/api/v1/posture')).json.checks, 'mfa.privileged');
  assert.equal(mfa.status, 'warn');
  assert.match(mfa.detail, /lead@example\.test/);
});

test('only admins, security leads and auditors may run it', async () => {
  const op = await loginAs(s, { roles: ['operator'], mfaFresh: true });
  const r = await op.client.get('/api/v1/posture');
  assert.equal(r.status, 403);
  assert.equal(typeof r.json.code, 'string');
  const aud = await loginAs(s, { roles: ['auditor'] });
  assert.equal((await aud.client.get('/api/v1/posture')).status, 200);
  assert.equal((await s.client().get('/api/v1/posture')).status, 401);
});

test('the TLS checks fail for a listener that still accepts TLS 1.2 and for responses without HSTS or CSP', async () => {
  const tls = await loadTls({ dataDir: s.dataDir });
  const weak = createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (_q, r) => r.end());
  await new Promise<void>((ok) => weak.listen(0, '127.0.0.1', ok));
  try {
    const checks = await tlsChecks(weak, { hsts: undefined, csp: "default-src *" });
    assert.equal(byId(checks, 'tls.protocol').status, 'fail');
    assert.match(byId(checks, 'tls.protocol').detail, /TLS 1\.2 handshake accepted \(TLSv1\.2\)/);
    assert.equal(byId(checks, 'tls.hsts').status, 'fail');
    assert.equal(byId(checks, 'tls.csp').status, 'warn');
  } finally {
    await new Promise((ok) => weak.close(ok));
  }
  // Not listening with TLS at all (TLS ends in a proxy in front): a warning, not a pass.
  assert.equal(byId(await tlsChecks(undefined, { hsts: 'max-age=63072000', csp: '' }), 'tls.protocol').status, 'warn');
});
