/**
 * The console in a real browser (CONSOLE): sign-in, the frame's navigation and keyboard
 * access, the People table (filter, sort, paging), the audit page showing a sign-out, and
 * sign-in with a password once the identity module's login API is on the server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, createUser, loginAs } from '@parapet/server/testing';
import { hashPassword } from '@parapet/server/auth/password';
import { focusedText, screenshot, sessionCookie, type Tab, totp } from './harness.js';
import { consoleSuite } from './fixtures.js';

let tenantId: string;
let admin: { userId: string; email: string };
const suite = consoleSuite({
  setup: async (s) => {
    tenantId = await createTenant(s.db, 'acme');
    admin = await createUser(s.db, tenantId, { roles: ['admin'], email: 'ada.admin@acme.test' });
  },
});
const missing = suite.skip;

test('signed out: the sign-in page is shown, labelled, with no CSP or script errors', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const { page, problems } = await suite.tab();
  await page.goto(`${s.url}/people`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  // The deep link is kept for after sign-in.
  assert.match(page.url(), /\/sign-in\?next=%2Fpeople$/);
  for (const label of ['Organisation', 'Email', 'Password']) assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label);
  await screenshot(page, 'console-signin');
  assert.deepEqual(problems, []);
});

test('signed in with a session cookie: header shows user and org, navigation works by mouse and keyboard', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const { page, problems } = await suite.tab(await sessionCookie(s, tenantId, admin.userId));
  // Everyone lands on Home (home.test.ts); People is one link away.
  await page.goto(`${s.url}/people`);
  await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
  assert.equal(await page.getByTestId('user-email').textContent(), admin.email);
  assert.equal(await page.getByTestId('org-name').textContent(), 'acme');
  const nav = page.getByRole('navigation', { name: 'Main' });
  assert.equal(await nav.getByRole('link', { name: 'People' }).getAttribute('aria-current'), 'page');

  await nav.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/audit');
  await nav.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { level: 1, name: 'Organisation settings' }).waitFor();
  await screenshot(page, 'console-settings');
  await nav.getByRole('link', { name: 'My account' }).click();
  await page.getByRole('heading', { level: 1, name: 'My account' }).waitFor();
  // The page heading takes focus on navigation (announced by screen readers).
  assert.equal(await focusedText(page), 'My account');
  await screenshot(page, 'console-account');

  // Back button and reload keep working (history routing + server fallback to index.html).
  await page.goBack();
  await page.getByRole('heading', { level: 1, name: 'Organisation settings' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Organisation settings' }).waitFor();

  // Keyboard: the first Tab reaches the skip link; Enter jumps to the content.
  await page.keyboard.press('Tab');
  assert.equal(await focusedText(page), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(new URL(page.url()).hash, '#main');
  // Tab walks through the navigation links in order.
  await page.locator('.topbar-user button').focus();
  await page.keyboard.press('Tab');
  assert.equal(await focusedText(page), 'Home');
  await page.keyboard.press('Tab');
  assert.equal(await focusedText(page), 'My account');
  await page.keyboard.press('Tab');
  assert.equal(await focusedText(page), 'People');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();

  // An unknown page says so inside the frame.
  await page.goto(`${s.url}/no-such-page`);
  await page.getByText('There is no page here.').waitFor();
  assert.deepEqual(problems, []);
});

test('an employee does not see admin pages and is told why when opening one', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const emp = await createUser(s.db, tenantId, { roles: ['employee'], email: 'eve.employee@acme.test' });
  const { page, problems } = await suite.tab(await sessionCookie(s, tenantId, emp.userId));
  await page.goto(`${s.url}/`);
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  const nav = page.getByRole('navigation', { name: 'Main' });
  // Home, My account, and Pulse (everyone has data of their own): no admin page.
  assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Home', 'My account', 'Insights', 'My Pulse data']);
  await page.goto(`${s.url}/audit`);
  await page.getByText('You do not have access to this page.').waitFor();
  assert.deepEqual(problems, []);
});

test('People: filter, sort and page through the table', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const names = ['zed', 'yara', 'xavier', 'walt', 'vera'];
  for (let i = 0; i < 30; i++) await createUser(s.db, tenantId, { roles: [i % 3 === 0 ? 'auditor' : 'employee'], email: `${names[i % 5]}${String(i).padStart(2, '0')}@acme.test` });
  const { page, problems } = await suite.tab(await sessionCookie(s, tenantId, admin.userId));
  await page.goto(`${s.url}/people`);
  const table = page.getByRole('table', { name: 'People' });
  await table.waitFor();
  const rows = table.locator('tbody tr');
  // 32 people (admin, employee from the previous test, 30 here): first page of 25.
  assert.equal(await rows.count(), 25);
  await page.getByText('1–25 of 32 · page 1 of 2').waitFor();
  await page.getByRole('button', { name: 'Next' }).click();
  assert.equal(await rows.count(), 7);
  await page.getByRole('button', { name: 'Previous' }).click();

  const filter = page.getByLabel('Filter people');
  await filter.fill('zed');
  assert.equal(await rows.count(), 6);
  await page.getByText('6 of 32 rows match').waitFor();
  // Sorted by email ascending by default; the header toggles to descending.
  const emails = async () => (await rows.locator('td:first-child').allTextContents()).map((t) => t.trim());
  assert.deepEqual(await emails(), ['zed00@acme.test', 'zed05@acme.test', 'zed10@acme.test', 'zed15@acme.test', 'zed20@acme.test', 'zed25@acme.test']);
  await table.getByRole('button', { name: /Email/ }).click();
  assert.equal(await table.locator('th').first().getAttribute('aria-sort'), 'descending');
  assert.equal((await emails())[0], 'zed25@acme.test');
  // Filtering matches role names too.
  await filter.fill('auditor');
  assert.equal(await rows.count(), 10);
  await filter.fill('nobody-by-this-name');
  await page.getByText(/Nothing matches/).waitFor();
  await filter.fill('zed');
  await screenshot(page, 'console-people-filtered');
  assert.deepEqual(problems, []);
});

test('Audit log: a sign-out in the browser shows up as an auth.session.closed entry', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const leaver = await createUser(s.db, tenantId, { roles: ['employee'], email: 'lee.leaver@acme.test' });
  const a = await suite.tab(await sessionCookie(s, tenantId, leaver.userId));
  await a.page.goto(`${s.url}/account`);
  await a.page.getByRole('heading', { level: 1, name: 'My account' }).waitFor();
  await a.page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await a.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  // The session is really gone: a reload stays signed out.
  await a.page.reload();
  await a.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.deepEqual(a.problems, []);

  const auditor = await createUser(s.db, tenantId, { roles: ['auditor'], email: 'aud.itor@acme.test' });
  const { page, problems } = await suite.tab(await sessionCookie(s, tenantId, auditor.userId));
  await page.goto(`${s.url}/audit`);
  const table = page.getByRole('table', { name: 'Audit entries' });
  await table.waitFor();
  const row = table.locator('tbody tr', { hasText: 'lee.leaver@acme.test' });
  assert.equal(await row.count(), 1);
  assert.match(await row.innerText(), /auth\.session\.closed/);
  assert.match(await row.innerText(), /success/);

  // Server-side filter by actor and action; then the entry's detail.
  await page.getByLabel('Actor').fill('lee.leaver');
  await page.getByLabel('Action').fill('auth.session.closed');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('1 row').waitFor();
  await table.getByRole('button', { name: /View/ }).click();
  const detail = page.getByRole('region', { name: /Entry \d+/ });
  await detail.waitFor();
  assert.match(await detail.innerText(), /lee\.leaver@acme\.test/);
  await screenshot(page, 'console-audit-logout');

  // A filter that matches nothing says what to do.
  await page.getByLabel('Action').fill('probe.');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('No entries match these filters.').waitFor();
  await screenshot(page, 'console-audit-empty');
  assert.deepEqual(problems, []);
});

test('sign-in with a password (runs once the identity module provides POST /api/v1/auth/login)', { skip: missing ?? false }, async (t) => {
  const { s } = suite;
  const probe = await s.client().post('/api/v1/auth/login', { org: 'acme', email: 'x@acme.test', password: 'x' });
  if (probe.status === 404 && probe.json?.code === 'not_found') return t.skip('the login API is not on this server yet');
  const password = 'correct horse battery staple';
  const u = await createUser(s.db, tenantId, { roles: ['auditor'], email: 'pat.password@acme.test', passwordHash: await hashPassword(password) });
  const { page, problems } = await suite.tab();
  await page.goto(`${s.url}/sign-in`);
  await page.getByLabel('Organisation').fill('acme');
  await page.getByLabel('Email').fill(u.email);
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The problem's detail is what the person reads.
  await page.getByTestId('signin-error').waitFor();
  await screenshot(page, 'console-signin-error');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  assert.equal(await page.getByTestId('org-name').textContent(), 'acme');
  assert.deepEqual(problems, []);
});

test('TOTP: the RFC 6238 helper matches the RFC test vector', () => {
  // RFC 6238 appendix B, SHA-1 seed "12345678901234567890" (base32 below), T = 59 s -> 94287082 (8 digits; 6: 287082).
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59), '287082');
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1111111109), '081804');
});

test('step-up: a sensitive action opens the dialog, a wrong code shows the detail, a right one repeats the action (runs once the identity module is on the server)', { skip: missing ?? false }, async (t) => {
  const { s } = suite;
  const probe = await s.client().post('/api/v1/auth/step-up', { code: '000000' });
  if (probe.status === 404 && probe.json?.code === 'not_found') return t.skip('the step-up API is not on this server yet');
  // An admin enrols an authenticator through the API (that session is verified by enrolling)...
  const a = await loginAs(s, { roles: ['admin'], tenantId, email: 'sam.stepup@acme.test' });
  const enrol = await a.client.post('/api/v1/auth/mfa/totp/enroll');
  assert.equal(enrol.status, 200, enrol.text);
  const secret: string = enrol.json.secret;
  const confirmed = await a.client.post('/api/v1/auth/mfa/totp/confirm', { code: totp(secret, Date.now() / 1000) });
  assert.equal(confirmed.status, 200, confirmed.text);
  // ...and then works in the browser in a session whose MFA is not fresh.
  const { page, problems } = await suite.tab(await sessionCookie(s, tenantId, a.userId));
  await page.goto(`${s.url}/settings`);
  const age = page.getByLabel('Step-up age (minutes)');
  await age.waitFor();
  await age.fill('10');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: "Confirm it's you" });
  await dialog.waitFor();
  await screenshot(page, 'console-stepup-dialog');
  // Focus starts in the code field.
  assert.equal(await page.evaluate<string | null>('document.activeElement && document.activeElement.id'), 'stepup-code');
  await dialog.getByLabel('Verification code').fill('000000');
  await dialog.getByRole('button', { name: 'Verify and continue' }).click();
  await dialog.getByRole('alert').waitFor();
  assert.ok((await dialog.getByRole('alert').innerText()).length > 10);
  await screenshot(page, 'console-stepup-wrong-code');
  // The next time step: the enrolment used the current one, and codes are single-use.
  await dialog.getByLabel('Verification code').fill(totp(secret, Date.now() / 1000 + 30));
  await dialog.getByRole('button', { name: 'Verify and continue' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByText('Settings saved.').waitFor();
  const after = await a.client.get('/api/v1/auth/settings');
  assert.equal(after.json.step_up_max_age_seconds, 600);
  assert.deepEqual(problems, []);
});

test('sign-in with MFA: the code step, then a lockout message after repeated wrong passwords (runs once the identity module is on the server)', { skip: missing ?? false }, async (t) => {
  const { s } = suite;
  const probe = await s.client().post('/api/v1/auth/mfa/verify', { code: '000000' });
  if (probe.status === 404 && probe.json?.code === 'not_found') return t.skip('the MFA login API is not on this server yet');
  const password = 'mfa person passphrase';
  const u = await createUser(s.db, tenantId, { roles: ['employee'], email: 'mo.mfa@acme.test', passwordHash: await hashPassword(password) });
  // Enrol an authenticator for the user through the API.
  const api = s.client();
  const login = await api.post('/api/v1/auth/login', { org: 'acme', email: u.email, password });
  assert.equal(login.json.state, 'authenticated', login.text);
  api.headers['x-csrf-token'] = login.json.csrf_token;
  const secret: string = (await api.post('/api/v1/auth/mfa/totp/enroll')).json.secret;
  assert.equal((await api.post('/api/v1/auth/mfa/totp/confirm', { code: totp(secret, Date.now() / 1000) })).status, 200);

  const { page, problems } = await suite.tab();
  await page.goto(`${s.url}/sign-in`);
  await page.getByLabel('Organisation').fill('acme');
  await page.getByLabel('Email').fill(u.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  await screenshot(page, 'console-signin-mfa');
  await page.getByLabel('Verification code').fill(totp(secret, Date.now() / 1000 + 30));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();

  // Wrong passwords until the account locks; the page says so with the wait.
  await page.getByLabel('Organisation').fill('acme');
  await page.getByLabel('Email').fill(u.email);
  let text = '';
  for (let i = 0; i < 8 && !/lock/i.test(text); i++) {
    await page.getByLabel('Password').fill(`wrong password ${i}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByTestId('signin-error').waitFor();
    text = await page.getByTestId('signin-error').innerText();
  }
  assert.match(text, /lock/i);
  await screenshot(page, 'console-signin-locked');
  assert.deepEqual(problems, []);
});

test('My account: enrol an authenticator (QR and key), see recovery codes once, then sign out everywhere (runs once the identity module is on the server)', { skip: missing ?? false }, async (t) => {
  const { s } = suite;
  const probe = await s.client().get('/api/v1/auth/mfa');
  if (probe.status === 404 && probe.json?.code === 'not_found') return t.skip('the MFA API is not on this server yet');
  const u = await createUser(s.db, tenantId, { roles: ['manager'], email: 'max.manager@acme.test' });
  const other = await sessionCookie(s, tenantId, u.userId);
  const { page, problems } = await suite.tab(await sessionCookie(s, tenantId, u.userId));
  await page.goto(`${s.url}/account`);
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
  await screenshot(page, 'console-account-enrol');
  await page.getByLabel('Code from the app').fill(totp(secret, Date.now() / 1000));
  await page.getByRole('button', { name: 'Confirm' }).click();
  const codes = page.getByRole('list', { name: 'Recovery codes' });
  await codes.waitFor();
  assert.equal(await codes.getByRole('listitem').count(), 10);
  await screenshot(page, 'console-account-recovery-codes');
  await page.getByRole('button', { name: 'I saved them, continue' }).click();
  await page.getByText('10 recovery codes left').waitFor();
  // The two sessions are listed; "sign out everywhere" ends both.
  const sessions = page.getByRole('table', { name: 'Your sessions' });
  await sessions.waitFor();
  assert.equal(await sessions.locator('tbody tr').count(), 2);
  await page.getByRole('button', { name: 'Sign out everywhere…' }).click();
  await page.getByRole('group', { name: 'Confirm sign out everywhere' }).getByRole('button', { name: 'Sign out everywhere' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const c = s.client();
  c.cookies.set('__Host-parapet_session', other);
  assert.equal((await c.get('/api/v1/auth/session')).status, 401);
  assert.deepEqual(problems, []);
});

test('Audit log: verified-up-to status, checkpoint and the export behind step-up (runs once the identity and audit modules are on the server)', { skip: missing ?? false }, async (t) => {
  const { s } = suite;
  const c0 = s.client();
  const probes = [await c0.post('/api/v1/auth/step-up', { code: '000000' }), await c0.get('/api/v1/audit/checkpoint')];
  if (probes.some((p) => p.status === 404 && p.json?.code === 'not_found')) return t.skip('the step-up or checkpoint API is not on this server yet');
  const a = await loginAs(s, { roles: ['auditor'], tenantId, email: 'cat.checkpoint@acme.test' });
  const secret: string = (await a.client.post('/api/v1/auth/mfa/totp/enroll')).json.secret;
  assert.equal((await a.client.post('/api/v1/auth/mfa/totp/confirm', { code: totp(secret, Date.now() / 1000) })).status, 200);
  a.client.headers['x-csrf-token'] = (await a.client.get('/api/v1/auth/session')).json.csrf_token;
  assert.equal((await a.client.post('/api/v1/audit/checkpoints')).status, 201);

  const { page, problems } = await suite.tab(await sessionCookie(s, tenantId, a.userId));
  await page.goto(`${s.url}/audit`);
  await page.getByTestId('checkpoint-status').waitFor();
  assert.match(await page.getByTestId('checkpoint-status').innerText(), /Verified up to entry \d+; checkpoint of entries 1–\d+ signed at .+\. No witness cosignatures yet\./);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download export' }).click();
  const dialog = page.getByRole('dialog', { name: "Confirm it's you" });
  await dialog.waitFor();
  await dialog.getByLabel('Verification code').fill(totp(secret, Date.now() / 1000 + 30));
  await dialog.getByRole('button', { name: 'Verify and continue' }).click();
  const file = await download;
  assert.match(file.suggestedFilename(), /^parapet-audit-export-\d{4}-\d{2}-\d{2}\.json$/);
  await screenshot(page, 'console-audit-checkpoint');
  assert.deepEqual(problems, []);
});
