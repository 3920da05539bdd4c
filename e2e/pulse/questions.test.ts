/**
 * Questions API: bad input is an RFC 9457 problem with a stable code, never a 500; an answer
 * and its audit entry go together.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestServer, loginAs, type TestServer } from '@parapet/server/testing';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('bad questions get 400/404 problems with their own codes', async () => {
  const me = await loginAs(s, { roles: ['employee', 'manager'] });
  const ask = (q: Record<string, string>) => me.client.get(`/api/v1/pulse/activity?${new URLSearchParams(q)}`);
  const base = { purpose: 'my_data', level: 'person', period: 'day', subject: me.userId, from: '2026-01-05', to: '2026-01-11' };
  const cases: Array<[Record<string, string>, number, string]> = [
    [{ ...base, from: '2026-02-31' }, 400, 'pulse_question_invalid'],
    [{ ...base, to: '2025-01-01' }, 400, 'pulse_question_invalid'],
    [{ ...base, from: '2024-01-01' }, 400, 'pulse_question_invalid'],
    [{ ...base, purpose: 'curiosity' }, 400, 'pulse_purpose_unknown'],
    [{ ...base, subject: randomUUID() }, 404, 'pulse_subject_unknown'],
    [{ ...base, level: 'galaxy' }, 400, 'invalid_request'],
    [{ ...base, subject: 'not-a-uuid' }, 400, 'invalid_request'],
    [{ ...base, level: 'org' }, 400, 'pulse_question_invalid'],
    [{ ...base, category: 'UPPER' }, 400, 'invalid_request'],
  ];
  for (const [q, status, code] of cases) {
    const r = await ask(q);
    assert.equal(r.status, status, `${JSON.stringify(q)}: ${r.text}`);
    if (code !== 'invalid_request') assert.equal(r.json.code, code);
    else assert.ok(typeof r.json.code === 'string');
  }
  const ok = await ask(base);
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json.cells, []);
  const tl = await me.client.get('/api/v1/pulse/me/timeline?from=2026-02-30&to=2026-03-01');
  assert.equal(tl.status, 400);
  assert.equal(tl.json.code, 'pulse_question_invalid');
  const log = await s.asAdmin(async (q) => (await q.query<{ purpose: string; details: Record<string, unknown> }>(`SELECT purpose, details FROM audit_log WHERE tenant_id = $1 AND action = 'pulse.activity.read'`, [me.tenantId])).rows);
  assert.equal(log.length, 1, 'only the answered question is a read');
  assert.equal(log[0]!.purpose, 'my_data');
  assert.deepEqual(log[0]!.details.subjects, [me.userId]);
});
