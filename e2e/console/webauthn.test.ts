/**
 * Passkeys in a real browser (CONSOLE, CORE-MFA): Chromium's virtual authenticator (DevTools
 * WebAuthn domain) stands in for a security key. A user registers a key in My account, signs
 * in with password + passkey (no TOTP), confirms a step-up with it, and the audit page shows it.
 *
 * WebAuthn refuses IP addresses as relying party, so the browser uses https://localhost:<port>
 * (fixtures.ts `base`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser } from '@parapet/server/testing';
import { hashPassword } from '@parapet/server/auth/password';
import { screenshot, totp } from './harness.js';
import { consoleSuite, signInWithPassword, virtualAuthenticator } from './fixtures.js';

const suite = consoleSuite();
const missing = suite.skip;

test('passkey: register in My account, sign in with password + passkey, step-up with it, audit shows it all', { skip: missing ?? false }, async () => {
  const { s, base } = suite;
  const { tenantId, user: u, page, problems, signIn } = await suite.orgWithPasswordUser('pk', 'auditor', 'kim.key@pk.test', 'passkey person passphrase');
  const authenticator = await virtualAuthenticator(page);

  // Signed in with a password only (no factor yet), the user adds a passkey.
  await signIn();
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  await page.goto(`${base}/account`);
  const section = page.getByRole('region', { name: 'Passkeys and security keys' });
  await section.getByText('No passkeys or security keys yet.').waitFor();
  await section.getByLabel('Name for the new key').fill('Test laptop');
  await section.getByRole('button', { name: 'Add a passkey or security key' }).click();
  await section.getByText('Passkey added.', { exact: false }).waitFor();
  // The first factor brings recovery codes, shown once.
  assert.equal(await section.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').count(), 10);
  const table = section.getByRole('table', { name: 'Your passkeys and security keys' });
  await table.locator('tbody tr', { hasText: 'Test laptop' }).waitFor();
  assert.equal(await table.locator('tbody tr').count(), 1);
  assert.equal((await authenticator.credentials()).length, 1, 'the browser authenticator holds the new credential');
  // The two-step card no longer says MFA is off.
  await page.getByText('No authenticator app.').waitFor();
  assert.equal(await page.getByText('Two-step verification is off.').count(), 0);
  await screenshot(page, 'console-passkey-registered');

  // Sign out, then sign in: password, then the passkey (no code typed).
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await signIn();
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  const usePasskey = page.getByRole('button', { name: 'Use a passkey or security key' });
  await usePasskey.waitFor();
  await screenshot(page, 'console-passkey-signin');
  await usePasskey.click();
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();

  // Step-up with the passkey: the session's verification is made old, then the key is removed
  // (a step-up action) through the dialog's passkey option.
  await s.asAdmin((db) => db.query(`UPDATE sessions SET mfa_verified_at = now() - interval '1 hour' WHERE user_id = $1`, [u.userId]));
  await page.goto(`${base}/account`);
  await table.locator('tbody tr', { hasText: 'Test laptop' }).waitFor();
  assert.match(await table.locator('tbody tr').innerText(), /Test laptop/);
  await section.getByRole('button', { name: 'Remove Test laptop' }).click();
  await section.getByRole('group', { name: 'Confirm removing Test laptop' }).getByRole('button', { name: 'Remove key' }).click();
  const dialog = page.getByRole('dialog', { name: "Confirm it's you" });
  await dialog.getByRole('button', { name: 'Use a passkey or security key' }).waitFor();
  await screenshot(page, 'console-passkey-stepup');
  await dialog.getByRole('button', { name: 'Use a passkey or security key' }).click();
  await dialog.waitFor({ state: 'detached' });
  await section.getByText('Removed Test laptop.').waitFor();
  await section.getByText('No passkeys or security keys yet.').waitFor();

  // The audit page shows the registration, the passkey login and the step-up.
  await page.goto(`${base}/audit`);
  const audit = page.getByRole('table', { name: 'Audit entries' });
  await audit.waitFor();
  for (const action of ['auth.mfa.enrolled', 'auth.session.opened', 'auth.session.stepped_up', 'auth.mfa.removed']) assert.ok((await audit.locator('tbody tr', { hasText: action }).count()) >= 1, action);
  await page.getByLabel('Action').fill('auth.session.opened');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('2 rows').waitFor(); // the password-only login, then the passkey login
  await audit.getByRole('button', { name: /View/ }).first().click(); // newest first
  const detail = page.getByRole('region', { name: /Entry \d+/ });
  await detail.waitFor();
  assert.match(await detail.innerText(), /"method": "webauthn"/);
  await screenshot(page, 'console-passkey-audit');

  // The server agrees: the enrolment and the second-factor login were WebAuthn.
  const log = await s.db.tx({ tenantId }, (q) => q.query<{ action: string; details: { method?: string; stage?: string } }>(`SELECT action, details FROM audit_log ORDER BY seq`));
  assert.ok(log.rows.some((r) => r.action === 'auth.mfa.enrolled' && r.details.method === 'webauthn'));
  assert.ok(log.rows.some((r) => r.action === 'auth.session.opened' && r.details.stage === 'mfa' && r.details.method === 'webauthn'));
  assert.ok(log.rows.some((r) => r.action === 'auth.session.stepped_up' && r.details.method === 'webauthn'));
  assert.deepEqual(problems, []);
});

test('passkey: a key the browser no longer holds gives a clear message and a recovery code still works; no passkey offered to a TOTP-only user', { skip: missing ?? false }, async () => {
  const { s, base } = suite;
  const password = 'lost key person passphrase';
  const { tenantId, page, problems, signIn } = await suite.orgWithPasswordUser('pk2', 'employee', 'lou.lost@pk2.test', password);
  const authenticator = await virtualAuthenticator(page);
  await signIn();
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  await page.goto(`${base}/account`);
  await page.getByRole('heading', { level: 1, name: 'My account' }).waitFor();
  await page.getByLabel('Name for the new key').fill('Old phone');
  await page.getByRole('button', { name: 'Add a passkey or security key' }).click();
  await page.getByText('Passkey added.', { exact: false }).waitFor();
  const codes = (await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allInnerTexts()).map((c) => c.trim());
  assert.equal(codes.length, 10);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  // The device lost the key (reset phone); the server still lists it.
  await authenticator.clear();
  await signIn();
  await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
  await page.getByTestId('signin-error').waitFor({ timeout: 90_000 });
  assert.match(await page.getByTestId('signin-error').innerText(), /cancelled, timed out, or found no registered key/);
  await screenshot(page, 'console-passkey-lost');
  // A recovery code (issued with the first key) still finishes the sign-in.
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill(codes[0]!);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();

  // Someone with only an authenticator app is not offered a passkey.
  const totpUser = await createUser(s.db, tenantId, { roles: ['employee'], email: 'tia.totp@pk2.test', passwordHash: await hashPassword(password) });
  const c = s.client();
  const l = await c.post('/api/v1/auth/login', { org: 'pk2', email: totpUser.email, password });
  c.headers['x-csrf-token'] = l.json.csrf_token;
  const secret: string = (await c.post('/api/v1/auth/mfa/totp/enroll')).json.secret;
  assert.equal((await c.post('/api/v1/auth/mfa/totp/confirm', { code: totp(secret, Date.now() / 1000) })).status, 200);
  await signInWithPassword(page, base, 'pk2', totpUser.email, password);
  await page.getByLabel('Verification code').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Use a passkey or security key' }).count(), 0);
  await page.getByLabel('Verification code').fill(totp(secret, Date.now() / 1000 + 30));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  assert.deepEqual(problems, []);
});
