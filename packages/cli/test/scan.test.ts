import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJsonBytes, dsse, exampleScope, SCOPE_PAYLOAD_TYPE } from '@parapet/core';
import { startTestServer, loginAs, type TestServer } from '@parapet/server/testing';
import { runCli as run } from './run-cli.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('parapet scan request / approve / list through the API with a session', async () => {
  const lead = await loginAs(s, { roles: ['security_lead'], mfaFresh: true });
  const t = lead.tenantId;
  const key = dsse.generateEd25519();
  assert.equal((await lead.client.post('/api/v1/probe/keys', { name: 'k', public_key_pem: key.publicKeyPem })).status, 201);
  const doc = exampleScope({
    tenant: t, id: 'web',
    time_windows: { time_zone: 'UTC', allowed: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' }], blackouts: [] },
    valid_from: new Date(Date.now() - 86400_000).toISOString(), valid_until: new Date(Date.now() + 86400_000).toISOString(),
  });
  assert.equal((await lead.client.post('/api/v1/probe/scopes', { envelope: dsse.signEnvelope(SCOPE_PAYLOAD_TYPE, canonicalJsonBytes(doc), key.privateKeyPem) })).status, 201);
  const op = await loginAs(s, { roles: ['operator'], tenantId: t });
  const a = await loginAs(s, { roles: ['security_lead'], tenantId: t, mfaFresh: true });
  const b = await loginAs(s, { roles: ['admin'], tenantId: t, mfaFresh: false });
  const env = (who: typeof op) => ({ PARAPET_DATA_DIR: s.dataDir, PARAPET_SESSION: who.client.cookies.get('__Host-parapet_session')! });

  const out = await run(['scan', 'request', '--scope', 'web', '--version', '1', '--target', '10.0.1.1', '--port', '443', '--probe', 'tls', '--rate', '10'], env(op));
  assert.equal(out.code, 1);
  assert.match(out.err, /10\.0\.1\.1 is not inside any include CIDR.*\(target_outside_scope\)/);

  const r = await run(['scan', 'request', '--scope', 'web', '--version', '1', '--target', '10.0.0.1', '--target', '10.0.0.2', '--port', '443', '--probe', 'tls', '--rate', '10', '--json'], env(op));
  assert.equal(r.code, 0, r.err);
  const scan = JSON.parse(r.out);
  assert.equal(scan.state, 'requested');

  const first = await run(['scan', 'approve', scan.id], env(a));
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /requested .* approvals 1\/2/);
  const stale = await run(['scan', 'approve', scan.id], env(b));
  assert.equal(stale.code, 1);
  assert.match(stale.err, /step_up_required/);
  await s.asAdmin((x) => x.query(`UPDATE sessions SET mfa_verified_at = now() WHERE tenant_id = $1 AND id = $2`, [t, b.sessionId]));
  const second = await run(['scan', 'approve', scan.id, '--json'], env(b));
  assert.equal(second.code, 0, second.err);
  assert.equal(JSON.parse(second.out).state, 'queued');

  const list = await run(['scan', 'list', '--state', 'queued'], env(op));
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, new RegExp(`${scan.id}\\s+queued`));
  // A rejection is listed as such, not counted as an approval.
  const r2 = await run(['scan', 'request', '--scope', 'web', '--version', '1', '--target', '10.0.0.3', '--port', '443', '--probe', 'tls', '--rate', '10', '--json'], env(op));
  assert.equal(r2.code, 0, r2.err);
  const rejected = await run(['scan', 'reject', JSON.parse(r2.out).id, '--comment', 'not ours'], env(a));
  assert.equal(rejected.code, 0, rejected.err);
  assert.match(rejected.out, /rejected .* approvals 0\/2  rejected by \S+  targets 10\.0\.0\.3/);
  const noSession = await run(['scan', 'list'], { PARAPET_DATA_DIR: s.dataDir, PARAPET_SESSION: '' });
  assert.equal(noSession.code, 1);
});
