/**
 * Renamed audit events (platform/audit.ts AUDIT_EVENT_RENAMES): rows already in a log keep
 * the name they were written with, and every reader that selects entries by name finds them
 * under the current name too. The old rows here are written as a server before the rename
 * wrote them: straight into the tenant's inbox, then chained by the sequencer.
 *
 * Readers covered: the console's audit search (action prefix, typed either way), "my data"
 * reads (GET /pulse/me/reads) and anomaly scoring (data-access counts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Queryable } from '@parapet/db';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { recordAudit } from '../src/platform/audit.js';
import { sequencerFor } from '../src/platform/audit-sequencer.js';
import { ANOMALY_DEFAULT_FLOOR, scoreTenant } from '../src/governance/anomaly.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

/** One entry under a name the catalogue no longer has, as the old writer stored it. */
async function oldRow(q: Queryable, tenantId: string, actorId: string, action: string, details: Record<string, unknown> = {}, target?: { type: string; id: string }): Promise<void> {
  await q.query(
    `INSERT INTO audit_inbox (tenant_id, actor_type, actor_id, action, outcome, details, target_type, target_id) VALUES ($1, 'user', $2, $3, 'success', $4, $5, $6)`,
    [tenantId, actorId, action, JSON.stringify(details), target?.type ?? null, target?.id ?? null],
  );
}

test('the console search finds old and new rows under the current name and under the former one', async () => {
  const auditor = await loginAs(s, { roles: ['auditor'] });
  const tenantId = auditor.tenantId;
  const leaver = await loginAs(s, { roles: ['employee'], tenantId });
  await s.db.tx({ tenantId }, async (q) => {
    await oldRow(q, tenantId, leaver.userId, 'auth.logout');
    await recordAudit(q, tenantId, { type: 'user', id: leaver.userId }, { action: 'auth.session.closed', outcome: 'success' });
  });
  await sequencerFor(s.db).flush(tenantId);
  const search = async (action: string) => {
    const r = await auditor.client.get(`/api/v1/audit/search?actor=${leaver.userId}&action=${encodeURIComponent(action)}`);
    assert.equal(r.status, 200, r.text);
    return (r.json.entries as Array<{ action: string }>).map((e) => e.action).sort();
  };
  assert.deepEqual(await search('auth.session.closed'), ['auth.logout', 'auth.session.closed']);
  assert.deepEqual(await search('auth.session'), ['auth.logout', 'auth.session.closed']);
  assert.deepEqual(await search('auth.logout'), ['auth.logout', 'auth.session.closed'], 'the former name still finds both');
  assert.deepEqual(await search('auth.mfa'), [], 'a prefix of neither finds neither');
});

test('"my data" lists a CSV export recorded under its former name as an export', async () => {
  const employee = await loginAs(s, { roles: ['employee'] });
  const tenantId = employee.tenantId;
  const manager = await loginAs(s, { roles: ['manager'], tenantId });
  const asked = { level: 'person', period: 'day', from: '2026-01-01', to: '2026-01-07', category: null, cells: 7, suppressed: 0, subjects: [employee.userId] };
  await s.db.tx({ tenantId }, async (q) => {
    await oldRow(q, tenantId, manager.userId, 'pulse.export', asked, { type: 'pulse_activity', id: employee.userId });
    await recordAudit(q, tenantId, { type: 'user', id: manager.userId }, { action: 'pulse.activity.exported', outcome: 'success', target: { type: 'pulse_activity', id: employee.userId }, details: asked });
    await recordAudit(q, tenantId, { type: 'user', id: manager.userId }, { action: 'pulse.activity.read', outcome: 'success', target: { type: 'pulse_activity', id: employee.userId }, details: asked });
  });
  await sequencerFor(s.db).flush(tenantId);
  const r = await employee.client.get('/api/v1/pulse/me/reads');
  assert.equal(r.status, 200, r.text);
  // Newest first: the read, the new-name export, the old-name export.
  assert.deepEqual((r.json.reads as Array<{ action: string }>).map((x) => x.action), ['read', 'export', 'export']);
});

test('anomaly scoring counts exports recorded under their former name as data access', async () => {
  const admin = await loginAs(s, { roles: ['admin'] });
  const tenantId = admin.tenantId;
  const reader = await loginAs(s, { roles: ['manager'], tenantId });
  // Without a purpose, only the event name makes these data access.
  await s.db.tx({ tenantId }, async (q) => {
    for (let i = 0; i < ANOMALY_DEFAULT_FLOOR + 5; i++) await oldRow(q, tenantId, reader.userId, 'pulse.export', { i });
  });
  await sequencerFor(s.db).flush(tenantId);
  const alerts = await scoreTenant(s.db, tenantId, new Date(Date.now() + 1000));
  assert.deepEqual(alerts.map((a) => [a.actor_id, a.count]), [[reader.userId, ANOMALY_DEFAULT_FLOOR + 5]]);
});
