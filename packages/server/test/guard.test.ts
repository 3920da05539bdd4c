/**
 * The guard (platform/guard.ts) over a real database (PGlite, or PostgreSQL with
 * DATABASE_URL): 401 without a principal of the right kind, 403 and step-up with their
 * problem codes and a denial entry committed on its own, the tenant transaction with the RLS
 * context set, decisions made at the injected clock, and the resolver chain's order.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '@parapet/db/testing';
import { defineActions } from '../src/platform/pdp.js';
import { guard, guardAny, guardDevice, guardUser } from '../src/platform/guard.js';
import type { DevicePrincipal, Principal, UserPrincipal } from '../src/platform/principal.js';
import { createTenant, createUser } from '../src/testing.js';
import { guardApp } from './fixtures/guard-app.js';

defineActions({
  'guardtest.read': { roles: ['auditor', 'admin'] },
  'guardtest.write': { roles: ['admin'], stepUp: true, sensitive: true },
});

const tdb = await createTestDatabase();
after(() => tdb.close());
const db = tdb.db;

const t1 = await createTenant(db);
const t2 = await createTenant(db);
const admin = await createUser(db, t1, { roles: ['admin'] });
const auditor = await createUser(db, t1, { roles: ['auditor'] });
const employee = await createUser(db, t1, { roles: ['employee'] });
await createUser(db, t2, { roles: ['admin'] }); // another tenant's row, which RLS must hide

/** The app's clock: far from the wall clock, so a decision made on `new Date()` would differ. */
const T0 = new Date('2021-03-04T05:06:07Z');
let clock = new Date(T0.getTime() + 4 * 60_000);
const person = (u: { userId: string; email: string }, roles: UserPrincipal['roles'], tenantId = t1): UserPrincipal => ({ kind: 'user', tenantId, userId: u.userId, email: u.email, roles, sessionId: 's', mfaVerifiedAt: T0, csrfToken: 'x' });
const device: DevicePrincipal = { kind: 'device', tenantId: t1, deviceId: '00000000-0000-4000-8000-00000000d001', deviceKind: 'worker', name: 'w1' };
const principals = new Map<string, Principal>([
  ['admin', person(admin, ['admin'])],
  ['auditor', person(auditor, ['auditor'])],
  ['employee', person(employee, ['employee'])],
  ['device', device],
]);

interface Ctx { tenant: string; actor: string; purpose: string; users: number }
const readCtx = async (q: import('@parapet/db').Queryable): Promise<Ctx> =>
  (await q.query<Ctx>(`SELECT current_setting('app.tenant_id') AS tenant, current_setting('app.actor') AS actor, current_setting('app.purpose') AS purpose, (SELECT count(*)::int FROM users) AS users`)).rows[0]!;

const app = await guardApp(db, () => clock, principals, (r) => {
  r.get('/read', async (req) => guard(req, 'guardtest.read', { type: 'thing', id: 'a1' }, { context: { purpose: 'annual review' } }, (q) => readCtx(q)));
  r.post('/write', async (req) => {
    const g = await guard(req, 'guardtest.write', (p) => ({ type: 'thing', id: p.userId }));
    // The work inserts a row and then fails: the row rolls back with it.
    await g.tx(async (q) => {
      await q.query(`INSERT INTO delegations (tenant_id, grantee_type, grantee_id, category) VALUES ($1, 'user', $2, 'guard_test')`, [g.principal.tenantId, g.principal.userId]);
      throw new Error('business failure');
    });
  });
  r.get('/custom-denial', async (req) => (await guard(req, 'guardtest.read', { type: 'thing' }, { denialEvent: 'probe.scan.refused', denialTarget: { type: 'probe_scan', id: 'x1' } })).principal.userId);
  r.get('/me', async (req) => guardUser(req, (q) => readCtx(q)));
  r.get('/device', async (req) => guardDevice(req, (q, d) => readCtx(q).then((c) => ({ ...c, device: d.deviceId }))));
  r.get('/any', async (req) => (await guardAny(req)).principal.kind);
});
after(() => app.close());

const get = (url: string, who?: string, method: 'GET' | 'POST' = 'GET') => app.inject({ method, url, headers: who ? { 'x-test-principal': who } : {} });

async function auditRows(tenantId: string) {
  return db.tx({ tenantId }, async (q) =>
    (await q.query<{ action: string; outcome: string; actor_id: string; target_type: string; target_id: string; purpose: string | null; details: Record<string, unknown> }>(
      `SELECT action, outcome, actor_id, target_type, target_id, purpose, details FROM audit_log ORDER BY seq`,
    )).rows,
  );
}

test('no principal of the needed kind: 401 with the existing problem codes', async () => {
  for (const url of ['/read', '/me', '/any']) assert.deepEqual([(await get(url)).statusCode, (await get(url)).json().code], [401, 'unauthenticated'], url);
  assert.deepEqual((await get('/device')).json(), { code: 'device_unauthenticated' });
  // A device is not a person, and a person is not a device.
  assert.equal((await get('/read', 'device')).json().code, 'unauthenticated');
  assert.equal((await get('/device', 'admin')).json().code, 'device_unauthenticated');
  assert.equal((await get('/any', 'device')).body, 'device');
  assert.deepEqual(await auditRows(t1), [], 'nothing is audited without a principal');
});

test('allowed: the work runs in the tenant transaction as the principal, with its purpose, under RLS', async () => {
  const r = await get('/read', 'auditor');
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual(r.json(), { tenant: t1, actor: `user:${auditor.userId}`, purpose: 'annual review', users: 3 });
  assert.deepEqual((await get('/me', 'employee')).json(), { tenant: t1, actor: `user:${employee.userId}`, purpose: '', users: 3 });
  assert.deepEqual((await get('/device', 'device')).json(), { tenant: t1, actor: `device:${device.deviceId}`, purpose: '', users: 3, device: device.deviceId });
});

test('denied: 403 forbidden, and the denial entry is committed in a transaction of its own', async () => {
  const before = (await auditRows(t1)).length;
  const r = await get('/read', 'employee');
  assert.deepEqual([r.statusCode, r.json().code], [403, 'forbidden']);
  const rows = (await auditRows(t1)).slice(before);
  assert.equal(rows.length, 1);
  const e = rows[0]!;
  assert.deepEqual([e.action, e.outcome, e.actor_id, e.target_type, e.target_id, e.purpose], ['authz.access.denied', 'denied', employee.userId, 'thing', 'a1', 'annual review']);
  assert.deepEqual([e.details.action, e.details.decision, e.details.code], ['guardtest.read', 'deny', 'forbidden']);
  assert.ok(Array.isArray(e.details.policies) && (e.details.policies as string[]).length > 0);
});

test('a route may record its denials under its own event and target', async () => {
  const before = (await auditRows(t1)).length;
  assert.equal((await get('/custom-denial', 'employee')).statusCode, 403);
  const [e] = (await auditRows(t1)).slice(before);
  assert.deepEqual([e!.action, e!.outcome, e!.target_type, e!.target_id, e!.details.action], ['probe.scan.refused', 'denied', 'probe_scan', 'x1', 'guardtest.read']);
});

test('step-up follows the injected clock; an allowed sensitive decision is kept when the work rolls back', async () => {
  const before = (await auditRows(t1)).length;
  // 4 minutes after the MFA verification on the app's clock: fresh enough (5-minute default).
  clock = new Date(T0.getTime() + 4 * 60_000);
  const ok = await get('/write', 'admin', 'POST');
  assert.equal(ok.statusCode, 500, 'the work itself failed');
  const written = await db.tx({ tenantId: t1 }, async (q) => (await q.query(`SELECT 1 FROM delegations WHERE category = 'guard_test'`)).rows.length);
  assert.equal(written, 0, 'the failed work rolled back');
  // 6 minutes after: step-up, with the age the decision used.
  clock = new Date(T0.getTime() + 6 * 60_000);
  const stale = await get('/write', 'admin', 'POST');
  assert.deepEqual([stale.statusCode, stale.json()], [401, { code: 'step_up_required', max_age_seconds: 300 }]);
  const rows = (await auditRows(t1)).slice(before);
  assert.deepEqual(rows.map((x) => [x.action, x.outcome, x.details.decision, x.target_id]), [
    ['authz.access.allowed', 'success', 'allow', admin.userId],
    ['authz.access.denied', 'denied', 'step_up_required', admin.userId],
  ]);
  assert.equal(rows[1]!.details.code, 'step_up_required');
  // Back within the age on the app's clock: allowed again (the wall clock is years later).
  clock = new Date(T0.getTime() + 60_000);
  assert.equal((await get('/write', 'admin', 'POST')).statusCode, 500);
});

test('resolvers are asked in order; the first principal wins and a refusal answers', async () => {
  const { default: Fastify } = await import('fastify');
  const { registerPrincipalResolver } = await import('../src/platform/principal.js');
  const { installGuard } = await import('../src/platform/guard.js');
  const a = Fastify();
  const asked: string[] = [];
  registerPrincipalResolver(a, async (req) => (asked.push('first'), req.headers['x-first'] ? principals.get('auditor') : null));
  registerPrincipalResolver(a, async (req) => {
    asked.push('second');
    if (req.headers['x-refuse']) throw Object.assign(new Error('refused'), { statusCode: 401 });
    return principals.get('device');
  });
  installGuard(a, { db, now: () => clock, audit: async () => undefined });
  a.get('/any', async (req) => (await guardAny(req)).principal.kind);
  assert.equal((await a.inject({ url: '/any', headers: { 'x-first': '1' } })).body, 'user');
  assert.deepEqual(asked, ['first']);
  assert.equal((await a.inject({ url: '/any' })).body, 'device');
  assert.equal((await a.inject({ url: '/any', headers: { 'x-refuse': '1' } })).statusCode, 401);
  await a.close();
});
