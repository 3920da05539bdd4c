/**
 * Pulse pages in a real browser (Debian Chromium) over the simulated organisation (SCIM +
 * signed agent uploads): a lead's team question drawn as uPlot charts with suppressed cells
 * reading "fewer than 5 people" and a CSV export; the HR delegate limited to their category; an
 * engineer's own data and the list of who looked; a week figure that leaves out suppressed days
 * says how many. CSP violations are counted and must be 0.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { screenshot, sessionCookie, type Tab } from './harness.js';
import { consoleSuite } from './fixtures.js';
import { buildOrg, type SimOrg } from '../pulse/org-sim.js';

let o: SimOrg;
const suite = consoleSuite({
  setup: async (s) => {
    o = await buildOrg(s);
  },
});
const missing = suite.skip;

/** A tab signed in as `key`, counting securitypolicyviolation events in the page. */
async function tabFor(key: string): Promise<Tab> {
  const { s } = suite;
  const t = await suite.tab(await sessionCookie(s, o.tenantId, o.people.get(key)!.id, { mfaFresh: true }));
  await t.page.addInitScript('window.__csp = []; document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));');
  return t;
}
const cspViolations = (page: Page) => page.evaluate<string[]>('window.__csp');

async function ask(page: Page, o2: { purpose: string; level: string; period: string; subject?: string; category?: string; from: string; to: string }) {
  await page.getByLabel('Purpose').selectOption(o2.purpose);
  await page.getByLabel('Level').selectOption(o2.level);
  await page.getByLabel('Period').selectOption(o2.period);
  if (o2.subject) await page.locator('#pulse-subject').selectOption(o2.subject);
  if (o2.category) await page.getByLabel('Category').selectOption(o2.category);
  await page.getByLabel('From').fill(o2.from);
  await page.getByLabel('To').fill(o2.to);
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('table', { name: 'Cells' }).waitFor();
}

test('purpose limitation: no purpose is preselected, nothing is asked until the viewer chooses one and the page says why; the choice lasts for the browser session', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const { page, problems } = await tabFor('lead111');
  const asked: string[] = [];
  page.on('request', (r) => void (r.url().includes('/api/v1/pulse/activity') && asked.push(r.url())));
  await page.goto(`${s.url}/pulse`);
  await page.getByRole('form', { name: 'Question' }).waitFor();
  const purpose = page.getByLabel('Purpose');
  assert.equal(await purpose.inputValue(), '', 'no purpose is chosen for the viewer');
  assert.equal(await purpose.locator('option:checked').innerText(), 'Choose a purpose…');
  const why = page.getByText('Choose the purpose of your question first.');
  await why.waitFor();
  assert.match(await why.innerText(), /recorded with your question in the audit log/);
  assert.equal(await purpose.getAttribute('aria-describedby'), 'pulse-purpose-why');
  const show = page.getByRole('button', { name: 'Show' });
  assert.equal(await show.isDisabled(), true);
  assert.equal(await page.getByLabel('Level').isDisabled(), true);
  // Enter in a field submits the form only through its (disabled) button: still nothing asked.
  await page.getByLabel('From').press('Enter');
  await page.waitForTimeout(300);
  assert.deepEqual(asked, []);

  await purpose.selectOption('wellbeing');
  assert.equal(await show.isDisabled(), false);
  assert.equal(await why.count(), 0);
  assert.deepEqual(await page.getByLabel('Level').locator('option').allInnerTexts(), ['Team']);
  assert.deepEqual(asked, [], 'choosing a purpose does not ask anything by itself');
  // The choice is kept for this browser session (a reload), not for a new one.
  await page.reload();
  await page.getByRole('form', { name: 'Question' }).waitFor();
  assert.equal(await page.getByLabel('Purpose').inputValue(), 'wellbeing');
  await ask(page, { purpose: 'wellbeing', level: 'team', period: 'day', subject: o.people.get('lead111')!.id, from: o.days[0]!, to: o.days[2]! });
  assert.equal(asked.length, 1);
  assert.equal(new URL(asked[0]!).searchParams.get('purpose'), 'wellbeing');
  // That answer was read for wellbeing: choosing another purpose takes it (and its CSV link) off the screen.
  await page.getByLabel('Purpose').selectOption('security_investigation');
  assert.equal(await page.getByRole('table', { name: 'Cells' }).count(), 0, 'the answer read for another purpose is gone');
  assert.equal(await page.getByRole('link', { name: /CSV/ }).count(), 0);
  assert.equal(asked.length, 1);
  const fresh = await tabFor('lead111');
  await fresh.page.goto(`${s.url}/pulse`);
  await fresh.page.getByRole('form', { name: 'Question' }).waitFor();
  assert.equal(await fresh.page.getByLabel('Purpose').inputValue(), '');
  assert.deepEqual(problems, []);
  assert.deepEqual(fresh.problems, []);
});

test('a lead asks about their team: charts, suppressed cells as "fewer than 5 people", CSV of what is shown; no CSP violation', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const { page, problems } = await tabFor('lead111');
  await page.goto(`${s.url}/pulse`);
  await page.getByRole('form', { name: 'Question' }).waitFor();
  const teamOptions = await page.locator('#pulse-subject option').allInnerTexts().catch(() => []);
  await ask(page, { purpose: 'wellbeing', level: 'team', period: 'day', subject: o.people.get('lead111')!.id, from: o.days[0]!, to: o.days[2]! });
  assert.ok(teamOptions.length === 0 || teamOptions.every((t) => !t.includes('dir11')), 'the team picker follows the reporting chain');
  const table = page.getByRole('table', { name: 'Cells' });
  const dev = await table.locator('tbody tr', { hasText: 'Development' }).first().innerText();
  assert.match(dev, /6\s+12\.0\s+3\.0\s+12\.0/);
  const hr = await table.locator('tbody tr', { hasText: 'HR tools' }).first().innerText();
  assert.match(hr, /fewer than 5 people/);
  assert.equal(await page.locator('.chart canvas').count(), 3, 'three uPlot charts');
  await page.getByText('Top categories').waitFor();
  const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
  assert.ok(href?.startsWith('/api/v1/pulse/activity.csv?'));
  const csv = await page.evaluate<string, string>(async (u) => (await fetch(u)).text(), href!);
  assert.ok(csv.includes(',development,6,43200,10800,'), csv);
  assert.ok(csv.includes('fewer than 5 people'));
  await screenshot(page, 'console-pulse-lead-team');
  // A people-level question under wellbeing is not offered; the server refuses it anyway.
  await page.getByLabel('Purpose').selectOption('wellbeing');
  assert.deepEqual(await page.getByLabel('Level').locator('option').allInnerTexts(), ['Team']);
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(problems, []);
});

test('a week figure that leaves out days with fewer than 5 people says how many, in the table, the notice and the CSV', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const { page, problems } = await tabFor('lead111');
  await page.goto(`${s.url}/pulse`);
  await page.getByRole('form', { name: 'Question' }).waitFor();
  await ask(page, { purpose: 'wellbeing', level: 'team', period: 'week', subject: o.people.get('lead111')!.id, from: o.days[0]!, to: o.days[2]! });
  const table = page.getByRole('table', { name: 'Cells' });
  // Tuesday to Thursday are released; Monday, Friday and the weekend have nobody active (0 < 5).
  const dev = await table.locator('tbody tr', { hasText: 'Development' }).first().innerText();
  assert.match(dev, /6\s+36\.0\s+9\.0\s+36\.0\s+4 days with fewer than 5 people left out/);
  const hr = await table.locator('tbody tr', { hasText: 'HR tools' }).first().innerText();
  assert.match(hr, /fewer than 5 people/);
  assert.doesNotMatch(hr, /left out/, 'a suppressed week has no figures to qualify');
  await page.getByText(/week figures? leaves? out days with fewer than 5 people/).waitFor();
  const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
  const csv = await page.evaluate<string, string>(async (u) => (await fetch(u)).text(), href!);
  assert.ok(csv.includes(',development,6,129600,32400,129600,4 day(s) with fewer than 5 people left out'), csv);
  await screenshot(page, 'console-pulse-lead-week-omitted');
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(problems, []);
});

test('the HR delegate sees only the delegated category across the org', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const { page, problems } = await tabFor('hr-partner');
  await page.goto(`${s.url}/pulse`);
  await page.getByRole('form', { name: 'Question' }).waitFor();
  await page.getByLabel('Purpose').selectOption('tool_adoption');
  await page.getByLabel('Level').selectOption('org');
  assert.deepEqual(await page.getByLabel('Category').locator('option').allInnerTexts(), ['HR tools']);
  await ask(page, { purpose: 'tool_adoption', level: 'org', period: 'day', from: o.days[0]!, to: o.days[2]! });
  const rows = await page.getByRole('table', { name: 'Cells' }).locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 3);
  for (const r of rows) assert.match(r, /HR tools\s+16\s+8\.0/);
  await screenshot(page, 'console-pulse-delegate');
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(problems, []);
});

test('an engineer sees their own timeline and who looked at their data, with purpose and level', { skip: missing ?? false }, async () => {
  const { s } = suite;
  // Someone reads the engineer's data first: the lead, under a people-level purpose.
  const lead = await o.as('lead111');
  const r = await lead.get(`/api/v1/pulse/activity?${new URLSearchParams({ purpose: 'security_investigation', level: 'person', period: 'day', subject: o.people.get('eng1111')!.id, from: o.days[0]!, to: o.days[2]! })}`);
  assert.equal(r.status, 200);
  const { page, problems } = await tabFor('eng1111');
  await page.goto(`${s.url}/pulse/me`);
  const reads = page.getByRole('table', { name: 'Reads of your data' });
  await reads.waitFor();
  const row = await reads.locator('tbody tr', { hasText: 'security_investigation' }).first().innerText();
  assert.match(row, /lead111@sim\.example/);
  assert.match(row, /You, in detail/);
  assert.ok((await page.locator('.chart canvas').count()) >= 1);
  await screenshot(page, 'console-pulse-my-data');
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(problems, []);
});

test('with differential privacy on, org-level charts print ε and say the figures are noisy, with the viewer\'s budget next to ε; a spent budget refuses', { skip: missing ?? false }, async () => {
  const { s } = suite;
  await s.db.tx({ tenantId: o.tenantId }, (q) => q.query(`UPDATE pulse_settings SET dp_epsilon = 0.5`));
  try {
    const { page, problems } = await tabFor('hr-partner');
    await page.goto(`${s.url}/pulse`);
    await page.getByRole('form', { name: 'Question' }).waitFor();
    await ask(page, { purpose: 'tool_adoption', level: 'org', period: 'day', from: o.days[0]!, to: o.days[2]! });
    await page.getByText('Differential privacy: every figure carries Laplace noise at ε = 0.5 per cell', { exact: false }).waitFor();
    const titles = await page.locator('.chart .u-title').allInnerTexts();
    assert.equal(titles.length, 3);
    for (const t of titles) assert.match(t, /\(ε = 0\.5, with noise\)$/);
    const rows = await page.getByRole('table', { name: 'Cells' }).locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, 3);
    assert.ok(rows.some((r) => !/HR tools\s+16\s+8\.0/.test(r)), 'not the true figures (16 people, 8.0 h each day)');
    // The viewer's ε budget next to ε: this answer cost 0.5 of the default 10 per month.
    const budget = page.locator('.dp-budget');
    assert.match(await budget.innerText(), /Your budget: ε 9\.5 of 10 left this month \(whole again .+\); this answer cost ε = 0\.5\./);
    await screenshot(page, 'console-pulse-dp');
    // Asked again: the same answer, free.
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('this answer cost nothing (you were given it before)', { exact: false }).waitFor();
    assert.match(await budget.innerText(), /ε 9\.5 of 10 left/);
    // With the budget spent, another question is refused and says why.
    await s.db.tx({ tenantId: o.tenantId }, (q) => q.query(`UPDATE pulse_settings SET dp_budget = 0.5`));
    await page.getByLabel('From').fill(o.days[1]!);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('The question was refused').waitFor();
    await page.getByText('0 of your 0.5 is left this month', { exact: false }).waitFor();
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(problems, []);
  } finally {
    await s.db.tx({ tenantId: o.tenantId }, (q) => q.query(`UPDATE pulse_settings SET dp_epsilon = NULL, dp_budget = 10`));
  }
});
