/**
 * Test harness for Probe runs: an organisation with a security lead (registered signing key),
 * an operator, signed scopes, scans, and enrolled worker devices (real enrollment over the
 * test server's HTTPS, keys in a file key store).
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJsonBytes, dsse, exampleScope, SCOPE_PAYLOAD_TYPE, type Scope } from '@parapet/core';
import { loginAs, type TestServer } from '@parapet/server/testing';
import { DeviceClient, FileKeyStore, kekFile } from '@parapet/device-client';

const DAY = 86_400_000;

export interface Org {
  tenantId: string;
  lead: Awaited<ReturnType<typeof loginAs>>;
  operator: Awaited<ReturnType<typeof loginAs>>;
  admin: Awaited<ReturnType<typeof loginAs>>;
  key: { privateKeyPem: string; publicKeyPem: string };
}

export async function newOrg(s: TestServer): Promise<Org> {
  const lead = await loginAs(s, { roles: ['security_lead'], mfaFresh: true });
  const operator = await loginAs(s, { roles: ['operator'], tenantId: lead.tenantId });
  const admin = await loginAs(s, { roles: ['admin'], tenantId: lead.tenantId, mfaFresh: true });
  const key = dsse.generateEd25519();
  const r = await lead.client.post('/api/v1/probe/keys', { name: 'lead key', public_key_pem: key.publicKeyPem });
  assert.equal(r.status, 201, r.text);
  return { tenantId: lead.tenantId, lead, operator, admin, key };
}

export function scopeDoc(org: Org, id: string, over: Partial<Scope> = {}): Scope {
  return exampleScope({
    tenant: org.tenantId,
    id,
    environment: 'non-production',
    include: ['127.0.0.0/8', '10.0.0.0/24'],
    exclude: ['127.0.0.99/32'],
    ports: ['1-65535'],
    probe_types: ['tcp_connect', 'banner', 'tls', 'http_headers'],
    max_packets_per_second: 5000,
    time_windows: { time_zone: 'UTC', allowed: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' }], blackouts: [] },
    valid_from: new Date(Date.now() - DAY).toISOString(),
    valid_until: new Date(Date.now() + 30 * DAY).toISOString(),
    expected_policy: [],
    ...over,
  });
}

export const signScope = (doc: unknown, priv: string) => dsse.signEnvelope(SCOPE_PAYLOAD_TYPE, canonicalJsonBytes(doc), priv);

export async function uploadScope(org: Org, doc: Scope): Promise<void> {
  const r = await org.lead.client.post('/api/v1/probe/scopes', { envelope: signScope(doc, org.key.privateKeyPem) });
  assert.equal(r.status, 201, r.text);
}

/** Requests a scan of a non-production scope (queued at once); returns its id. */
export async function requestScan(org: Org, body: { scope_id: string; targets: string[]; ports: number[]; probe_types: string[]; rate_pps: number; version?: number }): Promise<string> {
  const r = await org.operator.client.post('/api/v1/probe/scans', { version: 1, ...body });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.state, 'queued');
  return r.json.id as string;
}

/** Enrolls a worker device in the org; returns its client and state directory. */
export async function enrollWorker(s: TestServer, org: Org, name = 'worker'): Promise<{ client: DeviceClient; dir: string }> {
  const t = await org.admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'worker' });
  assert.equal(t.status, 201, t.text);
  const dir = await mkdtemp(join(tmpdir(), 'parapet-worker-'));
  const keyPath = join(dir, 'device.key');
  const client = await DeviceClient.enroll({ server: s.url, token: t.json.token, kind: 'worker', name, store: new FileKeyStore(keyPath, kekFile(`${keyPath}.kek`), 'file store requested'), statePath: join(dir, 'state.json'), ca: s.ca });
  return { client, dir };
}
