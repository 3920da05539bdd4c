// Fuzz over every route in /api/v1/openapi.json: for each operation a body, query and path
// built from its own schema, then mutated (NUL, lone surrogates, huge and odd numbers, deep
// nesting, wrong types, broken JSON), sent over real HTTPS as an admin with fresh MFA (and a
// SCIM bearer token for /scim routes) and unauthenticated. No response may be a 5xx, and
// every 4xx under /api must be a problem document with a code. Routes are discovered from
// the OpenAPI document at run time, so routes added later are fuzzed without editing this.
// The case count is bounded (CASES_PER_OPERATION per identity) and printed; the seed is
// PARAPET_FUZZ_SEED or fixed, and printed, so a failure can be replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { loginAs, type TestClient, type TestResponse } from '../src/testing.js';
import { ROLES } from '../src/platform/principal.js';
import { openApiFixture, type Schema } from './fixtures/openapi.js';
interface Operation {
  method: string;
  path: string;
  body?: Schema;
  query: Array<{ name: string; schema: Schema; required: boolean }>;
  pathParams: string[];
}

const SEED = Number(process.env.PARAPET_FUZZ_SEED ?? 20261130);
const CASES_PER_OPERATION = 9;

/** mulberry32: a small seeded PRNG, so every run with one seed sends the same requests. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}
type Rng = ReturnType<typeof prng>;

const openapi = openApiFixture();
const { resolve } = openapi;

function operations(): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(openapi.spec.paths as Record<string, Record<string, Schema>>)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = (op.parameters ?? []) as Array<{ name: string; in: string; schema?: Schema; required?: boolean }>;
      const content = op.requestBody?.content ?? {};
      const body = content['application/json']?.schema ?? content['application/scim+json']?.schema;
      ops.push({
        method: method.toUpperCase(),
        path,
        ...(body ? { body: resolve(body) } : method === 'post' || method === 'put' || method === 'patch' ? { body: { type: 'object' } } : {}),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: resolve(p.schema), required: !!p.required })),
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
      });
    }
  }
  return ops;
}

// Ids seen in 2xx responses so far: path parameters and strings reuse them half the time,
// so requests reach the code behind the 404s.
const seenIds: string[] = [];
const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
// Words that mean something to some route (SCIM operations and paths, booleans), used for
// strings the schema leaves open.
const WORDS = ['add', 'replace', 'remove', 'Replace', 'name.givenName', 'emails[type eq "work"].value', 'emails[type eq "work"].primary', 'members', 'members[value eq "x"]', 'active', 'True', 'userName eq "a"', 'meta.lastModified gt "2026-01-01T00:00:00+05:30"', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', '0.0.0.0/0', '::ffff:0:0/96', 'tcp_connect', 'admin'];
// Member names SCIM and the API use, so schema-less objects still reach real code paths.
const NAMES = ['schemas', 'userName', 'name', 'givenName', 'emails', 'value', 'primary', 'Operations', 'op', 'path', 'members', 'displayName', 'externalId', 'active', 'email', 'org', 'password', 'code', 'targets', 'reason'];

/** A value valid for `schema` as far as this generator understands JSON Schema. */
function generate(schemaIn: Schema | undefined, r: Rng, depth = 0): unknown {
  const schema = resolve(schemaIn);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return r.pick(schema.enum);
  for (const k of ['oneOf', 'anyOf'] as const) if (Array.isArray(schema[k])) return generate(r.pick(schema[k] as Schema[]), r, depth);
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...schema.allOf.map((x: Schema) => generate(x, r, depth)));
  const type = Array.isArray(schema.type) ? (schema.type.find((t: string) => t !== 'null') ?? 'null') : (schema.type ?? (schema.properties ? 'object' : 'string'));
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const req = new Set<string>(schema.required ?? []);
      for (const [k, v] of Object.entries(props)) if (req.has(k) || r.next() < 0.7) out[k] = depth > 6 ? null : generate(v, r, depth + 1);
      if (Object.keys(props).length === 0 && schema.additionalProperties !== false && depth < 3) {
        for (let i = r.int(4); i > 0; i--) out[r.pick(NAMES)] = r.next() < 0.5 ? 'fuzz' : generate({ type: r.pick(['string', 'integer', 'boolean', 'array', 'object']) }, r, depth + 1);
      }
      return out;
    }
    case 'array': {
      const n = Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, r.int(3)));
      return Array.from({ length: n }, () => generate(schema.items ?? { type: 'string' }, r, depth + 1));
    }
    case 'integer':
    case 'number': {
      const lo = schema.minimum ?? schema.exclusiveMinimum ?? 0;
      const hi = Math.min(schema.maximum ?? schema.exclusiveMaximum ?? lo + 100, lo + 1000);
      return lo + r.int(Math.max(1, hi - lo));
    }
    case 'boolean':
      return r.next() < 0.5;
    case 'null':
      return null;
    default: {
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date-time') return new Date().toISOString();
      if (schema.format === 'email') return `fuzz-${r.int(1e6)}@example.test`;
      if (schema.format === 'uri') return 'https://example.test/x';
      if (schema.pattern === undefined && r.next() < 0.35) return r.next() < 0.3 && seenIds.length ? r.pick(seenIds) : r.pick(WORDS);
      const len = Math.max(schema.minLength ?? 1, Math.min(schema.maxLength ?? 12, 12));
      return 'fz' + 'x'.repeat(Math.max(0, len - 2));
    }
  }
}

type Path = Array<string | number>;
function leaves(v: unknown, path: Path = [], out: Array<[Path, unknown]> = []): Array<[Path, unknown]> {
  if (v !== null && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) out.push([path, v]);
    for (const [k, x] of entries) leaves(x, [...path, k], out);
  } else out.push([path, v]);
  return out;
}
function setAt(v: unknown, path: Path, x: unknown): unknown {
  if (path.length === 0) return x;
  const copy: any = Array.isArray(v) ? [...v] : { ...(v as object) }; // eslint-disable-line @typescript-eslint/no-explicit-any
  copy[path[0]!] = setAt(copy[path[0]!], path.slice(1), x);
  return copy;
}
const nest = (depth: number, inner: unknown): unknown => {
  let v = inner;
  for (let i = 0; i < depth; i++) v = i % 2 ? { n: v } : [v];
  return v;
};

const BAD_STRINGS = ['a\u0000b', '\u0000', '\ud800', 'x\udfffy', 'ok\ud83d', '\u0000\ud800', 'a'.repeat(70_000)];
// RAW: markers become bare JSON number text, out of what a double can hold exactly or at all.
const BAD_NUMBERS: unknown[] = [1e308, -1e308, 2 ** 64, 2 ** 53 + 2, -1, 0.5, -0, 'RAW:1e400', 'RAW:-1e400', 'RAW:123456789012345678901234567890'];
const WRONG: unknown[] = [null, 12345, 'text', [], {}, true, [[]], { '': '' }];

/** The body text for case `i` of an operation (0 is the schema-valid body). */
function bodyText(op: Operation, i: number, r: Rng): string {
  const valid = generate(op.body, r);
  const ls = leaves(valid);
  const [lp] = r.pick(ls);
  let v: unknown = valid;
  switch (i) {
    case 0:
      break;
    case 1: // NUL / lone surrogate in one string, and in a member name
      v = setAt(valid, lp, r.pick(BAD_STRINGS));
      if (r.next() < 0.4 && valid && typeof valid === 'object' && !Array.isArray(valid)) v = { ...(v as object), ['k\u0000' + r.pick(NAMES)]: 'x' };
      break;
    case 2: // every string bad
      for (const [p, x] of ls) if (typeof x === 'string') v = setAt(v, p, r.pick(BAD_STRINGS.slice(0, 6)));
      if (!ls.some(([, x]) => typeof x === 'string')) v = setAt(valid, lp, '\u0000');
      break;
    case 3: // huge or odd numbers
      for (const [p, x] of ls) if (typeof x === 'number' || r.next() < 0.3) v = setAt(v, p, r.pick(BAD_NUMBERS));
      break;
    case 4: // wrong types at a leaf and at the top
      v = r.next() < 0.5 ? setAt(valid, lp, r.pick(WRONG)) : r.pick(WRONG);
      break;
    case 5: // deep nesting, inside and whole
      v = r.next() < 0.5 ? setAt(valid, lp, nest(200, 'x')) : nest(3000, 1);
      break;
    case 6: // broken JSON
      return r.pick(['{', '{"a":', '[1,2', '"\\ud800', '{"a":"\\u0000"', '\u0000', 'null', '']);
    case 7: // a random member with a bad value next to a valid body
      v = valid && typeof valid === 'object' && !Array.isArray(valid) ? { ...valid, [r.pick(NAMES)]: r.pick([...BAD_STRINGS, ...WRONG, nest(100, '\u0000')]) } : r.pick(BAD_STRINGS);
      break;
    default: // everything at once
      v = setAt(setAt(valid, lp, r.pick(BAD_STRINGS)), [...lp.slice(0, -1), 'z'], r.pick(BAD_NUMBERS));
  }
  return JSON.stringify(v).replace(/"RAW:([^"]+)"/g, '$1');
}

const BAD_PARAMS = ['x%00y', '%00', '%ED%A0%80', '%F0%9F', '99999999999999999999999', '-1', '1e400', 'a'.repeat(300), '..%2F..%2Fetc', '%22%27%3C', 'null'];

function pathFor(op: Operation, i: number, r: Rng): string {
  let p = op.path;
  for (const name of op.pathParams) {
    const x = r.next();
    p = p.replace(`{${name}}`, seenIds.length && (i === 0 || x < 0.5) ? r.pick(seenIds) : i === 0 || x < 0.65 ? randomUUID() : r.pick(BAD_PARAMS));
  }
  const qs: string[] = [];
  for (const q of op.query) {
    if (!q.required && r.next() < 0.4) continue;
    const good = String(generate(q.schema, r));
    const v = i === 0 ? encodeURIComponent(good) : r.next() < 0.6 ? r.pick(BAD_PARAMS) : encodeURIComponent(good);
    qs.push(`${q.name}=${v}`);
    if (i > 0 && r.next() < 0.2) qs.push(`${q.name}=${encodeURIComponent(good)}`); // repeated: an array where a scalar is expected
  }
  if (i > 0 && r.next() < 0.3) qs.push(`${r.pick(NAMES)}=${r.pick(BAD_PARAMS)}`);
  return qs.length ? `${p}?${qs.join('&')}` : p;
}

interface Identity {
  name: string;
  client: () => Promise<TestClient>;
  scimToken?: string;
}

test('fuzz: no route answers 5xx to bad input, as an MFA-fresh admin and unauthenticated', async (t) => {
  const { s } = openapi;
  const ops = operations();
  assert.ok(ops.length >= 50, `only ${ops.length} operations in the OpenAPI document`);
  // The admin holds every role, so role checks do not stop the fuzz at the door.
  let admin = await loginAs(s, { roles: [...ROLES], mfaFresh: true });
  const tok = await admin.client.post('/api/v1/scim/tokens', { name: 'fuzz' });
  assert.equal(tok.status, 201, tok.text);
  const scimToken = tok.json.token as string;
  // Something for the id-taking routes to find: a SCIM user and group, and the admin itself.
  const bearer = { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' };
  const su = await admin.client.request('POST', '/scim/v2/Users', { body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'fuzz.seed@example.test', name: { givenName: 'F', familyName: 'Z' }, emails: [{ value: 'fuzz.seed@example.test', type: 'work', primary: true }] }), headers: bearer });
  assert.equal(su.status, 201, su.text);
  const sg = await admin.client.request('POST', '/scim/v2/Groups', { body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'fuzz', members: [{ value: su.json.id }] }), headers: bearer });
  assert.equal(sg.status, 201, sg.text);
  seenIds.push(su.json.id, sg.json.id, admin.userId);
  const adminClient = async () => {
    // Fuzzed routes may end the session (logout) or its MFA; sign in again when they did.
    // Some rotate the CSRF token; the session document carries the current one.
    const st = await admin.client.get('/api/v1/auth/session');
    const mfaAt = Date.parse(st.json?.mfa_verified_at ?? '');
    if (st.status !== 200 || !(Date.now() - mfaAt < 60_000)) admin = await loginAs(s, { roles: [...ROLES], mfaFresh: true, tenantId: admin.tenantId });
    else if (typeof st.json.csrf_token === 'string') admin.client.headers['x-csrf-token'] = st.json.csrf_token;
    return admin.client;
  };
  const identities: Identity[] = [
    { name: 'admin', client: adminClient, scimToken },
    { name: 'anonymous', client: async () => s.client() },
  ];
  const failures: string[] = [];
  let cases = 0;
  const byClass: Record<string, number> = {};
  const r = prng(SEED);
  // Session-ending routes last, so they do not cut the others short.
  const ordered = [...ops].sort((a, b) => Number(/logout/.test(a.path)) - Number(/logout/.test(b.path)));
  for (const id of identities) {
    for (const op of ordered) {
      const c = await id.client();
      for (let i = 0; i < CASES_PER_OPERATION; i++) {
        const path = pathFor(op, i, r);
        const headers: Record<string, string> = {};
        if (op.path.startsWith('/scim/') && id.scimToken) headers.authorization = `Bearer ${id.scimToken}`;
        let res: TestResponse;
        let sent: string | undefined;
        if (op.body) {
          sent = bodyText(op, i, r);
          headers['content-type'] = op.path.startsWith('/scim/') && r.next() < 0.5 ? 'application/scim+json' : 'application/json';
          res = await c.request(op.method, path, { body: sent, headers });
        } else {
          res = await c.request(op.method, path, { headers });
        }
        cases++;
        byClass[`${Math.floor(res.status / 100)}xx`] = (byClass[`${Math.floor(res.status / 100)}xx`] ?? 0) + 1;
        if (res.status < 300) for (const m of res.text.matchAll(UUID_RE)) if (!seenIds.includes(m[0]) && seenIds.length < 200) seenIds.push(m[0]);
        const what = `${id.name} ${op.method} ${path.slice(0, 160)} case ${i}${sent !== undefined ? ` body ${JSON.stringify(sent.slice(0, 160))}` : ''}`;
        if (res.status >= 500) failures.push(`${what} -> ${res.status} ${res.text.slice(0, 200)}`);
        else if (res.status >= 400 && path.startsWith('/api/') && typeof res.json?.code !== 'string') failures.push(`${what} -> ${res.status} without a problem code: ${res.text.slice(0, 200)}`);
      }
    }
  }
  const summary = `fuzz: ${cases} cases over ${ops.length} operations x ${identities.length} identities, seed ${SEED}; responses ${JSON.stringify(byClass)}`;
  t.diagnostic(summary);
  console.log(summary);
  assert.deepEqual(failures.slice(0, 25), [], `${failures.length} failing cases (first 25 shown)`);
});
