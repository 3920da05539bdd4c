/**
 * The simulated organisation (org-sim.ts: 74 people through SCIM, 4 levels of managers, an HR
 * group holding the hr_tools delegation, an auditor, 71 agents uploading through the signed
 * API) asked every kind of question through the HTTP API. Each role sees exactly what the
 * decision table says; aggregates obey k and the differencing rule; every read names its
 * purpose in the audit log and shows up on the subject's "who looked" list.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '@parapet/server/testing';
import { buildOrg, type SimOrg } from './org-sim.js';

let s: TestServer;
let o: SimOrg;
before(async () => {
  s = await startTestServer();
  o = await buildOrg(s);
});
after(() => s.close());

type Cell = { period: string; category: string; released: boolean; people?: number; active_s?: number; idle_s?: number; paused_s?: number };
const id = (key: string) => o.people.get(key)!.id;
async function ask(who: string | 'admin', q: Record<string, string | undefined>, path = '/api/v1/pulse/activity') {
  const c = who === 'admin' ? o.admin.client : await o.as(who);
  const defined = Object.fromEntries(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));
  const qs = new URLSearchParams({ from: o.days[0]!, to: o.days[2]!, ...defined });
  return c.get(`${path}?${qs}`);
}
const cell = (cells: Cell[], period: string, category: string) => cells.find((c) => c.period === period && c.category === category);

test('the organisation is provisioned through SCIM with 4 levels of managers and uploaded through the signed API', async () => {
  assert.ok(o.people.size >= 60, `${o.people.size} people`);
  const chain = await s.asAdmin(async (q) => (await q.query<{ depth: number }>(
    `WITH RECURSIVE c(id, depth) AS (SELECT id, 0 FROM users WHERE tenant_id = $1 AND id = $2 UNION ALL SELECT u.manager_id, c.depth + 1 FROM users u JOIN c ON u.id = c.id WHERE u.tenant_id = $1 AND u.manager_id IS NOT NULL) SELECT max(depth) AS depth FROM c`,
    [o.tenantId, id('eng1111')],
  )).rows[0]!.depth);
  assert.equal(chain, 4, 'engineer > lead > director > vp > ceo');
  const n = await s.asAdmin(async (q) => Number((await q.query<{ n: string }>(`SELECT count(DISTINCT batch_id) AS n FROM pulse_batches WHERE tenant_id = $1`, [o.tenantId])).rows[0]!.n));
  assert.equal(n, 71);
});

test('employee: their own data in full detail (paused time included), nobody else\'s, no aggregates', async () => {
  const me = await ask('eng1111', { purpose: 'my_data', level: 'person', period: 'day', subject: id('eng1111') });
  assert.equal(me.status, 200, me.text);
  const day = o.days[0]!;
  assert.deepEqual(
    { dev: cell(me.json.cells, day, 'development')?.active_s, idle: cell(me.json.cells, day, 'development')?.idle_s, meet: cell(me.json.cells, day, 'meetings')?.active_s, hr: cell(me.json.cells, day, 'hr_tools')?.active_s, paused: cell(me.json.cells, day, 'paused')?.paused_s },
    { dev: 7200, idle: 1800, meet: 3600, hr: 1800, paused: 1800 },
  );
  const week = await ask('eng1111', { purpose: 'my_data', level: 'person', period: 'week', subject: id('eng1111') });
  const dev = (week.json.cells as Cell[]).filter((c) => c.category === 'development').reduce((a, c) => a + c.active_s!, 0);
  assert.equal(dev, 3 * 7200);
  // Paused time is summed into the week like the rest, on the person's own `paused` cells only.
  const paused = (week.json.cells as Cell[]).filter((c) => c.category === 'paused');
  assert.equal(paused.reduce((a, c) => a + c.paused_s!, 0), 3 * 1800);
  assert.ok(paused.every((c) => c.active_s === 0 && c.idle_s === 0));
  assert.ok((week.json.cells as Cell[]).every((c) => (c.category === 'paused') === (c.paused_s !== undefined)));
  for (const [q, why] of [
    [{ purpose: 'my_data', level: 'person', period: 'day', subject: id('eng1112') }, 'a colleague'],
    [{ purpose: 'wellbeing', level: 'team', period: 'day', subject: id('lead111') }, 'a team'],
    [{ purpose: 'capacity_planning', level: 'org', period: 'week' }, 'the org'],
  ] as const) {
    const r = await ask('eng1111', q);
    assert.equal(r.status, 403, why);
  }
  const tl = await (await o.as('eng1111')).get(`/api/v1/pulse/me/timeline?from=${o.days[0]}&to=${o.days[0]}`);
  assert.equal(tl.status, 200);
  assert.equal(tl.json.intervals.length, 5);
  assert.deepEqual(tl.json.intervals.map((x: { state: string }) => x.state), ['active', 'idle', 'paused', 'active', 'active']);
});

test('lead: own team as aggregates under wellbeing (k = 5: six engineers released, two HR-tool users suppressed); people only under investigation and only in the chain', async () => {
  const r = await ask('lead111', { purpose: 'wellbeing', level: 'team', period: 'day', subject: id('lead111') });
  assert.equal(r.status, 200, r.text);
  const day = o.days[1]!;
  assert.deepEqual(cell(r.json.cells, day, 'development'), { period: day, category: 'development', released: true, people: 6, active_s: 6 * 7200, idle_s: 6 * 1800, work_s: 6 * 7200 });
  assert.deepEqual(cell(r.json.cells, day, 'hr_tools'), { period: day, category: 'hr_tools', released: false });
  assert.ok(!(r.json.cells as Cell[]).some((c) => c.category === 'paused'), 'paused time is the employee\'s alone');
  assert.equal((await ask('lead111', { purpose: 'wellbeing', level: 'person', period: 'day', subject: id('eng1111') })).status, 403, 'wellbeing gives no people-level data');
  const inv = await ask('lead111', { purpose: 'security_investigation', level: 'person', period: 'day', subject: id('eng1111') });
  assert.equal(inv.status, 200);
  assert.equal(cell(inv.json.cells, day, 'development')!.active_s, 7200);
  assert.ok(!(inv.json.cells as Cell[]).some((c) => c.category === 'paused'));
  assert.equal((await ask('lead111', { purpose: 'security_investigation', level: 'person', period: 'day', subject: id('eng1121') })).status, 403, 'another lead\'s report');
  assert.equal((await ask('lead111', { purpose: 'wellbeing', level: 'team', period: 'day', subject: id('dir11') })).status, 403, 'the director\'s team is not below the lead');
  const csv = await ask('lead111', { purpose: 'wellbeing', level: 'team', period: 'day', subject: id('lead111') }, '/api/v1/pulse/activity.csv');
  assert.equal(csv.status, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  assert.ok(csv.text.includes(`${day},development,6,43200,10800,`));
  assert.ok(csv.text.includes(`${day},hr_tools,,,,,fewer than 5 people`));
});

test('differencing across the chain: the director\'s team is suppressed (minus the two released lead teams it would isolate the two leads); the vp\'s is released', async () => {
  const dir = await ask('dir11', { purpose: 'wellbeing', level: 'team', period: 'day', subject: id('dir11') });
  assert.equal(dir.status, 200);
  assert.equal(cell(dir.json.cells, o.days[0]!, 'development')!.released, false);
  const lead = await ask('dir11', { purpose: 'wellbeing', level: 'team', period: 'day', subject: id('lead111') });
  assert.equal(cell(lead.json.cells, o.days[0]!, 'development')!.released, true, 'the director may look at a lead team below');
  const vp = await ask('vp1', { purpose: 'wellbeing', level: 'team', period: 'week', subject: id('vp1') });
  const c = (vp.json.cells as Cell[]).find((x) => x.category === 'development' && x.released);
  assert.ok(c, JSON.stringify(vp.json.cells));
  assert.equal(c.people, 30);
});

test('ceo: org and team by week under capacity planning; no daily view under it', async () => {
  const org = await ask('ceo', { purpose: 'capacity_planning', level: 'org', period: 'week' });
  assert.equal(org.status, 200, org.text);
  const devWeeks = (org.json.cells as Cell[]).filter((x) => x.category === 'development' && x.released);
  assert.ok(devWeeks.length >= 1, JSON.stringify(org.json.cells));
  assert.equal(devWeeks.reduce((a, x) => a + x.active_s!, 0), 71 * 3 * 7200, 'every uploader, every day, once');
  assert.equal((await ask('ceo', { purpose: 'capacity_planning', level: 'team', period: 'day', subject: id('ceo') })).status, 403);
  assert.equal((await ask('ceo', { purpose: 'made_up', level: 'org', period: 'week' })).json.code, 'pulse_purpose_unknown');
});

test('HR delegate (through the HR group): hr_tools across the org and nothing else', async () => {
  const r = await ask('hr-partner', { purpose: 'tool_adoption', level: 'org', period: 'day', category: 'hr_tools' });
  assert.equal(r.status, 200, r.text);
  for (const d of o.days) assert.deepEqual(cell(r.json.cells, d, 'hr_tools'), { period: d, category: 'hr_tools', released: true, people: 16, active_s: 16 * 1800, idle_s: 0, work_s: r.json.cells.find((c: Cell) => c.period === d).work_s });
  assert.ok((r.json.cells as Cell[]).every((c) => c.category === 'hr_tools'));
  assert.equal((await ask('hr-partner', { purpose: 'tool_adoption', level: 'org', period: 'day' })).status, 403, 'all categories');
  assert.equal((await ask('hr-partner', { purpose: 'tool_adoption', level: 'org', period: 'day', category: 'development' })).status, 403);
  assert.equal((await ask('hr-partner', { purpose: 'tool_adoption', level: 'team', period: 'day', subject: id('lead111'), category: 'hr_tools' })).json.cells.every((c: Cell) => !c.released), true, 'two people in that team: suppressed');
  const person = await ask('hr-partner', { purpose: 'security_investigation', level: 'person', period: 'day', subject: id('eng1111'), category: 'hr_tools' });
  assert.equal(person.status, 200);
  assert.deepEqual((person.json.cells as Cell[]).map((c) => c.category), ['hr_tools', 'hr_tools', 'hr_tools']);
});

test('auditor and admin: no activity data; the admin reads the settings', async () => {
  for (const q of [{ purpose: 'capacity_planning', level: 'org', period: 'week' }, { purpose: 'security_investigation', level: 'person', period: 'day', subject: id('eng1111') }, { purpose: 'tool_adoption', level: 'org', period: 'day', category: 'hr_tools' }]) {
    assert.equal((await ask('auditor', q)).status, 403);
    assert.equal((await ask('admin', q)).status, 403);
  }
  assert.equal((await o.admin.client.get('/api/v1/pulse/settings')).status, 200);
  const denied = await s.asAdmin(async (q) => (await q.query<{ purpose: string | null }>(`SELECT purpose FROM audit_log WHERE tenant_id = $1 AND action = 'authz.access.denied' AND target_type = 'pulse_activity'`, [o.tenantId])).rows);
  assert.ok(denied.length >= 6 && denied.every((d) => d.purpose), 'every denial is audited with its purpose');
});

test('who looked: the engineer sees every read of their data with who, purpose, level and period; others\' reads are not on it', async () => {
  const r = await (await o.as('eng1111')).get('/api/v1/pulse/me/reads');
  assert.equal(r.status, 200);
  const seen = new Set((r.json.reads as Array<{ who: { name: string }; purpose: string; level: string; period: string; action: string }>).map((x) => `${x.who.name}|${x.purpose}|${x.level}|${x.period}|${x.action}`));
  for (const want of [
    'lead111@sim.example|wellbeing|team|day|read',
    'lead111@sim.example|wellbeing|team|day|export',
    'lead111@sim.example|security_investigation|person|day|read',
    'dir11@sim.example|wellbeing|team|day|read',
    'ceo@sim.example|capacity_planning|org|week|read',
    'hr-partner@sim.example|security_investigation|person|day|read',
    'eng1111@sim.example|my_data|person|day|read',
  ]) assert.ok(seen.has(want), `${want} missing from ${[...seen].join(', ')}`);
  const other = await (await o.as('eng2111')).get('/api/v1/pulse/me/reads');
  const names = new Set((other.json.reads as Array<{ who: { name: string }; purpose: string }>).map((x) => `${x.who.name}|${x.purpose}`));
  assert.ok(!names.has('lead111@sim.example|wellbeing'), 'lead111 never read eng2111');
  assert.ok(names.has('ceo@sim.example|capacity_planning'), 'the org-wide read covers everyone');
});

test('raising k to 7 suppresses the six-person lead team; k can never go below 3', async () => {
  const put = await o.admin.client.request('PUT', '/api/v1/pulse/settings', { json: { k_min: 7 } });
  assert.equal(put.status, 200, put.text);
  const r = await ask('lead112', { purpose: 'wellbeing', level: 'team', period: 'day', subject: id('lead112') });
  assert.equal(r.json.k, 7);
  assert.ok((r.json.cells as Cell[]).every((c) => !c.released));
  assert.equal((await o.admin.client.request('PUT', '/api/v1/pulse/settings', { json: { k_min: 2 } })).status, 400);
  assert.equal((await o.admin.client.request('PUT', '/api/v1/pulse/settings', { json: { k_min: 5 } })).status, 200);
});
