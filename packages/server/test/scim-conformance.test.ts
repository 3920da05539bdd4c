// SCIM conformance (RFC 7643/7644) with the request shapes Entra ID and Okta send: complex
// attribute replace, one primary, chronological dateTime filters, caseExact from the schema,
// case-insensitive userName uniqueness, read-only attributes, no echo of unapplied roles,
// meta.location from the configured public URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, loginAs, type TestServer, type TestClient } from '../src/testing.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const PUBLIC = 'https://id.parapet.example';

let s: TestServer;
let scim: TestClient;
let tenantId: string;
before(async () => {
  process.env.PARAPET_PUBLIC_URL = PUBLIC;
  s = await startTestServer();
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  tenantId = admin.tenantId;
  const r = await admin.client.post('/api/v1/scim/tokens', { name: 'Entra ID' });
  assert.equal(r.status, 201, r.text);
  scim = s.client();
  scim.headers.authorization = `Bearer ${r.json.token}`;
});
after(async () => {
  delete process.env.PARAPET_PUBLIC_URL;
  await s.close();
});

const send = (method: string, path: string, json?: unknown, headers: Record<string, string> = {}) =>
  scim.request(method, `/scim/v2${path}`, { ...(json !== undefined ? { body: JSON.stringify(json) } : {}), headers: { ...(json !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...headers } });
const patch = (id: string, ...Operations: unknown[]) => send('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations });
let n = 0;
async function create(extra: Record<string, unknown> = {}, userName = `u${++n}-${Date.now()}@example.test`) {
  const r = await send('POST', '/Users', { schemas: [USER], userName, name: { givenName: 'Avery', familyName: 'Quill' }, emails: [{ value: userName.includes('@') ? userName : `${userName}-${n}@example.test`, type: 'work', primary: true }], active: true, ...extra });
  assert.equal(r.status, 201, r.text);
  return r.json as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

test('PATCH replace of a complex attribute keeps the sub-attributes it does not name (Entra path form and Okta no-path form)', async () => {
  const u = await create();
  const r1 = await patch(u.id, { op: 'replace', path: 'name', value: { givenName: 'Ava' } });
  assert.equal(r1.status, 200, r1.text);
  assert.deepEqual(r1.json.name, { givenName: 'Ava', familyName: 'Quill' });
  const r2 = await patch(u.id, { op: 'Replace', value: { name: { familyName: 'Lark' } } });
  assert.equal(r2.status, 200, r2.text);
  assert.deepEqual(r2.json.name, { givenName: 'Ava', familyName: 'Lark' });
  // The stored state, not only the response.
  assert.deepEqual((await send('GET', `/Users/${u.id}`)).json.name, { givenName: 'Ava', familyName: 'Lark' });
  // A multi-valued attribute replaced without a filter is replaced whole (RFC 7644 §3.5.2.3).
  const r3 = await patch(u.id, { op: 'replace', path: 'phoneNumbers', value: [{ value: '+1 555 0100', type: 'work' }] });
  const r4 = await patch(u.id, { op: 'replace', path: 'phoneNumbers', value: [{ value: '+1 555 0199', type: 'mobile' }] });
  assert.equal(r3.status, 200);
  assert.deepEqual(r4.json.phoneNumbers, [{ value: '+1 555 0199', type: 'mobile' }]);
});

test('at most one primary: a PATCH that adds or marks a primary value demotes the old one; two primaries in a POST, PUT or one PATCH are 400 invalidValue', async () => {
  const u = await create();
  const work = u.emails[0].value as string;
  // Okta: add a new primary email.
  const r1 = await patch(u.id, { op: 'add', path: 'emails', value: [{ value: `home-${u.id}@example.test`, type: 'home', primary: true }] });
  assert.equal(r1.status, 200, r1.text);
  const prim = (e: Array<{ value: string; primary?: boolean }>) => e.filter((x) => x.primary === true).map((x) => x.value);
  assert.deepEqual(prim(r1.json.emails), [`home-${u.id}@example.test`]);
  // Entra: mark the work address primary through a filtered path.
  const r2 = await patch(u.id, { op: 'replace', path: 'emails[type eq "work"].primary', value: true });
  assert.equal(r2.status, 200, r2.text);
  assert.deepEqual(prim(r2.json.emails), [work]);
  const two = [{ value: `a-${u.id}@example.test`, primary: true }, { value: `b-${u.id}@example.test`, primary: true }];
  const r3 = await patch(u.id, { op: 'add', path: 'emails', value: two });
  assert.equal(r3.status, 400, r3.text);
  assert.equal(r3.json.scimType, 'invalidValue');
  const r4 = await send('POST', '/Users', { schemas: [USER], userName: `two-${u.id}@example.test`, emails: two });
  assert.equal(r4.status, 400, r4.text);
  assert.equal(r4.json.scimType, 'invalidValue');
  const r5 = await send('PUT', `/Users/${u.id}`, { schemas: [USER], userName: u.userName, emails: two });
  assert.equal(r5.status, 400, r5.text);
});

test('meta.lastModified filters compare chronologically, whatever offset the filter uses; a non-dateTime is invalidFilter', async () => {
  const u = await create();
  const at = Date.parse(u.meta.lastModified);
  const withOffset = (ms: number, minutes: number) => {
    const d = new Date(ms + minutes * 60_000);
    const sign = minutes >= 0 ? '+' : '-';
    const m = Math.abs(minutes);
    return `${d.toISOString().slice(0, 23)}${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  };
  const ids = async (filter: string) => {
    const r = await send('GET', `/Users?filter=${encodeURIComponent(filter)}`);
    assert.equal(r.status, 200, r.text);
    return (r.json.Resources as Array<{ id: string }>).map((x) => x.id);
  };
  // One second before, written in +05:30 (as text it sorts after the Z time): included.
  assert.ok((await ids(`meta.lastModified gt "${withOffset(at - 1000, 330)}"`)).includes(u.id));
  // One second after, written in -08:00 (as text it sorts before): excluded.
  assert.ok(!(await ids(`meta.lastModified gt "${withOffset(at + 1000, -480)}"`)).includes(u.id));
  assert.ok((await ids(`meta.lastModified lt "${withOffset(at + 1000, -480)}"`)).includes(u.id));
  assert.ok((await ids(`meta.lastModified eq "${withOffset(at, 90)}"`)).includes(u.id));
  assert.ok((await ids(`meta.created ge "${withOffset(at - 60_000, -600)}" and meta.lastModified le "${withOffset(at, 600)}"`)).includes(u.id));
  const bad = await send('GET', `/Users?filter=${encodeURIComponent('meta.lastModified gt "yesterday"')}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.scimType, 'invalidFilter');
});

test('caseExact comes from the schema: externalId and id compare exactly, userName and emails do not', async () => {
  const u = await create({ externalId: 'AbC-x' }, `CaseUser-${Date.now()}@Example.test`);
  const count = async (filter: string) => (await send('GET', `/Users?filter=${encodeURIComponent(filter)}`)).json.totalResults as number;
  assert.equal(await count('externalId eq "abc-x"'), 0);
  assert.equal(await count('externalId eq "AbC-x"'), 1);
  assert.equal(await count('externalId sw "abc"'), 0);
  assert.equal(await count(`id eq "${u.id.toUpperCase()}"`), 0);
  assert.equal(await count(`id eq "${u.id}"`), 1);
  assert.equal(await count(`userName eq "${u.userName.toLowerCase()}"`), 1);
  assert.equal(await count(`emails[value eq "${u.userName.toUpperCase()}"]`), 1);
  // The schema document says so too.
  const sch = (await send('GET', `/Schemas/${USER}`)).json;
  assert.equal(sch.attributes.find((a: { name: string }) => a.name === 'externalId').caseExact, true);
  assert.equal(sch.attributes.find((a: { name: string }) => a.name === 'userName').caseExact, false);
});

test('userName is unique case-insensitively whatever its shape (jdoe, JDoe), on POST, PUT and PATCH', async () => {
  const base = `jdoe${Date.now()}`;
  const a = await create({}, base);
  for (const name of [base, base.toUpperCase(), base.replace('j', 'J')]) {
    const r = await send('POST', '/Users', { schemas: [USER], userName: name, emails: [{ value: `${name}-other-${Math.random()}@example.test`, primary: true }] });
    assert.equal(r.status, 409, `${name}: ${r.text}`);
    assert.equal(r.json.scimType, 'uniqueness');
  }
  const b = await create({}, `${base}-b`);
  const put = await send('PUT', `/Users/${b.id}`, { schemas: [USER], userName: base.toUpperCase(), emails: b.emails });
  assert.equal(put.status, 409, put.text);
  const p = await patch(b.id, { op: 'replace', path: 'userName', value: base.replace('d', 'D') });
  assert.equal(p.status, 409, p.text);
  // Renaming to a new case of one's own name is fine.
  const self = await patch(a.id, { op: 'replace', path: 'userName', value: base.toUpperCase() });
  assert.equal(self.status, 200, self.text);
  assert.equal(self.json.userName, base.toUpperCase());
  // And after a SCIM DELETE the name is free again.
  assert.equal((await send('DELETE', `/Users/${a.id}`)).status, 204);
  await create({}, base);
});

test('PATCH of id, meta, schemas or another read-only attribute is 400 mutability and changes nothing', async () => {
  const u = await create();
  const ops: unknown[] = [
    { op: 'replace', path: 'id', value: '00000000-0000-4000-8000-000000000000' },
    { op: 'replace', path: 'meta', value: { created: '2000-01-01T00:00:00Z' } },
    { op: 'replace', path: 'meta.lastModified', value: '2000-01-01T00:00:00Z' },
    { op: 'remove', path: 'schemas' },
    { op: 'add', path: 'schemas', value: ['urn:example:evil'] },
    { op: 'Replace', value: { id: 'x', active: true } },
    { op: 'replace', value: { meta: { location: 'https://evil.example/' } } },
    { op: 'add', path: 'groups', value: [{ value: u.id }] },
    { op: 'replace', path: `${USER}:id`, value: 'x' },
  ];
  for (const op of ops) {
    const r = await patch(u.id, op);
    assert.equal(r.status, 400, `${JSON.stringify(op)}: ${r.text}`);
    assert.equal(r.json.scimType, 'mutability', JSON.stringify(op));
  }
  // Okta's group rename restates the group's own id next to the change: that is no change.
  const g = await send('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Okta ${Date.now()}` });
  assert.equal(g.status, 201, g.text);
  const ren = await send('PATCH', `/Groups/${g.json.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: g.json.id, displayName: 'Renamed by Okta' } }] });
  assert.equal(ren.status, 200, ren.text);
  assert.equal(ren.json.displayName, 'Renamed by Okta');
  const moved = await send('PATCH', `/Groups/${g.json.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: u.id, displayName: 'x' } }] });
  assert.equal(moved.status, 400);
  assert.equal(moved.json.scimType, 'mutability');
  const now = (await send('GET', `/Users/${u.id}`)).json;
  assert.equal(now.id, u.id);
  assert.deepEqual(now.schemas, u.schemas);
  assert.equal(now.meta.created, u.meta.created);
});

test('roles the directory sends are not applied, so they are not echoed (POST, PUT, PATCH); the account keeps its Parapet roles', async () => {
  const u = await create({ roles: [{ value: 'admin', primary: true }] });
  assert.equal(u.roles, undefined, JSON.stringify(u));
  const p = await patch(u.id, { op: 'add', path: 'roles', value: [{ value: 'security_lead' }] });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.roles, undefined);
  const put = await send('PUT', `/Users/${u.id}`, { schemas: [USER], userName: u.userName, emails: u.emails, roles: [{ value: 'admin' }] });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.roles, undefined);
  assert.equal((await send('GET', `/Users/${u.id}`)).json.roles, undefined);
  const roles = await s.db.tx({ tenantId }, async (q) => (await q.query<{ roles: string[] }>(`SELECT roles FROM users WHERE id = $1`, [u.id])).rows[0]!.roles);
  assert.deepEqual(roles, ['employee']);
});

test('meta.location, $ref and the Location header come from the configured public URL, not the Host header', async () => {
  const spoof = { host: 'evil.example' };
  const r = await send('POST', '/Users', { schemas: [USER, ENT], userName: `loc-${Date.now()}@example.test`, [ENT]: { department: 'Ops' } }, spoof);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.meta.location, `${PUBLIC}/scim/v2/Users/${r.json.id}`);
  assert.equal(r.headers.location, `${PUBLIC}/scim/v2/Users/${r.json.id}`);
  const g = await send('GET', `/Users/${r.json.id}`, undefined, spoof);
  assert.equal(g.json.meta.location, `${PUBLIC}/scim/v2/Users/${r.json.id}`);
  const grp = await send('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `G${Date.now()}`, members: [{ value: r.json.id }] }, spoof);
  assert.equal(grp.status, 201, grp.text);
  assert.ok(grp.json.members.every((m: { $ref: string }) => m.$ref.startsWith(`${PUBLIC}/scim/v2/Users/`)));
  const spc = await send('GET', '/ServiceProviderConfig', undefined, spoof);
  assert.equal(spc.json.meta.location, `${PUBLIC}/scim/v2/ServiceProviderConfig`);
  assert.ok(!JSON.stringify([r.json, g.json, grp.json, spc.json]).includes('evil.example'));
});

test('state written before these rules (two primaries, a duplicate userName) does not block an unrelated PATCH such as deactivation', async () => {
  const a = await create({}, `legacy${Date.now()}`);
  const b = await create({}, `legacy-b${Date.now()}`);
  // As the old code could leave it: b carries a's name in another case and two primaries.
  await s.asAdmin((q) =>
    q.query(
      `UPDATE scim_users SET user_name = NULL, attributes = attributes || jsonb_build_object('userName', $2::text, 'emails', $3::jsonb) WHERE user_id = $1`,
      [b.id, a.userName.toUpperCase(), JSON.stringify([{ value: b.emails[0].value, primary: true }, { value: `x-${b.id}@example.test`, primary: true }])],
    ),
  );
  const r = await patch(b.id, { op: 'replace', path: 'active', value: false });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.active, false);
  assert.equal(r.json.emails.filter((e: { primary?: boolean }) => e.primary === true).length, 1);
  // Renaming to a free name makes it hold that name like anyone else.
  const free = `renamed${Date.now()}`;
  assert.equal((await patch(b.id, { op: 'replace', path: 'userName', value: free })).status, 200);
  assert.equal((await send('POST', '/Users', { schemas: [USER], userName: free.toUpperCase(), emails: [{ value: `y-${b.id}@example.test`, primary: true }] })).status, 409);
});
