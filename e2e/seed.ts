/**
 * Gives a tenant one of everything the API can create, through the API, so cross-tenant
 * sweeps have real objects to aim at. Each domain adds its objects here as it lands.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJsonBytes, dsse, exampleScope, SCOPE_PAYLOAD_TYPE } from '@parapet/core';
import { DeviceClient, openKeyStore } from '@parapet/device-client';
import type { TestServer, TestClient } from '@parapet/server/testing';
import { addSupportStaff } from '@parapet/server/governance/support';
import { SoftKey } from '../packages/server/test/soft-authenticator.js';

const DAY = 86_400_000;

async function ok(r: Promise<{ status: number; text: string; json: any }>, what: string) { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await r;
  assert.ok(res.status < 300, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  return res.json;
}

/**
 * Returns the tenant's SCIM bearer token, an enrolled worker and a vendor support session under
 * a read-write grant of the tenant's, for sweeps of the routes that take those credentials.
 */
export async function seedTenant(s: TestServer, who: { client: TestClient; tenantId: string; userId: string }): Promise<{ scimToken: string; worker: DeviceClient; support: TestClient }> {
  const c = who.client;
  // Devices: a token, and an enrolled device.
  const token = await ok(c.post('/api/v1/devices/enrollment-tokens', { kind: 'agent' }), 'enrollment token');
  const dir = await mkdtemp(join(tmpdir(), 'parapet-seed-'));
  const store = await openKeyStore({ service: 'parapet-seed', account: who.tenantId, filePath: join(dir, 'device.key'), prefer: 'file' });
  await DeviceClient.enroll({ server: s.url, token: token.token, kind: 'agent', name: 'seed-laptop', store, statePath: join(dir, 'state.json'), ca: s.ca, version: '1', platform: 'linux' });
  await ok(c.post('/api/v1/devices/enrollment-tokens', { kind: 'worker' }), 'unused enrollment token');
  const workerToken = await ok(c.post('/api/v1/devices/enrollment-tokens', { kind: 'worker' }), 'worker enrollment token');
  const workerStore = await openKeyStore({ service: 'parapet-seed-worker', account: who.tenantId, filePath: join(dir, 'worker.key'), prefer: 'file' });
  const worker = await DeviceClient.enroll({ server: s.url, token: workerToken.token, kind: 'worker', name: 'seed-worker', store: workerStore, statePath: join(dir, 'worker.json'), ca: s.ca, version: '1', platform: 'linux' });

  // Probe: a signing key, a signed scope, a scan request.
  const key = dsse.generateEd25519();
  await ok(c.post('/api/v1/probe/keys', { name: 'seed key', public_key_pem: key.publicKeyPem }), 'probe key');
  const scope = exampleScope({
    tenant: who.tenantId,
    id: 'seed',
    environment: 'production',
    include: ['10.0.0.0/24'],
    exclude: [],
    ports: [443],
    probe_types: ['tcp_connect'],
    time_windows: { time_zone: 'UTC', allowed: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' }], blackouts: [] },
    valid_from: new Date(Date.now() - DAY).toISOString(),
    valid_until: new Date(Date.now() + 30 * DAY).toISOString(),
    expected_policy: [],
  });
  await ok(c.post('/api/v1/probe/scopes', { envelope: dsse.signEnvelope(SCOPE_PAYLOAD_TYPE, canonicalJsonBytes(scope), key.privateKeyPem) }), 'probe scope');
  await ok(c.post('/api/v1/probe/scans', { scope_id: 'seed', version: 1, targets: ['10.0.0.10'], ports: [443], probe_types: ['tcp_connect'], rate_pps: 10 }), 'probe scan');

  // SCIM: a token and a provisioned user and group.
  const scimToken = await ok(c.post('/api/v1/scim/tokens', { name: 'seed idp' }), 'scim token');
  const idp = s.client();
  idp.headers.authorization = `Bearer ${scimToken.token}`;
  const user = await ok(idp.request('POST', '/scim/v2/Users', { json: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `seed-${who.tenantId.slice(0, 8)}@example.test`, active: true }, headers: { 'content-type': 'application/scim+json' } }), 'scim user');
  await ok(idp.request('POST', '/scim/v2/Groups', { json: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Seed team', members: [{ value: user.id }] }, headers: { 'content-type': 'application/scim+json' } }), 'scim group');

  // Webhooks: an endpoint (nothing listens there) and a test message in its delivery log.
  await ok(c.request('PUT', '/api/v1/webhooks/settings', { json: { allow_private_cidrs: ['127.0.0.0/8'] } }), 'webhook settings');
  const ep = await ok(c.post('/api/v1/webhooks/endpoints', { url: 'https://127.0.0.1:9/seed-hook' }), 'webhook endpoint');
  await ok(c.post(`/api/v1/webhooks/endpoints/${ep.id}/test`, {}), 'webhook test message');

  // Governance: an access review, which lists the tenant's people and grants as items.
  await ok(c.post('/api/v1/governance/reviews', { title: 'Seed review', reviewers: [who.userId] }), 'access review');

  // Support: a read-write grant, and a vendor support member (security key only) signed in under it.
  const grant = await ok(c.post('/api/v1/support/grants', { reason: 'Seed ticket', ticket: 'SEED-1', hours: 2, scope: 'read_write' }), 'support grant');
  const email = `seed-support-${who.tenantId.slice(0, 8)}@vendor.test`;
  const { code } = await addSupportStaff(s.db, email, 'Seed Support');
  const securityKey = new SoftKey(s.url, '127.0.0.1');
  const support = s.client();
  const enrol = await ok(support.post('/api/v1/support/enrol/options', { email, code }), 'support enrolment options');
  await ok(support.post('/api/v1/support/enrol/verify', { email, code, response: securityKey.register(enrol.challenge) }), 'support enrolment');
  const org = (await s.db.tx({ tenantId: who.tenantId }, (q) => q.query<{ slug: string }>(`SELECT slug FROM tenants WHERE id = $1`, [who.tenantId]))).rows[0]!.slug;
  const auth = await ok(support.post('/api/v1/support/auth/options', { email }), 'support sign-in options');
  const signedIn = await ok(support.post('/api/v1/support/auth/verify', { org, grant_id: grant.id, response: securityKey.assert(auth.challenge) }), 'support sign-in');
  support.headers['x-csrf-token'] = signedIn.csrf_token;

  // Audit: a signed checkpoint.
  await ok(c.post('/api/v1/audit/checkpoints', {}), 'audit checkpoint');
  return { scimToken: scimToken.token as string, worker, support };
}
