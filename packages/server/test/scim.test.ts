import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, loginAs, createTenant, createUser, type TestServer, type TestClient } from '../src/testing.js';
import { createSession, SESSION_COOKIE } from '../src/auth/sessions.js';
import { onUserLifecycle } from '../src/platform/users.js';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

/** A tenant with an admin, and a SCIM client holding a fresh token for it. */
async function setup() {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const r = await admin.client.post('/api/v1/scim/tokens', { name: 'Entra ID' });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.token, new RegExp(`^pscim_${admin.tenantId}_[A-Za-z0-9_-]{43}$`));
  const scim = s.client();
  scim.headers.authorization = `Bearer ${r.json.token}`;
  return { admin, scim, token: r.json.token as string, tokenId: r.json.id as string };
}

const send = (c: TestClient, method: string, path: string, json?: unknown) =>
  c.request(method, `/scim/v2${path}`, { ...(json !== undefined ? { body: JSON.stringify(json) } : {}), headers: { 'content-type': 'application/scim+json' } });

const newUser = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [USER, ENT],
  userName,
  name: { givenName: userName.split('@')[0], familyName: 'Test' },
  emails: [{ value: userName, type: 'work', primary: true }],
  active: true,
  ...extra,
});

test('token creation needs admin and a fresh MFA step-up; only the hash is stored; denials are audited', async () => {
  const stale = await loginAs(s, { roles: ['admin'] });
  const r1 = await stale.client.post('/api/v1/scim/tokens', { name: 'x' });
  assert.equal(r1.status, 401);
  assert.equal(r1.json.code, 'step_up_required');
  const op = await loginAs(s, { roles: ['operator'], mfaFresh: true, tenantId: stale.tenantId });
  const r2 = await op.client.post('/api/v1/scim/tokens', { name: 'x' });
  assert.equal(r2.status, 403);
  const denied = await s.db.tx({ tenantId: stale.tenantId }, (q) => q.query<{ action: string; outcome: string }>(`SELECT action, outcome FROM audit_log ORDER BY seq`));
  assert.deepEqual(denied.rows.map((x) => [x.action, x.outcome]), [['authz.access.denied', 'denied'], ['authz.access.denied', 'denied']]);

  const { admin, token } = await setup();
  const stored = await s.asAdmin((a) => a.query<{ secret_hash: Buffer }>(`SELECT secret_hash FROM scim_tokens WHERE tenant_id = $1`, [admin.tenantId]));
  assert.equal(stored.rows.length, 1);
  assert.equal(stored.rows[0]!.secret_hash.length, 32);
  const dump = JSON.stringify(await s.asAdmin((a) => a.query(`SELECT * FROM scim_tokens`)));
  // base64url secrets may contain '_': the secret is everything after `pscim_<tenant>_`.
  const secret = token.slice(`pscim_${admin.tenantId}_`.length);
  assert.equal(secret.length, 43);
  assert.ok(!dump.includes(secret), 'the secret is not stored');
  const list = await admin.client.get('/api/v1/scim/tokens');
  assert.equal(list.status, 200);
  assert.equal(list.json.tokens.length, 1);
  assert.ok(!('token' in list.json.tokens[0]));
});

test('SCIM refuses a missing, wrong, relabelled (cross-tenant) or revoked token with the SCIM error schema', async () => {
  const a = await setup();
  const b = await setup();
  // B's secret under A's tenant id: the lookup runs in A's tenant and finds nothing.
  const relabelled = b.token.replace(b.admin.tenantId, a.admin.tenantId);
  for (const auth of [undefined, 'Bearer nope', `Bearer ${relabelled}`, `Basic ${Buffer.from('a:b').toString('base64')}`]) {
    const c = s.client();
    if (auth) c.headers.authorization = auth;
    const r = await c.get('/scim/v2/Users?filter=' + encodeURIComponent('userName eq'));
    assert.equal(r.status, 401, auth);
    assert.match(String(r.headers['content-type']), /^application\/scim\+json/);
    assert.deepEqual(r.json.schemas, [ERROR]);
    assert.equal(r.json.status, '401');
  }
  const failed = await s.db.tx({ tenantId: a.admin.tenantId }, (q) => q.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'scim.auth.failed'`));
  assert.equal(failed.rows[0]!.n, 1, 'the relabelled token is audited in the tenant it named');

  // Each token sees only its own tenant.
  await send(a.scim, 'POST', '/Users', newUser('only-a@example.com'));
  const lb = await b.scim.get('/scim/v2/Users?filter=' + encodeURIComponent('userName eq "only-a@example.com"'));
  assert.equal(lb.json.totalResults, 0);
  const la = await a.scim.get('/scim/v2/Users?filter=' + encodeURIComponent('userName eq "only-a@example.com"'));
  assert.equal(la.json.totalResults, 1);
  const idA = la.json.Resources[0].id;
  assert.equal((await b.scim.get(`/scim/v2/Users/${idA}`)).status, 404);
  assert.equal((await send(b.scim, 'PATCH', `/Users/${idA}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] })).status, 404);
  assert.equal((await b.scim.request('DELETE', `/scim/v2/Users/${idA}`)).status, 404);

  const rv = await a.admin.client.request('DELETE', `/api/v1/scim/tokens/${a.tokenId}`);
  assert.equal(rv.status, 204);
  assert.equal((await a.scim.get('/scim/v2/Users')).status, 401);
});

test('discovery documents: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
  const { scim } = await setup();
  const spc = await scim.get('/scim/v2/ServiceProviderConfig');
  assert.equal(spc.status, 200);
  assert.equal(spc.json.patch.supported, true);
  assert.equal(spc.json.filter.supported, true);
  assert.match(String(spc.headers['content-type']), /^application\/scim\+json/);
  const rt = await scim.get('/scim/v2/ResourceTypes');
  assert.deepEqual(rt.json.Resources.map((r: { id: string }) => r.id), ['User', 'Group']);
  assert.equal(rt.json.Resources[0].schemaExtensions[0].schema, ENT);
  const sc = await scim.get('/scim/v2/Schemas');
  assert.deepEqual(sc.json.Resources.map((r: { id: string }) => r.id), [USER, GROUP, ENT]);
  assert.equal((await scim.get(`/scim/v2/Schemas/${ENT}`)).json.name, 'EnterpriseUser');
});

test('Users: create, get, duplicate, filter (eq, co, sw, and, or), pagination, PUT, PATCH, enterprise manager', async () => {
  const { scim, admin } = await setup();
  const boss = await send(scim, 'POST', '/Users', newUser('Boss@Example.com', { [ENT]: { department: 'Exec', employeeNumber: '1' } }));
  assert.equal(boss.status, 201, boss.text);
  assert.equal(boss.headers.location, boss.json.meta.location);
  assert.equal(boss.json.userName, 'Boss@Example.com');
  assert.equal(boss.json[ENT].department, 'Exec');
  const dup = await send(scim, 'POST', '/Users', newUser('boss@example.com'));
  assert.equal(dup.status, 409);
  assert.equal(dup.json.scimType, 'uniqueness');
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await send(scim, 'POST', '/Users', newUser(`worker${i}@example.com`, { externalId: `ext-${i}`, [ENT]: { department: i % 2 ? 'Sales' : 'Ops', employeeNumber: String(100 + i), manager: { value: boss.json.id } } }));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json[ENT].manager.value, boss.json.id);
    ids.push(r.json.id);
  }
  const db = await s.db.tx({ tenantId: admin.tenantId }, (q) => q.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE manager_id = $1`, [boss.json.id]));
  assert.equal(db.rows[0]!.n, 5, 'manager stored as users.manager_id');

  const f = async (filter: string, extra = '') => (await scim.get(`/scim/v2/Users?filter=${encodeURIComponent(filter)}${extra}`)).json;
  assert.equal((await f('userName eq "WORKER1@example.com"')).totalResults, 1);
  assert.equal((await f('userName sw "worker"')).totalResults, 5);
  assert.equal((await f('emails co "example.com"')).totalResults, 6);
  assert.equal((await f(`${ENT}:department eq "Sales" and userName sw "worker"`)).totalResults, 2);
  assert.equal((await f('externalId eq "ext-0" or externalId eq "ext-4"')).totalResults, 2);
  assert.equal((await f('emails[type eq "work" and value sw "boss"]')).totalResults, 1);
  const bad = await scim.get('/scim/v2/Users?filter=' + encodeURIComponent('userName eq'));
  assert.equal(bad.status, 400);
  assert.equal(bad.json.scimType, 'invalidFilter');

  const p1 = await f('userName sw "worker"', '&startIndex=2&count=2');
  assert.equal(p1.totalResults, 5);
  assert.equal(p1.startIndex, 2);
  assert.equal(p1.itemsPerPage, 2);
  assert.deepEqual(p1.Resources.map((r: { id: string }) => r.id), ids.slice(1, 3));
  const p0 = await f('userName sw "worker"', '&count=0');
  assert.equal(p0.Resources.length, 0);
  assert.equal(p0.totalResults, 5);
  const excl = await f('userName eq "worker0@example.com"', '&attributes=userName');
  assert.deepEqual(Object.keys(excl.Resources[0]).sort(), ['id', 'meta', 'schemas', 'userName']);

  // PUT replaces the representation.
  const put = await send(scim, 'PUT', `/Users/${ids[0]}`, newUser('worker0@example.com', { displayName: 'Zero', title: 'Engineer', [ENT]: { department: 'R&D' } }));
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.title, 'Engineer');
  assert.equal(put.json[ENT].department, 'R&D');
  assert.equal(put.json[ENT].manager, undefined, 'PUT without manager clears it');

  // PATCH, the way Entra ID sends it.
  const patch = await send(scim, 'PATCH', `/Users/${ids[1]}`, {
    schemas: [PATCH],
    Operations: [
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'worker1.new@example.com' },
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+41 79 000' },
      { op: 'Replace', path: `${ENT}:manager`, value: ids[0] },
      { op: 'Replace', path: `${ENT}:employeeNumber`, value: '999' },
      { op: 'Remove', path: `${ENT}:department` },
      { op: 'replace', value: { 'name.givenName': 'Uno', displayName: 'Uno Test' } },
    ],
  });
  assert.equal(patch.status, 200, patch.text);
  assert.equal(patch.json.emails[0].value, 'worker1.new@example.com');
  assert.deepEqual(patch.json.phoneNumbers, [{ type: 'mobile', value: '+41 79 000' }]);
  assert.equal(patch.json[ENT].manager.value, ids[0]);
  assert.equal(patch.json[ENT].employeeNumber, '999');
  assert.equal(patch.json[ENT].department, undefined);
  assert.equal(patch.json.name.givenName, 'Uno');
  assert.equal(patch.json.displayName, 'Uno Test');

  // The manager chain stays a tree, and points into this tenant only.
  const loop = await send(scim, 'PATCH', `/Users/${ids[0]}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: `${ENT}:manager`, value: { value: ids[1] } }] });
  assert.equal(loop.status, 400);
  assert.equal(loop.json.scimType, 'invalidValue');
  const other = await createUser(s.db, await createTenant(s.db), { roles: ['employee'] });
  const foreign = await send(scim, 'PATCH', `/Users/${ids[2]}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: `${ENT}:manager`, value: other.userId }] });
  assert.equal(foreign.status, 400);
  assert.equal(foreign.json.scimType, 'invalidValue');
  const badOp = await send(scim, 'PATCH', `/Users/${ids[2]}`, { schemas: [PATCH], Operations: [{ op: 'frobnicate', path: 'title' }] });
  assert.equal(badOp.status, 400);
  assert.equal(badOp.json.scimType, 'invalidSyntax');

  const audit = await s.db.tx({ tenantId: admin.tenantId }, (q) => q.query<{ action: string; actor_id: string }>(`SELECT action, actor_id FROM audit_log WHERE action LIKE 'scim.%' ORDER BY seq`));
  const actions = audit.rows.map((r) => r.action);
  assert.equal(actions.filter((a) => a === 'scim.user.created').length, 6);
  assert.ok(actions.includes('scim.user.updated'));
  assert.ok(actions.includes('scim.request.rejected'));
  assert.ok(audit.rows.every((r) => r.actor_id.startsWith('scim-token:') || r.action === 'scim.token.created'));
});

test('deactivation (active=false or DELETE) ends the user\'s sessions at once and marks them deactivated', async () => {
  const { scim, admin } = await setup();
  const u = await send(scim, 'POST', '/Users', newUser('leaver@example.com'));
  const u2 = await send(scim, 'POST', '/Users', newUser('deleted@example.com'));
  const sign = async (userId: string) => {
    const sess = await s.db.tx({ tenantId: admin.tenantId }, (q) => createSession(q, { tenantId: admin.tenantId, userId }));
    const c = s.client();
    c.cookies.set(SESSION_COOKIE, sess.cookie);
    assert.equal((await c.get('/api/v1/auth/session')).status, 200);
    return c;
  };
  const c1 = await sign(u.json.id);
  const c2 = await sign(u2.json.id);
  const off = await send(scim, 'PATCH', `/Users/${u.json.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: 'False' } }] });
  assert.equal(off.status, 200, off.text);
  assert.equal(off.json.active, false);
  assert.equal((await c1.get('/api/v1/auth/session')).status, 401);
  const del = await scim.request('DELETE', `/scim/v2/Users/${u2.json.id}`);
  assert.equal(del.status, 204);
  assert.equal((await c2.get('/api/v1/auth/session')).status, 401);
  assert.equal((await scim.get(`/scim/v2/Users/${u2.json.id}`)).status, 404);
  const rows = await s.db.tx({ tenantId: admin.tenantId }, (q) => q.query<{ id: string; status: string; open: number }>(
    `SELECT u.id, u.status, (SELECT count(*)::int FROM sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL) AS open FROM users u WHERE u.id = ANY($1::uuid[]) ORDER BY u.email`, [[u.json.id, u2.json.id]]));
  assert.deepEqual(rows.rows.map((r) => [r.status, r.open]), [['deactivated', 0], ['deactivated', 0]]);
  const audit = await s.db.tx({ tenantId: admin.tenantId }, (q) => q.query<{ action: string; details: { sessions_revoked?: number } }>(`SELECT action, details FROM audit_log WHERE action IN ('scim.user.deactivated', 'scim.user.deleted') ORDER BY seq`));
  assert.deepEqual(audit.rows.map((r) => [r.action, r.details.sessions_revoked]), [['scim.user.deactivated', 1], ['scim.user.deactivated', 1], ['scim.user.deleted', undefined]]);
  // A deactivated account can be reactivated; the session store stays revoked.
  const on = await send(scim, 'PATCH', `/Users/${u.json.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: true }] });
  assert.equal(on.json.active, true);
  assert.equal((await c1.get('/api/v1/auth/session')).status, 401);
});

test('DELETE clears the reports\' manager; re-creating a deleted userName restores the same account', async () => {
  const { scim } = await setup();
  const boss = await send(scim, 'POST', '/Users', newUser('boss2@example.com'));
  const rep = await send(scim, 'POST', '/Users', newUser('rep2@example.com', { [ENT]: { manager: { value: boss.json.id } } }));
  assert.equal(rep.json[ENT].manager.value, boss.json.id);
  assert.equal((await scim.request('DELETE', `/scim/v2/Users/${boss.json.id}`)).status, 204);
  assert.equal((await scim.get(`/scim/v2/Users/${rep.json.id}`)).json[ENT]?.manager, undefined);
  const list = await scim.get('/scim/v2/Users?filter=' + encodeURIComponent('userName eq "boss2@example.com"'));
  assert.equal(list.json.totalResults, 0, 'a deleted user is not listed');
  const again = await send(scim, 'POST', '/Users', newUser('boss2@example.com'));
  assert.equal(again.status, 201, again.text);
  assert.equal(again.json.id, boss.json.id);
  assert.equal(again.json.active, true);
  assert.equal((await scim.request('DELETE', `/scim/v2/Users/${boss.json.id}`)).status, 204);
  assert.equal((await scim.request('DELETE', `/scim/v2/Users/${boss.json.id}`)).status, 404);
});

test('Groups: create with members, filter, PATCH add/remove members, PUT, DELETE; users list their groups', async () => {
  const { scim } = await setup();
  const us: string[] = [];
  for (const n of ['ann', 'bob', 'cat']) us.push((await send(scim, 'POST', '/Users', newUser(`${n}@example.com`))).json.id);
  const g = await send(scim, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Engineering', externalId: 'eng', members: [{ value: us[0] }, { value: us[1] }] });
  assert.equal(g.status, 201, g.text);
  assert.equal(g.json.members.length, 2);
  const byName = await scim.get('/scim/v2/Groups?filter=' + encodeURIComponent('displayName eq "engineering"') + '&excludedAttributes=members');
  assert.equal(byName.json.totalResults, 1);
  assert.equal(byName.json.Resources[0].members, undefined);
  const byMember = await scim.get('/scim/v2/Groups?filter=' + encodeURIComponent(`members[value eq "${us[1]}"]`));
  assert.equal(byMember.json.totalResults, 1);
  let r = await send(scim, 'PATCH', `/Groups/${g.json.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: us[2] }] }, { op: 'remove', path: `members[value eq "${us[0]}"]` }] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.members.map((m: { value: string }) => m.value).sort(), [us[1], us[2]].sort());
  r = await send(scim, 'PATCH', `/Groups/${g.json.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'members', value: [{ value: us[1] }] }, { op: 'replace', path: 'displayName', value: 'Eng' }] });
  assert.deepEqual(r.json.members.map((m: { value: string }) => m.value), [us[2]]);
  assert.equal(r.json.displayName, 'Eng');
  const userView = await scim.get(`/scim/v2/Users/${us[2]}`);
  assert.deepEqual(userView.json.groups.map((x: { value: string }) => x.value), [g.json.id]);
  const bad = await send(scim, 'PATCH', `/Groups/${g.json.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: '00000000-0000-4000-8000-000000000000' }] }] });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.scimType, 'invalidValue');
  r = await send(scim, 'PUT', `/Groups/${g.json.id}`, { schemas: [GROUP], displayName: 'Eng2', members: [] });
  assert.equal(r.json.members.length, 0);
  assert.equal((await scim.request('DELETE', `/scim/v2/Groups/${g.json.id}`)).status, 204);
  assert.equal((await scim.get(`/scim/v2/Groups/${g.json.id}`)).status, 404);
});

test('concurrent PATCHes adding members to one group all take effect', async () => {
  const { scim } = await setup();
  const g = await send(scim, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Busy' });
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) ids.push((await send(scim, 'POST', '/Users', newUser(`busy${i}@example.com`))).json.id);
  const rs = await Promise.all(ids.map((id) => send(scim, 'PATCH', `/Groups/${g.json.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] })));
  assert.deepEqual(rs.map((r) => r.status), ids.map(() => 200));
  const after = await scim.get(`/scim/v2/Groups/${g.json.id}`);
  assert.deepEqual(after.json.members.map((m: { value: string }) => m.value).sort(), [...ids].sort());
});

test('deactivation runs the registered hooks (devices) in the same transaction', async () => {
  const seen: string[] = [];
  onUserLifecycle('deactivated', 'test-devices', async (q, { userId }) => {
    // Runs inside the tenant transaction: the user is already deactivated there.
    const r = await q.query<{ status: string }>(`SELECT status FROM users WHERE id = $1`, [userId]);
    seen.push(`${userId}:${r.rows[0]!.status}`);
    return { devices_revoked: 0 };
  });
  const { scim, admin } = await setup();
  const u = await send(scim, 'POST', '/Users', newUser('hooked@example.com'));
  await send(scim, 'PATCH', `/Users/${u.json.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] });
  assert.deepEqual(seen, [`${u.json.id}:deactivated`]);
  const a = await s.db.tx({ tenantId: admin.tenantId }, (q) => q.query<{ details: { hooks?: Record<string, unknown> } }>(`SELECT details FROM audit_log WHERE action = 'scim.user.deactivated'`));
  assert.deepEqual(a.rows[0]!.details.hooks, { devices: { revoked_devices: [] }, 'test-devices': { devices_revoked: 0 } });
});
