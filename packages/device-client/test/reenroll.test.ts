/**
 * Enrolling into a state dir that already holds an enrolled device: refused without --force
 * (the old identity would be orphaned, still active); with --force the old identity revokes
 * itself with its own signed request first, and only the new one is active.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, loginAs, type TestServer } from '@parapet/server/testing';
import { DeviceRequestError, runEnroll, UsageError } from '../src/index.js';

let s: TestServer;
let dir: string;
before(async () => {
  s = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'parapet-reenroll-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

test('re-enrolling an enrolled state dir: refused without --force; with it the old identity is revoked', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const caFile = join(dir, 'server.pem');
  await writeFile(caFile, s.ca);
  const state = join(dir, 'agent');
  const token = async () => (await a.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent' })).json.token as string;
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l) };
  const base = ['--server', s.url, '--ca', caFile, '--state-dir', state, '--key-store', 'file'];
  const first = await runEnroll('agent', [...base, '--token', await token(), '--name', 'laptop'], io);
  const t2 = await token();
  await assert.rejects(runEnroll('agent', [...base, '--token', t2, '--name', 'laptop'], io), (e: Error) => e instanceof UsageError && e.message.includes(`already holds agent ${first.state.deviceId}`) && e.message.includes('--force'));
  // Refused before anything happened: the old identity still works, the token is unspent.
  assert.equal((await first.heartbeat()).status, 'active');

  const second = await runEnroll('agent', [...base, '--token', t2, '--name', 'laptop', '--force'], io);
  assert.ok(lines.some((l) => l === `Revoked the previous identity ${first.state.deviceId}.`), lines.join('\n'));
  assert.notEqual(second.state.deviceId, first.state.deviceId);
  assert.equal((await second.heartbeat()).status, 'active');
  await assert.rejects(first.heartbeat(), (e: unknown) => e instanceof DeviceRequestError && e.code === 'device_revoked');
  const fleet = (await a.client.get('/api/v1/devices')).json.devices as Array<{ id: string; status: string }>;
  assert.deepEqual(fleet.map((d) => [d.id, d.status]).sort(), [[first.state.deviceId, 'revoked'], [second.state.deviceId, 'active']].sort());
  const log = await s.db.tx({ tenantId: a.tenantId }, (q) => q.query<{ actor_type: string; details: { reason?: string } }>(`SELECT actor_type, details FROM audit_log WHERE action = 'device.revoked'`));
  assert.deepEqual(log.rows.map((r) => [r.actor_type, r.details.reason]), [['device', 'self']]);
});
