/**
 * CORE-SUPPORT: vendor support reaches a customer only through the customer's own grant, signs
 * in with a security key only (a software authenticator here, real WebAuthn ceremonies against
 * the real server), is pinned to the grant's tenant and scope, loses access the moment the grant
 * is revoked or expires, and every request lands in the customer's audit log with the grant id.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SoftKey } from './soft-authenticator.js';
import { startTestServer, loginAs, createUser, type TestServer, type TestClient } from '../src/testing.js';
import { addSupportStaff, disableSupportStaff, SUPPORT_COOKIE } from '../src/governance/support.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const PW = 'correct horse battery staple';

async function enrolStaff(): Promise<{ email: string; key: SoftKey }> {
  const email = `support-${randomBytes(4).toString('hex')}@vendor.test`;
  const { code } = await addSupportStaff(s.db, email, 'Vendor Support');
  const key = new SoftKey(s.url, '127.0.0.1');
  const c = s.client();
  const opt = await c.post('/api/v1/support/enrol/options', { email, code });
  assert.equal(opt.status, 200, opt.text);
  const v = await c.post('/api/v1/support/enrol/verify', { email, code, response: key.register(opt.json.challenge) });
  assert.equal(v.status, 200, v.text);
  // The code is single use.
  const again = await c.post('/api/v1/support/enrol/options', { email, code });
  assert.equal(again.status, 401);
  assert.equal(again.json.code, 'support_enrolment_invalid');
  return { email, key };
}

/** Signs a support member in under a grant; answers the response and the client (cookie set on success). */
async function supportSignIn(staff: { email: string; key: SoftKey }, org: string, grantId: string): Promise<{ r: Awaited<ReturnType<TestClient['post']>>; c: TestClient }> {
  const c = s.client();
  const opt = await c.post('/api/v1/support/auth/options', { email: staff.email });
  assert.equal(opt.status, 200, opt.text);
  const r = await c.post('/api/v1/support/auth/verify', { org, grant_id: grantId, response: staff.key.assert(opt.json.challenge) });
  if (r.status === 200) c.headers['x-csrf-token'] = r.json.csrf_token;
  return { r, c };
}

async function slugOf(tenantId: string): Promise<string> {
  return (await s.db.tx({ tenantId }, (q) => q.query<{ slug: string }>(`SELECT slug FROM tenants WHERE id = $1`, [tenantId]))).rows[0]!.slug;
}

async function auditOf(tenantId: string) {
  return (await s.db.tx({ tenantId }, (q) => q.query<{ action: string; actor_type: string; actor_id: string; outcome: string; details: Record<string, unknown> }>(`SELECT action, actor_type, actor_id, outcome, details FROM audit_log ORDER BY seq`))).rows;
}

test('no grant, no access; a read-only grant reads but never writes, pinned to its tenant, every request in the customer log', async () => {
  const staff = await enrolStaff();
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const org = await slugOf(admin.tenantId);
  const other = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const otherOrg = await slugOf(other.tenantId);
  const victim = await createUser(s.db, admin.tenantId, { roles: ['employee'] });

  // No grant: a made-up grant id is refused, and nothing under /support/tenant answers.
  const none = await supportSignIn(staff, org, '00000000-0000-4000-8000-000000000000');
  assert.equal(none.r.status, 403, none.r.text);
  assert.equal(none.r.json.code, 'support_grant_not_open');
  assert.equal(none.c.cookies.has(SUPPORT_COOKIE), false);
  assert.equal((await none.c.get('/api/v1/support/tenant/users')).json.code, 'support_unauthenticated');

  // Opening a grant needs step-up and stays within the tenant maximum; refusals change nothing.
  const stale = await loginAs(s, { roles: ['admin'], tenantId: admin.tenantId });
  const su = await stale.client.post('/api/v1/support/grants', { reason: 'Ticket 42: sync fails', ticket: 'SUP-42', hours: 2, scope: 'read_only' });
  assert.equal(su.json.code, 'step_up_required', su.text);
  const manager = await loginAs(s, { roles: ['manager'], tenantId: admin.tenantId, mfaFresh: true });
  assert.equal((await manager.client.post('/api/v1/support/grants', { reason: 'x', ticket: 'SUP-1', hours: 2, scope: 'read_only' })).status, 403);
  const long = await admin.client.post('/api/v1/support/grants', { reason: 'x', ticket: 'SUP-1', hours: 73, scope: 'read_only' });
  assert.equal(long.status, 422, long.text);
  assert.equal(long.json.code, 'support_grant_too_long');
  await s.asAdmin((db) => db.query(`UPDATE tenants SET settings = settings || '{"support_grant_max_hours": 4}' WHERE id = $1`, [admin.tenantId]));
  assert.equal((await admin.client.post('/api/v1/support/grants', { reason: 'x', ticket: 'SUP-1', hours: 5, scope: 'read_only' })).json.code, 'support_grant_too_long');
  assert.equal((await admin.client.get('/api/v1/support/grants')).json.grants.length, 0, 'refused grants left nothing behind');

  const g = await admin.client.post('/api/v1/support/grants', { reason: 'Ticket 42: sync fails', ticket: 'SUP-42', hours: 4, scope: 'read_only' });
  assert.equal(g.status, 201, g.text);
  assert.equal(g.json.status, 'open');

  // The grant of one organisation opens nothing in another.
  const wrongOrg = await supportSignIn(staff, otherOrg, g.json.id);
  assert.equal(wrongOrg.r.status, 403);
  assert.equal(wrongOrg.r.json.code, 'support_grant_not_open');

  const { r, c } = await supportSignIn(staff, org, g.json.id);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.tenant_id, admin.tenantId);
  assert.equal(r.json.scope, 'read_only');
  const me = await c.get('/api/v1/support/session');
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.ticket, 'SUP-42');
  const users = await c.get('/api/v1/support/tenant/users');
  assert.equal(users.status, 200, users.text);
  assert.ok(users.json.users.some((u: { id: string }) => u.id === victim.userId));
  assert.ok(!users.json.users.some((u: { id: string }) => u.id === other.userId), 'only the granted tenant');
  // Scope: read_only refuses a change.
  const w = await c.post(`/api/v1/support/tenant/users/${victim.userId}/unlock`);
  assert.equal(w.status, 403, w.text);
  assert.equal(w.json.code, 'support_scope_read_only');
  // The support cookie means nothing to the rest of Parapet (not a tenant user).
  assert.equal((await c.get('/api/v1/auth/session')).status, 401);

  // Pinned: the same secret presented as another tenant's session finds nothing.
  const cookie = c.cookies.get(SUPPORT_COOKIE)!;
  const forged = s.client();
  forged.cookies.set(SUPPORT_COOKIE, other.tenantId + cookie.slice(cookie.indexOf('.')));
  forged.headers['x-csrf-token'] = c.headers['x-csrf-token']!;
  assert.equal((await forged.get('/api/v1/support/tenant/users')).json.code, 'support_unauthenticated');

  // Posture names the open grant and its live session.
  const posture = await admin.client.get('/api/v1/posture');
  assert.equal(posture.status, 200, posture.text);
  const sg = posture.json.checks.find((x: { id: string }) => x.id === 'support.grants');
  assert.equal(sg.status, 'warn');
  assert.match(sg.detail, /SUP-42 \(read_only, until .*, 1 live session\(s\)\)/);

  // The customer sees the live session.
  const list = await admin.client.get('/api/v1/support/grants');
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.grants[0].sessions.map((x: { staff_email: string }) => x.staff_email), [staff.email]);
  assert.equal(list.json.max_hours, 4);

  // Every request of the session is in the customer's log, naming the grant; none in the other tenant's.
  const log = await auditOf(admin.tenantId);
  const reqs = log.filter((e) => e.action === 'support.request.made');
  assert.deepEqual(reqs.map((e) => [e.details.path, e.details.status, e.outcome]), [
    ['/api/v1/support/session', 200, 'success'],
    ['/api/v1/support/tenant/users', 200, 'success'],
    ['/api/v1/support/tenant/users/:id/unlock', 403, 'denied'],
  ]);
  assert.ok(reqs.every((e) => e.details.grant_id === g.json.id && e.actor_type === 'system' && String(e.actor_id).startsWith('support:')));
  assert.ok(log.some((e) => e.action === 'support.session.opened' && e.details.grant_id === g.json.id));
  assert.ok(log.some((e) => e.action === 'support.session.refused' && e.details.code === 'support_grant_not_open'));
  assert.ok(log.some((e) => e.action === 'support.grant.opened' && e.details.ticket === 'SUP-42'));
  assert.ok(log.some((e) => e.action === 'support.grant.refused' && e.details.code === 'support_grant_too_long'));
  const otherLog = await auditOf(other.tenantId);
  assert.equal(otherLog.filter((e) => e.action === 'support.request.made').length, 0);
  assert.ok(otherLog.some((e) => e.action === 'support.session.refused'), "the other tenant saw the refused attempt against it");

  // Revocation ends the session at once, and the grant cannot be used again.
  const rv = await admin.client.post(`/api/v1/support/grants/${g.json.id}/revoke`);
  assert.equal(rv.status, 200, rv.text);
  assert.equal(rv.json.status, 'revoked');
  assert.equal((await c.get('/api/v1/support/tenant/users')).json.code, 'support_unauthenticated');
  const after = await supportSignIn(staff, org, g.json.id);
  assert.equal(after.r.json.code, 'support_grant_not_open');
  assert.equal((await admin.client.post(`/api/v1/support/grants/${g.json.id}/revoke`)).json.code, 'support_grant_closed');
});

test('a read-write grant allows a change until it expires; then the session is refused at once', async () => {
  const staff = await enrolStaff();
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const org = await slugOf(admin.tenantId);
  const victim = await createUser(s.db, admin.tenantId, { roles: ['employee'] });
  const g = await admin.client.post('/api/v1/support/grants', { reason: 'Locked out', ticket: 'SUP-7', hours: 1, scope: 'read_write' });
  assert.equal(g.status, 201, g.text);
  const { r, c } = await supportSignIn(staff, org, g.json.id);
  assert.equal(r.status, 200, r.text);
  // CSRF: a change without the token is refused.
  const noCsrf = s.client();
  noCsrf.cookies.set(SUPPORT_COOKIE, c.cookies.get(SUPPORT_COOKIE)!);
  assert.equal((await noCsrf.post(`/api/v1/support/tenant/users/${victim.userId}/unlock`)).json.code, 'csrf_token_invalid');
  const w = await c.post(`/api/v1/support/tenant/users/${victim.userId}/unlock`);
  assert.equal(w.status, 200, w.text);
  const log = await auditOf(admin.tenantId);
  assert.ok(log.some((e) => e.action === 'auth.account.unlocked' && e.actor_id.startsWith('support:')), 'the change itself is audited with the support actor');
  assert.ok(log.some((e) => e.action === 'support.request.made' && e.details.status === 200 && e.details.grant_id === g.json.id && e.details.method === 'POST'));

  // Expiry (moved into the past): the very next request is refused.
  await s.asAdmin((db) => db.query(`UPDATE support_grants SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = $1`, [g.json.id]));
  assert.equal((await c.get('/api/v1/support/session')).json.code, 'support_unauthenticated');
  assert.equal((await supportSignIn(staff, org, g.json.id)).r.json.code, 'support_grant_not_open');
  assert.equal((await admin.client.get('/api/v1/support/grants')).json.grants[0].status, 'expired');
});

test('the vendor realm is WebAuthn-only: no password sign-in, replayed or foreign-origin assertions fail, disabled members are out', async () => {
  const staff = await enrolStaff();
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const org = await slugOf(admin.tenantId);
  const g = await admin.client.post('/api/v1/support/grants', { reason: 'r', ticket: 'SUP-9', hours: 1, scope: 'read_only' });
  assert.equal(g.status, 201, g.text);
  const c = s.client();
  // A password instead of an assertion is refused by the vendor sign-in (there is no password field or route).
  const pw = await c.post('/api/v1/support/auth/verify', { org, grant_id: g.json.id, email: staff.email, password: PW });
  assert.equal(pw.status, 400, pw.text);
  assert.equal((await c.post('/api/v1/support/auth/login', { email: staff.email, password: PW })).status, 404);
  // The tenant realm does not know vendor staff.
  assert.equal((await c.post('/api/v1/auth/login', { org, email: staff.email, password: PW })).status, 401);

  // Foreign origin (phishing page) fails and uses the challenge up.
  let opt = await c.post('/api/v1/support/auth/options', { email: staff.email });
  const phish = await c.post('/api/v1/support/auth/verify', { org, grant_id: g.json.id, response: staff.key.assert(opt.json.challenge, { origin: 'https://evil.example' }) });
  assert.equal(phish.status, 401);
  assert.equal(phish.json.code, 'support_signin_failed');
  opt = await c.post('/api/v1/support/auth/options', { email: staff.email });
  const good = staff.key.assert(opt.json.challenge);
  const ok = await c.post('/api/v1/support/auth/verify', { org, grant_id: g.json.id, response: good });
  assert.equal(ok.status, 200, ok.text);
  // Replay of the same assertion: the challenge is gone.
  assert.equal((await s.client().post('/api/v1/support/auth/verify', { org, grant_id: g.json.id, response: good })).status, 401);
  // Another member's key cannot answer for this member: unknown address yields options nobody can answer.
  const anon = s.client();
  const ghost = await anon.post('/api/v1/support/auth/options', { email: 'nobody@vendor.test' });
  assert.equal(ghost.status, 200);
  assert.equal((await anon.post('/api/v1/support/auth/verify', { org, grant_id: g.json.id, response: staff.key.assert(ghost.json.challenge) })).status, 401);

  // A disabled member's live session ends and they cannot sign in again.
  assert.equal((await c.get('/api/v1/support/session')).status, 200);
  await disableSupportStaff(s.db, staff.email);
  assert.equal((await c.get('/api/v1/support/session')).status, 401);
  opt = await anon.post('/api/v1/support/auth/options', { email: staff.email });
  assert.equal((await anon.post('/api/v1/support/auth/verify', { org, grant_id: g.json.id, response: staff.key.assert(opt.json.challenge) })).status, 401);
});

test('bad input: a malformed grant request is a problem with a code, and a grant of another tenant cannot be revoked', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const b = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const bad = await a.client.post('/api/v1/support/grants', { reason: '', ticket: 'x', hours: 0, scope: 'everything' });
  assert.equal(bad.status, 400, bad.text);
  assert.ok(bad.json.code);
  const g = await b.client.post('/api/v1/support/grants', { reason: 'r', ticket: 'T-1', hours: 1, scope: 'read_only' });
  assert.equal(g.status, 201);
  const x = await a.client.post(`/api/v1/support/grants/${g.json.id}/revoke`);
  assert.equal(x.status, 404);
  assert.equal(x.json.code, 'support_grant_not_found');
  assert.equal((await b.client.get('/api/v1/support/grants')).json.grants[0].status, 'open');
});

test('an access review lists each open support grant, and revoking that line ends its support session at once', async () => {
  const staff = await enrolStaff();
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const org = await slugOf(admin.tenantId);
  const g = await admin.client.post('/api/v1/support/grants', { reason: 'r', ticket: 'SUP-REV', hours: 1, scope: 'read_only' });
  assert.equal(g.status, 201, g.text);
  const { r, c } = await supportSignIn(staff, org, g.json.id);
  assert.equal(r.status, 200, r.text);
  const rev = await admin.client.post('/api/v1/governance/reviews', { title: 'Q-support', reviewers: [admin.userId] });
  assert.equal(rev.status, 201, rev.text);
  const items = (await admin.client.get(`/api/v1/governance/reviews/${rev.json.id}`)).json.items as Array<{ id: number; kind: string; subject_id: string; label: string }>;
  const line = items.find((i) => i.kind === 'support_grant');
  assert.ok(line, JSON.stringify(items));
  assert.equal(line.subject_id, g.json.id);
  assert.match(line.label, /SUP-REV/);
  const d = await admin.client.post(`/api/v1/governance/reviews/${rev.json.id}/items/${line.id}/decision`, { decision: 'revoked' });
  assert.equal(d.status, 200, d.text);
  assert.equal((await c.get('/api/v1/support/session')).json.code, 'support_unauthenticated');
  assert.equal((await admin.client.get('/api/v1/support/grants')).json.grants[0].status, 'revoked');
});

test('discoverable sign-in: without an e-mail, a registered key names its member; an unknown key, a disabled member or a replay fail', async () => {
  const staff = await enrolStaff();
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const org = await slugOf(admin.tenantId);
  const g = await admin.client.post('/api/v1/support/grants', { reason: 'r', ticket: 'SUP-DISC', hours: 1, scope: 'read_only' });
  assert.equal(g.status, 201, g.text);
  const c = s.client();
  const opt = await c.post('/api/v1/support/auth/options', {});
  assert.equal(opt.status, 200, opt.text);
  assert.deepEqual(opt.json.allowCredentials ?? [], [], 'no key list: nothing about who is enrolled');
  // A key nobody registered cannot answer the open challenge (and uses it up).
  const stranger = new SoftKey(s.url, '127.0.0.1');
  const bad = await c.post('/api/v1/support/auth/verify', { org, grant_id: g.json.id, response: stranger.assert(opt.json.challenge) });
  assert.equal(bad.status, 401);
  assert.equal(bad.json.code, 'support_signin_failed');
  const opt2 = await c.post('/api/v1/support/auth/options', {});
  const good = staff.key.assert(opt2.json.challenge);
  const ok = await c.post('/api/v1/support/auth/verify', { org, grant_id: g.json.id, response: good });
  assert.equal(ok.status, 200, ok.text);
  c.headers['x-csrf-token'] = ok.json.csrf_token;
  assert.equal((await c.get('/api/v1/support/session')).json.staff_email, staff.email, 'the key named its member');
  assert.equal((await s.client().post('/api/v1/support/auth/verify', { org, grant_id: g.json.id, response: good })).status, 401, 'replay');
  await disableSupportStaff(s.db, staff.email);
  const opt3 = await s.client().post('/api/v1/support/auth/options', {});
  assert.equal((await s.client().post('/api/v1/support/auth/verify', { org, grant_id: g.json.id, response: staff.key.assert(opt3.json.challenge) })).status, 401, 'disabled');
});
