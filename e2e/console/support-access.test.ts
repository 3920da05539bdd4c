/**
 * The Support access page in a real browser (CORE-SUPPORT, CONSOLE): an admin opens a grant for
 * vendor support (the tenant maximum is enforced with a plain message), sees it listed, and
 * revokes it through the confirmation dialog. No console errors or CSP reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, loginAs } from '@parapet/server/testing';
import { screenshot, sessionCookie } from './harness.js';
import { consoleSuite } from './fixtures.js';

const suite = consoleSuite();
const missing = suite.skip;

test('an admin opens a support grant, sees it, and revokes it', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const tenantId = await createTenant(s.db, 'supportco');
  const admin = await loginAs(s, { roles: ['admin'], tenantId, email: 'ada.admin@supportco.test' });
  const t = await suite.tab(await sessionCookie(s, tenantId, admin.userId, { mfaFresh: true }));
  const { page, problems } = t;
  await page.goto(`${s.url}/support-access`);
  await page.getByText('No support grants.').waitFor();
  await page.getByLabel('Ticket reference').fill('SUP-1234');
  await page.getByLabel('Reason').fill('Agent enrolment fails');
  await page.getByLabel(/Duration/).fill('100');
  await page.getByRole('button', { name: 'Open grant' }).click();
  await page.getByText('A support grant may last at most 72 hours in this organisation.').waitFor();
  await page.getByLabel(/Duration/).fill('8');
  await page.getByLabel('Scope').selectOption('read_write');
  await page.getByRole('button', { name: 'Open grant' }).click();
  await page.getByText(/Grant opened for ticket SUP-1234/).waitFor();
  await page.getByRole('cell', { name: 'Read and write' }).waitFor();
  await screenshot(page, 'support-grant-open');
  const api = await admin.client.get('/api/v1/support/grants');
  assert.equal(api.json.grants.length, 1);
  assert.equal(api.json.grants[0].status, 'open');

  await page.getByRole('button', { name: 'Revoke grant SUP-1234' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke now' }).click();
  await page.getByText(/Grant for ticket SUP-1234 revoked/).waitFor();
  await page.getByRole('cell', { name: 'Revoked' }).waitFor();
  assert.equal((await admin.client.get('/api/v1/support/grants')).json.grants[0].status, 'revoked');
  assert.deepEqual(problems, []);
});
