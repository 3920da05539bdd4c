/**
 * People without an identity provider, in a real browser: an admin invites a security lead
 * (step-up with a real TOTP code), the link is shown once; the invitee opens it in another
 * browser, chooses a password and must enrol an authenticator before getting in; the admin
 * then changes someone's roles (not their own).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser } from '@parapet/server/testing';
import { screenshot, totp } from './harness.js';
import { consoleSuite } from './fixtures.js';

const suite = consoleSuite();
const missing = suite.skip;

test('invite a security lead, accept with password and MFA enrolment, change roles', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const { tenantId, admin, ...a } = await suite.orgWithAdmin('people-co', 'ada@people.test');
  const emp = await createUser(s.db, tenantId, { roles: ['employee'], email: 'eve@people.test' });
  const page = a.page;
  await page.goto(`${s.url}/people`);
  const card = page.getByRole('region', { name: 'Invite someone' });
  await card.getByLabel('Email').fill('lea@people.test');
  await card.getByRole('checkbox', { name: /Security lead/ }).check();
  await card.getByRole('checkbox', { name: /Employee/ }).uncheck();
  await card.getByRole('button', { name: 'Create invitation link' }).click();
  const stepUp = page.getByRole('dialog', { name: "Confirm it's you" });
  await stepUp.waitFor();
  await stepUp.getByLabel('Verification code').fill(admin.nextCode());
  await stepUp.getByRole('button', { name: 'Verify and continue' }).click();
  const link = (await page.getByTestId('one-time-secret').textContent())!.trim();
  assert.match(link, /^https:\/\/[^/]+\/invite#pinv_/);
  await page.getByRole('region', { name: 'Invitations' }).getByText('lea@people.test').waitFor();
  await screenshot(page, 'console-people-invited');

  // The invitee, in a browser of their own.
  const b = await suite.tab();
  await b.page.goto(link.replace(/^https:\/\/[^/]+/, s.url));
  await b.page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
  await b.page.getByText('lea@people.test', { exact: true }).first().waitFor();
  assert.equal(new URL(b.page.url()).hash, '', 'the token leaves the address bar');
  await b.page.getByLabel('Your name').fill('Lea Lead');
  await b.page.getByLabel('Choose a password').fill('lea chooses a long password');
  await b.page.getByLabel('Password again').fill('lea chooses a long password');
  await b.page.getByRole('button', { name: 'Create my account' }).click();
  await b.page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
  await b.page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = (await b.page.getByTestId('totp-secret').textContent())!.replace(/\s+/g, '');
  await b.page.getByLabel('Code from the app').fill(totp(secret, Date.now() / 1000));
  await b.page.getByRole('button', { name: 'Confirm' }).click();
  await b.page.getByRole('button', { name: 'I saved them, continue' }).click();
  await b.page.getByTestId('user-email').waitFor();
  assert.equal(await b.page.getByTestId('user-email').textContent(), 'lea@people.test');
  await screenshot(b.page, 'console-invite-accepted');
  // Used once: the same link now says so.
  const c = await suite.tab();
  await c.page.goto(link.replace(/^https:\/\/[^/]+/, s.url));
  await c.page.getByTestId('invite-error').getByText(/not valid/).waitFor();

  // Back to the admin: roles of someone else (fresh MFA still counts), never their own.
  await page.reload();
  const people = page.getByRole('region', { name: 'People' }).or(page.locator('section', { has: page.getByRole('heading', { name: 'People', level: 2 }) }));
  await people.first().getByText('You (another admin changes your roles)').waitFor();
  await page.getByRole('button', { name: `Edit roles of ${emp.email}` }).click();
  const dlg = page.getByRole('dialog', { name: `Roles of ${emp.email}` });
  await dlg.getByRole('checkbox', { name: /Operator/ }).check();
  await dlg.getByRole('button', { name: 'Save roles' }).click();
  await page.getByText(`${emp.email} now has: Operator, Employee.`, { exact: false }).waitFor();
  const roles = (await s.db.tx({ tenantId }, (q) => q.query<{ roles: string[] }>(`SELECT roles FROM users WHERE id = $1`, [emp.userId]))).rows[0]!.roles;
  assert.deepEqual(roles, ['operator', 'employee']);
  assert.deepEqual([...a.problems, ...b.problems], []);
});
