/**
 * CORE-ANOMALY for vendor support (CORE-SUPPORT): requests made in a support session count as
 * data access in the customer's anomaly baselines. A support member reading far beyond their
 * baseline in this tenant raises an alert through the running job (audit entry naming the
 * grant, console banner); another member reading a little does not. Real WebAuthn ceremonies
 * (software authenticator) against the real server; the time from burst to alert is measured.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SoftKey } from './soft-authenticator.js';
import { startTestServer, loginAs, type TestServer, type TestClient } from '../src/testing.js';
import { addSupportStaff } from '../src/governance/support.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const FLOOR = 20;

async function supportSession(org: string, grantId: string, email: string): Promise<{ staffId: string; c: TestClient }> {
  const { staffId, code } = await addSupportStaff(s.db, email);
  const key = new SoftKey(s.url, '127.0.0.1');
  const c = s.client();
  const opt = await c.post('/api/v1/support/enrol/options', { email, code });
  assert.equal((await c.post('/api/v1/support/enrol/verify', { email, code, response: key.register(opt.json.challenge) })).status, 200);
  const a = await c.post('/api/v1/support/auth/options', { email });
  const r = await c.post('/api/v1/support/auth/verify', { org, grant_id: grantId, response: key.assert(a.json.challenge) });
  assert.equal(r.status, 200, r.text);
  c.headers['x-csrf-token'] = r.json.csrf_token;
  return { staffId, c };
}

test('a support session reading far beyond its baseline raises an alert naming the grant; a light one does not', async (t) => {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const tenantId = admin.tenantId;
  await s.asAdmin((db) => db.query(`UPDATE tenants SET settings = settings || $2::jsonb WHERE id = $1`, [tenantId, JSON.stringify({ anomaly_floor: FLOOR })]));
  const org = (await admin.client.get('/api/v1/organisation')).json.slug as string;
  const g = await admin.client.post('/api/v1/support/grants', { reason: 'Sync fails', ticket: 'SUP-880', hours: 2, scope: 'read_only' });
  assert.equal(g.status, 201, g.text);
  const heavy = await supportSession(org, g.json.id, 'heavy.reader@vendor.test');
  const light = await supportSession(org, g.json.id, 'light.reader@vendor.test');

  for (let i = 0; i < 5; i++) assert.equal((await light.c.get('/api/v1/support/tenant/users')).status, 200);
  const t0 = Date.now();
  const burst = FLOOR + 10;
  for (let i = 0; i < burst; i++) assert.equal((await heavy.c.get('/api/v1/support/tenant/users')).status, 200);

  type Alert = { id: string; actor_type: string; actor_id: string; actor_name: string | null; count: number };
  let alerts: Alert[] = [];
  for (let i = 0; i < 120 && !alerts.length; i++) {
    await new Promise((r) => setTimeout(r, 500));
    alerts = (await admin.client.get('/api/v1/governance/alerts?open=true')).json.alerts;
  }
  const seconds = (Date.now() - t0) / 1000;
  t.diagnostic(`support burst to alert: ${seconds.toFixed(1)} s`);
  assert.equal(alerts.length, 1, 'one alert, for the heavy reader only');
  const a = alerts[0]!;
  assert.equal(a.actor_type, 'system');
  assert.equal(a.actor_id, `support:${heavy.staffId}`);
  assert.equal(a.actor_name, 'heavy.reader@vendor.test');
  // The job may have scored in the middle of the burst: at least the floor, at most the burst.
  assert.ok(a.count >= FLOOR && a.count <= burst, String(a.count));
  assert.ok(seconds < 60, 'within a minute');

  const entries = await s.db.tx({ tenantId }, (q) => q.query<{ target_id: string; details: { support_grant_ids?: string[] } }>(`SELECT target_id, details FROM audit_log WHERE action = 'governance.anomaly.detected'`));
  assert.deepEqual(entries.rows.map((r) => [r.target_id, r.details.support_grant_ids]), [[`support:${heavy.staffId}`, [g.json.id]]]);
  assert.ok(!entries.rows.some((r) => r.target_id === `support:${light.staffId}`));
});
