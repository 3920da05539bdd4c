/**
 * The role-aware home page in a real browser: an admin sees the deployment (audit log
 * verified up to N, devices, scans waiting for approval, the posture re-check); a manager sees a team card; an
 * employee sees only their own card. Sign-in lands there.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, createUser, loginAs } from '@parapet/server/testing';
import { screenshot, sessionCookie } from './harness.js';
import { consoleSuite } from './fixtures.js';

const suite = consoleSuite();
const missing = suite.skip;

test('home: the admin sees the deployment state; manager and employee see their own cards', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const tenantId = await createTenant(s.db, 'home-co');
  const admin = await loginAs(s, { roles: ['admin'], tenantId, mfaFresh: true });
  // A signed checkpoint, so the audit card has something verified to report.
  assert.equal((await admin.client.post('/api/v1/audit/checkpoints', {})).status, 201);
  const t = await suite.tab(await sessionCookie(s, tenantId, admin.userId));
  await t.page.goto(`${s.url}/`);
  await t.page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  await t.page.getByTestId('home-audit').getByText(/Verified/).waitFor();
  assert.match(await t.page.getByTestId('home-audit').innerText(), /up to entry \d+/);
  assert.match(await t.page.getByTestId('home-devices').innerText(), /0 active/);
  assert.match(await t.page.getByTestId('home-approvals').innerText(), /None\./);
  assert.equal(await t.page.getByTestId('home-team').count(), 0);
  // The posture card: every control re-checked live; this admin has no factor, so MFA fails.
  const posture = t.page.getByTestId('home-posture');
  await posture.waitFor();
  assert.match(await posture.locator('tr[data-check="rls"]').innerText(), /Pass/);
  assert.match(await posture.locator('tr[data-check="tls.protocol"]').innerText(), /Pass/);
  assert.match(await posture.locator('tr[data-check="mfa.privileged"]').innerText(), /Fail/);
  assert.match(await posture.locator('h3').innerText(), /Posture\s+Fail/);
  assert.equal(await posture.locator('tbody tr').count(), 13);
  await screenshot(t.page, 'console-home-admin');

  for (const [roles, team] of [[['manager'], 1], [['employee'], 0]] as const) {
    const u = await createUser(s.db, tenantId, { roles: [...roles] });
    const x = await suite.tab(await sessionCookie(s, tenantId, u.userId));
    await x.page.goto(`${s.url}/`);
    await x.page.getByTestId('home-me').getByText(u.email).waitFor();
    assert.equal(await x.page.getByTestId('home-team').count(), team);
    assert.equal(await x.page.getByTestId('home-audit').count(), 0, 'no deployment cards');
    assert.deepEqual(x.problems, []);
  }
  assert.deepEqual(t.problems, []);
});
