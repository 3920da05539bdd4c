/**
 * The Access reviews page in a real browser (CORE-REVIEW, CONSOLE): an admin opens a review,
 * confirms one line, revokes another through the confirmation dialog (the person loses the
 * role at once), signs off and downloads the signed evidence. No console errors or CSP reports.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dsse } from '@parapet/core';
import { createTenant, loginAs } from '@parapet/server/testing';
import { REVIEW_PAYLOAD_TYPE } from '@parapet/server/governance/reviews';
import { scoreTenant } from '@parapet/server/governance/anomaly';
import { recordAudit } from '@parapet/server/platform/audit';
import { screenshot, sessionCookie } from './harness.js';
import { consoleSuite } from './fixtures.js';

const suite = consoleSuite();
const missing = suite.skip;

test('an admin reviews access: open, confirm, revoke, sign off, download the signed evidence', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const tenantId = await createTenant(s.db, 'reviewco');
  const admin = await loginAs(s, { roles: ['admin'], tenantId, email: 'ada.admin@reviewco.test' });
  const emp = await loginAs(s, { roles: ['auditor'], tenantId, email: 'eve.auditor@reviewco.test' });
  assert.equal((await emp.client.get('/api/v1/audit/entries')).status, 200);

  const t = await suite.tab(await sessionCookie(s, tenantId, admin.userId, { mfaFresh: true }));
  const { page, problems } = t;
  await page.goto(`${s.url}/access-reviews`);
  await page.getByRole('button', { name: 'Open a review now' }).click();
  await page.getByText(/Opened “Access review Q\d \d{4}” with 2 lines/).waitFor();
  await page.getByRole('button', { name: 'Confirm ada.admin@reviewco.test holds admin' }).click();
  await page.getByRole('button', { name: 'Revoke eve.auditor@reviewco.test holds auditor' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke now' }).click();
  await page.getByText('0 undecided, 1 confirmed, 1 revoked').waitFor();
  assert.ok([401, 403].includes((await emp.client.get('/api/v1/audit/entries')).status), 'the revoked role is gone');

  await page.getByRole('button', { name: 'Sign off' }).click();
  await page.getByText('Signed off. The signed evidence is ready to download.').waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download signed evidence' }).click()]);
  const env = JSON.parse(await readFile((await download.path())!, 'utf8'));
  const keys = await admin.client.get('/api/v1/governance/reviews');
  assert.equal(keys.json.reviews[0].status, 'signed_off');
  const pub = await s.db.tx({ tenantId }, (q) => q.query<{ public_key: Buffer }>(`SELECT public_key FROM audit_log_keys ORDER BY created_at LIMIT 1`));
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub.rows[0]!.public_key]);
  const { payload } = dsse.verifyEnvelope(env, REVIEW_PAYLOAD_TYPE, (await import('node:crypto')).createPublicKey({ key: spki, format: 'der', type: 'spki' }));
  assert.equal(JSON.parse(payload.toString('utf8')).items.length, 2);
  await screenshot(page, 'access-review-signed-off');
  assert.deepEqual(problems, []);
});

test('the anomaly banner shows an open alert to an admin, who acknowledges it', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const tenantId = await createTenant(s.db, 'alertco');
  const admin = await loginAs(s, { roles: ['admin'], tenantId, email: 'ada.admin@alertco.test' });
  const reader = await loginAs(s, { roles: ['manager'], tenantId, email: 'mo.manager@alertco.test' });
  await s.db.tx({ tenantId }, async (q) => {
    for (let i = 0; i < 80; i++) await recordAudit(q, tenantId, { type: 'user', id: reader.userId, name: reader.email }, { action: 'authz.access.allowed', outcome: 'success', details: { action: 'pulse.activity.read', decision: 'allow', policies: [] }, purpose: 'wellbeing', target: { type: 'pulse_person', id: `p${i}` } });
  });
  assert.equal((await scoreTenant(s.db, tenantId, new Date())).length, 1);
  const t = await suite.tab(await sessionCookie(s, tenantId, admin.userId));
  await t.page.goto(`${s.url}/account`);
  const banner = t.page.getByTestId('anomaly-banner');
  await banner.getByText('mo.manager@alertco.test made 80 data reads or exports').waitFor();
  await screenshot(t.page, 'anomaly-banner');
  await banner.getByRole('button', { name: 'Acknowledge' }).click();
  await banner.waitFor({ state: 'detached' });
  assert.deepEqual(t.problems, []);
});
