import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, loginAs, createTenant, type TestServer } from '../src/testing.js';
import { SESSION_COOKIE } from '../src/auth/sessions.js';
import { authorize, defineActions } from '../src/platform/pdp.js';
import type { UserPrincipal } from '../src/platform/principal.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('a session resolves to its user; without a cookie the API answers unauthenticated', async () => {
  const a = await loginAs(s, { roles: ['admin'] });
  const r = await a.client.get('/api/v1/auth/session');
  assert.equal(r.status, 200);
  assert.equal(r.json.user_id, a.userId);
  assert.deepEqual(r.json.roles, ['admin']);
  const anon = await s.client().get('/api/v1/auth/session');
  assert.equal(anon.status, 401);
  assert.equal(anon.json.code, 'unauthenticated');
});

test("a cookie relabelled with another tenant's id resolves to nobody", async () => {
  const a = await loginAs(s, { roles: ['admin'] });
  const other = await createTenant(s.db);
  const c = s.client();
  c.cookies.set(SESSION_COOKIE, a.client.cookies.get(SESSION_COOKIE)!.replace(a.tenantId, other));
  assert.equal((await c.get('/api/v1/auth/session')).status, 401);
});

test('unsafe methods need the CSRF token; logout revokes the session', async () => {
  const a = await loginAs(s, { roles: ['employee'] });
  const noCsrf = await a.client.request('POST', '/api/v1/auth/logout', { json: {}, headers: { 'x-csrf-token': 'wrong' } });
  assert.equal(noCsrf.status, 403);
  assert.equal(noCsrf.json.code, 'csrf_token_invalid');
  const cookie = a.client.cookies.get(SESSION_COOKIE)!;
  const out = await a.client.post('/api/v1/auth/logout');
  assert.equal(out.status, 204);
  const replay = s.client();
  replay.cookies.set(SESSION_COOKIE, cookie);
  assert.equal((await replay.get('/api/v1/auth/session')).status, 401);
  const audit = await s.db.tx({ tenantId: a.tenantId }, (q) => q.query<{ action: string; actor_id: string }>(`SELECT action, actor_id FROM audit_log`));
  assert.deepEqual(audit.rows.map((r) => [r.action, r.actor_id]), [['auth.session.closed', a.userId]]);
});

test('the PDP denies by default, across tenants, by role, and asks for step-up when MFA is stale', () => {
  defineActions({ 'test.read': { roles: ['auditor'] }, 'test.sensitive': { roles: ['admin'], stepUp: true } });
  const now = new Date();
  const p: UserPrincipal = { kind: 'user', tenantId: 't1', userId: 'u', email: 'e', roles: ['admin'], sessionId: 's', mfaVerifiedAt: new Date(now.getTime() - 6 * 60_000), csrfToken: 'x' };
  assert.throws(() => authorize(p, 'test.unknown', { type: 'x', tenantId: 't1' }, {}, now), { code: 'forbidden' });
  assert.throws(() => authorize(p, 'test.read', { type: 'x', tenantId: 't1' }, {}, now), { code: 'forbidden' });
  assert.throws(() => authorize({ ...p, roles: ['auditor'] }, 'test.read', { type: 'x', tenantId: 't2' }, {}, now), { code: 'forbidden' });
  assert.ok(authorize({ ...p, roles: ['auditor'] }, 'test.read', { type: 'x', tenantId: 't1' }, {}, now).allowed);
  assert.throws(() => authorize(p, 'test.sensitive', { type: 'x', tenantId: 't1' }, {}, now), { code: 'step_up_required', status: 401 });
  assert.throws(() => authorize({ ...p, mfaVerifiedAt: null }, 'test.sensitive', { type: 'x', tenantId: 't1' }, {}, now), { code: 'step_up_required' });
  assert.ok(authorize({ ...p, mfaVerifiedAt: new Date(now.getTime() - 4 * 60_000) }, 'test.sensitive', { type: 'x', tenantId: 't1' }, {}, now).allowed);
});
