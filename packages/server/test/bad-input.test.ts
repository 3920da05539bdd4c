// Bad input is a 4xx problem with its own code, never a 500: strings PostgreSQL cannot
// store, and every SQLSTATE class 22/23 error the engine raises (checked against the real
// engine's errors, PGlite or PostgreSQL as the environment selects).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { findUnstorable, problemForDatabaseError, MAX_DEPTH } from '../src/http/bad-input.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('the issue samples: NUL in login email and org, scan target, scope-revoke reason, SCIM filter and body -> 400 unstorable_string', async () => {
  const anon = s.client();
  for (const body of [{ org: 'acme', email: 'a\u0000@example.test', password: 'x' }, { org: 'ac\u0000me', email: 'a@example.test', password: 'x' }]) {
    const r = await anon.post('/api/v1/auth/login', body);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.code, 'unstorable_string');
    assert.match(r.headers['content-type'] as string, /application\/problem\+json/);
  }
  const a = await loginAs(s, { roles: ['admin', 'security_lead', 'operator'], mfaFresh: true });
  const scan = await a.client.post('/api/v1/probe/scans', { scope_id: 'x', version: 1, targets: ['10.0.0.1\u0000'], ports: [443], probe_types: ['tcp_connect'], rate_pps: 1 });
  assert.equal(scan.status, 400, scan.text);
  assert.equal(scan.json.code, 'unstorable_string');
  assert.equal(scan.json.pointer, 'body/targets/0');
  const revoke = await a.client.post(`/api/v1/probe/scopes/${randomUUID()}/revoke`, { reason: 'gone\ud800' });
  assert.equal(revoke.status, 400, revoke.text);
  assert.equal(revoke.json.code, 'unstorable_string');
  const tok = await a.client.post('/api/v1/scim/tokens', { name: 'bad-input' });
  assert.equal(tok.status, 201, tok.text);
  const bearer = { authorization: `Bearer ${tok.json.token}` };
  const f = await a.client.get(`/scim/v2/Users?filter=${encodeURIComponent('userName eq "a\u0000"')}`, bearer);
  assert.equal(f.status, 400, f.text);
  assert.equal(f.json.scimType, 'invalidValue');
  const u = await a.client.request('POST', '/scim/v2/Users', { json: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'nul\u0000user' }, headers: bearer });
  assert.equal(u.status, 400, u.text);
  assert.equal(u.json.status, '400');
  // A name token with a NUL is refused too, and nothing was created.
  const t2 = await a.client.post('/api/v1/scim/tokens', { name: 'x\u0000' });
  assert.equal(t2.status, 400);
  const list = await a.client.get('/api/v1/scim/tokens');
  assert.equal(list.json.tokens?.filter?.((x: { name: string }) => x.name.startsWith('x')).length ?? 0, 0);
});

test('deep nesting, huge numbers and a NUL in a path parameter or query are 4xx', async () => {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const r = await a.client.request('POST', '/api/v1/auth/login', { body: '['.repeat(5000) + ']'.repeat(5000), headers: { 'content-type': 'application/json' } });
  assert.ok(r.status >= 400 && r.status < 500, r.text);
  const r2 = await a.client.request('PUT', '/api/v1/audit/settings', { body: '{"x":' + '['.repeat(MAX_DEPTH + 5) + ']'.repeat(MAX_DEPTH + 5) + '}', headers: { 'content-type': 'application/json' } });
  assert.equal(r2.status, 400, r2.text);
  assert.equal(r2.json.code, 'nesting_too_deep');
  const r3 = await a.client.get('/api/v1/audit/proof/consistency?old=1&new=99999999999999999999999');
  assert.ok(r3.status >= 400 && r3.status < 500, r3.text);
  const r4 = await a.client.get('/api/v1/probe/scans/a%00b');
  assert.equal(r4.status, 400, r4.text);
  assert.equal(r4.json.code, 'unstorable_string');
  const r5 = await a.client.get('/api/v1/audit/search?actor=%00');
  assert.equal(r5.status, 400, r5.text);
});

test('every SQLSTATE class 22/23 error the engine raises maps to its own 4xx code', async () => {
  const errors = await s.asAdmin(async (q) => {
    const tbl = `bad_input_${randomUUID().replace(/-/g, '')}`;
    await q.query(`CREATE TABLE ${tbl}_p (id int PRIMARY KEY)`);
    await q.query(`CREATE TABLE ${tbl} (id int PRIMARY KEY, p int REFERENCES ${tbl}_p(id), t text, j jsonb, n int NOT NULL DEFAULT 0 CHECK (n >= 0), v varchar(3), d date)`);
    await q.query(`INSERT INTO ${tbl}_p VALUES (1)`);
    await q.query(`INSERT INTO ${tbl} (id, p) VALUES (1, 1)`);
    const attempts: Array<[string, string, unknown[]]> = [
      ['unique', `INSERT INTO ${tbl} (id) VALUES (1)`, []],
      ['fk missing', `INSERT INTO ${tbl} (id, p) VALUES (2, 99)`, []],
      ['fk referenced', `DELETE FROM ${tbl}_p WHERE id = 1`, []],
      ['not null', `INSERT INTO ${tbl} (id, n) VALUES (3, NULL)`, []],
      ['check', `INSERT INTO ${tbl} (id, n) VALUES (4, -1)`, []],
      ['nul text', `INSERT INTO ${tbl} (id, t) VALUES (5, $1)`, ['a\u0000b']],
      ['nul jsonb', `INSERT INTO ${tbl} (id, j) VALUES (6, $1)`, [JSON.stringify({ a: '\u0000' })]],
      ['int range', `INSERT INTO ${tbl} (id) VALUES ($1)`, ['99999999999']],
      ['bad syntax', `INSERT INTO ${tbl} (id) VALUES ($1)`, ['seven']],
      ['too long', `INSERT INTO ${tbl} (id, v) VALUES (7, $1)`, ['abcdef']],
      ['bad date', `INSERT INTO ${tbl} (id, d) VALUES (8, $1)`, ['2026-02-30']],
      ['bad uuid', `SELECT $1::uuid`, ['nope']],
    ];
    const out: Record<string, unknown> = {};
    for (const [name, sql, params] of attempts) {
      try {
        await q.query(sql, params);
        out[name] = 'no error';
      } catch (e) {
        out[name] = e;
      }
    }
    await q.query(`DROP TABLE ${tbl}, ${tbl}_p`);
    return out;
  });
  const want: Record<string, [number, string]> = {
    unique: [409, 'already_exists'],
    'fk missing': [422, 'reference_not_found'],
    'fk referenced': [409, 'still_referenced'],
    'not null': [400, 'missing_value'],
    check: [422, 'constraint_violated'],
    'nul text': [400, 'unstorable_string'],
    'nul jsonb': [400, 'unstorable_string'],
    'int range': [400, 'number_out_of_range'],
    'bad syntax': [400, 'invalid_value'],
    'too long': [400, 'value_too_long'],
    'bad date': [400, 'invalid_datetime'],
    'bad uuid': [400, 'invalid_value'],
  };
  for (const [name, [status, code]] of Object.entries(want)) {
    const p = problemForDatabaseError(errors[name]);
    assert.ok(p, `${name}: ${String(errors[name])}`);
    assert.deepEqual([p.status, p.code], [status, code], name);
  }
  assert.equal(problemForDatabaseError(new Error('boom')), undefined);
  assert.equal(problemForDatabaseError(Object.assign(new Error('x'), { code: '42501' })), undefined, 'RLS refusals are not client input errors');
});

test('property: findUnstorable refuses exactly the values holding a NUL or a lone surrogate somewhere (values or member names)', () => {
  const bad = fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff');
  const clean = fc.string({ unit: 'grapheme', maxLength: 8 });
  const leaf = fc.oneof(clean, fc.integer(), fc.boolean(), fc.constant(null));
  const tree = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(clean, tie('v'), { maxKeys: 3 })),
  })).v;
  fc.assert(
    fc.property(tree, bad, fc.nat(), fc.boolean(), (v, b, at, inKey) => {
      assert.equal(findUnstorable(v, 'body'), undefined);
      // Put the bad unit into one string (or member name) somewhere.
      let done = false;
      const inject = (x: unknown): unknown => {
        if (done) return x;
        if (typeof x === 'string') {
          done = true;
          const i = at % (x.length + 1);
          return x.slice(0, i) + b + x.slice(i);
        }
        if (Array.isArray(x)) return x.map(inject);
        if (x && typeof x === 'object') {
          return Object.fromEntries(Object.entries(x).map(([k, y]) => {
            if (!done && inKey) {
              done = true;
              return [k + b, y];
            }
            return [k, inject(y)];
          }));
        }
        return x;
      };
      const w = inject(v);
      const target = done ? w : b;
      const p = findUnstorable(target, 'body');
      assert.equal(p?.code, 'unstorable_string', JSON.stringify(target));
    }),
    { numRuns: 400 },
  );
  // Valid surrogate pairs (astral characters) are fine.
  assert.equal(findUnstorable({ e: '😀 \ud83d\ude00' }, 'body'), undefined);
});
