/**
 * Vendor support in a real browser (CORE-SUPPORT, CONSOLE): Chromium's virtual authenticator
 * (DevTools WebAuthn domain) stands in for the support member's security key. The member
 * registers the key with the operator's enrolment code, signs in with organisation + grant id +
 * key only (no e-mail typed: the key is discoverable; the page has no password field), and lands on the support view whose banner names
 * the grant, its scope and its end. A read-only grant shows the people list and no way to change
 * anything; a read-write grant offers "Unlock sign-in", which works and is in the customer's
 * audit log with the grant id. Revoking the grant sends the open page back to sign-in.
 *
 * WebAuthn refuses IP addresses as relying party, so the browser uses https://localhost:<port>
 * (fixtures.ts `base`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, createUser, loginAs } from '@parapet/server/testing';
import { addSupportStaff } from '@parapet/server/governance/support';
import { screenshot } from './harness.js';
import { consoleSuite, virtualAuthenticator } from './fixtures.js';

const suite = consoleSuite();
const missing = suite.skip;

test('support: enrol a security key, sign in under a grant with it, see what the grant allows, lose access on revocation', { skip: missing ?? false }, async () => {
  const { s, base } = suite;
  const tenantId = await createTenant(s.db, 'helpme');
  const admin = await loginAs(s, { roles: ['admin'], tenantId, mfaFresh: true });
  const victim = await createUser(s.db, tenantId, { roles: ['employee'], email: 'lee.locked@helpme.test' });
  const staffEmail = 'sam.support@vendor.test';
  const { code } = await addSupportStaff(s.db, staffEmail, 'Sam Support');

  const { page, problems } = await suite.tab();
  // A roaming security key (USB), as support staff would carry.
  const key = await virtualAuthenticator(page, 'usb');

  // Enrolment with the operator's one-time code.
  await page.goto(`${base}/support/enrol`);
  await page.getByLabel('Your support e-mail').fill(staffEmail);
  await page.getByLabel('Enrolment code').fill(code);
  await page.getByRole('button', { name: 'Register security key' }).click();
  await page.getByText('Security key registered.', { exact: false }).waitFor();
  assert.equal((await key.credentials()).length, 1);

  // The sign-in page asks for no password at all.
  await page.goto(`${base}/support/sign-in`);
  await page.getByRole('heading', { name: 'Support sign-in' }).waitFor();
  assert.equal(await page.locator('input[type=password]').count(), 0);
  // With the e-mail (the key list comes from the server) or without (the key is discoverable and names its member).
  const signIn = async (org: string, grantId: string, o: { email?: boolean } = {}) => {
    await page.goto(`${base}/support/sign-in`);
    await page.getByLabel('Organisation').fill(org);
    await page.getByLabel('Grant id').fill(grantId);
    if (o.email ?? true) await page.getByLabel('Your support e-mail').fill(staffEmail);
    await page.getByRole('button', { name: 'Sign in with security key' }).click();
  };

  // No grant: the key is fine, the organisation has no such grant.
  await signIn('helpme', '00000000-0000-4000-8000-000000000000');
  await page.getByTestId('support-signin-error').getByText('There is no open support grant with this id in this organisation.').waitFor();
  // The support view without a session goes to sign-in.
  await page.goto(`${base}/support`);
  await page.getByRole('heading', { name: 'Support sign-in' }).waitFor();

  // A read-only grant: the banner names it; people are listed; nothing can be changed.
  const ro = await admin.client.post('/api/v1/support/grants', { reason: 'Agent will not enrol', ticket: 'SUP-7001', hours: 2, scope: 'read_only' });
  assert.equal(ro.status, 201, ro.text);
  await signIn('helpme', ro.json.id, { email: false });
  const banner = page.getByTestId('support-banner');
  await banner.waitFor();
  const text = await banner.innerText();
  assert.match(text, /Vendor support session/);
  assert.match(text, new RegExp(staffEmail), 'the discoverable key named its member');
  assert.match(text, new RegExp(ro.json.id));
  assert.match(text, /SUP-7001/);
  assert.match(text, /Read only/);
  assert.match(text, new RegExp(`ends ${ro.json.expires_at.slice(0, 16).replace('T', ' ')} UTC`));
  const people = page.getByRole('table', { name: 'People in this organisation' });
  await people.locator('tbody tr', { hasText: victim.email }).waitFor();
  await page.getByText('This grant is read-only', { exact: false }).waitFor();
  assert.equal(await page.getByRole('button', { name: /Unlock sign-in/ }).count(), 0);
  await screenshot(page, 'support-view-read-only');
  await page.getByRole('button', { name: 'End support session' }).click();
  await page.getByRole('heading', { name: 'Support sign-in' }).waitFor();

  // A read-write grant: "Unlock sign-in" is offered and works.
  const rw = await admin.client.post('/api/v1/support/grants', { reason: 'Locked out after travel', ticket: 'SUP-7002', hours: 1, scope: 'read_write' });
  assert.equal(rw.status, 201, rw.text);
  await signIn('helpme', rw.json.id);
  await banner.getByText('Read and write').waitFor();
  assert.match(await banner.innerText(), /SUP-7002/);
  // The person mistyped their password: the server holds a failure counter for them.
  const guess = s.client();
  for (let i = 0; i < 3; i++) assert.equal((await guess.post('/api/v1/auth/login', { org: 'helpme', email: victim.email, password: `wrong guess ${i}` })).status, 401);
  await page.getByRole('button', { name: `Unlock sign-in for ${victim.email}` }).click();
  const done = page.getByText(`Sign-in delays cleared for ${victim.email}`, { exact: false });
  await done.waitFor();
  assert.doesNotMatch(await done.innerText(), /\(0 cleared\)/, 'the unlock cleared the failure counters');
  await screenshot(page, 'support-view-read-write');

  // The customer's log has every request of both sessions with its grant id, the unlock included.
  const log = (await s.db.tx({ tenantId }, (q) => q.query<{ action: string; details: { grant_id?: string; path?: string; status?: number } }>(`SELECT action, details FROM audit_log ORDER BY seq`))).rows;
  const reqs = log.filter((e) => e.action === 'support.request.made');
  assert.ok(reqs.some((e) => e.details.grant_id === ro.json.id && e.details.path === '/api/v1/support/tenant/users'));
  assert.ok(reqs.some((e) => e.details.grant_id === rw.json.id && e.details.path === '/api/v1/support/tenant/users/:id/unlock' && e.details.status === 200));
  assert.ok(log.some((e) => e.action === 'support.session.refused'));

  // Revoked: the open page loses the session at its next request.
  assert.equal((await admin.client.post(`/api/v1/support/grants/${rw.json.id}/revoke`)).status, 200);
  await page.reload();
  await page.getByRole('heading', { name: 'Support sign-in' }).waitFor();
  assert.deepEqual(problems, []);
});
