/**
 * Owners and their registries, in the style of the RLS catalogue test:
 *  - `platform/users.ts` is the only module that writes the `users` table (read from every
 *    package's sources and every migration), and the lifecycle subscribers registered once
 *    every module is loaded are exactly the expected ones;
 *  - `platform/settings.ts` is the only module that reads or writes the tenant settings
 *    document, every declared slice has a parser that never throws and never answers outside
 *    its bounds, a default within them, and the declared keys are exactly the expected ones;
 *  - lifecycle subscribers run inside the changing transaction (a failing one rolls the change
 *    back) and settings round-trip through the database, on the engine under test.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from '@parapet/db/testing';
import '../src/modules.js';
import { deactivateUser, eraseUser, insertUser, onUserLifecycle, setUserRoles, userLifecycleSubscribers } from '../src/platform/users.js';
import { readSetting, readSettings, settingFrom, settingSlices, writeSetting, type SettingSlice } from '../src/platform/settings.js';
import { PROBE_APPROVAL_TTL_HOURS, PROBE_DISTINCT_APPROVER_GROUPS } from '../src/probe/service.js';
import { AUDIT_RETENTION_MONTHS } from '../src/audit/snapshot.js';
import { WEBHOOK_ALLOW_PRIVATE_CIDRS } from '../src/webhooks/deliver.js';
import { erasers } from '../src/governance/erasure.js';
import { createSession } from '../src/auth/sessions.js';
import { createTenant } from '../src/testing.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const rel = (p: string) => relative(ROOT, p);

function walk(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((n) => {
    if (n === 'node_modules' || n === 'dist' || n.startsWith('.')) return [];
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p, ext) : ext.test(n) ? [p] : [];
  });
}

/** Every module's source: each package's src/ (server, CLI, agent, worker, console, ...) and every migration. */
const SOURCES = [
  ...readdirSync(join(ROOT, 'packages')).flatMap((pkg) => {
    const src = join(ROOT, 'packages', pkg, 'src');
    try {
      return walk(src, /\.(ts|tsx|mts|js|mjs)$/);
    } catch {
      return [];
    }
  }),
  ...walk(join(ROOT, 'packages/db/migrations'), /\.sql$/),
].map((f) => ({ file: rel(f), text: readFileSync(f, 'utf8') }));

const USERS_OWNER = 'packages/server/src/platform/users.ts';
const SETTINGS_OWNER = 'packages/server/src/platform/settings.ts';

/** SQL that writes the users table (any statement form; `scim_users` and the like are other tables). */
const USERS_WRITE = /\b(?:INSERT\s+INTO|UPDATE(?:\s+ONLY)?|DELETE\s+FROM(?:\s+ONLY)?|MERGE\s+INTO|TRUNCATE(?:\s+TABLE)?(?:\s+ONLY)?|COPY)\s+(?:"?public"?\.)?"?users"?(?![\w$])/gi;

function usersWriters(sources: Array<{ file: string; text: string }>): string[] {
  return sources.flatMap(({ file, text }) => (file === USERS_OWNER ? [] : [...text.matchAll(USERS_WRITE)].map((m) => `${file}: ${m[0].replace(/\s+/g, ' ')}`)));
}

/**
 * Access to the tenant settings document: a JSON operator on a `settings` column, or a
 * statement (a template literal, or SQL in a migration) that names both `tenants` and its
 * `settings` column (`pulse_settings` and the like are other tables), or selects `*` from tenants.
 */
const JSON_OP = /(?<![\w$])settings\s*(?:->>?|#>>?|\?\|?|@>|\|\|)/g;
function settingsAccess(sources: Array<{ file: string; text: string }>): string[] {
  const out: string[] = [];
  for (const { file, text } of sources) {
    if (file === SETTINGS_OWNER) continue;
    for (const m of text.matchAll(JSON_OP)) out.push(`${file}: ${m[0]}`);
    const statements = file.endsWith('.sql') ? text.replace(/--[^\n]*/g, '').split(';') : [...text.matchAll(/`[^`]*`/g)].map((m) => m[0]);
    for (const s of statements) {
      if (!/\btenants\b/i.test(s)) continue;
      // The column's declaration in the tenants table is not an access.
      if (/(?<![\w$])settings\s+jsonb\b/i.test(s)) continue;
      if (/(?<![\w$.])(?:\w+\.)?settings(?![\w$])/.test(s) || /SELECT\s+(?:\w+\.)?\*[\s\S]*\bFROM\s+tenants\b/i.test(s)) out.push(`${file}: ${s.replace(/\s+/g, ' ').slice(0, 120)}`);
    }
  }
  return out;
}

test('no module but platform/users.ts writes the users table', (ctx) => {
  ctx.diagnostic(`sources read: ${SOURCES.length}`);
  assert.ok(SOURCES.some((s) => s.file === USERS_OWNER) && SOURCES.length > 100);
  assert.deepEqual(usersWriters(SOURCES), []);
  // The owner is where the writes are.
  assert.ok(usersWriters([{ file: 'x.ts', text: readFileSync(join(ROOT, USERS_OWNER), 'utf8') }]).length >= 6);
  // Erasure writes tables by name; the only users column it declares is handled by the owner.
  assert.deepEqual(erasers().filter((e) => e.table === 'users').map((e) => e.column), ['manager_id']);
});

test('the users-write rule fails on writes in any form and ignores other tables', () => {
  const bad = [
    'await q.query(`INSERT INTO users (tenant_id, email) VALUES ($1, $2)`)',
    "q.query(`update  users set roles = '{}'`)",
    'q.query(`UPDATE ONLY public.users SET x = 1`)',
    'q.query(`DELETE FROM users WHERE id = $1`)',
    'CREATE FUNCTION f() RETURNS void AS $$ UPDATE "users" SET status = \'deactivated\' $$ LANGUAGE sql;',
  ];
  for (const text of bad) assert.equal(usersWriters([{ file: 'src/x.ts', text }]).length, 1, text);
  const fine = ['q.query(`UPDATE scim_users SET deleted_at = now()`)', 'q.query(`SELECT * FROM users`)', 'GRANT SELECT, INSERT, UPDATE, DELETE ON users TO parapet_app;', 'ALTER TABLE users ADD COLUMN x int;', 'q.query(`INSERT INTO users_archive VALUES (1)`)'];
  for (const text of fine) assert.deepEqual(usersWriters([{ file: 'src/x.ts', text }]), [], text);
});

test('no module but platform/settings.ts reads or writes the tenant settings document', () => {
  assert.deepEqual(settingsAccess(SOURCES), []);
  assert.ok(settingsAccess([{ file: 'x.ts', text: readFileSync(join(ROOT, SETTINGS_OWNER), 'utf8') }]).length >= 3);
});

test('the settings rule fails on each way of parsing the document and ignores other tables', () => {
  const bad = [
    "q.query(`SELECT settings->>'anomaly_floor' AS f FROM tenants WHERE id = $1`)",
    'q.query(`SELECT settings FROM tenants`)',
    "q.query(`SELECT t.settings #> '{probe}' FROM sessions s JOIN tenants t ON t.id = s.tenant_id`)",
    "q.query(`UPDATE tenants SET settings = settings || '{}'::jsonb`)",
    'q.query(`SELECT * FROM tenants WHERE id = $1`)',
    "CREATE FUNCTION f() RETURNS int AS $$ SELECT (settings->>'x')::int FROM tenants $$ LANGUAGE sql;",
  ];
  for (const text of bad) assert.ok(settingsAccess([{ file: 'src/x.ts', text }]).length >= 1, text);
  assert.ok(settingsAccess([{ file: 'm.sql', text: "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 FROM tenants t WHERE t.settings ? 'x' $$ LANGUAGE sql;" }]).length >= 1);
  const fine = [
    'q.query(`SELECT policy FROM pulse_settings`)',
    'q.query(`UPDATE pulse_settings SET updated_by = NULL`)',
    'const x = b.settings.allowPrivateCidrs;',
    'q.query(`SELECT id, slug, name FROM tenants WHERE slug = $1`)',
  ];
  for (const text of fine) assert.deepEqual(settingsAccess([{ file: 'src/x.ts', text }]), [], text);
  assert.deepEqual(settingsAccess([{ file: 'm.sql', text: "CREATE TABLE tenants (id uuid, settings jsonb NOT NULL DEFAULT '{}'::jsonb);" }]), []);
});

/** Subscribers every deployment must run, per lifecycle event, in order. */
const EXPECTED_SUBSCRIBERS = {
  created: [],
  roles_changed: ['sessions'],
  deactivated: ['sessions', 'devices'],
  erased: ['erasers'],
};

test('the user lifecycle subscribers registered once every module is loaded are the expected ones', () => {
  assert.deepEqual(userLifecycleSubscribers(), EXPECTED_SUBSCRIBERS);
  assert.throws(() => onUserLifecycle('deactivated', 'sessions', async () => {}), /registered twice/);
});

/** Every declared settings key, with its owner. A new slice is added here on purpose. */
const EXPECTED_SLICES: Record<string, string> = {
  step_up_max_age_seconds: 'auth',
  mfa_required: 'auth',
  audit_retention_months: 'audit',
  audit_witnesses: 'audit',
  'probe.approval_ttl_hours': 'probe',
  'probe.require_distinct_approver_groups': 'probe',
  'probe.evidence_retention_days': 'probe',
  'webhooks.allow_private_cidrs': 'webhooks',
  support_grant_max_hours: 'governance',
  anomaly_floor: 'governance',
  access_review_interval_days: 'governance',
};

function withinBounds(s: SettingSlice<unknown>, v: unknown): boolean {
  const b = s.bounds;
  if (b.kind === 'boolean') return typeof v === 'boolean';
  if (b.kind === 'list') return Array.isArray(v) && v.length <= b.maxItems;
  return typeof v === 'number' && Number.isFinite(v) && v >= b.min && v <= b.max && (b.kind === 'number' || Number.isInteger(v));
}

test('the declared settings slices are the expected ones, each with parser, default and bounds', () => {
  const slices = settingSlices();
  assert.deepEqual(Object.fromEntries(slices.map((s) => [s.key, s.owner])), EXPECTED_SLICES);
  for (const s of slices) {
    assert.equal(typeof s.parse, 'function', s.key);
    assert.ok(s.bounds && typeof s.bounds.kind === 'string', `${s.key} has bounds`);
    if (s.bounds.kind === 'integer' || s.bounds.kind === 'number') assert.ok(s.bounds.min <= s.bounds.max, s.key);
    assert.ok(withinBounds(s, s.default), `${s.key}: default ${JSON.stringify(s.default)} is within its bounds`);
    assert.deepEqual(s.parse(s.default), s.default, `${s.key}: the default reads back as itself`);
    assert.deepEqual(settingFrom(s, undefined), s.default, `${s.key}: absent reads as the default`);
  }
});

test('every slice parser never throws and never answers a value outside its bounds (property)', () => {
  for (const s of settingSlices()) {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.integer(), fc.double(), fc.boolean(), fc.array(fc.anything(), { maxLength: 40 })), (raw) => {
        const v = s.parse(raw);
        return v === undefined || withinBounds(s, v);
      }),
      { numRuns: 300 },
    );
    const b = s.bounds;
    if (b.kind === 'integer' || b.kind === 'number') {
      // Inside the bounds a value reads as itself; a string of a number is not a number.
      fc.assert(fc.property(b.kind === 'integer' ? fc.integer({ min: b.min, max: b.max }) : fc.double({ min: b.min, max: b.max, noNaN: true }), (n) => s.parse(n) === n && s.parse(String(n)) === undefined));
      if (b.kind === 'integer') assert.equal(s.parse(b.min + 0.5), undefined, `${s.key}: a fraction is not an integer`);
    }
    if (b.kind === 'list') assert.equal(s.parse(new Array(b.maxItems + 1).fill(s.default)), undefined, `${s.key}: longer than maxItems`);
    if (b.kind === 'boolean') assert.deepEqual([s.parse(true), s.parse(false), s.parse('true'), s.parse(1)], [true, false, undefined, undefined]);
  }
});

let t: TestDatabase;
before(async () => {
  t = await createTestDatabase();
});
after(() => t.close());

test('settings round-trip: nested keys keep their siblings, junk reads as the default, out-of-bounds writes are refused', async () => {
  const tenantId = await createTenant(t.db);
  await t.db.tx({ tenantId }, async (q) => {
    for (const s of settingSlices()) assert.deepEqual(await readSetting(q, s, tenantId), s.default, `${s.key} starts at its default`);
    await writeSetting(q, PROBE_DISTINCT_APPROVER_GROUPS, true, tenantId);
    await writeSetting(q, PROBE_APPROVAL_TTL_HOURS, 2.5);
    await writeSetting(q, WEBHOOK_ALLOW_PRIVATE_CIDRS, ['127.0.0.0/8'], tenantId);
    await writeSetting(q, AUDIT_RETENTION_MONTHS, 36, tenantId);
    assert.deepEqual(await readSettings(q, [PROBE_DISTINCT_APPROVER_GROUPS, PROBE_APPROVAL_TTL_HOURS, WEBHOOK_ALLOW_PRIVATE_CIDRS, AUDIT_RETENTION_MONTHS] as const, { tenantId }), [true, 2.5, ['127.0.0.0/8'], 36]);
    await assert.rejects(writeSetting(q, AUDIT_RETENTION_MONTHS, 6, tenantId), RangeError);
    await assert.rejects(writeSetting(q, PROBE_APPROVAL_TTL_HOURS, 0, tenantId), RangeError);
    assert.equal(await readSetting(q, AUDIT_RETENTION_MONTHS, tenantId), 36, 'a refused write changes nothing');
  });
  // What an operator may have stored by hand: wrong types read as the default, a too-low retention as the minimum.
  await t.asAdmin((a) => a.query(`UPDATE tenants SET settings = $2::jsonb WHERE id = $1`, [tenantId, JSON.stringify({ probe: 'yes', audit_retention_months: 3, anomaly_floor: 'many', webhooks: { allow_private_cidrs: ['10.0.0.0/8', 7] } })]));
  await t.db.tx({ tenantId }, async (q) => {
    assert.deepEqual(await readSettings(q, [PROBE_DISTINCT_APPROVER_GROUPS, PROBE_APPROVAL_TTL_HOURS, AUDIT_RETENTION_MONTHS, WEBHOOK_ALLOW_PRIVATE_CIDRS] as const), [false, 24, 24, ['10.0.0.0/8']]);
    // Writing under a group that holds a non-object replaces it with an object.
    await writeSetting(q, PROBE_APPROVAL_TTL_HOURS, 48, tenantId);
    assert.equal(await readSetting(q, PROBE_APPROVAL_TTL_HOURS, tenantId), 48);
  });
  // Another tenant's transaction neither sees nor changes this one's settings.
  const other = await createTenant(t.db);
  await t.db.tx({ tenantId: other }, async (q) => {
    assert.equal(await readSetting(q, PROBE_APPROVAL_TTL_HOURS, tenantId), 24);
    await assert.rejects(writeSetting(q, PROBE_APPROVAL_TTL_HOURS, 1, tenantId), /No tenant/);
  });
});

test('lifecycle changes and their subscribers commit together: a failing subscriber rolls back the change', async () => {
  const tenantId = await createTenant(t.db);
  const seen: string[] = [];
  let fail = false;
  onUserLifecycle('deactivated', 'test-probe', async (q, e) => {
    const status = (await q.query<{ status: string }>(`SELECT status FROM users WHERE id = $1`, [e.userId])).rows[0]!.status;
    seen.push(`deactivated:${status}`);
    if (fail) throw new Error('subscriber failed');
    return { ok: 1 };
  });
  onUserLifecycle('created', 'test-probe', async (_q, e) => void seen.push(`created:${e.email}:${e.roles.join(',')}`));
  onUserLifecycle('roles_changed', 'test-probe', async (_q, e) => void seen.push(`roles:${e.before.join(',')}>${e.after.join(',')}`));
  onUserLifecycle('erased', 'test-probe', async (q, e) => {
    const u = (await q.query<{ email: string }>(`SELECT email FROM users WHERE id = $1`, [e.userId])).rows[0]!;
    seen.push(`erased:${e.email}:${u.email}`);
  });
  const { id, reports } = await t.db.tx({ tenantId }, (q) => insertUser(q, tenantId, { email: 'ada@example.test', roles: ['employee'] }));
  assert.deepEqual(reports, { 'test-probe': true });
  await t.db.tx({ tenantId }, (q) => createSession(q, { tenantId, userId: id }));

  const changed = await t.db.tx({ tenantId }, (q) => setUserRoles(q, tenantId, id, ['manager', 'employee']));
  assert.deepEqual(changed?.reports, { sessions: { sessions_revoked: 1 }, 'test-probe': true });
  assert.equal((await t.db.tx({ tenantId }, (q) => setUserRoles(q, tenantId, id, ['manager', 'employee'])))?.changed, false, 'the same roles: no event');

  await t.db.tx({ tenantId }, (q) => createSession(q, { tenantId, userId: id }));
  fail = true;
  await assert.rejects(t.db.tx({ tenantId }, (q) => deactivateUser(q, tenantId, id)), /subscriber failed/);
  const state = await t.db.tx({ tenantId }, async (q) => ({
    status: (await q.query<{ status: string }>(`SELECT status FROM users WHERE id = $1`, [id])).rows[0]!.status,
    live: Number((await q.query<{ n: string }>(`SELECT count(*) AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, [id])).rows[0]!.n),
  }));
  assert.deepEqual(state, { status: 'active', live: 1 }, 'nothing of the failed deactivation stays: the user is active and the session live');

  fail = false;
  const done = await t.db.tx({ tenantId }, (q) => deactivateUser(q, tenantId, id));
  assert.deepEqual(done, { sessions: { sessions_revoked: 1 }, devices: { revoked_devices: [] }, 'test-probe': { ok: 1 } });
  assert.equal(await t.db.tx({ tenantId }, (q) => deactivateUser(q, tenantId, id)), undefined, 'deactivating twice runs nothing');

  await t.db.tx({ tenantId }, (q) => eraseUser(q, tenantId, id));
  const row = await t.db.tx({ tenantId }, async (q) => (await q.query<{ email: string; status: string; roles: string[] }>(`SELECT email, status, roles FROM users WHERE id = $1`, [id])).rows[0]);
  assert.deepEqual(row, { email: `erased-${id}@erased.invalid`, status: 'erased', roles: [] });
  assert.deepEqual(seen, ['created:ada@example.test:employee', 'roles:employee>manager,employee', 'deactivated:deactivated', 'deactivated:deactivated', 'erased:ada@example.test:ada@example.test']);
});
