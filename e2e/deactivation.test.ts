/**
 * CORE-SCIM: a person deactivated in the IdP loses sessions, devices and access at once.
 * The IdP is the SCIM client; the device is the real device client over pinned TLS.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, loginAs, createUser, type TestServer } from '@parapet/server/testing';
import { createSession, SESSION_COOKIE } from '@parapet/server/auth/sessions';
import { issueScimToken } from '@parapet/server/scim/tokens';
import { DeviceClient, DeviceRequestError, openKeyStore } from '@parapet/device-client';

let s: TestServer;
let dir: string;
before(async () => {
  s = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'parapet-deact-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

test('SCIM deactivation ends the sessions and revokes the devices of that person only, in one transaction', async () => {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const leaver = await createUser(s.db, admin.tenantId, { roles: ['employee'] });
  const stayer = await createUser(s.db, admin.tenantId, { roles: ['employee'] });

  const enrollFor = async (owner: string | undefined, name: string) => {
    const t = await admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent', ...(owner ? { owner_user_id: owner } : {}) });
    assert.equal(t.status, 201, t.text);
    const store = await openKeyStore({ service: 'parapet-test', account: name, filePath: join(dir, name, 'device.key'), prefer: 'file' });
    return DeviceClient.enroll({ server: s.url, token: t.json.token, kind: 'agent', name, store, statePath: join(dir, name, 'state.json'), ca: s.ca, version: '1', platform: 'linux' });
  };
  const leaversLaptop = await enrollFor(leaver.userId, 'leaver-laptop');
  const stayersLaptop = await enrollFor(stayer.userId, 'stayer-laptop');
  const fleetWorker = await enrollFor(undefined, 'fleet-worker');
  for (const d of [leaversLaptop, stayersLaptop, fleetWorker]) assert.equal((await d.heartbeat()).status, 'active');

  const sess = await s.db.tx({ tenantId: admin.tenantId }, (q) => createSession(q, { tenantId: admin.tenantId, userId: leaver.userId }));
  const browser = s.client();
  browser.cookies.set(SESSION_COOKIE, sess.cookie);
  assert.equal((await browser.get('/api/v1/auth/session')).status, 200);

  const { token } = await s.db.tx({ tenantId: admin.tenantId }, (q) => issueScimToken(q, admin.tenantId, 'idp', admin.userId));
  const idp = s.client();
  idp.headers.authorization = `Bearer ${token}`;
  const off = await idp.request('PATCH', `/scim/v2/Users/${leaver.userId}`, {
    json: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] },
    headers: { 'content-type': 'application/scim+json' },
  });
  assert.equal(off.status, 200, off.text);

  assert.equal((await browser.get('/api/v1/auth/session')).status, 401, 'session ended');
  await assert.rejects(leaversLaptop.heartbeat(), (e: unknown) => e instanceof DeviceRequestError && e.code === 'device_revoked');
  assert.equal((await stayersLaptop.heartbeat()).status, 'active', "another person's device is untouched");
  assert.equal((await fleetWorker.heartbeat()).status, 'active', 'fleet devices without an owner are untouched');

  const entry = await s.db.tx({ tenantId: admin.tenantId }, (q) =>
    q.query<{ details: { hooks?: { devices?: { revoked_devices: string[] } } } }>(`SELECT details FROM audit_log WHERE action = 'scim.user.deactivated' ORDER BY seq DESC LIMIT 1`),
  );
  assert.equal(JSON.stringify(entry.rows[0]?.details).includes(leaversLaptop.state.deviceId), true, 'the audit entry names the revoked device');
});

test('a device owner must be an active user of the same organisation', async () => {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const other = await loginAs(s, { roles: ['employee'] });
  const r = await admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent', owner_user_id: other.userId });
  assert.equal(r.status, 400);
  assert.equal(r.json.code, 'owner_not_found');
});
