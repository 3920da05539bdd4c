/**
 * API-level tenant isolation (CORE-TENANT): every route in the OpenAPI document that takes a
 * path parameter is called by tenant B's admin (with fresh MFA, so step-up is no excuse) with
 * every id that tenant A owns, in every tenant table, and a body generated from the route's own
 * request schema (json-schema-faker, checked with Ajv), with the credential each route takes (B's
 * session, B's SCIM token, B's signed worker, vendor support under B's grant), so validation is
 * no excuse either: every
 * call that reaches the handler must answer 403 or 404, and no response may carry A's id. Ids
 * that do not fit a route's parameter schema are not sent to it (they could only earn a 400).
 * The sweep finds routes and ids by itself, so new endpoints are covered as they land.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { generateSync } from 'json-schema-faker';
import { startTestServer, loginAs, type TestServer } from '@parapet/server/testing';
import { seedTenant } from './seed.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

async function idsOf(tenantId: string): Promise<Map<string, string[]>> {
  return s.asAdmin(async (a) => {
    const tables = (await a.query<{ t: string; idcol: string }>(
      `SELECT c.relname AS t, ia.attname AS idcol
         FROM pg_class c
         JOIN pg_attribute ta ON ta.attrelid = c.oid AND ta.attname = 'tenant_id' AND NOT ta.attisdropped
         JOIN pg_attribute ia ON ia.attrelid = c.oid AND NOT ia.attisdropped AND ia.attnum > 0
              AND ia.attname <> 'tenant_id'
              AND (ia.atttypid = 'uuid'::regtype OR ia.attname = 'id' OR ia.attname = 'dedupe_key'
                   OR (ia.atttypid = 'text'::regtype AND ia.attname LIKE '%\\_id' ESCAPE '\\'))
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'`,
    )).rows;
    const out = new Map<string, string[]>();
    for (const { t, idcol } of tables) {
      const rows = (await a.query<{ v: string }>(`SELECT DISTINCT ${idcol}::text AS v FROM ${t} WHERE tenant_id = $1 AND ${idcol} IS NOT NULL LIMIT 20`, [tenantId])).rows;
      if (rows.length) out.set(`${t}.${idcol}`, rows.map((r) => r.v));
    }
    return out;
  });
}

test("tenant B's admin cannot reach any of tenant A's objects through any route with a path parameter", async (t) => {
  const a = await loginAs(s, { roles: ['admin', 'security_lead', 'auditor'], mfaFresh: true });
  await seedTenant(s, a);
  const b = await loginAs(s, { roles: ['admin', 'security_lead', 'auditor'], mfaFresh: true });
  const { scimToken, worker, support } = await seedTenant(s, b);
  // SCIM routes take the identity provider's bearer token, not a session: B's IdP token.
  const idp = s.client();
  idp.headers.authorization = `Bearer ${scimToken}`;

  type Schema = Record<string, unknown>;
  type Op = { parameters?: Array<{ in: string; name: string; schema: Schema }>; requestBody?: { content?: Record<string, { schema?: Schema }> } };
  const spec = (await b.client.get('/api/v1/openapi.json')).json as { paths: Record<string, Record<string, Op>>; components?: Record<string, unknown> };
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  addFormats.default(ajv);
  ajv.addSchema({ components: spec.components ?? {} }, 'spec');
  const fits = (schema: Schema, v: unknown) => ajv.validate(schema, v);
  const routes = Object.entries(spec.paths)
    .filter(([path]) => /\{[^}]+\}/.test(path))
    .flatMap(([path, ops]) => Object.entries(ops).filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map(([m, op]) => ({ method: m.toUpperCase(), path, op })));
  const before = await idsOf(a.tenantId);
  const ids = [...new Set([...before.values()].flat()), a.tenantId];
  t.diagnostic(`routes with path parameters: ${routes.length}; tenant A ids: ${ids.length}`);
  assert.ok(routes.length >= 10, 'the sweep found the routes');
  assert.ok(ids.length >= 10, 'the seed gave tenant A objects in several domains');

  let calls = 0;
  const reached = new Set<string>();
  const signedRoutes = new Set<string>();
  const supportRoutes = new Set<string>();
  const wrong: string[] = [];
  for (const r of routes) {
    const params = (r.op.parameters ?? []).filter((x) => x.in === 'path');
    const scim = r.path.startsWith('/scim/');
    const mediaType = scim ? 'application/scim+json' : 'application/json';
    const bodySchema = r.op.requestBody?.content?.[mediaType]?.schema ?? r.op.requestBody?.content?.['application/json']?.schema;
    // A body valid for the route's schema (an empty object when it takes none).
    let body: unknown = r.method === 'GET' || r.method === 'DELETE' ? undefined : {};
    if (bodySchema) {
      // Required members only; a few seeds, since a generated string may miss a format's finer rules.
      for (let seed = 1; seed <= 20; seed++) {
        try {
          body = generateSync(bodySchema as never, { seed, maxItems: 2, ...(seed <= 10 ? { optionalsProbability: 0 } : { alwaysFakeOptionals: true }) });
        } catch {
          continue; // e.g. minProperties with no required member: the next seeds fill optionals
        }
        if (fits(bodySchema, body)) break;
      }
      assert.ok(fits(bodySchema, body), `${r.method} ${r.path}: no generated body fits its schema: ${ajv.errorsText()} ${JSON.stringify(body).slice(0, 200)}`);
    }
    // Every path parameter gets an id of A's that fits its schema: the first one takes each such
    // id in turn, any others the first few that fit theirs.
    // Path parameters arrive as text; the server coerces numeric ones, so this check does too.
    const fitsParam = (schema: Schema, id: string) => fits(schema, ['integer', 'number'].includes(String(schema.type)) && /^\d+$/.test(id) ? Number(id) : id);
    const fitting = params.map((p) => ids.filter((id) => fitsParam(p.schema, id)));
    const urls: string[] = [];
    for (const first of fitting[0] ?? []) {
      const rest = fitting.slice(1).map((f) => f.slice(0, 3));
      let combos: string[][] = [[first]];
      for (const f of rest) combos = combos.flatMap((c) => f.map((x) => [...c, x]));
      for (const c of combos) if (c.length === params.length) urls.push(params.reduce((u, p, i) => u.replace(`{${p.name}}`, encodeURIComponent(c[i]!)), r.path));
    }
    for (const url of urls) {
      let res = await (scim ? idp : b.client).request(r.method, url, body === undefined ? {} : { json: body, headers: { 'content-type': mediaType } });
      // Device routes take a signed request, not a session: ask again as B's enrolled worker.
      if (res.status === 401 && res.json?.code === 'device_unauthenticated') {
        const d = await worker.request(r.method, url, body);
        res = { status: d.status, headers: d.headers, text: d.body.toString('utf8'), json: d.body.length ? d.json() : undefined };
        signedRoutes.add(`${r.method} ${r.path}`);
      }
      // Support routes take a vendor support session: ask again as support under B's grant.
      if (res.status === 401 && res.json?.code === 'support_unauthenticated') {
        res = await support.request(r.method, url, body === undefined ? {} : { json: body });
        supportRoutes.add(`${r.method} ${r.path}`);
      }
      calls++;
      assert.ok(res.status >= 400, `${r.method} ${url} answered ${res.status} to tenant B: ${res.text.slice(0, 200)}`);
      assert.ok(!res.text.includes(a.email), `${r.method} ${url} revealed tenant A's user`);
      if (res.status !== 403 && res.status !== 404) {
        wrong.push(`${r.method} ${r.path} answered ${res.status} (${res.json?.code}), not 403 or 404: ${res.text.slice(0, 160)}`);
        break;
      }
      reached.add(`${r.method} ${r.path}`);
    }
  }
  t.diagnostic(`cross-tenant calls made: ${calls}, all refused; routes reached past validation: ${reached.size} of ${routes.length} (${signedRoutes.size} as B's signed worker, ${supportRoutes.size} as support under B's grant)`);
  assert.deepEqual(wrong, [], 'a cross-tenant call that reaches the handler is refused as not found or forbidden');
  const missed = routes.map((r) => `${r.method} ${r.path}`).filter((k) => !reached.has(k));
  assert.deepEqual(missed, [], 'every route with a path parameter was reached with at least one of tenant A\'s ids');
  // Tenant A's data is still whole after B's attempts (DELETE/POST did nothing).
  const afterwards = await idsOf(a.tenantId);
  for (const [k, v] of before) assert.deepEqual(afterwards.get(k)?.sort(), [...v].sort(), `${k} changed`);
});
