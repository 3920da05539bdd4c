import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SoftKey } from './soft-authenticator.js';
import { startTestServer, loginAs, createTenant, createUser, type TestServer, type TestClient } from '../src/testing.js';
import { hashPassword } from '../src/auth/password.js';

const PW = 'correct horse battery staple';
let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

async function registerKey(c: TestClient): Promise<{ key: SoftKey; codes: string[] }> {
  const key = new SoftKey(s.url, '127.0.0.1');
  const opt = await c.post('/api/v1/auth/webauthn/register/options');
  assert.equal(opt.status, 200, opt.text);
  assert.equal(opt.json.rp.id, '127.0.0.1');
  const v = await c.post('/api/v1/auth/webauthn/register/verify', { response: key.register(opt.json.challenge), name: 'soft key' });
  assert.equal(v.status, 200, v.text);
  c.headers['x-csrf-token'] = v.json.csrf_token;
  return { key, codes: v.json.recovery_codes };
}

test('register a security key, then sign in with password + WebAuthn; replayed or foreign-origin assertions fail', async () => {
  const slug = 'w-' + randomBytes(4).toString('hex');
  const tenantId = await createTenant(s.db, slug);
  const u = await createUser(s.db, tenantId, { roles: ['employee'], passwordHash: await hashPassword(PW) });
  const c0 = s.client();
  const l0 = await c0.post('/api/v1/auth/login', { org: slug, email: u.email, password: PW });
  c0.headers['x-csrf-token'] = l0.json.csrf_token;
  const { key, codes } = await registerKey(c0);
  assert.equal(codes.length, 10, 'first factor brings recovery codes');
  const f = await c0.get('/api/v1/auth/mfa');
  assert.deepEqual(f.json.factors.map((x: { type: string }) => x.type), ['webauthn']);
  // The webauthn member of the factor union: every member present, nothing of a TOTP factor's.
  assert.deepEqual(Object.keys(f.json.factors[0]).sort(), ['confirmed_at', 'created_at', 'id', 'last_used_at', 'name', 'type']);
  assert.equal(f.json.factors[0].name, 'soft key');
  assert.equal(f.json.factors[0].last_used_at, null);

  const c = s.client();
  const l = await c.post('/api/v1/auth/login', { org: slug, email: u.email, password: PW });
  assert.equal(l.json.state, 'mfa_required');
  c.headers['x-csrf-token'] = l.json.csrf_token;
  // Wrong origin (a phishing page) fails, and uses up the challenge.
  let opt = await c.post('/api/v1/auth/webauthn/authenticate/options');
  assert.equal(opt.status, 200, opt.text);
  assert.equal(opt.json.allowCredentials[0].id, key.register('x').id);
  const phish = await c.post('/api/v1/auth/webauthn/authenticate/verify', { response: key.assert(opt.json.challenge, { origin: 'https://evil.example' }) });
  assert.equal(phish.status, 401);
  opt = await c.post('/api/v1/auth/webauthn/authenticate/options');
  const good = key.assert(opt.json.challenge);
  const ok = await c.post('/api/v1/auth/webauthn/authenticate/verify', { response: good });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.method, 'webauthn');
  c.headers['x-csrf-token'] = ok.json.csrf_token;
  assert.equal((await c.get('/api/v1/auth/session')).status, 200);
  // The same assertion again (challenge consumed) fails as a step-up.
  assert.equal((await c.post('/api/v1/auth/webauthn/authenticate/verify', { response: good })).status, 401);
  // A cloned key whose counter goes back fails.
  opt = await c.post('/api/v1/auth/webauthn/authenticate/options');
  assert.equal((await c.post('/api/v1/auth/webauthn/authenticate/verify', { response: key.assert(opt.json.challenge, { counter: 1 }) })).status, 401);
  // Wrong RP ID fails.
  opt = await c.post('/api/v1/auth/webauthn/authenticate/options');
  assert.equal((await c.post('/api/v1/auth/webauthn/authenticate/verify', { response: key.assert(opt.json.challenge, { rpID: 'evil.example', counter: 10 }) })).status, 401);
  // Control: the same key with a higher counter and the right RP passes, so the failures above were the point.
  opt = await c.post('/api/v1/auth/webauthn/authenticate/options');
  const again = await c.post('/api/v1/auth/webauthn/authenticate/verify', { response: key.assert(opt.json.challenge, { counter: 11 }) });
  assert.equal(again.status, 200, again.text);
});

test('WebAuthn serves step-up: a stale admin verifies with the key and the step-up action passes', async () => {
  const a = await loginAs(s, { roles: ['admin'] });
  const { key } = await registerKey(a.client);
  await s.asAdmin((db) => db.query(`UPDATE sessions SET mfa_verified_at = now() - interval '1 hour' WHERE id = $1`, [a.sessionId]));
  assert.equal((await a.client.request('PUT', '/api/v1/auth/settings', { json: { mfa_required: true } })).json.code, 'step_up_required');
  const opt = await a.client.post('/api/v1/auth/webauthn/authenticate/options');
  const v = await a.client.post('/api/v1/auth/webauthn/authenticate/verify', { response: key.assert(opt.json.challenge) });
  assert.equal(v.status, 200, v.text);
  a.client.headers['x-csrf-token'] = v.json.csrf_token;
  assert.equal((await a.client.request('PUT', '/api/v1/auth/settings', { json: { mfa_required: true } })).status, 200);
  const log = await s.db.tx({ tenantId: a.tenantId }, (q) => q.query<{ action: string; details: { method?: string } }>(`SELECT action, details FROM audit_log ORDER BY seq`));
  assert.ok(log.rows.some((r) => r.action === 'auth.session.stepped_up' && r.details.method === 'webauthn'));
  assert.ok(log.rows.some((r) => r.action === 'auth.mfa.enrolled' && r.details.method === 'webauthn'));
  // Removing the key: only one's own, with fresh MFA.
  const factors = await a.client.get('/api/v1/auth/mfa');
  const id = factors.json.factors[0].id;
  const peer = await loginAs(s, { roles: ['admin'], tenantId: a.tenantId, mfaFresh: true });
  assert.equal((await peer.client.request('DELETE', `/api/v1/auth/webauthn/credentials/${id}`)).status, 404);
  assert.equal((await a.client.request('DELETE', `/api/v1/auth/webauthn/credentials/${id}`)).status, 204);
  assert.deepEqual((await a.client.get('/api/v1/auth/mfa')).json.factors, []);
});

test('registering the same credential id a second time is 409 webauthn_credential_exists, not a 500, and changes nothing', async () => {
  const slug = 'wd-' + randomBytes(4).toString('hex');
  const tenantId = await createTenant(s.db, slug);
  const u = await createUser(s.db, tenantId, { roles: ['employee'], passwordHash: await hashPassword(PW) });
  const c = s.client();
  const l = await c.post('/api/v1/auth/login', { org: slug, email: u.email, password: PW });
  c.headers['x-csrf-token'] = l.json.csrf_token;
  const { key } = await registerKey(c);
  // Fresh MFA with that key, so adding a factor is allowed whatever step-up rule applies.
  const ao = await c.post('/api/v1/auth/webauthn/authenticate/options');
  assert.equal(ao.status, 200, ao.text);
  const av = await c.post('/api/v1/auth/webauthn/authenticate/verify', { response: key.assert(ao.json.challenge) });
  assert.equal(av.status, 200, av.text);
  c.headers['x-csrf-token'] = av.json.csrf_token;
  const opt = await c.post('/api/v1/auth/webauthn/register/options');
  assert.equal(opt.status, 200, opt.text);
  const again = await c.post('/api/v1/auth/webauthn/register/verify', { response: key.register(opt.json.challenge), name: 'same key' });
  assert.equal(again.status, 409, again.text);
  assert.equal(again.json.code, 'webauthn_credential_exists');
  const f = await c.get('/api/v1/auth/mfa');
  assert.equal(f.json.factors.filter((x: { type: string }) => x.type === 'webauthn').length, 1);
});

// Issue 12 item 1: registering a factor is not a fresh MFA verification, and adding a factor to
// an account that already has one needs step-up (at options and again at verification).
test('enrolling a factor never refreshes MFA, and a second factor needs step-up', async () => {
  // First factor: allowed without step-up, but the session's MFA time stays unset.
  const a = await loginAs(s, { roles: ['admin'] });
  const { key } = await registerKey(a.client);
  assert.equal((await a.client.get('/api/v1/auth/session')).json.mfa_verified_at, null, 'registration is not a verification');
  assert.equal((await a.client.request('PUT', '/api/v1/auth/settings', { json: { mfa_required: false } })).json.code, 'step_up_required');

  // The attack: MFA an hour old, register another key to get past step-up.
  await s.asAdmin((db) => db.query(`UPDATE sessions SET mfa_verified_at = now() - interval '1 hour' WHERE id = $1`, [a.sessionId]));
  const opt = await a.client.post('/api/v1/auth/webauthn/register/options');
  assert.equal(opt.status, 401, opt.text);
  assert.equal(opt.json.code, 'step_up_required');
  const totp = await a.client.post('/api/v1/auth/mfa/totp/enroll');
  assert.equal(totp.json.code, 'step_up_required', 'the kind, not the one route: a TOTP as second factor too');
  // Options fetched while fresh, verification after MFA went stale: refused at verification.
  await s.asAdmin((db) => db.query(`UPDATE sessions SET mfa_verified_at = now() WHERE id = $1`, [a.sessionId]));
  const fresh = await a.client.post('/api/v1/auth/webauthn/register/options');
  assert.equal(fresh.status, 200, fresh.text);
  await s.asAdmin((db) => db.query(`UPDATE sessions SET mfa_verified_at = now() - interval '1 hour' WHERE id = $1`, [a.sessionId]));
  const second = new SoftKey(s.url, '127.0.0.1');
  const v = await a.client.post('/api/v1/auth/webauthn/register/verify', { response: second.register(fresh.json.challenge) });
  assert.equal(v.status, 401, v.text);
  assert.equal(v.json.code, 'step_up_required');
  assert.equal((await a.client.request('PUT', '/api/v1/auth/settings', { json: { mfa_required: false } })).json.code, 'step_up_required');
  assert.equal((await a.client.get('/api/v1/auth/mfa')).json.factors.length, 1, 'no second key stored');

  // After a real step-up with the existing key, a second key may be added; that does not move the MFA time.
  const ao = await a.client.post('/api/v1/auth/webauthn/authenticate/options');
  const su = await a.client.post('/api/v1/auth/webauthn/authenticate/verify', { response: key.assert(ao.json.challenge) });
  assert.equal(su.status, 200, su.text);
  a.client.headers['x-csrf-token'] = su.json.csrf_token;
  const before = (await a.client.get('/api/v1/auth/session')).json.mfa_verified_at;
  const o2 = await a.client.post('/api/v1/auth/webauthn/register/options');
  const v2 = await a.client.post('/api/v1/auth/webauthn/register/verify', { response: second.register(o2.json.challenge) });
  assert.equal(v2.status, 200, v2.text);
  a.client.headers['x-csrf-token'] = v2.json.csrf_token;
  assert.equal((await a.client.get('/api/v1/auth/session')).json.mfa_verified_at, before);
});
