/**
 * Erasure and the stored week charts (pulse/erasure.ts), through the real API on both engines:
 * after a sub-manager is erased, no week chart holds their id, the chart keeps its shape (a
 * random placeholder in their slot, their reports still under it), so a past week's team and
 * the release decision of every cell stay what they were; only the erased person's own figures
 * are gone. The contrast shows why: dropping them from the chart would detach their reports.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, loginAs, createUser, type TestServer } from '@parapet/server/testing';
import { chartsAsOf } from '@parapet/server/pulse/queries';
import { buildTree, teamOf } from '@parapet/server/pulse/kanon';

import { monday, plusDays } from './helpers.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

type Cell = { period: string; category: string; released: boolean; people?: number; active_s?: number };

test('erasure: a sub-manager leaves no id in the week charts; the past week keeps its team and its release decisions', async () => {
  const m = await loginAs(s, { roles: ['employee', 'manager'] });
  const t = m.tenantId;
  const admin = await loginAs(s, { roles: ['admin'], tenantId: t, mfaFresh: true });
  const person = async (managerId: string, roles: Array<'employee' | 'manager'> = ['employee']) => {
    const { userId } = await createUser(s.db, t, { roles });
    await s.db.tx({ tenantId: t }, (q) => q.query(`UPDATE users SET manager_id = $2 WHERE id = $1`, [userId, managerId]));
    return userId;
  };
  const sub = await person(m.userId, ['employee', 'manager']);
  const direct: string[] = [];
  const theirs: string[] = [];
  for (let i = 0; i < 6; i++) direct.push(await person(m.userId));
  for (let i = 0; i < 6; i++) theirs.push(await person(sub));
  const w = monday(2);
  const seconds = (i: number, d: number) => 2000 + 37 * i + d;
  const everyone = [sub, ...direct, ...theirs];
  for (let d = 0; d < 5; d++) {
    for (const [i, x] of everyone.entries()) {
      await s.db.tx({ tenantId: t }, (q) =>
        q.query(`INSERT INTO pulse_daily (tenant_id, day, user_id, category, active_s, idle_s, paused_s, work_s, intervals) VALUES ($1, $2, $3, 'development', $4, 0, 0, $4, 1)`, [t, plusDays(w, d), x, seconds(i, d)]),
      );
    }
  }
  const ask = async (period: 'day' | 'week') => {
    const r = await m.client.get(`/api/v1/pulse/activity?${new URLSearchParams({ purpose: 'wellbeing', level: 'team', period, subject: m.userId, from: w, to: plusDays(w, 6) })}`);
    assert.equal(r.status, 200, r.text);
    return { people: r.json.people as number, cells: (r.json.cells as Cell[]).filter((c) => c.category === 'development') };
  };
  const before = { day: await ask('day'), week: await ask('week') };
  assert.equal(before.week.people, 13);
  assert.equal(before.week.cells[0]!.people, 13);

  const r = await admin.client.post('/api/v1/governance/erasures', { user_id: sub, reason: 'Art. 17 request' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.deleted['pulse_week_charts.people'], 1, 'one stored week chart held them');

  // No chart holds the id; a placeholder that is no user sits in their slot, with their reports under it.
  const raw = await s.asAdmin((q) => q.query<{ people: string[]; managers: Array<string | null> }>(`SELECT people, managers FROM pulse_week_charts WHERE tenant_id = $1`, [t]));
  assert.equal(raw.rows.length, 1);
  const chart = raw.rows[0]!;
  assert.ok(!chart.people.includes(sub) && !chart.managers.includes(sub));
  assert.equal(chart.people.length, 15, 'm, the admin, the sub-manager slot and twelve reports');
  const placeholder = chart.managers[chart.people.indexOf(theirs[0]!)]!;
  assert.ok(placeholder && placeholder !== m.userId);
  assert.equal((await s.asAdmin((q) => q.query(`SELECT 1 FROM users WHERE id = $1`, [placeholder]))).rows.length, 0, 'the placeholder is nobody');
  const stored = (await s.db.tx({ tenantId: t }, (q) => chartsAsOf(q, [w]))).get(w)!;
  assert.deepEqual(teamOf(stored.tree, placeholder).sort(), [...theirs].sort());
  assert.equal(teamOf(stored.tree, m.userId).length, 13);

  // The past week: the same team, the same release decisions; only the erased person's figures are gone.
  const after = { day: await ask('day'), week: await ask('week') };
  assert.equal(after.week.people, before.week.people, 'the team is decided on the same chart');
  assert.deepEqual(after.day.cells.map((c) => c.released), before.day.cells.map((c) => c.released));
  for (let d = 0; d < 5; d++) {
    assert.equal(after.day.cells[d]!.people, 12);
    assert.equal(after.day.cells[d]!.active_s, before.day.cells[d]!.active_s! - seconds(0, d), 'their own seconds are deleted, nobody else\'s');
  }

  // Contrast: deleting them from the chart instead would detach their six reports from m's team.
  const dropped = chart.people.map((id, i) => ({ id, manager_id: chart.managers[i] ?? null })).filter((x) => x.id !== placeholder);
  assert.equal(teamOf(buildTree(dropped), m.userId).length, 6);
});
