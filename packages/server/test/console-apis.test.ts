import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser, loginAs, startTestServer, type TestServer } from '../src/testing.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('people: admin, security lead and auditor list their own tenant only; others are refused', async () => {
  const admin = await loginAs(s, { roles: ['admin'] });
  await createUser(s.db, admin.tenantId, { roles: ['employee'], email: 'zoe@example.test' });
  const other = await loginAs(s, { roles: ['admin'], email: 'other-admin@example.test' });
  const r = await admin.client.get('/api/v1/people');
  assert.equal(r.status, 200);
  const emails = r.json.people.map((p: { email: string }) => p.email);
  assert.deepEqual(emails, [admin.email, 'zoe@example.test'].sort());
  assert.ok(!emails.includes('other-admin@example.test'), 'another tenant leaked');
  assert.equal(r.json.truncated, false);
  for (const role of ['security_lead', 'auditor'] as const) {
    const u = await loginAs(s, { roles: [role], tenantId: admin.tenantId });
    assert.equal((await u.client.get('/api/v1/people')).status, 200, role);
  }
  for (const role of ['employee', 'manager', 'operator'] as const) {
    const u = await loginAs(s, { roles: [role], tenantId: admin.tenantId });
    const d = await u.client.get('/api/v1/people');
    assert.equal(d.status, 403, role);
    assert.equal(d.json.code, 'forbidden');
  }
  assert.equal((await s.client().get('/api/v1/people')).status, 401);
  assert.equal((await other.client.get('/api/v1/people')).json.people.length, 1);
});

test('audit entries: filters by actor, action, target, outcome and time; keyset paging; tenant-scoped', async () => {
  const auditor = await loginAs(s, { roles: ['auditor'] });
  const users = [];
  for (let i = 0; i < 3; i++) users.push(await loginAs(s, { roles: ['employee'], tenantId: auditor.tenantId, email: `u${i}@example.test` }));
  for (const u of users) assert.equal((await u.client.post('/api/v1/auth/logout')).status, 204);
  const stranger = await loginAs(s, { roles: ['admin'] });
  await stranger.client.post('/api/v1/auth/logout');

  const all = await auditor.client.get('/api/v1/audit/search');
  assert.equal(all.status, 200);
  assert.equal(all.json.entries.length, 3);
  assert.deepEqual(all.json.entries.map((e: { actor_name: string }) => e.actor_name), ['u2@example.test', 'u1@example.test', 'u0@example.test']);
  assert.ok(all.json.entries.every((e: { action: string }) => e.action === 'auth.session.closed'));
  assert.equal(all.json.next_before_seq, null);

  const byActor = await auditor.client.get('/api/v1/audit/search?actor=u1%40');
  assert.deepEqual(byActor.json.entries.map((e: { actor_name: string }) => e.actor_name), ['u1@example.test']);
  assert.equal((await auditor.client.get(`/api/v1/audit/search?actor=${users[0]!.userId}`)).json.entries.length, 1);
  assert.equal((await auditor.client.get('/api/v1/audit/search?action=auth.')).json.entries.length, 3);
  assert.equal((await auditor.client.get('/api/v1/audit/search?action=tenant.')).json.entries.length, 0);
  // LIKE wildcards are literal: '%' matches nothing here.
  assert.equal((await auditor.client.get('/api/v1/audit/search?action=%25')).json.entries.length, 0);
  assert.equal((await auditor.client.get(`/api/v1/audit/search?target=session:${users[2]!.sessionId}`)).json.entries.length, 1);
  assert.equal((await auditor.client.get('/api/v1/audit/search?outcome=denied')).json.entries.length, 0);
  assert.equal((await auditor.client.get('/api/v1/audit/search?since=2999-01-01T00:00:00Z')).json.entries.length, 0);
  assert.equal((await auditor.client.get('/api/v1/audit/search?until=2999-01-01T00:00:00Z')).json.entries.length, 3);
  assert.equal((await auditor.client.get('/api/v1/audit/search?since=yesterday')).status, 400);

  const p1 = await auditor.client.get('/api/v1/audit/search?limit=2');
  assert.equal(p1.json.entries.length, 2);
  const p2 = await auditor.client.get(`/api/v1/audit/search?limit=2&before_seq=${p1.json.next_before_seq}`);
  assert.deepEqual(p2.json.entries.map((e: { actor_name: string }) => e.actor_name), ['u0@example.test']);
  assert.equal(p2.json.next_before_seq, null);

  const emp = await loginAs(s, { roles: ['employee'], tenantId: auditor.tenantId });
  assert.equal((await emp.client.get('/api/v1/audit/search')).status, 403);
});

test('organisation: every role reads its own organisation, nobody else’s', async () => {
  const a = await loginAs(s, { roles: ['employee'] });
  const r = await a.client.get('/api/v1/organisation');
  assert.equal(r.status, 200);
  assert.equal(r.json.id, a.tenantId);
  assert.match(r.json.slug, /^t-/);
  const b = await loginAs(s, { roles: ['admin'] });
  assert.equal((await b.client.get('/api/v1/organisation')).json.id, b.tenantId);
  assert.equal((await s.client().get('/api/v1/organisation')).status, 401);
});
