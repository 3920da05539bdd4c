/**
 * Privileged roles have MFA from the start: an admin or security lead without a second factor
 * who signs in with a password gets an enrolment-only session (as when the organisation
 * requires MFA for everyone); other roles sign in fully unless the organisation requires it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, createTenant, createUser, type TestServer } from '../src/testing.js';
import { hashPassword } from '../src/auth/password.js';

let s: TestServer;
let hash: string;
before(async () => {
  s = await startTestServer();
  hash = await hashPassword('a long enough password');
});
after(() => s.close());

test('admins and security leads must enrol MFA at their first sign-in; others need not', async () => {
  const slug = 'mfa-' + Date.now().toString(36);
  const t = await createTenant(s.db, slug);
  for (const [roles, state] of [
    [['admin'], 'mfa_enrollment_required'],
    [['security_lead'], 'mfa_enrollment_required'],
    [['employee', 'security_lead'], 'mfa_enrollment_required'],
    [['employee'], 'authenticated'],
    [['auditor'], 'authenticated'],
    [['operator', 'manager'], 'authenticated'],
  ] as const) {
    const u = await createUser(s.db, t, { roles: [...roles], passwordHash: hash });
    const c = s.client();
    const r = await c.post('/api/v1/auth/login', { org: slug, email: u.email, password: 'a long enough password' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.state, state, roles.join(','));
    // An enrolment-only session reaches nothing but enrolment.
    c.headers['x-csrf-token'] = r.json.csrf_token;
    assert.equal((await c.get('/api/v1/auth/session')).status, state === 'authenticated' ? 200 : 401);
    if (state !== 'authenticated') assert.equal((await c.post('/api/v1/auth/mfa/totp/enroll')).status, 200);
  }
});
