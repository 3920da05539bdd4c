/**
 * The longest support grant in a real browser (CORE-SUPPORT, CONSOLE): on the Settings page an
 * admin sets it; an out-of-range value is refused with a sentence and nothing saved; saving asks
 * for step-up; the Support access page then refuses a longer grant with the new maximum. An
 * auditor sees the value and cannot change it. No console errors or CSP reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, loginAs } from '@parapet/server/testing';
import { adminWithTotp, screenshot, sessionCookie } from './harness.js';
import { consoleSuite } from './fixtures.js';

const suite = consoleSuite();
const missing = suite.skip;

test('Settings: an admin sets the longest support grant with step-up, within bounds; grant opening follows it; an auditor only reads it', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const tenantId = await createTenant(s.db, 'maxhours');
  const admin = await adminWithTotp(s, tenantId, 'ada.admin@maxhours.test');
  const t = await suite.tab(await sessionCookie(s, tenantId, admin.userId));
  const { page, problems } = t;
  await page.goto(`${s.url}/settings`);
  const card = page.getByRole('region', { name: 'Support access' });
  const input = card.getByLabel('Longest support grant (hours)');
  await input.waitFor();
  assert.equal(await input.inputValue(), '72');

  // Out of range: said plainly, nothing sent.
  await input.fill('500');
  await card.getByRole('button', { name: 'Save support access' }).click();
  await card.getByText('The longest support grant must be a whole number of hours from 1 to 336; "500" is not. Nothing was saved.').waitFor();
  assert.equal((await admin.client.get('/api/v1/organisation/settings')).json.support_grant_max_hours, 72);

  // Twelve hours, confirmed with a fresh code.
  await input.fill('12');
  await card.getByRole('button', { name: 'Save support access' }).click();
  const stepUp = page.getByRole('dialog', { name: "Confirm it's you" });
  await stepUp.waitFor();
  await stepUp.getByLabel('Verification code').fill(admin.nextCode());
  await stepUp.getByRole('button', { name: 'Verify and continue' }).click();
  await stepUp.waitFor({ state: 'detached' });
  await card.getByText('Support grants may now last at most 12 hours.').waitFor();
  await screenshot(page, 'settings-support-max-hours');
  assert.equal((await admin.client.get('/api/v1/organisation/settings')).json.support_grant_max_hours, 12);
  const log = await s.db.tx({ tenantId }, (q) => q.query<{ details: { before: number; after: number } }>(`SELECT details FROM audit_log WHERE action = 'organisation.settings.changed'`));
  assert.deepEqual(log.rows.map((r) => [r.details.before, r.details.after]), [[72, 12]]);

  // The Support access page now refuses 13 hours with the new maximum.
  await page.goto(`${s.url}/support-access`);
  await page.getByLabel('Ticket reference').fill('SUP-12');
  await page.getByLabel('Reason').fill('Check the limit');
  await page.getByLabel(/Duration/).fill('13');
  await page.getByRole('button', { name: 'Open grant' }).click();
  await page.getByText('A support grant may last at most 12 hours in this organisation.').waitFor();

  // An auditor sees the value, read-only.
  const auditor = await loginAs(s, { roles: ['auditor'], tenantId });
  const ta = await suite.tab(await sessionCookie(s, tenantId, auditor.userId));
  await ta.page.goto(`${s.url}/settings`);
  const acard = ta.page.getByRole('region', { name: 'Support access' });
  await acard.getByText('Only admins can change this setting.').waitFor();
  assert.equal(await acard.getByLabel('Longest support grant (hours)').inputValue(), '12');
  assert.equal(await acard.getByLabel('Longest support grant (hours)').isDisabled(), true);
  assert.deepEqual(problems, []);
  assert.deepEqual(ta.problems, []);
});
