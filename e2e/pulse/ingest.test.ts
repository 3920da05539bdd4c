/**
 * PULSE-UPLOAD, server side: real agents (DeviceClient, RFC 9421 over pinned TLS) upload
 * batches; each refusal has its own problem code and writes nothing; a batch and its audit
 * entry commit together; the policy is a DSSE envelope that verifies with the served key.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, loginAs, createUser, type TestServer } from '@parapet/server/testing';
import { dsse, pulseBatch, type PulsePolicy } from '@parapet/core';
import { batch, dayStart, enrollAgent, HOUR, iv, upload } from './helpers.js';

let s: TestServer;
let dir: string;
before(async () => {
  s = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'parapet-pulse-ingest-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

async function setup() {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const person = await createUser(s.db, admin.tenantId, { roles: ['employee'] });
  const agent = await enrollAgent(s, admin.client, dir, person.userId);
  return { admin, person, agent, tenantId: admin.tenantId };
}
const count = (tenantId: string, sql: string, params: unknown[] = []) =>
  s.asAdmin(async (q) => Number((await q.query<{ n: string }>(sql.replace('$T', `'${tenantId}'`), params)).rows[0]!.n));
const intervals = (t: string) => count(t, `SELECT count(*) AS n FROM pulse_intervals WHERE tenant_id = $T`);
const batches = (t: string) => count(t, `SELECT count(*) AS n FROM pulse_batches WHERE tenant_id = $T`);
const rollupSecs = (t: string) => s.asAdmin(async (q) => (await q.query<{ a: number; i: number; p: number }>(`SELECT coalesce(sum(active_s),0)::float8 AS a, coalesce(sum(idle_s),0)::float8 AS i, coalesce(sum(paused_s),0)::float8 AS p FROM pulse_daily WHERE tenant_id = $1`, [t])).rows[0]!);
const auditRows = (t: string, action: string) => s.asAdmin(async (q) => (await q.query<{ outcome: string; details: Record<string, unknown>; target_id: string }>(`SELECT outcome, details, target_id FROM audit_log WHERE tenant_id = $1 AND action = $2 ORDER BY seq`, [t, action])).rows);

test('a signed batch is stored: intervals, daily rollups split at midnight, batch row and one audit entry', async () => {
  const { agent, tenantId, person } = await setup();
  const d = dayStart(2);
  // 23:00 to 01:00 crosses midnight: one hour lands on each day.
  const b = batch([iv(d + 9 * HOUR, d + 10 * HOUR), iv(d + 10 * HOUR, d + 10.5 * HOUR, { state: 'idle', app: 'slack', category: 'communication' }), iv(d + 11 * HOUR, d + 11.25 * HOUR, { state: 'paused' }), iv(d + 23 * HOUR, d + 25 * HOUR)]);
  const r = await upload(agent, b);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.deepEqual({ ...r.json, received_at: undefined }, { batch_id: b.batch_id, received_at: undefined, intervals: 4, accepted: 4, duplicates: 0, merged: 0 });
  assert.equal(await intervals(tenantId), 4);
  assert.deepEqual(await rollupSecs(tenantId), { a: 3 * 3600, i: 1800, p: 900 });
  const days = await s.asAdmin(async (q) => (await q.query<{ day: string; a: number }>(`SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(active_s)::float8 AS a FROM pulse_daily WHERE tenant_id = $1 GROUP BY day ORDER BY day`, [tenantId])).rows);
  assert.deepEqual(days.map((x) => x.a), [7200, 3600]);
  const audit = await auditRows(tenantId, 'pulse.batch.received');
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.target_id, b.batch_id);
  assert.equal(audit[0]!.details.subject, person.userId);
});

test('idempotent: the same batch again is pulse_batch_replayed and stores nothing; the same intervals in a new batch are duplicates', async () => {
  const { agent, tenantId } = await setup();
  const d = dayStart(1);
  const b = batch([iv(d + 9 * HOUR, d + 10 * HOUR), iv(d + 10 * HOUR, d + 11 * HOUR, { category: 'meetings', app: 'zoom' })]);
  assert.equal((await upload(agent, b)).status, 201);
  const again = await upload(agent, b);
  assert.equal(again.status, 409);
  assert.equal(again.json.code, 'pulse_batch_replayed');
  assert.equal(again.json.receipt.accepted, 2);
  const resend = await upload(agent, batch([...b.intervals, iv(d + 12 * HOUR, d + 13 * HOUR)]));
  assert.equal(resend.status, 201);
  assert.deepEqual([resend.json.accepted, resend.json.duplicates], [1, 2]);
  assert.equal(await intervals(tenantId), 3);
  assert.equal((await rollupSecs(tenantId)).a, 3 * 3600, 'rollups counted each interval once');
});

test('a batch re-sent by the same person\'s machine enrolled again is a replay; the same bytes from someone else\'s agent are a conflict', async () => {
  const { admin, person, agent, tenantId } = await setup();
  const d = dayStart(1);
  const b = batch([iv(d + 9 * HOUR, d + 10 * HOUR)]);
  assert.equal((await upload(agent, b)).status, 201);
  const again = await enrollAgent(s, admin.client, dir, person.userId);
  const resent = await upload(again, b);
  assert.equal(resent.status, 409);
  assert.equal(resent.json.code, 'pulse_batch_replayed');
  assert.equal(resent.json.receipt.accepted, 1);
  const other = await createUser(s.db, tenantId, { roles: ['employee'] });
  const stranger = await upload(await enrollAgent(s, admin.client, dir, other.userId), b);
  assert.equal(stranger.status, 409);
  assert.equal(stranger.json.code, 'pulse_batch_conflict');
  assert.equal(stranger.json.receipt, undefined, 'no receipt for another person');
  assert.equal(await intervals(tenantId), 1);
});

test('conflicts: another batch under a used batch_id, or a used interval id with other content, are refused whole', async () => {
  const { agent, tenantId } = await setup();
  const d = dayStart(1);
  const first = iv(d + 9 * HOUR, d + 10 * HOUR);
  const b = batch([first]);
  assert.equal((await upload(agent, b)).status, 201);
  const sameId = await upload(agent, batch([iv(d + 14 * HOUR, d + 15 * HOUR)], b.batch_id));
  assert.equal(sameId.status, 409);
  assert.equal(sameId.json.code, 'pulse_batch_conflict');
  const fresh = iv(d + 16 * HOUR, d + 17 * HOUR);
  const changed = await upload(agent, batch([fresh, { ...first, end: new Date(d + 9.5 * HOUR).toISOString() }]));
  assert.equal(changed.status, 409);
  assert.equal(changed.json.code, 'pulse_interval_conflict');
  assert.equal(changed.json.interval_id, first.id);
  assert.equal(await intervals(tenantId), 1, 'the fresh interval of the refused batch was not written');
  assert.equal(await batches(tenantId), 1);
  assert.equal((await rollupSecs(tenantId)).a, 3600);
  const refused = await auditRows(tenantId, 'pulse.batch.refused');
  assert.deepEqual(refused.map((x) => x.details.code), ['pulse_batch_conflict', 'pulse_interval_conflict']);
});

test('an interval key already stored for someone else in the tenant refuses the whole batch with 409, writing nothing and auditing one entry per outcome', async () => {
  const { admin, agent, tenantId } = await setup();
  const other = await createUser(s.db, tenantId, { roles: ['employee'] });
  const otherAgent = await enrollAgent(s, admin.client, dir, other.userId);
  const d = dayStart(1);
  const taken = iv(d + 8 * HOUR, d + 9 * HOUR);
  assert.equal((await upload(otherAgent, batch([taken]))).status, 201);
  // The same id and start from another person's agent: the lookup of this person's intervals
  // does not see it, and the key (tenant, start, id) refuses it.
  const r = await upload(agent, batch([iv(d + 6 * HOUR, d + 7 * HOUR), { ...taken }]));
  assert.equal(r.status, 409, JSON.stringify(r.json));
  assert.equal(r.json.code, 'pulse_interval_conflict');
  assert.equal(await intervals(tenantId), 1, 'the fresh interval of the refused batch was not written');
  assert.equal(await batches(tenantId), 1);
  assert.equal((await rollupSecs(tenantId)).a, 3600);
  assert.equal((await auditRows(tenantId, 'pulse.batch.received')).length, 1);
  assert.deepEqual((await auditRows(tenantId, 'pulse.batch.refused')).map((x) => x.details.code), ['pulse_interval_conflict']);
});

test('refusals with their own codes: unknown category, too many intervals, too many bytes, future, expired, invalid', async () => {
  const { agent, tenantId } = await setup();
  const d = dayStart(1);
  const cases: Array<[string, unknown, number, string]> = [
    ['unknown category', batch([iv(d, d + HOUR), iv(d + HOUR, d + 2 * HOUR, { category: 'gaming' })]), 422, 'pulse_category_unknown'],
    ['too many intervals', batch(Array.from({ length: pulseBatch.PULSE_BATCH_MAX_INTERVALS + 1 }, (_, i) => iv(d + i * 1000, d + i * 1000 + 500))), 413, 'pulse_batch_too_large'],
    ['too many bytes', { ...batch([iv(d, d + HOUR)]), pad: 'x'.repeat(pulseBatch.PULSE_BATCH_MAX_BYTES) }, 413, 'pulse_batch_too_large'],
    ['future', batch([iv(Date.now() + HOUR, Date.now() + 2 * HOUR)]), 422, 'pulse_interval_in_future'],
    ['older than retention', batch([iv(dayStart(400), dayStart(400) + HOUR)]), 422, 'pulse_interval_expired'],
    ['ends before it starts', batch([iv(d + HOUR, d)]), 422, 'pulse_interval_invalid'],
    ['unknown field', { ...batch([iv(d, d + HOUR)]), url: 'https://x' }, 422, 'pulse_batch_invalid'],
    ['paused with an app', batch([{ ...iv(d, d + HOUR, { state: 'paused' }), app: 'code' }]), 422, 'pulse_interval_invalid'],
  ];
  for (const [what, body, status, code] of cases) {
    const r = await upload(agent, body);
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.code, code, what);
    assert.equal(r.json.type, `https://parapet.dev/problems/${code}`);
  }
  const unknown = await upload(agent, cases[0]![1]);
  assert.deepEqual(unknown.json.categories, ['gaming']);
  assert.equal(await intervals(tenantId), 0);
  assert.equal(await batches(tenantId), 0);
  assert.equal((await auditRows(tenantId, 'pulse.batch.refused')).length, cases.length + 1);
});

test('overlaps inside a batch are merged (same content) or clipped (other content)', async () => {
  const { agent, tenantId } = await setup();
  const d = dayStart(1);
  const r = await upload(agent, batch([iv(d, d + 2 * HOUR), iv(d + HOUR, d + 3 * HOUR), iv(d + 2.5 * HOUR, d + 4 * HOUR, { category: 'meetings', app: 'zoom' }), iv(d + 3 * HOUR, d + 3.5 * HOUR, { category: 'meetings', app: 'zoom' })]));
  assert.equal(r.status, 201);
  assert.equal(r.json.merged, 3);
  assert.equal((await rollupSecs(tenantId)).a, 4 * 3600, 'no second counted twice');
  assert.equal(await intervals(tenantId), 2);
});

test('only agents of an active person upload; bad signatures never reach the handler', async () => {
  const { admin } = await setup();
  const fleet = await enrollAgent(s, admin.client, dir, undefined);
  const d = dayStart(1);
  const r = await upload(fleet, batch([iv(d, d + HOUR)]));
  assert.equal(r.status, 403);
  assert.equal(r.json.code, 'pulse_device_not_personal');
  const worker = await enrollAgent(s, admin.client, dir, undefined, 'worker-' + randomUUID().slice(0, 6), 'worker');
  assert.equal((await upload(worker, batch([iv(d, d + HOUR)]))).json.code, 'pulse_device_not_personal');
  const unsigned = await s.client().post('/api/v1/pulse/batches', batch([iv(d, d + HOUR)]));
  assert.equal(unsigned.status, 401);
  assert.equal(unsigned.json.code, 'device_unauthenticated');
  assert.equal(await intervals(admin.tenantId), 0);
});

test('tenants are walls: two tenants upload the same ids and each sees only its own', async () => {
  const a = await setup();
  const b = await setup();
  const d = dayStart(1);
  const shared = batch([iv(d, d + HOUR, { id: randomUUID() })]);
  assert.equal((await upload(a.agent, shared)).status, 201);
  assert.equal((await upload(b.agent, shared)).status, 201, 'ids are per tenant');
  const seen = await s.db.tx({ tenantId: a.tenantId }, async (q) => (await q.query<{ n: string }>(`SELECT count(*) AS n FROM pulse_intervals`)).rows[0]!.n);
  assert.equal(Number(seen), 1);
  const none = await s.db.tx({}, async (q) => (await q.query<{ n: string }>(`SELECT count(*) AS n FROM pulse_intervals`)).rows[0]!.n);
  assert.equal(Number(none), 0, 'without a tenant, RLS shows nothing');
});

test('the policy is a DSSE envelope over canonical JSON, signed with the tenant key that is served; admins edit it with step-up', async () => {
  const { agent, admin, tenantId } = await setup();
  const r = await agent.request('GET', '/api/v1/pulse/policy');
  assert.equal(r.status, 200);
  const j = r.json();
  const key = await admin.client.get('/api/v1/pulse/policy/key');
  assert.equal(key.status, 200);
  assert.equal(key.json.public_key_pem, j.public_key_pem);
  const { payload } = dsse.verifyEnvelope(j.envelope, pulseBatch.PULSE_POLICY_PAYLOAD_TYPE, key.json.public_key_pem);
  const policy = JSON.parse(payload.toString('utf8')) as PulsePolicy;
  assert.equal(policy.schema, 'parapet.pulse.policy/v1');
  assert.equal(policy.tenant, tenantId);
  assert.equal(policy.version, 1);
  assert.ok(policy.categories.some((c) => c.key === 'uncategorized'));
  // Tampering is caught.
  const forged = { ...j.envelope, payload: Buffer.from(JSON.stringify({ ...policy, idle_timeout_seconds: 1 })).toString('base64') };
  assert.throws(() => dsse.verifyEnvelope(forged, pulseBatch.PULSE_POLICY_PAYLOAD_TYPE, key.json.public_key_pem));

  const stale = await loginAs(s, { roles: ['admin'], tenantId });
  assert.equal((await stale.client.request('PUT', '/api/v1/pulse/settings', { json: { categories: [{ key: 'gaming', name: 'Games' }] } })).json.code, 'step_up_required');
  const emp = await loginAs(s, { roles: ['employee'], tenantId, mfaFresh: true });
  assert.equal((await emp.client.request('PUT', '/api/v1/pulse/settings', { json: { k_min: 3 } })).status, 403);
  const bad = await admin.client.request('PUT', '/api/v1/pulse/settings', { json: { k_min: 2 } });
  assert.equal(bad.status, 400, 'k can never go below 3');
  const badRule = await admin.client.request('PUT', '/api/v1/pulse/settings', { json: { rules: [{ category: 'nope', app: 'x' }] } });
  assert.equal(badRule.json.code, 'pulse_settings_invalid');
  const ok = await admin.client.request('PUT', '/api/v1/pulse/settings', { json: { categories: [...policy.categories, { key: 'gaming', name: 'Games' }] } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.policy_version, 2);
  const v2 = JSON.parse(dsse.verifyEnvelope((await agent.request('GET', '/api/v1/pulse/policy')).json().envelope, pulseBatch.PULSE_POLICY_PAYLOAD_TYPE, key.json.public_key_pem).payload.toString('utf8')) as PulsePolicy;
  assert.equal(v2.version, 2);
  assert.ok(v2.categories.some((c) => c.key === 'gaming'));
  const d = dayStart(1);
  assert.equal((await upload(agent, batch([iv(d, d + HOUR, { category: 'gaming', app: 'steam' })]))).status, 201, 'the new category is accepted');
  const audit = await auditRows(tenantId, 'pulse.settings.changed');
  assert.equal(audit.length, 1);
  assert.equal((await auditRows(tenantId, 'authz.access.denied')).length, 2, 'the step-up and the forbidden attempt are audited');
});

test('partitions made on demand are monthly, owned by the owner role, with RLS enabled, forced and keyed on the tenant', async () => {
  const { agent, tenantId } = await setup();
  // 40 days back lands in an earlier month than today's partition, whatever the date.
  const d = dayStart(40);
  assert.equal((await upload(agent, batch([iv(d + HOUR, d + 2 * HOUR)]))).status, 201);
  const month = new Date(d).toISOString().slice(0, 7).replace('-', '');
  const part = `pulse_intervals_${month}`;
  const info = await s.asAdmin(async (q) => (await q.query<{ rls: boolean; force: boolean; owner: string; parent: string }>(
    `SELECT c.relrowsecurity AS rls, c.relforcerowsecurity AS force, pg_get_userbyid(c.relowner) AS owner, i.inhparent::regclass::text AS parent
       FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid WHERE c.relname = $1`, [part])).rows[0]);
  assert.deepEqual(info, { rls: true, force: true, owner: 'parapet_owner', parent: 'pulse_intervals' });
  const pols = await s.asAdmin(async (q) => (await q.query<{ qual: string | null; with_check: string | null }>(`SELECT qual, with_check FROM pg_policies WHERE tablename = $1`, [part])).rows);
  assert.equal(pols.length, 2);
  for (const p of pols) for (const e of [p.qual, p.with_check]) if (e) assert.match(e, /app\.tenant_id/);
  // Read directly, the partition shows only the current tenant's rows.
  const direct = await s.db.tx({ tenantId }, async (q) => Number((await q.query<{ n: string }>(`SELECT count(*) AS n FROM ${part}`)).rows[0]!.n));
  assert.equal(direct, 1);
  const other = await s.db.tx({ tenantId: randomUUID() }, async (q) => Number((await q.query<{ n: string }>(`SELECT count(*) AS n FROM ${part}`)).rows[0]!.n));
  assert.equal(other, 0);
});

test('retention: the purge job deletes expired intervals, then rollups, per tenant settings, and audits what it purged', async () => {
  const { agent, tenantId } = await setup();
  const keep = await setup();
  const d = dayStart(2);
  assert.equal((await upload(agent, batch([iv(d + HOUR, d + 2 * HOUR), iv(d + 3 * HOUR, d + 4 * HOUR)]))).status, 201);
  assert.equal((await upload(keep.agent, batch([iv(d + HOUR, d + 2 * HOUR)]))).status, 201);
  const { purgeExpired } = await import('@parapet/server/pulse/retention');
  const nothing = await purgeExpired(s.db, tenantId, new Date());
  assert.deepEqual([nothing.intervals, nothing.rollups], [0, 0]);
  const later = new Date(d + 100 * 86_400_000);
  const r1 = await purgeExpired(s.db, tenantId, later);
  assert.deepEqual([r1.intervals, r1.batches, r1.rollups], [2, 1, 0], 'detail kept 90 days, rollups 730');
  assert.equal(await intervals(tenantId), 0);
  assert.equal((await rollupSecs(tenantId)).a, 7200, 'dashboards still have the day');
  assert.equal(await intervals(keep.tenantId), 1, 'another tenant is untouched');
  const r2 = await purgeExpired(s.db, tenantId, new Date(d + 800 * 86_400_000));
  assert.equal(r2.rollups, 1);
  const audit = await auditRows(tenantId, 'pulse.retention.purged');
  assert.equal(audit.length, 2, 'one entry per purge that removed something');
  assert.equal(audit[0]!.details.intervals, 2);
  assert.equal(audit[0]!.details.detail_retention_days, 90);
  assert.equal(audit[1]!.details.rollups, 1);
});
