/**
 * Differential privacy on org-level Pulse figures through the real API, on both engines: off by
 * default (figures are the true sums), switched on by an admin with fresh MFA (ε bounds
 * enforced, the change audited), then every released org cell carries Laplace noise, the answer
 * and the CSV say so with ε, no true seconds figure appears anywhere in either, and asking again
 * gives the very same noisy answer (nothing to average). Team-level answers stay exact.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, loginAs, createUser, type TestServer } from '@parapet/server/testing';

import { monday, plusDays } from './helpers.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

type Cell = { period: string; category: string; released: boolean; people?: number; active_s?: number; idle_s?: number; work_s?: number };

test('differential privacy: off by default; on, org figures are noisy with ε printed, no true figure leaks, repeats are identical', async () => {
  const m = await loginAs(s, { roles: ['employee', 'manager'] });
  const t = m.tenantId;
  const admin = await loginAs(s, { roles: ['admin'], tenantId: t, mfaFresh: true });
  const people: string[] = [];
  for (let i = 0; i < 8; i++) {
    const { userId } = await createUser(s.db, t, { roles: ['employee'] });
    await s.db.tx({ tenantId: t }, (q) => q.query(`UPDATE users SET manager_id = $2 WHERE id = $1`, [userId, m.userId]));
    people.push(userId);
  }
  const w = monday(2);
  for (let d = 0; d < 5; d++) {
    for (const [i, x] of people.entries()) {
      await s.db.tx({ tenantId: t }, (q) =>
        q.query(`INSERT INTO pulse_daily (tenant_id, day, user_id, category, active_s, idle_s, paused_s, work_s, intervals) VALUES ($1, $2, $3, 'development', $4, $5, 0, $4, 1)`, [t, plusDays(w, d), x, 3000 + 41 * i + d, 500 + i]),
      );
    }
  }
  const truth = { active: 0, idle: 0 };
  for (let d = 0; d < 5; d++) for (let i = 0; i < 8; i++) (truth.active += 3000 + 41 * i + d), (truth.idle += 500 + i);
  const q = (level: 'org' | 'team') => new URLSearchParams({ purpose: 'capacity_planning', level, period: 'week', from: w, to: plusDays(w, 6), ...(level === 'team' ? { subject: m.userId } : {}) });
  const ask = async (level: 'org' | 'team') => {
    const r = await m.client.get(`/api/v1/pulse/activity?${q(level)}`);
    assert.equal(r.status, 200, r.text);
    return r.json as { dp?: { mechanism: string; epsilon: number; budget?: unknown }; cells: Cell[] };
  };
  const dev = (a: { cells: Cell[] }) => a.cells.find((c) => c.category === 'development')!;

  // Off by default: the true sums.
  assert.equal((await admin.client.get('/api/v1/pulse/settings')).json.dp_epsilon, null);
  const plain = await ask('org');
  assert.equal(plain.dp, undefined);
  assert.equal(dev(plain).active_s, truth.active);
  assert.equal(dev(plain).idle_s, truth.idle);

  // Bounds, then on at ε = 1; a fixed key makes this run reproducible.
  for (const bad of [0, 11, 'one']) assert.equal((await admin.client.request('PUT', '/api/v1/pulse/settings', { json: { dp_epsilon: bad } })).status, 400, `ε = ${bad}`);
  assert.equal((await m.client.request('PUT', '/api/v1/pulse/settings', { json: { dp_epsilon: 1 } })).status, 403);
  const on = await admin.client.request('PUT', '/api/v1/pulse/settings', { json: { dp_epsilon: 1 } });
  assert.equal(on.status, 200, on.text);
  assert.equal(on.json.dp_epsilon, 1);
  assert.equal(on.json.dp_key, undefined, 'the noise key is never served');
  await s.db.tx({ tenantId: t }, (qq) => qq.query(`UPDATE pulse_settings SET dp_key = decode(repeat('5a', 32), 'hex')`));
  const audit = await s.asAdmin((qq) => qq.query<{ details: { dp_epsilon: number } }>(`SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'pulse.settings.changed' ORDER BY seq DESC LIMIT 1`, [t]));
  assert.equal(audit.rows[0]!.details.dp_epsilon, 1);

  const noisy = await ask('org');
  assert.deepEqual({ ...noisy.dp, budget: undefined }, { mechanism: 'laplace', epsilon: 1, budget: undefined });
  const c = dev(noisy);
  assert.equal(c.released, true);
  assert.notEqual(c.active_s, truth.active);
  assert.notEqual(c.idle_s, truth.idle);
  const text = JSON.stringify(noisy);
  for (const v of [truth.active, truth.idle]) assert.ok(!text.includes(String(v)), `the true figure ${v} is nowhere in the answer`);
  const csv = await m.client.get(`/api/v1/pulse/activity.csv?${q('org')}`);
  assert.equal(csv.status, 200, csv.text);
  for (const v of [truth.active, truth.idle]) assert.ok(!csv.text.includes(String(v)), `nor in the CSV`);
  assert.match(csv.text, /Laplace noise \(differential privacy; epsilon 1\)/);
  assert.deepEqual((await ask('org')).cells, noisy.cells, 'asked again: the same noise');
  // Team answers are not org-level trends: exact, no DP marker.
  const team = await ask('team');
  assert.equal(team.dp, undefined);
  assert.equal(dev(team).active_s, truth.active);

  // Off again: the true sums.
  assert.equal((await admin.client.request('PUT', '/api/v1/pulse/settings', { json: { dp_epsilon: null } })).status, 200);
  assert.equal(dev(await ask('org')).active_s, truth.active);
});
