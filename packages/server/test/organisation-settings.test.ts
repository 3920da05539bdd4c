/**
 * CORE-SUPPORT: the organisation's longest support grant (`support_grant_max_hours`) is set
 * through /api/v1/organisation/settings by an admin with step-up, within 1 to 336 hours; a value
 * out of bounds is refused with its own code and changes nothing; the value set is the one
 * grant opening enforces; every change is audited with before and after.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const PATH = '/api/v1/organisation/settings';

async function changes(tenantId: string) {
  return (await s.db.tx({ tenantId }, (q) => q.query<{ details: { setting: string; before: number; after: number } }>(`SELECT details FROM audit_log WHERE action = 'organisation.settings.changed' ORDER BY seq`))).rows.map((r) => r.details);
}

test('reading: default and bounds for admins, security leads and auditors; not for other roles', async () => {
  const auditor = await loginAs(s, { roles: ['auditor'] });
  const r = await auditor.client.get(PATH);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { support_grant_max_hours: 72, support_grant_max_hours_default: 72, support_grant_max_hours_minimum: 1, support_grant_max_hours_maximum: 336 });
  const employee = await loginAs(s, { roles: ['employee'], tenantId: auditor.tenantId });
  assert.equal((await employee.client.get(PATH)).status, 403);
});

test('changing: admin with step-up only; out of bounds refused with its own code; the new maximum is what grant opening enforces', async () => {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const put = (c: typeof admin.client, body: unknown) => c.request('PUT', PATH, { json: body });

  // Without a fresh second factor: step-up asked, nothing changed.
  const stale = await loginAs(s, { roles: ['admin'], tenantId: admin.tenantId });
  const su = await put(stale.client, { support_grant_max_hours: 8 });
  assert.equal(su.status, 401, su.text);
  assert.equal(su.json.code, 'step_up_required');
  // Not an admin: refused even with a fresh factor.
  const lead = await loginAs(s, { roles: ['security_lead'], tenantId: admin.tenantId, mfaFresh: true });
  assert.equal((await put(lead.client, { support_grant_max_hours: 8 })).status, 403);

  // Bounds: below 1 or above 336 hours is refused with its own code; not a whole number or an unknown key is a 400.
  for (const h of [0, -1, 337, 10_000]) {
    const r = await put(admin.client, { support_grant_max_hours: h });
    assert.equal(r.status, 422, `${h}: ${r.text}`);
    assert.equal(r.json.code, 'support_grant_max_hours_out_of_range');
  }
  for (const body of [{ support_grant_max_hours: 2.5 }, { support_grant_max_hours: 'ten' }, { anomaly_floor: 3 }]) {
    const r = await put(admin.client, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
  }
  assert.equal((await admin.client.get(PATH)).json.support_grant_max_hours, 72, 'refusals changed nothing');
  assert.deepEqual(await changes(admin.tenantId), []);

  // Both bounds are accepted.
  assert.equal((await put(admin.client, { support_grant_max_hours: 336 })).json.support_grant_max_hours, 336);
  assert.equal((await put(admin.client, { support_grant_max_hours: 1 })).json.support_grant_max_hours, 1);

  // Six hours: a seven-hour grant is refused, a six-hour one opens.
  const ok = await put(admin.client, { support_grant_max_hours: 6 });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.support_grant_max_hours, 6);
  assert.equal((await admin.client.get(PATH)).json.support_grant_max_hours, 6);
  const long = await admin.client.post('/api/v1/support/grants', { reason: 'x', ticket: 'SUP-9', hours: 7, scope: 'read_only' });
  assert.equal(long.status, 422, long.text);
  assert.equal(long.json.code, 'support_grant_too_long');
  assert.match(long.json.detail, /at most 6 hours/);
  assert.equal((await admin.client.post('/api/v1/support/grants', { reason: 'x', ticket: 'SUP-9', hours: 6, scope: 'read_only' })).status, 201);
  assert.equal((await admin.client.get('/api/v1/support/grants')).json.max_hours, 6);

  // Every change is audited with before and after; setting the same value again writes nothing.
  assert.equal((await put(admin.client, { support_grant_max_hours: 6 })).status, 200);
  assert.deepEqual(await changes(admin.tenantId), [
    { setting: 'support_grant_max_hours', before: 72, after: 336 },
    { setting: 'support_grant_max_hours', before: 336, after: 1 },
    { setting: 'support_grant_max_hours', before: 1, after: 6 },
  ]);
});

test('property: any whole number is accepted exactly when within 1..336, and then read back', async () => {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  let current = 72;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: -400, max: 800 }), async (h) => {
      const r = await admin.client.request('PUT', PATH, { json: { support_grant_max_hours: h } });
      const inBounds = h >= 1 && h <= 336;
      assert.equal(r.status, inBounds ? 200 : 422, `${h}: ${r.text}`);
      if (inBounds) current = h;
      assert.equal((await admin.client.get(PATH)).json.support_grant_max_hours, current);
    }),
    { numRuns: 40 },
  );
});
