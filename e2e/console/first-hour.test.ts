/**
 * The console's first-hour rough edges, in a real browser: a 390 px phone layout without
 * sideways scrolling and with a folding menu; times that say their time zone; a step-up age of
 * 0 refused with a message; the audit entry detail opening in view beside the table; feedback
 * after a download and a sign-out; the device enroll command with --ca and --pin.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, createUser } from '@parapet/server/testing';
import { screenshot, sessionCookie, type Tab } from './harness.js';
import { consoleSuite } from './fixtures.js';

let tenantId: string;
let admin: { userId: string; email: string };
const suite = consoleSuite({
  setup: async (s) => {
    tenantId = await createTenant(s.db, 'first-hour');
    admin = await createUser(s.db, tenantId, { roles: ['admin'], email: 'a.very.long.admin.address@first-hour.example.test' });
    for (let i = 0; i < 5; i++) await createUser(s.db, tenantId, { roles: ['employee'], email: `person-with-a-long-name-${i}@first-hour.example.test` });
  },
});
const missing = suite.skip;

async function tab(o: { fresh?: boolean } = {}) {
  const { s } = suite;
  const t = await suite.tab(await sessionCookie(s, tenantId, admin.userId, { mfaFresh: o.fresh ?? true }));
  return t;
}

const overflow = (t: Tab) => t.page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

test('390 px wide: no page scrolls sideways, the menu folds behind a button', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const t = await tab();
  await t.page.setViewportSize({ width: 390, height: 844 });
  for (const path of ['/people', '/devices', '/audit', '/settings', '/account', '/sso', '/scim']) {
    await t.page.goto(`${s.url}${path}`);
    await t.page.locator('h1.page-title').waitFor();
    await t.page.waitForLoadState('networkidle');
    const wide = await t.page.evaluate<string[]>(
      "[...document.querySelectorAll('body *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(-5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))",
    );
    assert.equal(await overflow(t), 0, `${path} overflows sideways at 390 px: ${wide.join(' | ')}`);
  }
  const nav = t.page.getByRole('navigation', { name: 'Main' });
  assert.equal(await nav.isVisible(), false, 'the navigation is folded');
  const menu = t.page.getByRole('button', { name: 'Menu' });
  assert.equal(await menu.getAttribute('aria-expanded'), 'false');
  await menu.click();
  await nav.getByRole('link', { name: 'Devices' }).click();
  await t.page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
  await nav.waitFor({ state: 'hidden' }); // choosing a page folds the menu again
  await screenshot(t.page, 'console-390-devices');
  // Wide again: the menu button is gone and the navigation is always shown.
  await t.page.setViewportSize({ width: 1280, height: 800 });
  assert.equal(await nav.isVisible(), true);
  assert.equal(await t.page.getByRole('button', { name: 'Menu' }).isVisible(), false);
  assert.deepEqual(t.problems, []);
});

test('times carry their time zone; the step-up age refuses 0 with a message and saves nothing', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const t = await tab();
  await t.page.goto(`${s.url}/people`);
  const added = await t.page.getByRole('row').nth(1).locator('td').nth(4).innerText();
  assert.match(added, /\d{2}:\d{2}.*UTC/, added);
  await t.page.goto(`${s.url}/settings`);
  const age = t.page.getByLabel('Step-up age (minutes)');
  await age.fill('0');
  await t.page.getByRole('button', { name: 'Save', exact: true }).first().click();
  await t.page.getByText(/whole number of minutes from 1 to 1440; "0" is not\. Nothing was saved\./).waitFor();
  assert.equal(await age.inputValue(), '0', 'what was typed stays, it is not turned into 1');
  const stored = await s.db.tx({ tenantId }, (q) => q.query<{ settings: Record<string, unknown> }>(`SELECT settings FROM tenants`));
  assert.equal(stored.rows[0]!.settings.step_up_max_age_seconds, undefined);
  await age.fill('7');
  await t.page.getByRole('button', { name: 'Save', exact: true }).first().click();
  await t.page.getByText('Settings saved.').waitFor();
  const after = await s.db.tx({ tenantId }, (q) => q.query<{ settings: Record<string, unknown> }>(`SELECT settings FROM tenants`));
  assert.equal(after.rows[0]!.settings.step_up_max_age_seconds, 420);
  assert.deepEqual(t.problems, []);
});

test('audit: the entry detail opens in view beside the table; the export download says it happened', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const t = await tab();
  await t.page.goto(`${s.url}/audit`);
  const view = t.page.getByRole('button', { name: /View entry/ }).last();
  await view.scrollIntoViewIfNeeded();
  await view.click();
  const panel = t.page.locator('#audit-detail');
  await panel.waitFor();
  const box = (await panel.boundingBox())!;
  const vp = t.page.viewportSize()!;
  assert.ok(box.y >= 0 && box.y < vp.height && box.x + box.width <= vp.width + 1, `panel in view: ${JSON.stringify(box)}`);
  assert.equal(await t.page.evaluate<string | null>('document.activeElement && document.activeElement.id'), 'audit-detail-h');
  await screenshot(t.page, 'console-audit-detail-panel');
  await t.page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });

  const download = t.page.waitForEvent('download');
  await t.page.getByRole('button', { name: 'Download export' }).click();
  const d = await download;
  assert.match(d.suggestedFilename(), /^parapet-audit-export-\d{4}-\d{2}-\d{2}\.json$/);
  await t.page.getByTestId('export-status').getByText(/^Downloaded parapet-audit-export-.*\(\d+ entries\)/).waitFor();
  assert.deepEqual(t.problems, []);
});

test('devices: the enroll command names --ca and --pin for a self-signed server', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const t = await tab();
  await t.page.goto(`${s.url}/devices`);
  await t.page.getByLabel('Whose machine').selectOption({ index: 1 });
  await t.page.getByRole('button', { name: 'Create enrollment token' }).click();
  const cmd = await t.page.getByTestId('enroll-command').innerText();
  const pin = (await s.asAdmin(async () => undefined), s.ca ? (await import('@parapet/server')).spkiSha256(s.ca) : '');
  assert.match(cmd, /^npx parapet-agent enroll --server https:\/\/127\.0\.0\.1:\d+ --token pet_\S+ --ca parapet-server\.crt --pin \S+$/);
  assert.ok(cmd.endsWith(`--pin ${pin}`), cmd);
  const download = t.page.waitForEvent('download');
  await t.page.getByRole('button', { name: 'Download parapet-server.crt' }).click();
  assert.equal((await download).suggestedFilename(), 'parapet-server.crt');
  assert.deepEqual(t.problems, []);
});

test('sign-out says it happened', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const t = await tab();
  await t.page.goto(`${s.url}/account`);
  await t.page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await t.page.getByTestId('signed-out-notice').getByText('You have signed out.', { exact: false }).waitFor();
  assert.deepEqual(t.problems, []);
});
