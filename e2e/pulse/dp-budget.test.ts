/**
 * The per-viewer differential-privacy budget (pulse/budget.ts) through the real API, on both
 * engines: settings bounds; each distinct noisy org answer spends its ε and says what is left;
 * the same answer again (JSON or CSV) spends nothing; an answer over the budget is refused with
 * 429 pulse_dp_budget_exhausted and Retry-After, audited, and nothing of it is served or
 * audited as a read; the spend is in each read's audit entry; a new period starts whole; team
 * answers (no noise) spend nothing. Concurrency: parallel questions of one viewer never spend
 * more than the budget, and the same question asked in parallel is charged once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, loginAs, createUser, type TestServer } from '@parapet/server/testing';
import { monday, plusDays } from './helpers.js';

let s: TestServer;
let t: string;
let manager: Awaited<ReturnType<typeof loginAs>>;
let admin: Awaited<ReturnType<typeof loginAs>>;
/** Weeks with data: WEEKS[i] is monday(2 + i). */
const WEEKS = Array.from({ length: 8 }, (_, i) => monday(2 + i));

before(async () => {
  s = await startTestServer();
  manager = await loginAs(s, { roles: ['employee', 'manager'] });
  t = manager.tenantId;
  admin = await loginAs(s, { roles: ['admin'], tenantId: t, mfaFresh: true });
  const people: string[] = [];
  for (let i = 0; i < 8; i++) {
    const { userId } = await createUser(s.db, t, { roles: ['employee'] });
    people.push(userId);
  }
  await s.db.tx({ tenantId: t }, async (q) => {
    await q.query(`UPDATE users SET manager_id = $2 WHERE id = ANY($1::uuid[])`, [people, manager.userId]);
    await q.query(
      `INSERT INTO pulse_daily (tenant_id, day, user_id, category, active_s, idle_s, paused_s, work_s, intervals)
       SELECT $1, w + d, u, c, 3000 + d * 17 + n * 41, 500 + n, 0, 3000, 1
         FROM unnest($2::date[]) AS w, generate_series(0, 4) AS d, unnest($3::uuid[]) WITH ORDINALITY AS x(u, n), unnest(ARRAY['development', 'meetings']) AS c`,
      [t, WEEKS, people],
    );
  });
});
after(() => s.close());

type Budget = { limit: number; period: string; period_start: string; resets_at: string; spent: number; remaining: number; charged: boolean };
type Answer = { dp?: { mechanism: string; epsilon: number; budget?: Budget }; cells: Array<{ released: boolean; active_s?: number }> };
const orgQ = (week: string, o: { category?: string; purpose?: string } = {}) =>
  new URLSearchParams({ purpose: o.purpose ?? 'capacity_planning', level: 'org', period: 'week', from: week, to: plusDays(week, 6), ...(o.category ? { category: o.category } : {}) }).toString();
const settings = (json: Record<string, unknown>) => admin.client.request('PUT', '/api/v1/pulse/settings', { json });
const ledger = (userId: string) =>
  s.asAdmin((q) => q.query<{ spent: string; answers: number; charges: number }>(`SELECT b.spent::text AS spent, b.answers, (SELECT count(*)::int FROM pulse_dp_charges c WHERE c.tenant_id = b.tenant_id AND c.user_id = b.user_id) AS charges FROM pulse_dp_budgets b WHERE b.tenant_id = $1 AND b.user_id = $2`, [t, userId])).then((r) => r.rows);

test('settings: the budget and its period are bounded, default 10 ε per month, and never below ε', async () => {
  const before = (await admin.client.get('/api/v1/pulse/settings')).json;
  assert.equal(before.dp_budget, 10);
  assert.equal(before.dp_budget_period, 'month');
  for (const bad of [{ dp_budget: 0 }, { dp_budget: 1001 }, { dp_budget: 'ten' }, { dp_budget_period: 'year' }]) assert.equal((await settings(bad)).status, 400, JSON.stringify(bad));
  const under = await settings({ dp_epsilon: 2, dp_budget: 1 });
  assert.equal(under.status, 422);
  assert.equal(under.json.code, 'pulse_settings_invalid');
  assert.equal((await manager.client.request('PUT', '/api/v1/pulse/settings', { json: { dp_budget: 100 } })).status, 403);
  const ok = await settings({ dp_epsilon: 1, dp_budget: 2.5, dp_budget_period: 'month' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.dp_budget, 2.5);
  const audit = await s.asAdmin((q) => q.query<{ details: { dp_budget: number; dp_budget_period: string } }>(`SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'pulse.settings.changed' ORDER BY seq DESC LIMIT 1`, [t]));
  assert.equal(audit.rows[0]!.details.dp_budget, 2.5);
  assert.equal(audit.rows[0]!.details.dp_budget_period, 'month');
});

test('each distinct noisy answer spends ε; the same answer again (JSON or CSV) is free; over the budget: 429, audited, nothing served', async () => {
  const m = manager.client;
  const first = await m.get(`/api/v1/pulse/activity?${orgQ(WEEKS[0]!)}`);
  assert.equal(first.status, 200, first.text);
  const a1 = first.json as Answer;
  assert.ok(a1.cells.some((c) => c.released));
  const now = new Date();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
  assert.deepEqual(a1.dp, { mechanism: 'laplace', epsilon: 1, budget: { limit: 2.5, period: 'month', period_start: monthStart, resets_at: next, spent: 1, remaining: 1.5, charged: true } });

  // The same question again, its CSV, and under another purpose that allows it: the same cells, free.
  const again = (await m.get(`/api/v1/pulse/activity?${orgQ(WEEKS[0]!)}`)).json as Answer;
  assert.deepEqual(again.cells, a1.cells);
  assert.equal(again.dp!.budget!.charged, false);
  assert.equal(again.dp!.budget!.remaining, 1.5);
  assert.equal((await m.get(`/api/v1/pulse/activity.csv?${orgQ(WEEKS[0]!)}`)).status, 200);
  assert.deepEqual(await ledger(manager.userId), [{ spent: '1', answers: 1, charges: 1 }]);

  // A second week spends another ε: 0.5 left.
  const a2 = (await m.get(`/api/v1/pulse/activity?${orgQ(WEEKS[1]!)}`)).json as Answer;
  assert.equal(a2.dp!.budget!.remaining, 0.5);
  assert.equal(a2.dp!.budget!.charged, true);

  // A third would cost 1 > 0.5: refused with its own code and Retry-After until next month.
  const readsBefore = await s.asAdmin((q) => q.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = 'pulse.activity.read'`, [t]));
  const refused = await m.get(`/api/v1/pulse/activity?${orgQ(WEEKS[2]!)}`);
  assert.equal(refused.status, 429, refused.text);
  assert.equal(refused.json.code, 'pulse_dp_budget_exhausted');
  assert.equal(refused.json.cells, undefined, 'no figure of the refused answer is served');
  assert.deepEqual(refused.json.budget, { limit: 2.5, period: 'month', period_start: monthStart, resets_at: next, spent: 2, remaining: 0.5 });
  const retry = Number(refused.headers['retry-after']);
  assert.ok(Math.abs(retry - (Date.parse(next) - Date.now()) / 1000) < 120, `Retry-After ${retry}`);
  const csvRefused = await m.get(`/api/v1/pulse/activity.csv?${orgQ(WEEKS[2]!)}`);
  assert.equal(csvRefused.status, 429);
  // An answer already given is still free.
  const old = await m.get(`/api/v1/pulse/activity?${orgQ(WEEKS[0]!)}`);
  assert.equal(old.status, 200);
  assert.deepEqual((old.json as Answer).cells, a1.cells);
  assert.deepEqual(await ledger(manager.userId), [{ spent: '2', answers: 2, charges: 2 }], 'the refusals wrote nothing to the ledger');

  // The audit: each read says what it spent; the refusals are audited as such, not as reads.
  const rows = (await s.asAdmin((q) => q.query<{ action: string; outcome: string; purpose: string; details: Record<string, any> }>( // eslint-disable-line @typescript-eslint/no-explicit-any
    `SELECT action, outcome, purpose, details FROM audit_log WHERE tenant_id = $1 AND actor_id = $2 AND action IN ('pulse.activity.read', 'pulse.activity.exported', 'pulse.dp_budget.exhausted') ORDER BY seq`, [t, manager.userId]))).rows;
  assert.deepEqual(rows.map((r) => [r.action, r.outcome, r.details.dp?.charged ?? null, r.details.dp?.remaining ?? r.details.budget?.remaining]), [
    ['pulse.activity.read', 'success', true, 1.5],
    ['pulse.activity.read', 'success', false, 1.5],
    ['pulse.activity.exported', 'success', false, 1.5],
    ['pulse.activity.read', 'success', true, 0.5],
    ['pulse.dp_budget.exhausted', 'denied', null, 0.5],
    ['pulse.dp_budget.exhausted', 'denied', null, 0.5],
    ['pulse.activity.read', 'success', false, 0.5],
  ]);
  assert.equal(rows[0]!.details.dp.epsilon, 1);
  assert.equal(rows[0]!.details.dp.spent, 1);
  assert.equal(rows[4]!.purpose, 'capacity_planning');
  assert.equal(rows[4]!.details.epsilon, 1);
  assert.equal(rows[4]!.details.from, WEEKS[2]);
  const readsAfter = await s.asAdmin((q) => q.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = 'pulse.activity.read'`, [t]));
  assert.equal(readsAfter.rows[0]!.n, readsBefore.rows[0]!.n + 1, 'only the free repeat was read after the refusal');

  // Team answers carry no noise and spend nothing, budget or not.
  const team = await m.get(`/api/v1/pulse/activity?${new URLSearchParams({ purpose: 'capacity_planning', level: 'team', period: 'week', from: WEEKS[2]!, to: plusDays(WEEKS[2]!, 6), subject: manager.userId })}`);
  assert.equal(team.status, 200, team.text);
  assert.equal(team.json.dp, undefined);

  // The spend of last period does not count in this one: the budget is whole again.
  await s.asAdmin((q) => q.query(`WITH c AS (UPDATE pulse_dp_charges SET period_start = period_start - 40 WHERE tenant_id = $1 AND user_id = $2)
    UPDATE pulse_dp_budgets SET period_start = period_start - 40 WHERE tenant_id = $1 AND user_id = $2`, [t, manager.userId]));
  const fresh = await m.get(`/api/v1/pulse/activity?${orgQ(WEEKS[2]!)}`);
  assert.equal(fresh.status, 200, fresh.text);
  assert.equal((fresh.json as Answer).dp!.budget!.remaining, 1.5);
});

test('a per-day budget counts from today (UTC); an answer with nothing released spends nothing', async () => {
  const viewer = await loginAs(s, { roles: ['employee', 'manager'], tenantId: t });
  assert.equal((await settings({ dp_budget: 1, dp_budget_period: 'day' })).status, 200);
  // A week long before any data: every cell suppressed, no noisy figure, nothing charged.
  const empty = await viewer.client.get(`/api/v1/pulse/activity?${orgQ(monday(40))}`);
  assert.equal(empty.status, 200, empty.text);
  assert.ok((empty.json as Answer).cells.every((c) => !c.released));
  assert.deepEqual({ ...(empty.json as Answer).dp!.budget, resets_at: undefined }, { limit: 1, period: 'day', period_start: new Date().toISOString().slice(0, 10), resets_at: undefined, spent: 0, remaining: 1, charged: false });
  assert.equal((await viewer.client.get(`/api/v1/pulse/activity?${orgQ(WEEKS[3]!)}`)).status, 200);
  assert.equal((await viewer.client.get(`/api/v1/pulse/activity?${orgQ(WEEKS[4]!)}`)).status, 429);
});

test('concurrency: parallel distinct questions of one viewer never overspend; the same question in parallel is charged once', async () => {
  const viewer = await loginAs(s, { roles: ['employee', 'manager'], tenantId: t });
  assert.equal((await settings({ dp_epsilon: 0.5, dp_budget: 1.5, dp_budget_period: 'month' })).status, 200);
  // Eight distinct answers (four weeks, two categories) at ε = 0.5 each, all at once: three fit.
  const qs = WEEKS.slice(0, 4).flatMap((w) => ['development', 'meetings'].map((c) => orgQ(w, { category: c })));
  const res = await Promise.all(qs.map((q) => viewer.client.get(`/api/v1/pulse/activity?${q}`)));
  const codes = res.map((r) => r.status).sort();
  assert.deepEqual(codes, [200, 200, 200, 429, 429, 429, 429, 429], res.map((r) => r.text.slice(0, 200)).join('\n'));
  for (const r of res.filter((x) => x.status === 429)) assert.equal(r.json.code, 'pulse_dp_budget_exhausted');
  const remaining = res.filter((r) => r.status === 200).map((r) => (r.json as Answer).dp!.budget!.remaining).sort();
  assert.deepEqual(remaining, [0, 0.5, 1], 'each success saw the spends before it');
  assert.deepEqual(await ledger(viewer.userId), [{ spent: '1.5', answers: 3, charges: 3 }]);

  // Another viewer asks one question six times at once: one charge. The week's chart is stored
  // first (a team question), so the six do not queue on storing it but race for the budget.
  const team = await manager.client.get(`/api/v1/pulse/activity?${new URLSearchParams({ purpose: 'capacity_planning', level: 'team', period: 'week', from: WEEKS[5]!, to: plusDays(WEEKS[5]!, 6), subject: manager.userId })}`);
  assert.equal(team.status, 200, team.text);
  const other = await loginAs(s, { roles: ['employee', 'manager'], tenantId: t });
  // A first spend makes their ledger row for the period, so the six do not queue on creating it.
  assert.equal((await other.client.get(`/api/v1/pulse/activity?${orgQ(WEEKS[6]!)}`)).status, 200);
  const same = await Promise.all(Array.from({ length: 6 }, () => other.client.get(`/api/v1/pulse/activity?${orgQ(WEEKS[5]!)}`)));
  assert.deepEqual(same.map((r) => r.status), [200, 200, 200, 200, 200, 200], same.map((r) => r.text.slice(0, 200)).join('\n'));
  assert.equal(same.filter((r) => (r.json as Answer).dp!.budget!.charged).length, 1);
  for (const r of same) assert.deepEqual((r.json as Answer).cells, (same[0]!.json as Answer).cells);
  assert.deepEqual(await ledger(other.userId), [{ spent: '1.0', answers: 2, charges: 2 }]);
});
