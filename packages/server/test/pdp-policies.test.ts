import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createTestDatabase } from '@parapet/db/testing';
import '../src/modules.js'; // every module's defineActions, so their declarations are validated too
import { POLICY_DIR, authorize, compilePolicies, decide, defineActions, loadPolicyFiles, validatePolicies, type Rule } from '../src/platform/pdp.js';
import { delegatedCategories, subjectRelations } from '../src/auth/relations.js';
import { guard } from '../src/platform/guard.js';
import { guardApp } from './fixtures/guard-app.js';
import type { Role, UserPrincipal } from '../src/platform/principal.js';
import { createTenant, createUser } from '../src/testing.js';

interface TableUser { roles: Role[]; manager?: string; delegations?: string[]; tenant?: string }
interface Case { who: string; action: string; resource: { subject?: string; category?: string; environment?: string }; purpose?: string; mfa_age?: number | null; expect: 'allow' | 'deny' | 'step_up'; why?: string }
const table = JSON.parse(readFileSync(new URL('policy-table.json', POLICY_DIR), 'utf8')) as { actions: Record<string, Rule>; users: Record<string, TableUser>; cases: Case[] };
defineActions(table.actions);

test('the schema, the hand-written policies and every declared action validate (Cedar strict mode)', () => {
  const c = compilePolicies();
  assert.deepEqual(validatePolicies(c), []);
  assert.ok(Object.keys(c.policies).includes('tenant-isolation'));
  assert.ok(Object.keys(c.policies).some((id) => id === 'role:auth.settings.update'), 'module declarations become policies');
});

test('an action declared with no roles validates and is denied to everyone', () => {
  defineActions({ 'table.nobody': { roles: [] } });
  assert.deepEqual(validatePolicies(compilePolicies()), []);
  const p: UserPrincipal = { kind: 'user', tenantId: 't1', userId: 'admin', email: 'a@t', roles: ['admin'], sessionId: 's', mfaVerifiedAt: new Date(), csrfToken: 'x' };
  assert.throws(() => authorize(p, 'table.nobody', { type: 'x', tenantId: 't1' }, {}, new Date()), { code: 'forbidden' });
});

test('a policy naming an undeclared action or attribute fails validation', () => {
  const files = loadPolicyFiles();
  const typo = { ...files, policies: { ...files.policies, bad: '@id("bad")\npermit (principal, action == Action::"table.person.raed", resource);' } };
  assert.notDeepEqual(validatePolicies(compilePolicies(typo)), []);
  const attr = { ...files, policies: { ...files.policies, bad: '@id("bad")\npermit (principal, action, resource) when { principal.department == "x" };' } };
  assert.notDeepEqual(validatePolicies(compilePolicies(attr)), []);
});

test('policy table: who may do what', () => {
  const chain = (id: string): string[] => {
    const out: string[] = [];
    for (let m = table.users[id]!.manager; m; m = table.users[m]!.manager) out.push(m);
    return out;
  };
  const failures: string[] = [];
  for (const c of table.cases) {
    const u = table.users[c.who]!;
    const p: UserPrincipal = { kind: 'user', tenantId: u.tenant ?? 't1', userId: c.who, email: `${c.who}@t`, roles: u.roles, sessionId: 's', mfaVerifiedAt: null, csrfToken: 'x' };
    const attrs = { ...c.resource, ...(c.resource.subject ? { managerChain: chain(c.resource.subject) } : {}) };
    const d = decide(p, c.action, { type: 'thing', id: '1', tenantId: 't1', attrs }, { purpose: c.purpose ?? '', mfaAgeSeconds: c.mfa_age === undefined ? 5 : c.mfa_age, delegatedCategories: u.delegations ?? [] });
    const got = d.allowed ? 'allow' : d.stepUpRequired ? 'step_up' : 'deny';
    if (got !== c.expect) failures.push(`${c.who} ${c.action} ${JSON.stringify(c.resource)}: expected ${c.expect}, got ${got} (${d.reasons.join(', ')}) — ${c.why ?? ''}`);
  }
  assert.deepEqual(failures, []);
});

test('authorize keeps 401 step_up_required apart from 403 forbidden, and reports the deciding policies', () => {
  const p: UserPrincipal = { kind: 'user', tenantId: 't1', userId: 'admin', email: 'a@t', roles: ['admin'], sessionId: 's', mfaVerifiedAt: null, csrfToken: 'x' };
  const now = new Date();
  assert.throws(() => authorize(p, 'table.settings.update', { type: 'x', tenantId: 't1' }, {}, now), { status: 401, code: 'step_up_required' });
  assert.throws(() => authorize({ ...p, roles: ['auditor'] }, 'table.settings.update', { type: 'x', tenantId: 't1' }, {}, now), { status: 403, code: 'forbidden' });
  const ok = authorize({ ...p, mfaVerifiedAt: new Date(now.getTime() - 1000) }, 'table.settings.update', { type: 'x', tenantId: 't1' }, {}, now);
  assert.deepEqual(ok.reasons, ['role:table.settings.update']);
  // The tenant's age (carried on the principal) is honoured; the explicit argument wins.
  const stale = { ...p, mfaVerifiedAt: new Date(now.getTime() - 120_000) };
  assert.ok(authorize(stale, 'table.settings.update', { type: 'x', tenantId: 't1' }, {}, now).allowed);
  assert.throws(() => authorize({ ...stale, stepUpSeconds: 60 }, 'table.settings.update', { type: 'x', tenantId: 't1' }, {}, now), { code: 'step_up_required', extensions: { max_age_seconds: 60 } });
  const cross = decide({ ...p, tenantId: 't2' }, 'table.report.read', { type: 'x', tenantId: 't1' }, {});
  assert.deepEqual(cross.reasons, ['tenant-isolation']);
});

const tdb = await createTestDatabase();
after(() => tdb.close());

test('manager chain and delegations come from the database; sensitive decisions are audited with purpose and policies', async () => {
  const db = tdb.db;
  const t = await createTenant(db);
  const ceo = await createUser(db, t, { roles: ['manager'] });
  const mid = await createUser(db, t, { roles: ['manager'] });
  const emp = await createUser(db, t, { roles: ['employee'] });
  const other = await createUser(db, t, { roles: ['security_lead'] });
  await db.tx({ tenantId: t }, async (q) => {
    await q.query(`UPDATE users SET manager_id = $2 WHERE id = $1`, [mid.userId, ceo.userId]);
    await q.query(`UPDATE users SET manager_id = $2 WHERE id = $1`, [emp.userId, mid.userId]);
    await q.query(`INSERT INTO delegations (tenant_id, grantee_type, grantee_id, category) VALUES ($1, 'user', $2, 'hr_tools')`, [t, other.userId]);
  });
  const rel = await db.tx({ tenantId: t }, (q) => subjectRelations(q, emp.userId));
  assert.deepEqual(rel.managerChain, [mid.userId, ceo.userId]);
  assert.deepEqual(await db.tx({ tenantId: t }, (q) => delegatedCategories(q, other.userId)), ['hr_tools']);

  const principal = (u: { userId: string }, roles: Role[]): UserPrincipal => ({ kind: 'user', tenantId: t, userId: u.userId, email: 'e', roles, sessionId: 's', mfaVerifiedAt: null, csrfToken: 'x' });
  // Through the guard: an allowed subject-data decision and a denial are both recorded.
  const who = new Map([['ceo', principal(ceo, ['manager'])], ['other', principal(other, ['security_lead'])]]);
  const app = await guardApp(db, () => new Date(), who, (r) =>
    r.get<{ Querystring: { purpose: string } }>('/person', async (req) => (await guard(req, 'table.person.read', { type: 'person', id: emp.userId, attrs: { ...rel, category: 'dev_tools' } }, { context: { purpose: req.query.purpose } })).decision),
  );
  try {
    assert.equal((await app.inject({ url: '/person?purpose=annual%20review', headers: { 'x-test-principal': 'ceo' } })).statusCode, 200);
    const denied = await app.inject({ url: '/person?purpose=curious', headers: { 'x-test-principal': 'other' } });
    assert.deepEqual([denied.statusCode, denied.json().code], [403, 'forbidden']);
  } finally {
    await app.close();
  }
  const log = await db.tx({ tenantId: t }, (q) => q.query<{ action: string; outcome: string; purpose: string; actor_id: string; target_id: string; details: { action: string; policies: string[] } }>(`SELECT action, outcome, purpose, actor_id, target_id, details FROM audit_log ORDER BY seq`));
  assert.equal(log.rows.length, 2);
  assert.deepEqual([log.rows[0]!.action, log.rows[0]!.outcome, log.rows[0]!.purpose, log.rows[0]!.actor_id, log.rows[0]!.target_id], ['authz.access.allowed', 'success', 'annual review', ceo.userId, emp.userId]);
  assert.deepEqual(log.rows[0]!.details.policies, ['role:table.person.read']);
  assert.deepEqual([log.rows[1]!.action, log.rows[1]!.outcome, log.rows[1]!.details.action], ['authz.access.denied', 'denied', 'table.person.read']);
  assert.deepEqual(log.rows[1]!.details.policies, ['subject-data-needs-relation']);
});
