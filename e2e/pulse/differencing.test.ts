/**
 * Differencing through the real questions API (session, PDP, k-anonymity, audit), on both
 * engines: the three tricks beyond team-minus-one, each tried the way an attacker would.
 *
 * 1. Org-chart changes between reads: a past week read before and after someone moves or is
 *    deactivated gives the very same cells (each week is computed on the chart stored at its
 *    first question).
 * 2. Cross-purpose subtraction: the same cell asked under two purposes is the same cell, and a
 *    week asked under one purpose minus its days asked under another leaves exactly 0.
 * 3. Day/week combinations across nested teams: week(A) - week(B) - the days released for
 *    both gives released cells back, never the few people of A's suppressed day.
 *
 * Rollups are written directly (ingest and its rollups are tested in ingest.test.ts); the rest
 * is the product's own path.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, loginAs, createUser, type TestServer } from '@parapet/server/testing';
import { chartsAsOf } from '@parapet/server/pulse/queries';
import { teamOf } from '@parapet/server/pulse/kanon';

import { monday, plusDays } from './helpers.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());


async function person(tenantId: string, managerId: string | null, roles: Array<'employee' | 'manager'> = ['employee']): Promise<string> {
  const { userId } = await createUser(s.db, tenantId, { roles });
  if (managerId) await s.db.tx({ tenantId }, (q) => q.query(`UPDATE users SET manager_id = $2 WHERE id = $1`, [userId, managerId]));
  return userId;
}
/** `seconds` of development on `day` for `userId`. */
async function rollup(tenantId: string, userId: string, day: string, seconds: number): Promise<void> {
  await s.db.tx({ tenantId }, (q) =>
    q.query(`INSERT INTO pulse_daily (tenant_id, day, user_id, category, active_s, idle_s, paused_s, work_s, intervals) VALUES ($1, $2, $3, 'development', $4, 0, 0, $4, 1)`, [tenantId, day, userId, seconds]),
  );
}
type Cell = { period: string; category: string; released: boolean; people?: number; active_s?: number };

test('differencing: a past week asked before and after a move and a deactivation gives the same cells; later weeks use the new chart', async () => {
  const m = await loginAs(s, { roles: ['employee', 'manager'] });
  const t = m.tenantId;
  const other = await person(t, null, ['employee', 'manager']);
  const reports: string[] = [];
  for (let i = 0; i < 7; i++) reports.push(await person(t, m.userId));
  const w = monday(2);
  for (let d = 0; d < 5; d++) for (const [i, r] of reports.entries()) await rollup(t, r, plusDays(w, d), 3600 + 97 * i + d);
  const ask = async (period: 'day' | 'week') => {
    const r = await m.client.get(`/api/v1/pulse/activity?${new URLSearchParams({ purpose: 'wellbeing', level: 'team', period, subject: m.userId, from: w, to: plusDays(w, 6) })}`);
    assert.equal(r.status, 200, r.text);
    return (r.json.cells as Cell[]).filter((c) => c.category === 'development');
  };
  const before = { day: await ask('day'), week: await ask('week') };
  assert.equal(before.week[0]!.released, true);
  assert.equal(before.week[0]!.people, 7);
  // The attacker moves one report away and deactivates another, then asks again.
  await s.db.tx({ tenantId: t }, async (q) => {
    await q.query(`UPDATE users SET manager_id = $2 WHERE id = $1`, [reports[0], other]);
    await q.query(`UPDATE users SET status = 'deactivated' WHERE id = $1`, [reports[1]]);
  });
  assert.deepEqual({ day: await ask('day'), week: await ask('week') }, before, 'the same past cells: nothing to subtract');
  // A week first asked after the changes (here: one no question has read yet) is on the new chart.
  const next = monday(5);
  const chart = (await s.db.tx({ tenantId: t }, (q) => chartsAsOf(q, [w, next])));
  assert.ok(teamOf(chart.get(w)!.tree, m.userId).includes(reports[0]!));
  assert.ok(!teamOf(chart.get(next)!.tree, m.userId).includes(reports[0]!));
  assert.ok(teamOf(chart.get(next)!.tree, other).includes(reports[0]!));
  assert.ok(chart.get(w)!.people.includes(reports[1]!) && !chart.get(next)!.people.includes(reports[1]!));
});

test('differencing: the same cell under two purposes is the same cell; a week under capacity planning minus its days under wellbeing is 0', async () => {
  const m = await loginAs(s, { roles: ['employee', 'manager'] });
  const t = m.tenantId;
  const reports: string[] = [];
  for (let i = 0; i < 6; i++) reports.push(await person(t, m.userId));
  const w = monday(3);
  // Monday to Friday all six work; Saturday two of them (a suppressed day).
  for (let d = 0; d < 6; d++) for (const [i, r] of reports.entries()) if (d < 5 || i < 2) await rollup(t, r, plusDays(w, d), 1800 + 131 * i + 7 * d);
  const ask = async (purpose: string, period: 'day' | 'week') => {
    const r = await m.client.get(`/api/v1/pulse/activity?${new URLSearchParams({ purpose, level: 'team', period, subject: m.userId, from: w, to: plusDays(w, 6) })}`);
    assert.equal(r.status, 200, `${purpose}/${period}: ${r.text}`);
    return (r.json.cells as Cell[]).filter((c) => c.category === 'development');
  };
  const weekCap = (await ask('capacity_planning', 'week'))[0]!;
  const weekWell = (await ask('wellbeing', 'week'))[0]!;
  const weekInv = (await ask('security_investigation', 'week'))[0]!;
  assert.deepEqual(weekWell, weekCap);
  assert.deepEqual(weekInv, weekCap);
  const days = await ask('wellbeing', 'day');
  assert.deepEqual(days, await ask('security_investigation', 'day'));
  assert.deepEqual(days.map((c) => c.released), [true, true, true, true, true, false, false]);
  assert.equal(weekCap.released, true);
  // The two Saturday workers' figures are in no cell: the difference is exactly 0.
  assert.equal(weekCap.active_s! - days.filter((c) => c.released).reduce((n, c) => n + c.active_s!, 0), 0);
  // Capacity planning gives no day cells at all (its grants are weekly).
  const r = await m.client.get(`/api/v1/pulse/activity?${new URLSearchParams({ purpose: 'capacity_planning', level: 'team', period: 'day', subject: m.userId, from: w, to: plusDays(w, 6) })}`);
  assert.equal(r.status, 403);
});

test('differencing: week(A) - week(B) - the days released for both teams gives back released cells, not the one person of A\'s suppressed Sunday', async () => {
  const a = await loginAs(s, { roles: ['employee', 'manager'] });
  const t = a.tenantId;
  // k = 3 for this organisation (the settings row is made on first use, then lowered).
  await a.client.get(`/api/v1/pulse/activity?${new URLSearchParams({ purpose: 'my_data', level: 'person', period: 'day', subject: a.userId, from: monday(1), to: monday(1) })}`);
  await s.db.tx({ tenantId: t }, (q) => q.query(`UPDATE pulse_settings SET k_min = 3`));
  const b = await person(t, a.userId, ['employee', 'manager']);
  const a1 = await person(t, a.userId);
  const a2 = await person(t, a.userId);
  const bs = [await person(t, b), await person(t, b), await person(t, b)];
  const w = monday(2);
  for (let d = 0; d < 7; d++) {
    for (const [i, x] of [...bs, a1].entries()) await rollup(t, x, plusDays(w, d), 1000 + 100 * i + d);
    if (d < 6) for (const x of [b, a2]) await rollup(t, x, plusDays(w, d), 500 + d);
  }
  const ask = async (subject: string, period: 'day' | 'week') => {
    const r = await a.client.get(`/api/v1/pulse/activity?${new URLSearchParams({ purpose: 'wellbeing', level: 'team', period, subject, from: w, to: plusDays(w, 6) })}`);
    assert.equal(r.status, 200, r.text);
    return (r.json.cells as Cell[]).filter((c) => c.category === 'development');
  };
  const [dayA, dayB, weekA, weekB] = [await ask(a.userId, 'day'), await ask(b, 'day'), (await ask(a.userId, 'week'))[0]!, (await ask(b, 'week'))[0]!];
  assert.equal(dayA[6]!.released, false, "A's Sunday: 4 people, 3 of them B's released team: a1 alone is left");
  assert.equal(dayB[6]!.released, true);
  assert.ok(weekA.released && weekB.released);
  let x = weekA.active_s! - weekB.active_s!;
  for (let d = 0; d < 7; d++) if (dayA[d]!.released && dayB[d]!.released) x -= dayA[d]!.active_s! - dayB[d]!.active_s!;
  const a1Sunday = 1000 + 300 + 6;
  assert.notEqual(x, a1Sunday, "the combination must not give a1's Sunday");
  assert.equal(x, -dayB[6]!.active_s!, "it gives back B's released Sunday, nothing more");
});
