/**
 * Anomaly alerts (CORE-ANOMALY): the documented rule (floor, 3 × median, 99th percentile) as
 * vectors and properties, and a burst of subject-data reads by a manager raising exactly one
 * alert (audit entry and console banner) through the running job, timed from burst to alert.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { recordAudit } from '../src/platform/audit.js';
import { isAnomalous, percentile, scoreTenant, ANOMALY_DEFAULT_FLOOR } from '../src/governance/anomaly.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const zeros = new Array<number>(336).fill(0);

test('the rule: floor, three times the median, and above the 99th percentile', () => {
  assert.equal(isAnomalous(49, zeros, 50).anomalous, false, 'below the floor never alerts');
  assert.equal(isAnomalous(50, zeros, 50).anomalous, true, 'no history: the floor decides');
  const busy = zeros.map((_, i) => (i % 2 ? 20 : 10)); // median 15, p99 20
  assert.equal(isAnomalous(45, busy, 10).anomalous, false, '3 × median is 45: not above');
  assert.equal(isAnomalous(46, busy, 10).anomalous, true);
  const spiky = [...zeros.slice(0, 330), 100, 100, 100, 100, 100, 100]; // p99 = 100
  assert.equal(isAnomalous(90, spiky, 10).anomalous, false, 'within what this actor has done before');
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
});

test('property: an alert always satisfies all three conditions, and more volume never clears it', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(200), { minLength: 1, maxLength: 400 }), fc.nat(1000), fc.integer({ min: 1, max: 100 }), (hourly, n, floor) => {
      const v = isAnomalous(n, hourly, floor);
      if (v.anomalous) {
        assert.ok(n >= floor && n > 3 * v.median && n > v.p99);
        assert.ok(isAnomalous(n + 1, hourly, floor).anomalous);
      }
    }),
  );
});

test('a manager reading far beyond baseline raises one alert within a minute; a normal reader does not', async (t) => {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const tenantId = admin.tenantId;
  const manager = await loginAs(s, { roles: ['manager'], tenantId });
  const employee = await loginAs(s, { roles: ['employee'], tenantId });
  const burst = async (userId: string, n: number) =>
    s.db.tx({ tenantId }, async (q) => {
      for (let i = 0; i < n; i++) await recordAudit(q, tenantId, { type: 'user', id: userId, name: 'reader' }, { action: 'authz.access.allowed', outcome: 'success', details: { action: 'pulse.activity.read', decision: 'allow', policies: [] }, purpose: 'capacity_planning', target: { type: 'pulse_person', id: `p${i}` } });
    });
  await burst(employee.userId, 10);
  const t0 = Date.now();
  await burst(manager.userId, ANOMALY_DEFAULT_FLOOR + 30);
  let alerts: Array<{ actor_id: string; count: number }> = [];
  for (let i = 0; i < 120 && !alerts.length; i++) {
    await new Promise((r) => setTimeout(r, 500));
    alerts = (await admin.client.get('/api/v1/governance/alerts?open=true')).json.alerts;
  }
  const seconds = (Date.now() - t0) / 1000;
  t.diagnostic(`burst to alert: ${seconds.toFixed(1)} s`);
  assert.equal(alerts.length, 1, 'one alert');
  assert.equal(alerts[0]!.actor_id, manager.userId);
  assert.equal(alerts[0]!.count, ANOMALY_DEFAULT_FLOOR + 30);
  assert.ok(seconds < 60, 'within a minute');
  // No second alert for the same actor in the same hour; the audit log has the one entry.
  assert.deepEqual(await scoreTenant(s.db, tenantId, new Date()), []);
  const rows = await s.asAdmin((q) => q.query<{ target_id: string }>(`SELECT target_id FROM audit_log WHERE tenant_id = $1 AND action = 'governance.anomaly.detected'`, [tenantId]));
  assert.deepEqual(rows.rows.map((r) => r.target_id), [manager.userId]);
  // Acknowledged alerts leave the banner.
  const id = (alerts[0] as unknown as { id: string }).id;
  assert.equal((await admin.client.post(`/api/v1/governance/alerts/${id}/acknowledge`, {})).status, 204);
  assert.deepEqual((await admin.client.get('/api/v1/governance/alerts?open=true')).json.alerts, []);
  assert.equal((await manager.client.get('/api/v1/governance/alerts')).status, 403, 'the reader cannot see or clear alerts about themselves');
});
