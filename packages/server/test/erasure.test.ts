/**
 * Right to erasure (CORE-PRIVACY): erasing a person removes their data everywhere the catalogue
 * says a user is referenced, crypto-shreds the personal fields of their audit entries, and the
 * audit log still verifies, offline with `parapet audit verify` too. Refusals change nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceClient, openKeyStore } from '@parapet/device-client';
import { verifyExport } from '@parapet/core';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { erasers } from '../src/governance/erasure.js';
import { chartsAsOf } from '../src/pulse/queries.js';
import { ERASED } from '../src/audit/pii.js';
import { totpCode } from '../src/auth/totp.js';
import { runCli } from '../../cli/test/run-cli.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('catalogue: every foreign key to users has a declared eraser', async () => {
  const { rows } = await s.asAdmin((q) =>
    q.query<{ tbl: string; col: string }>(
      `SELECT c.conrelid::regclass::text AS tbl, a.attname AS col
         FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass AND a.attname <> 'tenant_id'`,
    ),
  );
  assert.ok(rows.length >= 15, `found ${rows.length} user references`);
  const declared = new Set(erasers().map((e) => `${e.table}.${e.column}`));
  const missing = rows.map((r) => `${r.tbl}.${r.col}`).filter((x) => !declared.has(x));
  assert.deepEqual(missing, [], 'each user reference says what erasure does to it');
});

/**
 * Columns that hold a uuid by a person-like name, and uuid arrays, with what they hold when it
 * is not a person. A column that matches and is neither declared nor listed here fails.
 */
const NOT_A_PERSON: Record<string, string> = {
  'users.id': 'the person row itself, anonymised in place',
  'erasure_requests.subject_id': 'the erasure record names whom it erased (pseudonymous id only)',
  'erasure_requests.requested_by': 'the admin who asked is part of the erasure evidence',
  'audit_subject_keys.subject_id': 'the destroyed key row proves the shredding',
  'audit_log.actor_id': 'hash-chained evidence: the id is pseudonymous once the subject key is gone',
  'audit_log.target_id': 'hash-chained evidence, as actor_id',
  'probe_scans.leased_by': 'the worker device holding the lease, not a person',
};

test('catalogue: every uuid column named like a person reference, and every uuid array, has a declared eraser even without a foreign key', async () => {
  const { rows } = await s.asAdmin((q) =>
    q.query<{ tbl: string; col: string; udt: string }>(
      `SELECT c.table_name AS tbl, c.column_name AS col, c.udt_name AS udt
         FROM information_schema.columns c JOIN pg_class k ON k.relname = c.table_name AND k.relnamespace = 'public'::regnamespace
        WHERE c.table_schema = 'public' AND k.relkind IN ('r', 'p') AND NOT k.relispartition AND c.udt_name IN ('uuid', '_uuid', 'text', '_text')`,
    ),
  );
  // A person reference by name: *user_id*, *_by, owner*, grantee*, subject*, manager*, people, member*.
  const personLike = /user_id|_by$|^owner|grantee|subject|manager|^people$|member/;
  const candidates = rows.filter((r) => (r.udt === 'uuid' || r.udt === '_uuid' ? personLike.test(r.col) || r.udt === '_uuid' : /user_id|_by$/.test(r.col)));
  assert.ok(candidates.some((r) => r.tbl === 'pulse_week_charts' && r.col === 'people'), 'the check sees uuid arrays without a foreign key');
  const declared = new Set(erasers().map((e) => `${e.table}.${e.column}`));
  const missing = candidates.map((r) => `${r.tbl}.${r.col}`).filter((x) => !declared.has(x) && !(x in NOT_A_PERSON));
  assert.deepEqual(missing, [], 'each column that can hold a user id says what erasure does to it');
});

test('erasing a person: data gone, audit fields shredded, the log verifies, refusals change nothing', async () => {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const t = admin.tenantId;
  const email = `casey.quill.${Date.now()}@example.test`;
  const casey = await loginAs(s, { roles: ['employee'], tenantId: t, email });
  // Casey acts (entries with their name and address), owns a device, holds a delegation.
  const enrol = await casey.client.post('/api/v1/auth/mfa/totp/enroll');
  assert.equal(enrol.status, 200);
  const confirm = await casey.client.post('/api/v1/auth/mfa/totp/confirm', { code: await totpCode(enrol.json.secret, Math.floor(Date.now() / 1000)) });
  assert.equal(confirm.status, 200, confirm.text);
  const tok = await admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent', owner_user_id: casey.userId });
  assert.equal(tok.status, 201, tok.text);
  const dir = await mkdtemp(join(tmpdir(), 'parapet-erasure-'));
  const store = await openKeyStore({ service: 'parapet-erasure', account: t, filePath: join(dir, 'device.key'), prefer: 'file' });
  const laptop = await DeviceClient.enroll({ server: s.url, token: tok.json.token, kind: 'agent', name: `${email} laptop`, store, statePath: join(dir, 'state.json'), ca: s.ca, version: '1' });
  await laptop.heartbeat({ version: '2' });
  await s.db.tx({ tenantId: t }, (q) => q.query(`INSERT INTO delegations (tenant_id, grantee_type, grantee_id, category) VALUES ($1, 'user', $2, 'email')`, [t, casey.userId]));
  // Casey is in a stored Pulse week chart (a uuid array, no foreign key).
  await s.db.tx({ tenantId: t }, (q) => chartsAsOf(q, ['2026-11-02']));
  const inChart = await s.asAdmin((q) => q.query<{ n: number }>(`SELECT cardinality(people) AS n FROM pulse_week_charts WHERE tenant_id = $1 AND $2::uuid = ANY (people)`, [t, casey.userId]));
  assert.equal(inChart.rows.length, 1);

  // Before: the console shows Casey's email; the table holds only ciphertext.
  const before = await admin.client.get(`/api/v1/audit/search?actor=${encodeURIComponent(email)}`);
  assert.equal(before.status, 200, before.text);
  assert.ok(before.json.entries.length >= 1);
  assert.ok(before.json.entries.every((e: { actor_name: string }) => e.actor_name === email));
  const raw = await s.asAdmin((q) => q.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_log WHERE tenant_id = $1 AND (actor_name = $2 OR details::text LIKE '%' || $2 || '%')`, [t, email]));
  assert.equal(raw.rows[0]!.n, '0', 'the log never holds the email in clear');

  // Refusals: yourself, the last admin, a non-admin; nothing changes.
  assert.equal((await admin.client.post('/api/v1/governance/erasures', { user_id: admin.userId, reason: 'x' })).json.code, 'erasure_self');
  const other = await loginAs(s, { roles: ['admin'], mfaFresh: true, tenantId: t });
  await s.db.tx({ tenantId: t }, (q) => q.query(`UPDATE users SET status = 'deactivated' WHERE id = $1`, [admin.userId]));
  assert.equal((await admin.client.post('/api/v1/governance/erasures', { user_id: other.userId, reason: 'x' })).status, 401, 'a deactivated admin is signed out');
  await s.db.tx({ tenantId: t }, (q) => q.query(`UPDATE users SET status = 'active' WHERE id = $1`, [admin.userId]));
  assert.equal((await casey.client.post('/api/v1/governance/erasures', { user_id: admin.userId, reason: 'x' })).status, 403);

  const r = await admin.client.post('/api/v1/governance/erasures', { user_id: casey.userId, reason: 'GDPR Art. 17 request #4411' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.subject_key_destroyed, true);
  assert.ok(r.json.deleted['sessions.user_id'] >= 1);
  assert.equal(r.json.deleted['mfa_totp.user_id'], 1);
  assert.equal(r.json.deleted['devices.owner_user_id'], 1);
  assert.equal(r.json.deleted['delegations.grantee_id'], 1);
  assert.equal((await admin.client.post('/api/v1/governance/erasures', { user_id: casey.userId, reason: 'again' })).json.code, 'already_erased');

  // Casey's session is gone; their device is gone.
  assert.equal((await casey.client.get('/api/v1/auth/session')).status, 401);
  await assert.rejects(laptop.heartbeat());

  // After: no view shows their name or address; the search finds nothing by their email.
  const all = await admin.client.get(`/api/v1/audit/search?limit=200`);
  const theirs = all.json.entries.filter((e: { actor_id: string }) => e.actor_id === casey.userId);
  assert.ok(theirs.length >= 1);
  for (const e of theirs) {
    assert.equal(e.actor_name, ERASED);
    assert.equal(e.ip, ERASED);
  }
  const deviceEntries = all.json.entries.filter((e: { actor_type: string; actor_id: string }) => e.actor_type === 'device' && e.actor_id === laptop.state.deviceId);
  assert.ok(deviceEntries.length >= 1 && deviceEntries.every((e: { actor_name: string; ip: string }) => e.actor_name === ERASED && e.ip === ERASED), "their own device's name and address are theirs");
  assert.equal((await admin.client.get(`/api/v1/audit/search?actor=${encodeURIComponent(email)}`)).json.entries.length, 0);
  assert.ok(!JSON.stringify(all.json).includes(email));

  // Nothing anywhere in the database holds the email any more.
  const tables = await s.asAdmin((q) =>
    q.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND data_type IN ('text', 'jsonb', 'character varying', 'ARRAY')`,
    ),
  );
  for (const c of tables.rows) {
    const hit = await s.asAdmin((q) => q.query(`SELECT 1 FROM "${c.table_name}" WHERE "${c.column_name}"::text LIKE $1 LIMIT 1`, [`%${email}%`]));
    assert.equal(hit.rows.length, 0, `${c.table_name}.${c.column_name} still holds the email`);
  }

  // Nor does any column hold their id, but the evidence that says why it may (declared `keep`
  // erasers and NOT_A_PERSON): a jsonb or array without a foreign key is caught here too.
  const allowed = new Set([...Object.keys(NOT_A_PERSON), ...erasers().filter((e) => e.action === 'keep').map((e) => `${e.table}.${e.column}`), 'erasure_requests.report']);
  // Reasons: the audit log is hash-chained evidence whose personal fields are sealed under the
  // destroyed subject key (named by the pseudonymous id); the user row's address is the
  // anonymised erased-<id>@erased.invalid.
  for (const c of ['details', 'actor_name', 'ip', 'user_agent']) allowed.add(`audit_log.${c}`);
  allowed.add('users.email');
  const cols = await s.asAdmin((q) =>
    q.query<{ table_name: string; column_name: string }>(
      `SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN pg_class k ON k.relname = c.table_name AND k.relnamespace = 'public'::regnamespace
        WHERE c.table_schema = 'public' AND k.relkind IN ('r', 'p') AND c.data_type IN ('uuid', 'text', 'jsonb', 'character varying', 'ARRAY')`,
    ),
  );
  const holders: string[] = [];
  for (const c of cols.rows) {
    if (allowed.has(`${c.table_name}.${c.column_name}`)) continue;
    const hit = await s.asAdmin((q) => q.query(`SELECT 1 FROM "${c.table_name}" WHERE "${c.column_name}"::text LIKE $1 LIMIT 1`, [`%${casey.userId}%`]));
    if (hit.rows.length) holders.push(`${c.table_name}.${c.column_name}`);
  }
  assert.deepEqual(holders, [], 'no undeclared column holds the erased id');
  const chartNow = await s.asAdmin((q) => q.query<{ n: number }>(`SELECT cardinality(people) AS n FROM pulse_week_charts WHERE tenant_id = $1`, [t]));
  assert.equal(chartNow.rows[0]!.n, inChart.rows[0]!.n, 'the chart keeps its slot for Casey (a placeholder)');

  // The log verifies, in the API and offline with the CLI, and the export has no trace of them.
  const exp = await admin.client.get('/api/v1/audit/export');
  assert.equal(exp.status, 200, exp.text);
  assert.ok(!exp.text.includes(email));
  assert.equal(verifyExport(exp.json).ok, true);
  const file = join(dir, 'export.json');
  await writeFile(file, exp.text);
  const cli = await runCli(['audit', 'verify', file]);
  assert.equal(cli.code, 0, cli.err + cli.out);
  const status = await admin.client.get('/api/v1/audit/status');
  assert.equal(status.json.verified, true, JSON.stringify(status.json));

  // The erasure is itself evidence.
  const list = await admin.client.get('/api/v1/governance/erasures');
  assert.equal(list.json.erasures[0].subject_id, casey.userId);
  assert.equal(list.json.erasures[0].reason, 'GDPR Art. 17 request #4411');
});
