/**
 * `parapet posture` against a real server over pinned TLS: the table, exit 0 with warnings only,
 * exit 3 once a control is broken (an admin without MFA), --out writes an envelope that verifies
 * with plain node:crypto against the published audit log key, and a refusal is one sentence.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, loginAs, type TestServer } from '@parapet/server/testing';
import { sessionEnv, runCli as run } from './run-cli.js';

let s: TestServer;
let dir: string;
before(async () => {
  s = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'parapet-cli-posture-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

test('parapet posture prints the checks, saves the signed statement and fails when a control fails', async () => {
  const a = await loginAs(s, { roles: ['admin'] });
  await s.asAdmin((q) => q.query(`INSERT INTO mfa_totp (tenant_id, user_id, secret_sealed, confirmed_at) VALUES ($1, $2, 'sealed-placeholder', now())`, [a.tenantId, a.userId]));
  const env = sessionEnv(s, a.client);
  const out = join(dir, 'posture.dsse.json');
  const ok = await run(['posture', '--out', out], env);
  assert.equal(ok.code, 0, ok.err + ok.out);
  for (const id of ['tls.protocol', 'rls', 'db.role', 'audit.log', 'mfa.privileged', 'support.grants']) assert.match(ok.out, new RegExp(`^${id.replace('.', '\\.')}\\s+(PASS|WARN)\\s`, 'm'));
  assert.match(ok.out, /^Overall: (PASS|WARN)/m);

  const envelope = JSON.parse(await readFile(out, 'utf8'));
  const key = await a.client.get('/api/v1/audit/key');
  const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.json.public_key, 'base64').toString('base64url') }, format: 'jwk' });
  const body = Buffer.from(envelope.payload, 'base64');
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(envelope.payloadType)} ${envelope.payloadType} ${body.length} `), body]);
  assert.ok(verify(null, pae, pub, Buffer.from(envelope.signatures[0].sig, 'base64')));

  // An admin without a factor: the MFA check fails and so does the command (exit 3).
  await loginAs(s, { roles: ['admin'], tenantId: a.tenantId, email: 'bare-admin@example.test' });
  const bad = await run(['posture', '--json'], env);
  assert.equal(bad.code, 3, bad.err);
  const json = JSON.parse(bad.out);
  const mfa = json.checks.find((c: { id: string }) => c.id === 'mfa.privileged');
  assert.equal(mfa.status, 'fail');
  assert.match(mfa.detail, /bare-admin@example\.test/);
  assert.equal(json.overall, 'fail');

  // Not allowed: one plain sentence with the stable code, exit 1.
  const emp = await loginAs(s, { roles: ['employee'], tenantId: a.tenantId });
  const refused = await run(['posture'], { ...env, PARAPET_SESSION: emp.client.cookies.get('__Host-parapet_session')! });
  assert.equal(refused.code, 1);
  assert.equal(refused.err.trim().split('\n').length, 1, refused.err);
  assert.match(refused.err, /You may not posture read\. \(forbidden\)\./);
});
